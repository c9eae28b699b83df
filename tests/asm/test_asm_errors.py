"""Bad inputs: each gives an AsmError with this exact message, line and column."""

from __future__ import annotations

import pytest

from afs.asm.assembler import assemble
from afs.asm.errors import AsmError
from afs.errors import InputError

# (source after "org $008000", message, line, column); line 1 is the org line.
# ruff: noqa: E501 - one case per line reads best as a table
CASES = [
    ('lda #$12+', "expected a value at the end of '$12+'", 2, 10),
    ('lda #$12 +', "asar reads 'lda #$12 +' as an unknown command: no spaces inside an "
     "operand, only after a comma (write 'lda #$12+')", 2, 10),
    ('ldq #$10', "unknown command 'ldq'", 2, 1),
    ('lda ($1234),y', "'lda (dp),y' cannot take a 2-byte operand (has 1-byte forms)",
     2, 1),
    ('jsr $123456', "'jsr addr' cannot take a 3-byte operand (has 2-byte forms)", 2, 1),
    ('jmp.l $1234', "'jmp.l addr' cannot take a 3-byte operand (has 2-byte forms)", 2, 1),
    ('stx $1234,y', "'stx addr,y' cannot take a 2-byte operand (has 1-byte forms)", 2, 1),
    ('lda.w $12,s', "'lda.w sr,s' cannot take a 2-byte operand (has 1-byte forms)", 2, 1),
    ('bra far\nrep 200 : nop\nfar:', 'relative branch out of range: distance 200 (target $0080CA from $008002; allowed -128..127)', 2, 1),
    ('-\nrep 130 : nop\nbra -', 'relative branch out of range: distance -132 (target $008000 from $008084; allowed -128..127)', 4, 1),
    ('lda missing', "label 'missing' not found", 2, 5),
    ('bne +', "anonymous label '+' not found (no later '+')", 2, 1),
    ('bne -', "anonymous label '-' not found (no earlier '-')", 2, 1),
    ('lda #$', "invalid hex value '$'", 2, 6),
    ('db 1/0', 'division by zero', 2, 5),
    ('db 5%0', 'division by zero', 2, 5),
    ('db (1+2', "missing ')'", 2, 8),
    ('lda #1)', "unexpected ')' in expression", 2, 7),
    ('lda.q #1', "invalid size suffix '.q' (expected .b, .w or .l)", 2, 4),
    ('clc.b', "'clc.b' takes no size suffix without an operand", 2, 1),
    ('rep #$1234', "'rep' takes a one-byte immediate; '$1234' is 2 bytes wide", 2, 6),
    ('rep.w #$30', "'rep' takes a one-byte immediate, not '.w'", 2, 1),
    ('mvn $12', "'mvn' with one operand takes a 16-bit value ($ddss) or the suffix .w", 2, 5),
    ('mvn 1,2,3', "mvn expects 'destination, source'", 2, 5),
    ('label:\nlabel:', "label 'label' redefined", 3, 1),
    ('.sub', "sublabel '.sub' has no parent label", 2, 1),
    ('db !undefined', "define '!undefined' not found", 2, 4),
    ('%nomacro()', "macro 'nomacro' not defined", 2, 1),
    ('macro m(a)\ndb <a>\nendmacro\n%m(1, 2)', "macro 'm' takes 1 argument, got 2", 5, 1),
    ('macro m(a)\ndb 1', "macro 'm' has no 'endmacro'", 2, 1),
    ('if 1\ndb 1', "'if' without 'endif'", 2, 1),
    ('else', "'else' without 'if'", 2, 1),
    ('endif', "'endif' without 'if'", 2, 1),
    ('endmacro', "'endmacro' without 'macro'", 2, 1),
    ('arch gsu', "unsupported architecture 'gsu' (supported: 65816, spc700, superfx)", 2, 6),
    ('arch superfx\njmp r2', "invalid register for 'jmp': r2 (valid: 8-13)", 3, 1),
    ('freespace ram, noram', "invalid freespace request: expected 'freespace ram|noram[, align][, cleaned][, static]' (freecode: ram, freedata: noram)", 2, 16),
    ('freecode\nautoclean JSL x\nx:', 'autoclean used in freespace', 3, 1),
    ('autoclean JSR x\nx:', "broken autoclean command: expected JSL, JML or dl, not 'JSR'", 2, 11),
    ('org $7E0000\ndb 1', 'SNES address $7E0000 does not map to ROM (lorom)', 3, 1),
    ('org $00FFFF\ndb 1, 2', 'a bank border was crossed, SNES address $010001', 3, 1),
    ('incsrc nothere.asm', 'incsrc: file not found: nothere.asm', 2, 8),
    ('warnpc $008001\ndb 1, 2, 3\nwarnpc $008001', 'warnpc failed: current position $008003 is after end position $008001', 4, 1),
    ('fill -1', 'fill count -1 is negative', 2, 6),
    ('pullpc', "'pullpc' without 'pushpc'", 2, 1),
    ('math round maybe', "unsupported math setting 'round maybe' (supported: 'math pri on|off', 'math round on|off')", 2, 6),
    ('math round off\ndb 7/2', "this operation gives a fraction, which asar keeps under 'asar 1.90'/'math round off' and AFS's integer math cannot (round it: floor(), or reorder the math)", 3, 5),
    ('namespace 1abc', "invalid namespace name '1abc' (expected a name, 'off' or 'nested on|off')", 2, 11),
    ('error "custom stop"', 'error command: custom stop', 2, 1),
    ('db 1<<-1', 'negative shift count -1 (asar refuses it too)', 2, 5),
    ("lda #'ab'", 'invalid character literal "\'ab\'"', 2, 6),
    ('db "unterminated', 'unterminated string "unterminated', 2, 4),
    ('lda #1==1', "'==' is no operator of asar's math: a condition compares or joins words "
                  "('if a == b && c'), with spaces", 2, 7),
    ('if 1==1\nendif', "'==' is no operator of asar's math: a condition compares or joins "
                       "words ('if a == b && c'), with spaces", 2, 5),
    ('sep', "'sep' needs an operand", 2, 1),
    ('lda', "'lda' needs an operand", 2, 1),
    ('jml ($1234)', "'jml' has no (addr) addressing mode", 2, 1),
    ('brk #$1234', "'brk' takes a one-byte immediate; '$1234' is 2 bytes wide", 2, 6),
]


