"""The light 65816 scanner used by validation."""

from __future__ import annotations

from afs.knowledge.code_scan import scan


def test_operands_indexes_and_kinds() -> None:
    lines = scan("Main:\n  LDA.l $7EF36D,X\n  STA ($10),Y\n  INC $2100 : lda [$00]\n"
                 "  LDA $01,S\n  JSR $8000")
    a = lines[1].accesses[0]
    assert (a.mnemonic, a.address, a.index, a.kind, a.column) == (
        "LDA", 0x7EF36D, "X", "read", 3)
    b = lines[2].accesses[0]
    assert (b.address, b.indirect, b.index, b.kind) == (0x7E0010, True, "Y", "write")
    assert [(x.mnemonic, x.kind) for x in lines[3].accesses] == [("INC", "rmw"), ("LDA", "read")]
    assert lines[4].accesses == [] and lines[5].accesses == []
    assert all(line.is_code for line in lines[1:])


def test_width_tracking_and_known_values() -> None:
    lines = scan("SEP #$20\nLDA #$05\nSTA $10\nREP #$30\nLDA #$1234\nSTA $12\nSTX $14\n"
                 "SEP #$10\nSTY $16\nPLP\nSTA $18")
    widths = [a.width for line in lines for a in line.accesses if a.kind == "write"]
    assert widths == [1, 2, 2, 1, None]
    values = [a.value for line in lines for a in line.accesses if a.mnemonic == "STA"]
    assert values == [5, 0x1234, None]


def test_prose_is_not_code() -> None:
    lines = scan("and $10 is the main module\nSet health ($7EF36D) to 8.\nLDA $10 ; see $7EF36C")
    assert not lines[0].is_code and [m.address for m in lines[0].prose_mentions] == [0x7E0010]
    assert not lines[1].is_code
    assert lines[2].is_code
    assert [(m.address, m.start) for m in lines[2].prose_mentions] == [(0x7EF36C, 14)]
    assert lines[2].text[14:21] == "$7EF36C"
