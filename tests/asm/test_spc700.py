"""`arch spc700`: every instruction form in asar's manual, byte for byte against asar 1.91.

The forms are the list in asar's manual (RPGHacker/asar, docs/src/arch-spc700.md, "Supported
SPC700 instructions"); ALU forms are given for ADC and repeated for the other five.
"""

from __future__ import annotations

import pytest

from afs.asm.asar import AsarError, asar_assemble
from afs.asm.assembler import assemble
from afs.asm.errors import AsmError
from tests.asm.difftools import ASAR, SKIP_REASON, first_difference

ALU_FORMS = """\
ADC $00,#$00|ADC $00,$00|ADC (X),(Y)|ADC A,#$00|ADC A,$00|ADC A,$00+X|ADC A,$0000|
ADC A,$0000+X|ADC A,$0000+Y|ADC A,($00)+Y|ADC A,($00+X)|ADC A,(X)"""
FORMS = """\
ADDW YA,$00|AND1 C,!$0000|AND1 C,$0000|ASL $00|ASL $00+X|ASL $0000|ASL A|BBC0 $00,L|
BBS7 $00,L|BCC L|BRA L|BRK|CALL $0000|CBNE $00+x,L|CBNE $00,L|CLR0 $00|CLR7 $00|CLRC|CLRP|
CLRV|CMP X,#$00|CMP X,$00|CMP X,$0000|CMP Y,#$00|CMP Y,$00|CMP Y,$0000|CMPW YA,$00|DAA A|
DAS A|DBNZ $00,L|DBNZ Y,L|DEC $00|DEC $00+X|DEC $0000|DEC A|DEC X|DEC Y|DECW $00|DI|
DIV YA,X|EI|EOR1 C,$0000|INC $00|INC $00+X|INC $0000|INC A|INC X|INC Y|INCW $00|JMP $0000|
JMP ($0000+X)|LSR $00|LSR $00+X|LSR $0000|LSR A|MOV $00+X,A|MOV $00+X,Y|MOV $00+Y,X|
MOV $00,#$00|MOV $00,$00|MOV $00,A|MOV $00,X|MOV $00,Y|MOV $0000+X,A|MOV $0000+Y,A|
MOV $0000,A|MOV $0000,X|MOV $0000,Y|MOV ($00)+Y,A|MOV ($00+X),A|MOV (X),A|MOV (X+),A|
MOV A,#$00|MOV A,$00|MOV A,$00+X|MOV A,$0000|MOV A,$0000+X|MOV A,$0000+Y|MOV A,($00)+Y|
MOV A,($00+X)|MOV A,(X)|MOV A,(X+)|MOV A,X|MOV A,Y|MOV SP,X|MOV X,#$00|MOV X,$00|
MOV X,$00+Y|MOV X,$0000|MOV X,A|MOV X,SP|MOV Y,#$00|MOV Y,$00|MOV Y,$00+X|MOV Y,$0000|
MOV Y,A|MOV1 $0000,C|MOV1 C,$0000|MOVW $00,YA|MOVW YA,$00|MUL YA|NOP|NOT1 $0000|NOTC|
OR1 C,!$0000|OR1 C,$0000|PCALL $00|POP A|POP P|POP X|POP Y|PUSH A|PUSH P|PUSH X|PUSH Y|RET|
RETI|ROL $00|ROL $00+X|ROL $0000|ROL A|ROR $00|ROR $00+X|ROR $0000|ROR A|SET0 $00|SET5 $00|
SETC|SETP|SLEEP|STOP|SUBW YA,$00|TCALL 0|TCALL 9|TCALL 15|TCLR $0000,a|TSET $0000,a|XCN A"""


def _forms() -> list[str]:
    alu = [f.strip() for f in ALU_FORMS.replace("\n", "").split("|")]
    forms = [f.strip() for f in FORMS.replace("\n", "").split("|")]
    for op in ("ADC", "AND", "CMP", "EOR", "OR", "SBC"):
        forms += [op + f[3:] for f in alu]
    return forms