@pytest.mark.parametrize(("source", "message", "line", "column"), CASES,
                         ids=[c[0].splitlines()[-1][:40] for c in CASES])
def test_error_table(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(AsmError) as info:
        assemble("org $008000\n" + source + "\n", filename="t.asm")
    err = info.value
    assert (err.message, err.file, err.line, err.column) == (message, "t.asm", line, column)
    assert str(err) == f"t.asm:{line}:{column}: {message}"


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 30


def test_asm_error_is_an_input_error() -> None:
    err = AsmError("bad", "x.asm", 3, 7)
    assert isinstance(err, InputError)
    assert (err.path, err.line, err.column) == ("x.asm", 3, 7)


def test_error_inside_incsrc_names_the_included_file(tmp_path) -> None:
    (tmp_path / "inc.asm").write_text("nop\nlda ($1234),y\n")
    main = tmp_path / "main.asm"
    main.write_text("org $008000\nincsrc inc.asm\n")
    from afs.asm.assembler import assemble_file
    with pytest.raises(AsmError) as info:
        assemble_file(main)
    assert info.value.file == str(tmp_path / "inc.asm")
    assert info.value.line == 2


def test_strict_mode_reports_truncated_values() -> None:
    with pytest.raises(AsmError) as info:
        assemble("org $008000\nlda #$123456\n", filename="t.asm", strict=True)
    assert info.value.message == "immediate $123456 does not fit in 2 bytes (-$8000..$FFFF)"
    assert (info.value.line, info.value.column) == (2, 6)
    relaxed = assemble("org $008000\nlda #$123456\n", filename="t.asm")
    assert relaxed.binary() == bytes.fromhex("a9 56 34")
    assert relaxed.warnings == []     # asar 1.91 truncates silently
