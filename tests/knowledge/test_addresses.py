"""Address notations and mirrors."""

from __future__ import annotations

import pytest

from afs.knowledge.addresses import (
    canonical,
    find_mentions,
    format_address,
    notations,
    parse_address,
)


@pytest.mark.parametrize("text", ["$10", "$0010", "$7E0010", "$000010", "$800010", "7E:0010",
                                  "$7E:0010", "$3F0010", "0x7E0010", "10"])
def test_every_notation_of_a_direct_page_byte(text: str) -> None:
    assert parse_address(text) == 0x7E0010


def test_mirrors_and_registers() -> None:
    assert canonical(0x802100) == 0x2100 == canonical(0x002100)
    assert canonical(0xF01234) == 0x701234
    assert canonical(0x7F2000) == 0x7F2000
    assert canonical(0x7E2000) == 0x7E2000  # above the low-RAM mirror
    assert canonical(0x808000) == 0x008000  # FastROM mirror of bank 0 ROM
    assert format_address(0x2100) == "$2100"
    assert format_address(0x7E0010) == "$7E0010"
    with pytest.raises(ValueError):
        canonical(0x1000000)


def test_mentions_in_code_and_prose() -> None:
    found = find_mentions("STA.l $7EF36D : LDA $0E50,X : LDA #$10 ; see 7E:0010 and 0x2100")
    assert [(m.text, m.address) for m in found] == [
        ("$7EF36D", 0x7EF36D), ("$0E50", 0x7E0E50), ("7E:0010", 0x7E0010),
        ("0x2100", 0x2100)]
    assert find_mentions("value 0x08 is one heart; LDA #$08") == []


@pytest.mark.parametrize("address", [0x7E0010, 0x7E0E53, 0x7EF36D, 0x2100, 0x700000,
                                     0x7F2000])
def test_notations_round_trip(address: int) -> None:
    forms = notations(address)
    assert len(forms) >= 4
    for form in forms:
        assert parse_address(form) == address, form
        assert [m.address for m in find_mentions(f"x {form} y")] == [address], form
