"""asar 1.91's line grammar, differential: continuation lines and whitespace inside statements.

Each case is a small source (after `org $008000`). Where the asar binary assembles it, AFS
must write the same bytes; where asar refuses it, AFS must refuse it at the same line, with
one line naming file, line and column.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from afs.asm.asar import AsarError, run_asar
from afs.asm.assembler import assemble, assemble_file
from afs.asm.defines import substitute_defines
from afs.asm.errors import AsmError
from afs.asm.grammar import join_continued, may_continue, quotes_closed, words
from afs.asm.parser import parse, strip_comment
from tests.asm.difftools import (
    ASAR,
    SKIP_REASON,
    ProgramGenerator,
    opcode_matrix_lines,
    rejected_lines,
)

CASES = [
    # --- continuation lines: a line ending with `,` takes the next one(s)
    "db 1,\n   2, 3,\n 4",
    "db 1, ; a comment\n 2",
    "db 1,\n\n 2",                              # a blank line is taken too (and skipped)
    'db "a,",\n 2',
    "dw $1234,\n $5678",
    "db 1,\n 2,\n zz",                          # an error in a joined line: the first line
    "nop\ndb 1,\n 2 + 3",
    "macro m(a)\ndb <a>,\n 3\nendmacro\n%m(1)",   # macro bodies are file lines too
    "macro m(a)\ndb <a>,\n 3 + 1\nendmacro\n%m(1)",
    "macro m(a)\ndb <a>\nendmacro\n%m(1,\n 2)",
    "lda ($12,\n x)",
    "db 1,\nnop",                               # joined: `db 1,nop` (a label not found)
    "print \"a\",\n \"b\"\ndb 0",
    "lda \\\n#$12",                            # a backslash joins too (and goes)
    "db 1,\\\n 2",
    "db 1 \\\n + 2",
    "db 1,\\ ; a comment\n 2\nnop",
    # a `,` join that ends in a backslash takes nothing more: asar joins `,` lines as it
    # reads the file and backslash lines as it runs them, by then onto the emptied line
    "db 1,\n2\\\ndb 3",
    "db 1,\n2\\\n3",
    "db 1,\n2,\n3\\\ndb 4",
    "db 1,\n2 \\  ; c\ndb 3",
    "db 1,\n\\\ndb 2",
    "db 1\\\n\\\ndb 2",                       # a line that is one backslash joins nothing
    "db 1\\\n2\\\n3",
    "db 1\\\n\ndb 2",
    "if 1\ndb 1,\n2\\\ndb 3\nendif",
    # a macro body's last line takes nothing from its `endmacro`
    "macro m()\ndb 1\\\nendmacro\n%m()\ndb 2",
    "macro m()\n db 1\\\n  ENDMACRO \n%m()",
    "macro m()\ndb 1\\\n,2\\\nendmacro\n%m()",
    "macro m()\ndb 1,\n2\\\nendmacro\n%m()\ndb 5",
    "macro m()\ndb 1\nendmacro\ndb 2\\\nendmacro",
    # --- instructions: one operand word (whitespace only after a comma)
    "lda #1 + 2",
    "lda #1+2",
    "lda $12 ,x",
    "lda $12, x",
    "lda ( $12 ),y",
    "lda ($12, x)",
    "lda ($12),  y",
    "lda [$12], y",
    "lda ($12 ,x)",
    "lda.b  $12 , x",
    "lda.w $1234,   y",
    "sta ($12, s), y",
    "jmp ($1234 , x)",
    "mvn $7e, $7f",
    "mvn $7e ,$7f",
    "lda\t\t#1",
    "lda     #$12",
    "lda #' '",
    "lda #1 ; a b c",
    "rep #$30",
    "rep 1 + 1 : nop",
    "rep 2 : nop",
    "label: lda #1",
    "label: lda #1 + 1",
    "#_008000: lda #1",
    "#_008000: lda #1 + 2",
    ".sub lda #1 + 2",
    "nop : lda #1 + 2",
    # --- data
    "db 1 + 2",
    "db 5 ,3",
    "db 5, 3",
    "db 5,\t3",
    "db (1 + 2)",
    'db "a b", 3',
    "db ' ', 3",
    "dw 1 << 2",
    "dl $123456 , 1",
    "dd 1,    2",
    # --- directives
    "org $8000 + 2",
    "org $8000+2\ndb 1",
    "skip 1 + 1",
    "skip 1+1\ndb 1",
    "base $8000 + 1",
    "fillbyte 1 + 1",
    "fillbyte $EA\nfill 2",
    "fill 1 + 1",
    "warnpc $8000 + 4",
    "pad $8000 + 4",
    "print \"a\", \"b\"\ndb 0",
    "print \"a\" , \"b\"",
    "print \"a b\"\ndb 0",
    "print dec(1 + 2)",
    "print dec(1+2)\ndb 0",
    "namespace foo bar baz",
    "namespace foo bar",
    "struct S $7E0000 + 1\n.a: skip 1\nendstruct",
    "struct S $7E0000\n.a: skip 1\nendstruct\nstruct T extends S\n.b: skip 1\nendstruct\n"
    "db sizeof(T)",
    "skip 1 2",
    "incbin \"missing.bin\" -> label",
    "incbin \"missing.bin\" label",
    "incsrc \"a b.asm\"",
    "math pri on\ndb 1+2*3",
    # --- assignments and functions
    "X = 1 + 2",
    "X = 1+2\ndb X",
    "X  =  3\ndb X",
    "function f(a, b) = a+b\ndb f(1, 2)",
    "function f(a) = a + 1\ndb f(1)",
    "function f( a ) = a+1\ndb f(1)",
    # --- conditions
    "if 1 + 1 == 2\ndb 1\nendif",
    "if 1+1 == 2\ndb 1\nendif",
    "if 1 == 1 && 2 == 2\ndb 1\nendif",
    "if 1 == 1 && 2\ndb 1\nendif",
    "if 1 == 1 2\ndb 1\nendif",
    "if 1 + 1 == 2 : db 1 : endif",
    "if 1\ndb 1\nelseif 1 + 1 == 2\ndb 2\nendif",
    "assert 1 + 1 == 2",
    "assert 1+1 == 2\ndb 1",
    "assert 1 == 1, \"a b\"\ndb 1",
    "assert 1 == 1 ,\"a\"",
    "!a = 1\nwhile !a < 3\ndb !a\n!a #= !a+1\nendwhile",
    "!a = 1\nwhile !a + 0 < 3\ndb !a\n!a #= !a+1\nendwhile",
    "for i = 0..3\ndb !i\nendfor",
    "for i = 0 .. 3\ndb !i\nendfor",
    "for i = 0..1 + 2\ndb !i\nendfor",
    "for i=0..3\ndb !i\nendfor",
    # --- defines are resolved after cleaning: a value with spaces breaks the statement
    '!x = "1 + 2"\nlda #!x',
    '!x = "1+2"\nlda #!x',
    '!x = "1, 2"\ndb !x',
    '!x = "5 ,3"\ndb !x',
    '!x = "1 + 1"\nif !x == 2\nendif',
    '!s = "a, b"\ndb "!s"',                 # a define's value is cleaned when set
    '!s = "a  b"\ndb "!s"',
    '!s = " a "\ndb "!s"',
    '!s = """a,  b"""\ndb !s',                # (not inside quotes)
    '!s = "a,  b"\n!t := "!s,  c"\ndb "!t"',
    '!s = "a"\n!s += ",  b"\ndb "!s"',
    'db "a,  b"',
    # --- macro calls: asar drops whitespace outside quotes from the call
    "macro m(a)\ndb <a>\nendmacro\n%m(1 + 2)",
    "macro m(a)\ndb <a>\nendmacro\n%m( 1 )",
    "macro m(a, b)\ndb <a>, <b>\nendmacro\n%m(1 ,2)",
    'macro m(a)\nlda #<a>\nendmacro\n%m("1 + 2")',
    "macro m(a)\ndb <a>\ndb 1 + 1\nendmacro\n%m(1)",
    "macro m( a )\ndb <a>\nendmacro\n%m(1)",
    # --- SPC700: the same word rule
    "arch spc700\nmov a, #$12",
    "arch spc700\nmov a , #$12",
    "arch spc700\nmov a,#1 + 2",
    "arch spc700\nmov a, #1+2\nnop",
    # --- struct
    "struct S $7E0000\n.a: skip 1 + 1\nendstruct",
    "struct S $7E0000\n.a: skip 2\nendstruct\ndb sizeof(S)",
]


def _id(body: str) -> str:
    return body.replace("\n", "|")[:40]


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("body", CASES, ids=[_id(c) for c in CASES])
def test_same_as_asar(body: str, tmp_path: Path) -> None:
    src = tmp_path / "g.asm"
    src.write_text(f"org $008000\n{body}\n")
    theirs: bytes | None = None
    try:
        run_asar(src, tmp_path / "asar.sfc", fix_checksum=False)
        theirs = (tmp_path / "asar.sfc").read_bytes()
    except AsarError as exc:
        first = exc.errors[0]
        # in a macro body asar names the line before the body line (see
        # `afs.asm.asar_warnings.AsarWarning`); AFS names the body line. (A call that
        # fails itself names the call, "called from" itself.)
        called = re.search(r":(\d+) \(called from .*?:(\d+)\): error: ", exc.output)
        in_macro = called is not None and called.group(1) != called.group(2)
    if theirs is not None:
        ours = assemble_file(src).rom(fix_checksum=False)
        assert ours == theirs
        return
    with pytest.raises(AsmError) as ours_error:
        assemble_file(src)
    err = ours_error.value
    expected = (Path(first.file).name, first.line + in_macro)
    assert (Path(err.file).name, err.line) == expected, str(err)
    assert err.column >= 1 and "\n" not in str(err)


# --- without the binary ---------------------------------------------------------------------------
def test_words_follow_asar_cleaning() -> None:
    assert [w for w, _ in words("5, 3")] == ["5,3"]
    assert [w for w, _ in words("5 ,3")] == ["5", ",3"]
    assert [w for w, _ in words('"a b" ,  x')] == ['"a b"', ",x"]
    assert [w for w, _ in words("( $12 ),y")] == ["(", "$12", "),y"]
    assert words("a  b") == [("a", 0), ("b", 3)]


def test_continuation_joins_onto_the_first_line() -> None:
    texts = ["db 1,", "   2, 3,  ", "", " 4", "nop", "lda \\", " #1"]
    join_continued(texts)
    assert texts == ["db 1,2, 3,4", "", "", "", "nop", "lda #1", ""]


def test_a_comma_join_ending_in_a_backslash_takes_nothing_more() -> None:
    texts = ["db 1,", "2\\", "3", "db 4\\", "\\", "5"]
    join_continued(texts)
    assert texts == ["db 1,2", "", "3", "db 4\\", "", "5"]


@pytest.mark.parametrize(("text", "closed"), [
    ('db "a"', True), ('db "a', False), ("db 'a'", True), ("db ''", False),
    ("db '''", True), ("db ''''", False), ('print "a"b"', False), ("db 'a", False),
    ("db 1", True), ("db ':'", True), ("db '', 1", False), ("db '', '", False),
])
def test_quotes_closed_as_asar_checks_them(text: str, closed: bool) -> None:
    assert quotes_closed(text) is closed


def test_a_define_set_block_ends_at_a_separator_outside_quotes() -> None:
    seen: list[str] = []

    def define_set(block: str) -> bool:
        seen.append(block)
        return block.startswith("!s =")

    out = substitute_defines('db 1 : !s = "x : y" : db 2', {}, "t.asm", 1, define_set)
    assert seen == ['!s = "x : y"']
    assert out == "db 1 :  : db 2"


def test_a_macro_body_is_joined_on_its_own() -> None:
    texts = ["macro m()", "db 1\\", "endmacro", "db 2\\", "endmacro"]
    join_continued(texts)
    assert texts == ["macro m()", "db 1", "endmacro", "db 2endmacro", ""]


@pytest.mark.parametrize("source", [
    "db 1,\n2", "db 1, \t\r\n2", "db 1, ; c, d\n2", "db 1,", "lda \\\n#1",
    "lda \\ ;c\r#1", "db 1,\x0c2", "db 1,\u20282", "a\nb,\n", "nop"])
def test_the_first_look_finds_every_continued_line(source: str) -> None:
    # `may_continue` only decides whether `join_continued` runs: it must miss no line
    texts = [strip_comment(raw) for raw in source.splitlines()]
    joined = list(texts)
    join_continued(joined)
    assert may_continue(source) or joined == texts
    assert may_continue(source) == (source != "nop")


def test_parse_joins_continued_lines_too() -> None:
    program = parse("db 1,\n  2\nnop\n")
    first, second, _ = program.lines
    assert [len(st.items) for st in first.statements] == [2]      # `db 1,2` on line 1
    assert second.statements == []


def test_refusal_names_line_column_and_the_fix(tmp_path: Path) -> None:
    src = tmp_path / "r.asm"
    src.write_text("org $008000\nnop\n  lda #1 + 2\n")
    with pytest.raises(AsmError) as exc:
        assemble_file(src)
    err = exc.value
    assert (err.line, err.column) == (3, 10)
    assert "write 'lda #1+2'" in err.message


def test_broken_condition_names_the_word_and_the_fix(tmp_path: Path) -> None:
    src = tmp_path / "c.asm"
    src.write_text("org $008000\nif 1 + 1 == 2\nendif\n")
    with pytest.raises(AsmError) as exc:
        assemble_file(src)
    assert (exc.value.line, exc.value.column) == (2, 6)        # the `+`
    assert exc.value.message.endswith("(write 'if 1+1 == 2')")


def test_error_in_a_joined_line_names_its_first_line(tmp_path: Path) -> None:
    src = tmp_path / "j.asm"
    src.write_text("org $008000\ndb 1,\n  2,\n  nowhere\n")
    with pytest.raises(AsmError) as exc:
        assemble_file(src)
    assert exc.value.line == 2


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize(("included", "main"), [
    ("db 1,\n  2,\n  3\nlda \\\n  #$12\n", 'incsrc "inc.asm"\nmain:\nbra main'),
    ("nop\ndb 1,\n  2 + 3\n", 'incsrc "inc.asm"'),
    # included again under other math: the line let go is read again from the file, joined
    ("db 1,\n  2+3*4\n", 'incsrc "inc.asm"\nmath pri on\nincsrc "inc.asm"'),
])
def test_included_file_reads_as_asar_reads_it(included: str, main: str,
                                              tmp_path: Path) -> None:
    (tmp_path / "inc.asm").write_text(included)
    src = tmp_path / "main.asm"
    src.write_text(f"org $008000\n{main}\n")
    try:
        run_asar(src, tmp_path / "asar.sfc", fix_checksum=False)
    except AsarError as exc:
        first = exc.errors[0]
        with pytest.raises(AsmError) as ours:
            assemble_file(src)
        assert (Path(ours.value.file).name, ours.value.line) == ("inc.asm", first.line)
        assert Path(first.file).name == "inc.asm"
        return
    assert assemble_file(src).rom(fix_checksum=False) == (tmp_path / "asar.sfc").read_bytes()


def _with_spaces(line: str, rng: random.Random) -> str:
    """`line` with whitespace put somewhere in its operand: inside a value, before or after
    a comma, around parentheses (asar accepts some of these, refuses the others)."""
    head, _, operand = line.partition(" ")
    if not operand:
        return line
    pick = rng.random()
    if pick < 0.3 and "," in operand:
        at = rng.choice([i for i, ch in enumerate(operand) if ch == ","])
        gap = rng.choice((" ", "  ", "\t", " , "))
        operand = operand[:at] + (gap if gap != " , " else " ,") + operand[at:] \
            if pick < 0.15 else operand[:at + 1] + gap.strip(",") + operand[at + 1:]
    else:
        at = rng.randrange(1, len(operand) + 1)
        operand = operand[:at] + rng.choice((" ", "  ", "\t")) + operand[at:]
    return f"{head} {operand}"


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_random_whitespace_refused_where_asar_refuses_it(tmp_path: Path) -> None:
    rng = random.Random(17)
    gen = ProgramGenerator(17)      # (no labels yet: instructions and data without any)
    lines = rng.sample(opcode_matrix_lines(rng), 250)
    lines += [gen.instruction() for _ in range(100)] + [gen.data() for _ in range(100)]
    lines = [_with_spaces(line, rng) for line in lines]
    theirs = rejected_lines(lines, tmp_path)
    ours = set()
    for index, line in enumerate(lines):
        try:
            assemble(f"lorom\norg $008000\n{line}\n", listing=False)
        except AsmError:
            ours.add(index)
    assert 50 < len(theirs) < len(lines) - 50       # both kinds are there
    assert {lines[i] for i in ours - theirs} == set()
    assert {lines[i] for i in theirs - ours} == set()
