"""Conditions (`if`, `elseif`, `while`, `assert`) read as asar 1.91 reads them
(`afs.asm.conditions`): each case assembled by the asar binary and by AFS, compared byte for
byte, warning for warning, or refused at the same line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from afs.asm.asar import AsarError, asar_assemble
from afs.asm.assembler import assemble, assemble_file
from afs.asm.errors import AsmError
from tests.asm.difftools import (
    ASAR,
    SKIP_REASON,
    assert_refused_as_asar,
    assert_warnings_as_asar,
    first_difference,
)

_HEAD = "lorom\norg $008000\n"


def _if(condition: str) -> str:
    """`db 1` when `condition` holds, then `db 2`."""
    return f"{_HEAD}if {condition}\ndb 1\nendif\ndb 2\n"


# Assembled by asar: the bytes must be the same.
CASES = {
    # a term is true when its value is above 0
    "negative_is_false": _if("-1"),
    "negative_term_after_and": _if("1 == 1 && -1"),
    "negative_compared": _if("-1 == -1"),
    "while_negative": f"{_HEAD}while -1\nendwhile\ndb 2\n",
    # the first term that decides ends the reading: what follows is never read
    "and_stops_at_false": _if("0 && 1 + 1"),
    "and_stops_before_garbage": _if("0 && $$$"),
    "or_stops_at_true": _if("1 || $$$"),
    "or_stops_before_broken_words": _if("1 == 1 || 2 2"),
    "and_stops_before_mixed_connector": _if("0 && 1 || 1"),
    "or_stops_before_mixed_connector": _if("1 || 0 && 0"),
    "and_stops_before_missing_label": _if("0 && Nope"),
    "and_stops_before_positional_label": f"{_HEAD}L: db 0\nif 0 && L\ndb 1\nendif\ndb 2\n",
    "negation_stops_too": _if("0 && !(0)"),
    "elseif_stops": f"{_HEAD}if 0\nelseif 0 && $$$\ndb 1\nendif\ndb 2\n",
    "while_stops": f"{_HEAD}while 0 && $$$\nendwhile\ndb 2\n",
    "assert_stops": f"{_HEAD}assert 1 || $$$\ndb 2\n",
    "assert_stops_before_its_message": f"{_HEAD}assert 1 || $$$, \"msg\"\ndb 2\n",
    "and_all_true": _if("1 && 2 == 2 && 3 > 2"),
    "or_all_false": _if("0 || 1 == 2 || 3 < 2"),
}

# Refused by asar: AFS must refuse them at the same line.
ERROR_CASES = {
    "and_reaches_garbage": _if("1 && $$$"),
    "parenthesised_words": _if("(0 && $$$)"),
    "mixed_connectors_reached": _if("1 && 1 || 0"),
    "mixed_connectors_reached_after_or": _if("0 || 1 && 0"),
    "comparison_in_one_word": _if("1==1"),
    "less_than_in_one_word": _if("1<2"),
    "and_in_one_word": _if("1&&0"),
    "or_in_one_word": _if("0||1"),
    "missing_term": _if("1 &&"),
    "two_values": _if("1 == 1 2"),
    "assert_message_without_its_comma_word": f"{_HEAD}assert 1 == 1 ,\"a\"\n",
    "assert_negative": f"{_HEAD}assert -1\n",
    # an `elseif` after a branch taken is read all the same: its errors too
    "elseif_after_taken_positional_label": f"{_HEAD}L: db 0\nif 1\nelseif L == 1\nendif\n",
    "elseif_after_taken_division_by_zero": f"{_HEAD}if 1\nelseif 1/0\nendif\n",
    "elseif_after_taken_mixed": f"{_HEAD}if 0\ndb 1\nelseif 1 && 1 || 0\nendif\n",
}

# Compared warning for warning: the older `=` and `!` warn only where read.
WARNING_CASES = {
    "old_equals_both_read": _if("1 = 1 && 0 = 1"),
    "old_equals_second_not_read": _if("0 = 1 && 1 = 1"),
    "old_negation_read": _if("!(0) && 1"),
    "old_negation_not_read": _if("0 && !(0)"),
    "old_equals_in_elseif_after_taken": f"{_HEAD}if 1\nelseif 1 = 1\nendif\n",
}


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(CASES))
def test_bytes_as_asar(name: str, tmp_path: Path) -> None:
    (tmp_path / "patch.asm").write_text(CASES[name])
    ours = assemble_file(tmp_path / "patch.asm").rom(fix_checksum=False)
    assert first_difference(ours, asar_assemble(CASES[name])) is None


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_refused_as_asar(name: str, tmp_path: Path) -> None:
    src = tmp_path / "patch.asm"
    src.write_text(ERROR_CASES[name])
    assert_refused_as_asar(src)


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(WARNING_CASES))
def test_warnings_as_asar(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_warnings_as_asar(WARNING_CASES[name], {})


def _random_conditions(count: int, seed: int = 17) -> list[str]:
    """Sources with random conditions: terms of values asar reads in many ways (negative,
    static and positional labels, a missing one, garbage, a comparison inside a word, two
    words), compared, joined by one connector (sometimes both), after each keyword."""
    rng = random.Random(seed)
    atoms = ["0", "1", "2", "-1", "$10", "%11", "3/2", "-3", "K", "K+1", "(1+2)", "Pos",
             "Nope", "$$$", "!(0)", "!(1)", "1==1", "1 2"]
    ops = ["==", "!=", "<", ">", "<=", ">=", "="]

    def term() -> str:
        if rng.random() < 0.5:
            return rng.choice(atoms)
        return f"{rng.choice(atoms)} {rng.choice(ops)} {rng.choice(atoms)}"

    sources = []
    for _ in range(count):
        joined_by = rng.choice(["&&", "||"])
        words = [term()]
        for _ in range(rng.randint(0, 3)):
            words += [joined_by if rng.random() < 0.85 else rng.choice(["&&", "||"]), term()]
        condition = " ".join(words)
        body = rng.choice([
            f"if {condition}\ndb 1\nendif\n",
            f"if {rng.choice('01')}\ndb 3\nelseif {condition}\ndb 1\nendif\n",
            f"!n = 0\nwhile {condition} && !n < 1\ndb 1\n!n #= !n+1\nendwhile\n",
            f"assert {condition}\n"])
        sources.append(f"{_HEAD}K = 2\nPos: db 9\n{body}db 2\n")
    return sources


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("source", _random_conditions(120))
def test_random_conditions_as_asar(source: str, tmp_path: Path) -> None:
    src = tmp_path / "patch.asm"
    src.write_text(source)
    try:
        theirs = asar_assemble(source)
    except AsarError:
        assert_refused_as_asar(src)
        return
    assert first_difference(assemble_file(src).rom(fix_checksum=False), theirs) is None


# Without the binary: what the cases above pin down, on AFS alone.
@pytest.mark.parametrize(("condition", "taken"), [
    ("-1", False), ("0 && $$$", False), ("1 || $$$", True), ("0 && 1 || 1", False),
    ("1 == 1 || 2 2", True), ("1 && 2 == 2 && 3 > 2", True), ("0 || 1 == 2 || 3 < 2", False),
])
def test_condition_values(condition: str, taken: bool) -> None:
    rom = assemble(_if(condition)).rom(fix_checksum=False)
    assert rom == (b"\x01\x02" if taken else b"\x02")


@pytest.mark.parametrize(("condition", "message"), [
    ("1 && 1 || 0", "joins its terms with && or with ||, not both"),
    ("1==1", "'==' is no operator of asar's math"),
    ("1 &&", "broken condition"),
])
def test_condition_errors(condition: str, message: str) -> None:
    with pytest.raises(AsmError, match=message) as info:
        assemble(_if(condition), filename="t.asm")
    assert info.value.line == 3
