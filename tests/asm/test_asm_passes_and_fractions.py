"""What later passes keep of a line (bytes of constant statements, a compact parse, text let
go), and decimal literals with a fraction, each against the asar 1.91 binary where it decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.asm.asar import asar_assemble
from afs.asm.assembler import assemble, assemble_file
from afs.asm.errors import AsmError
from tests.asm.difftools import ASAR, SKIP_REASON, assert_refused_as_asar, first_difference

needs_asar = pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)

# asar 1.91 reads a decimal literal's fraction as a C double and truncates it at once.
FRACTIONS = [
    "db 2.5*4, 2.9, 0.5*4, 1.5+1.5, 10/4.0*4, 3.7*3, 2.5, -2.5, 256.5",
    "dw 2.5*2.5, 7.5/2 : db 10.5%4, 2.55555555555555555555555*100, 1.999999999999999999999",
    "db 2., 2.5.3, (2.5), 2.5+$10",
    "!a #= 2.5\ndb !a\nx = 2.5\ndb x\nlda x",
    "if 2.5 == 2\ndb 1\nelse\ndb 2\nendif\nassert 2.5 == 2",
    "lda.b 2.5 : lda.w 300.9 : lda.l 70000.5 : lda.b #2.5 : fill 2.5",
]
# ... and rejects one in an instruction operand without a size suffix, and junk after one.
FRACTION_ERRORS = ["lda 2.5", "nop\njsl 2.5", "lda #2.5", "db 3.e", "db 2.5a"]


@needs_asar
@pytest.mark.parametrize("body", FRACTIONS, ids=[b.splitlines()[0][:24] for b in FRACTIONS])
def test_fraction_literals_match_asar(body: str) -> None:
    source = f"lorom\norg $008000\n{body}\n"
    theirs = asar_assemble(source)
    ours = assemble(source, filename="patch.asm").rom(fix_checksum=False)
    assert first_difference(ours, theirs) is None, (ours.hex(), theirs.hex())


@needs_asar
@pytest.mark.parametrize("body", FRACTION_ERRORS)
def test_fraction_literal_errors_at_asar_line(body: str, tmp_path: Path) -> None:
    src = tmp_path / "e.asm"
    src.write_text(f"org $008000\n{body}\n")
    assert_refused_as_asar(src)


def test_fraction_in_an_unsuffixed_operand_says_what_is_accepted() -> None:
    with pytest.raises(AsmError, match=r"needs a size suffix .*\.b, \.w or \.l"):
        assemble("org $008000\nlda 2.5\n")


# Constant statements (bytes kept after the first pass) mixed with label-dependent ones,
# several statements on a line, `#` labels, data and `rep`: the bytes asar writes.
MIXED = """lorom
org $008000
#_008000: lda #$12 : sta Later : db 1, "ab", Later
#_008007: rep 2 : nop
loop: dex : bne loop
  #_00800C: jsl Later : dw $1234, loop