def _lines() -> list[str]:
    """Each form with operands filled in, plainly and with the .b and .w suffixes."""
    out = []
    for form in _forms():
        line = (form.replace("$0000", "$1234").replace("$00,#$00", "$12,#$34")
                .replace("#$00", "#$56").replace("$00", "$78"))
        out.append(line)
        if "$" in form and "#" not in form and "TCALL" not in form:
            mnemonic, rest = line.split(" ", 1)
            out += [f"{mnemonic}.b {rest}", f"{mnemonic}.w {rest}"]
    return out


def _source(lines: list[str]) -> str:
    # `L` is the branch target, kept within reach of every branch: a label each 32 lines.
    body = []
    for i, line in enumerate(lines):
        if i % 32 == 0:
            body.append(f"L{i}:")
        body.append(line.replace(",L", f",L{i - i % 32}").replace(" L", f" L{i - i % 32}"))
    return "arch spc700\norg $008000\nbase $0400\n" + "\n".join(body) + "\n"


def test_table_covers_every_manual_form() -> None:
    asm = assemble(_source(_lines()), filename="spc.asm")
    assert len(asm.binary()) > 700


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_every_manual_form_matches_asar() -> None:
    source = _source(_lines())
    ours = assemble(source, filename="patch.asm").rom(fix_checksum=False)
    theirs = asar_assemble(source)
    assert first_difference(ours, theirs) is None


@pytest.mark.parametrize(("line", "expected"), [
    ("mov1 c,$0123.5", "aa23a1"),
    ("mov1 c,$0123", "aa2321"),        # asar's bit number when none is written is 1
    ("not1 $0123.7", "ea23e1"),
    ("mov $12,$34", "fa3412"),         # dest, source: source byte first
    ("mov $12,#$34", "8f3412"),
    ("mov.w a,$12", "e51200"),
    ("movw.w ya,$12", "ba12"),         # a suffix the form lacks is ignored, as asar does
    ("bne $12", "d012"),               # a one-byte target is written as is
    ("mov (x+),a", "af"),
])
def test_encodings_asar_writes(line: str, expected: str) -> None:
    asm = assemble(f"arch spc700\norg $008000\n{line}\n", filename="t.asm")
    assert asm.binary().hex() == expected


def test_branch_out_of_range_names_the_line() -> None:
    source = "arch spc700\norg $008000\nL:\nfill 200\nbra L\n"
    with pytest.raises(AsmError) as info:
        assemble(source, filename="t.asm")
    assert (info.value.line, "out of range") == (5, "out of range")
    assert "distance -202" in info.value.message


def test_asar_second_pass_quirk_is_an_error() -> None:
    """asar fails (silently) on `dbnz y` with a label target after a `base` that used a label,
    when -(pc + 2) is out of branch range; AFS names the line."""
    source = "arch spc700\norg $008000\nL = $10\nbase L+$800\nM: dbnz y, M\nnop\n"
    with pytest.raises(AsmError) as info:
        assemble(source, filename="t.asm")
    assert info.value.line == 5
    assert "asar 1.91 rejects" in info.value.message
    plain = "arch spc700\norg $008000\nbase $0800\nM: dbnz y, M\nnop\n"
    assert assemble(plain, filename="t.asm").binary().hex() == "fefe00"


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_asar_fails_on_the_quirk_too() -> None:
    with pytest.raises(AsarError):
        asar_assemble("arch spc700\norg $008000\nL = $10\nbase L+$800\nM: dbnz y, M\nnop\n")


def test_unknown_instruction_is_one_clear_error() -> None:
    with pytest.raises(AsmError) as info:
        assemble("arch spc700\norg $008000\nlda #$12\n", filename="t.asm")
    assert (info.value.line, info.value.column) == (3, 1)
    assert "SPC700" in info.value.message