math pri on
db 2+3*4 : dw Later+2*2
math pri off
db 2+3*4
Later:
#_008020: rtl
"""


@needs_asar
def test_constant_statements_kept_between_passes_match_asar() -> None:
    theirs = asar_assemble(MIXED)
    asm = assemble(MIXED, filename="patch.asm", listing=False)
    assert asm.passes >= 2
    assert first_difference(asm.rom(fix_checksum=False), theirs) is None


def test_listing_keeps_every_statement_of_a_line() -> None:
    asm = assemble("org $008000\nfirst: lda #1 : sta $12\nsecond: nop : db 1\n")
    texts = [(row.text, row.data.hex()) for row in asm.listing if row.data]
    assert texts == [("first: lda #1", "a901"), ("sta $12", "8512"), ("second: nop", "ea"),
                     ("db 1", "01")]


def test_strict_range_errors_come_from_the_last_pass() -> None:
    # Bytes kept from the first pass would skip the final pass's range check.
    with pytest.raises(AsmError, match="does not fit"):
        assemble("org $008000\nlda Later\ndb 256\nLater:\n", strict=True)


def test_an_included_line_let_go_is_read_again_when_run_another_way(tmp_path: Path) -> None:
    # `lda Later` takes 3 bytes in the first pass (Later not known yet) and 4 in the second
    # (Later is in another bank), so `if pc() == $008003` holds only in the first: lines of
    # an included file run in the first pass are skipped in the second. Their text, let go
    # after the first pass, is read again; the result is the same as when the same lines are
    # in the main file (whose text is kept).
    body = ("lda Later\nif pc() == $008003\ndb 1, 2 : db 3\n#_x: db 4\nelse\ndb 5\nendif\n"
            "nop\norg $018000\nLater:\ndb 6\n")
    (tmp_path / "inc.asm").write_text(body)
    (tmp_path / "main.asm").write_text('org $008000\nincsrc "inc.asm"\n')
    (tmp_path / "flat.asm").write_text("org $008000\n" + body)
    included = assemble_file(tmp_path / "main.asm", listing=False)
    flat = assemble_file(tmp_path / "flat.asm", listing=False)
    assert included.segments[0].data == flat.segments[0].data == bytes(
        [0xAF, 0x00, 0x80, 0x01, 5, 0xEA])
    assert included.rom() == flat.rom()


# The same statement text at the same column, parsed once and kept as bytes, under another
# math mode or arch means something else; `#` labels in front of it do not change it.
SAME_TEXT = """lorom
org $008000
db 2+3*4
#_a: db 2+3*4
math pri on
db 2+3*4
#_b: db 2+3*4
math pri off
db 2+3*4
nop
#_c: nop
arch spc700
nop
#_d: nop
arch 65816
nop
lda #1+2*3 : lda #1+2*3
"""


@needs_asar
def test_a_statement_text_met_again_matches_asar_in_each_mode() -> None:
    theirs = asar_assemble(SAME_TEXT)
    asm = assemble(SAME_TEXT, filename="patch.asm", listing=False)
    assert first_difference(asm.rom(fix_checksum=False), theirs) is None
    assert asm.symbols["_d"] - asm.symbols["_c"] == 2     # SPC700 nop is one byte


def _same_bytes_as_asar(tmp_path: Path, source: str, files: dict[str, str]) -> None:
    """`source` (with `files` beside it) assembles to the ROM the asar binary writes."""
    theirs = asar_assemble(source, files=files)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "patch.asm").write_text(source)
    ours = assemble_file(tmp_path / "patch.asm", listing=False).rom(fix_checksum=False)
    at = first_difference(ours, theirs)
    assert at is None, (at, ours[at:at + 8].hex(), theirs[at:at + 8].hex())


@needs_asar
def test_a_string_met_again_under_a_table_matches_asar(tmp_path: Path) -> None:
    source = 'org $008000\ndb "AB"\ntable "tbl.txt"\ndb "AB"\ncleartable\ndb "AB"\n'
    table = "A=10\nB=20\n"
    _same_bytes_as_asar(tmp_path, source, {"tbl.txt": table})


@needs_asar
def test_a_macro_line_with_a_string_under_a_later_table_matches_asar(tmp_path: Path) -> None:
    source = ('org $008000\nmacro m()\ndb "AB", 1\nendmacro\n%m()\ntable "tbl.txt"\n%m()\n'
              "cleartable\n%m()\n")
    table = "A=10\nB=20\n"
    _same_bytes_as_asar(tmp_path, source, {"tbl.txt": table})


@needs_asar
def test_a_loop_body_in_a_macro_of_an_included_file_matches_asar(tmp_path: Path) -> None:
    # The loop's lines hold the macro's argument replaced: their text is never let go
    # (the file's own text has `<x>`), though `elseif` runs another way in each iteration.
    include = ("macro m(x)\nfor i = 0..4\nif !i == 1\ndb 1\nelseif <x> == 5\ndb 2\nelse\n"
               "db 3\nendif\nendfor\nendmacro\n%m(5)\n%m(6)\n")
    source = 'org $008000\nincsrc "inc.asm"\n'
    _same_bytes_as_asar(tmp_path, source, {"inc.asm": include})


# `math round off` (and `asar 1.90`) make asar keep fractions; a statement's bytes kept from
# before the switch (the same text met again, in the file or in a macro) must not stand in
# for a value asar computes otherwise: AFS refuses it at the line, as for any fraction there.
EXACT_AFTER_ROUNDED = [
    "db 2.5*4\nmath round off\ndb 2.5*4",
    "db 7/2*2\nmath round off\ndb 7/2*2",
    "macro m()\ndb 7/2*2\nendmacro\n%m()\nmath round off\n%m()",
]
REFUSED_AT = [5, 5, 4]     # the second statement; in the macro, its body's line


@pytest.mark.parametrize(("body", "line"), list(zip(EXACT_AFTER_ROUNDED, REFUSED_AT, strict=True)),
                         ids=["literal", "division", "macro"])
def test_bytes_kept_before_math_round_off_are_not_reused_after(body: str, line: int) -> None:
    source = f"lorom\norg $008000\n{body}\n"
    with pytest.raises(AsmError, match="fraction") as refused:
        assemble(source)
    assert refused.value.line == line


@needs_asar
@pytest.mark.parametrize("body", EXACT_AFTER_ROUNDED, ids=["literal", "division", "macro"])
def test_asar_keeps_the_fraction_after_math_round_off(body: str) -> None:
    # Why AFS must refuse: asar's bytes after the switch differ from the truncated ones.
    first, second = asar_assemble(f"lorom\norg $008000\n{body}\n")[:2]
    assert second != first
