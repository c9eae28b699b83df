"""asar 1.91's character tables (`'c' = value`, `table`, `cleartable`, `pushtable`,
`pulltable`), char literals and strings, each case compared with the asar binary: the same
bytes where it assembles, an error at its line where it refuses (`afs.asm.tables`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.asm.asar import asar_assemble, run_asar
from afs.asm.assembler import assemble, assemble_file
from afs.asm.errors import AsmError
from tests.asm.difftools import ASAR, SKIP_REASON, assert_refused_as_asar, first_difference

HEAD = "lorom\norg $008000\n"
FILES: dict[str, bytes] = {
    "t1.tbl": b"A=1A\nB=1B\nC=1C\n",
    "t2.tbl": b"1D=A\n1E=B\n1F=C\n",               # right to left
    "crlf.tbl": b"A=1A\r\nB=1B\r\n",
    "wide.tbl": b"A=1234\nB=12345678\n",
    # asar reads the value with C strtol from the third character: `AB12` sets A,
    # `B= 1` is 1, `C=-1` is $FFFFFFFF
    "strtol.tbl": b"A=1A\nAB12\nB= 1\nC=-1\n\nD=0012\n",
    "short.tbl": b"A=1\n",
    "space.tbl": b"A=1A\nB=1B \n",
    "hex.tbl": b"A=0x1\n",
    "rtl_bad.tbl": b"1D=AB\n",
    "partial.tbl": b"A=1A\n",
    "inc.asm": b"db 'A', \"A\"\n",
}
# every printable character (`==BD` too: the first character is the one mapped)
FILES["full.tbl"] = b"".join(f"{chr(c)}={c + 0x80:02X}\n".encode() for c in range(0x20, 0x7F))

CASES: dict[str, str] = {
    # 1. direct character assignment
    "assign": "db 'A'\n'A' = $20\ndb 'A'\n",
    "assign_math": "'B' = $20+1\n'C' = 'B'+1\ndb 'B', 'C'\n",
    "assign_manual": "'A' = $20\n'B' = $20+1\n'C' = $20+2\ndb \"ABC\"\ndb 'A','B','C'\n",
    "assign_static_label": "x = 5\n'A' = x\ndb 'A'\n",
    "assign_define": "!c = $20\n'A' = !c\ndb 'A'\n",
    "assign_after_label": "foo: 'A' = $20\ndb 'A'\ndl foo\n",
    "assign_tabs_and_comment": "'A'\t=\t$21 ; comment\ndb 'A'\n",
    "assign_quote_char": "''' = $20\ndb '''\n",
    "assign_space_char": "' ' = $20\ndb ' ', \"a b\"\n",
    "assign_char_value": "'A' = ' '\n' ' = 'B'\ndb 'A', ' '\n",
    "assign_case": "'a' = $20\ndb \"aA\"\n",
    "assign_on_one_line": "db 'A' : 'A' = $20 : db 'A'\n",
    "assign_wide": "'A' = $1234\ndb 'A'\ndw 'A'\ndl 'A'\n",
    "assign_negative": "'A' = -1\ndd 'A'\n'B' = -2.5\ndd 'B'\n",
    "assign_above_32_bits": "'A' = $123456789\ndd 'A'\n",
    "assign_fraction": "'A' = 2.7\ndb 'A'\n",
    "assign_function": "'A' = pc()\ndb 'A'\n",
    "assign_left_to_right": "'A' = 1+2*3\ndb 'A'\nmath pri on\n'A' = 1+2*3\ndb 'A'\n",
    "assign_not_taken": "if 0\n'A' = $20\nendif\ndb 'A'\n",
    # 2. char literals go through the table, wherever math is
    "literal_operands": "'A' = $1234\nlda 'A'\nlda 'A'+1\nlda #'A'\nlda #'A'+$100\n",
    "literal_unary": "lda #-'A'\n'A' = 1\nlda #-'A'\nlda #'A'-1\nlda #~'A'\n",
    "literal_before_after": "lda #'A'\ndb 'A'\ndw 'A'+1\n'A' = $20\nlda #'A'\ndb 'A'\n"
                            "dw 'A'+1\n",
    "literal_repeated_lines": "lda #'A'\nlda #'A'\ndb 'A'\ndb 'A'\n'A' = $20\nlda #'A'\n"
                              "lda #'A'\ndb 'A'\ndb 'A'\ncleartable\nlda #'A'\ndb 'A'\n",
    "literal_in_macro": "macro m()\ndb 'A' : lda #'A'\ndb \"A\"\nendmacro\n%m()\n'A' = $20\n"
                        "%m()\ncleartable\n%m()\n",
    "literal_in_if": "'A' = $20\nif 'A' == $20\ndb 1\nelse\ndb 2\nendif\n",
    "literal_in_define_math": "!x #= 'A'\n'A' = 0\n!y #= 'A'\ndb !x, !y\n",
    "literal_in_function": "function f(x) = x+'A'\ndb f(1)\n'A' = 0\ndb f(1)\n",
    "literal_in_loops": "for i = 0..3\ndb 'A'\n'A' = 'A'+1\nendfor\n!c = 0\n"
                        "while !c < 3\nlda #'B'\n'B' = 'B'+2\n!c #= !c+1\nendwhile\n",
    "literal_assigned_label": "'A' = $20\nx = 'A'\ndb x\n",
    "literal_in_included_file": "incsrc \"inc.asm\"\n'A' = $20\nincsrc \"inc.asm\"\n",
    "push_pull_clear": "'A' = $20\npushtable\n'A' = $30\nlda #'A'\npulltable\nlda #'A'\n"
                       "cleartable\nlda #'A'\n",
    # 3. strings are their UTF-8 bytes, each through the table
    "utf8_strings": "db \"éa\"\ndw \"éa\"\ndl \"é\"\ndd \"é\"\n",
    "utf8_through_table": "'a' = $20\ndb \"éa\"\n",
    "string_quotes": "db \"something \"\"cool\"\"\"\n",
    # asar's escapes (on the whole line, as it substitutes defines): `\!` is a `!` that is
    # no define, `\\` one backslash; a define's value is resolved when used, once
    "escapes_manual": '!define = "text"\ndb "!define"\ndb "\\!define"\ndb "\\\\!define"\n',
    "escapes_bare": 'db "a\\\\b", "a\\b", "\\\\\\\\", "\\"\nlda #\'\\\\\'\ndb \'\\\\\'+1\n',
    "escapes_in_values": '!e = "\\!"\n!x = 5\ndb "!{e}x"\n!y := "\\\\!x"\ndb "!y"\n',
    "escapes_in_print": 'print "a\\\\b\\!"\ndb 0\n',
    "defines_nested_name": "!n = ab\n!ab = 7\ndb !{!n}\n!a = 1\n!b = !a\n!a = 2\ndb !b\n",
    # table files
    "table_ltr": "table \"t1.tbl\"\ndb \"ABC\"\ndb 'A'\nlda #'B'\n",
    "table_manual": "table \"t1.tbl\",ltr\ndb \"ABC\"\npushtable\ntable \"t2.tbl\",rtl\n"
                    "db \"ABC\"\npulltable\ndb \"ABC\"\ncleartable\ndb \"ABC\"\n",
    "table_direction_case": "table t2.tbl,RTL\ndb \"A\"\ntable \"t1.tbl\", ltr\ndb \"A\"\n",
    "table_crlf": "table \"crlf.tbl\"\ndb \"AB\"\n",
    "table_wide": "table \"wide.tbl\"\ndd \"AB\"\ndb \"AB\"\n",
    "table_strtol": "table \"strtol.tbl\"\ndd \"ABCD\"\n",
    "table_then_assign": "table \"partial.tbl\"\n'B' = 7\ndb \"AB\"\n",
    "table_full": "table \"full.tbl\"\ndb \"Hello, world!\"\ndw 'z'\n",
}

ERROR_CASES: dict[str, str] = {
    "assign_non_ascii": "'é' = $20\n",
    "assign_two_chars": "'AB' = $20\n",
    "assign_no_spaces": "'A'=$20\n",
    "assign_value_spaced": "'A' = 1 + 2\n",
    "assign_nothing": "'A' =\n",
    "assign_string": "'A' = \"x\"\n",
    "assign_two_values": "'A' = $21,$22\n",
    "assign_label": "x:\n'A' = x\n",
    "assign_forward_label": "'A' = fwd\ndb 'A'\nfwd = 5\n",
    "literal_non_ascii": "db 1\ndb 'é'\n",
    "literal_non_ascii_operand": "nop\nlda #'é'\n",
    "literal_empty": "db ''\n",
    "table_short_value": "db 1\ntable \"short.tbl\"\n",
    "table_trailing_space": "table \"space.tbl\"\n",
    "table_hex_prefix": "table \"hex.tbl\"\n",
    "table_rtl_bad": "table \"rtl_bad.tbl\",rtl\n",
}


def _write(tmp_path: Path, source: str) -> Path:
    for name, content in FILES.items():
        (tmp_path / name).write_bytes(content)
    src = tmp_path / "patch.asm"
    src.write_text(HEAD + source, encoding="utf-8")
    return src


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bytes_as_asar(name: str, tmp_path: Path) -> None:
    src = _write(tmp_path, CASES[name])
    theirs = asar_assemble(HEAD + CASES[name], files=dict(FILES))
    ours = assemble_file(src).rom(fix_checksum=False)
    assert first_difference(ours, theirs) is None, (ours[:32].hex(" "), theirs[:32].hex(" "))


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_refused_at_asars_line(name: str, tmp_path: Path) -> None:
    assert_refused_as_asar(_write(tmp_path, ERROR_CASES[name]))


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_prints_through_the_table(tmp_path: Path) -> None:
    src = _write(tmp_path, "'A' = $20\nprint dec('A'), \" \", hex('A'+1)\ndb 0\n")
    output = run_asar(src, tmp_path / "out.sfc", fix_checksum=False)
    assert assemble_file(src).prints == output.strip().splitlines() == ["32 21"]
    src = _write(tmp_path, '!x = 5\nprint "a\\\\b\\!x !x"\ndb 0\n')
    output = run_asar(src, tmp_path / "out.sfc", fix_checksum=False)
    assert assemble_file(src).prints == output.strip().splitlines() == ["a\\b!x 5"]


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_not_utf8_file_reads_bytes(tmp_path: Path) -> None:
    # asar reads a file that is not UTF-8 byte by byte: `'\xe9'` is one character there
    source = (HEAD + "db \"\xe9a\", '\xe9'\nlda #'\xe9'\n'\xe9' = $20\ndb \"\xe9\", '\xe9'\n"
              ).encode("latin-1")
    src = tmp_path / "patch.asm"
    src.write_bytes(source)
    run_asar(src, tmp_path / "out.sfc", fix_checksum=False)
    theirs = (tmp_path / "out.sfc").read_bytes()
    ours = assemble_file(src).rom(fix_checksum=False)
    assert first_difference(ours, theirs) is None
    assert ours[:7] == bytes.fromhex("e961e9a9e92020")


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_unmapped_character_is_refused_where_asar_writes_garbage(tmp_path: Path) -> None:
    # asar fills what a table file leaves out with a value made from its opcode count and
    # the ROM, "so people will notice"; AFS says which character, at the line using it
    src = _write(tmp_path, "table \"partial.tbl\"\ndb \"A\"\ndb \"AB\"\n")
    run_asar(src, tmp_path / "out.sfc", fix_checksum=False)        # assembles
    assert (tmp_path / "out.sfc").read_bytes()[1] not in (0x42, 0)
    with pytest.raises(AsmError, match="'B' is not in the table") as ours:
        assemble_file(src)
    assert ours.value.line == 5


# Without the binary: what it was shown to write (the cases above).
def test_char_assignment_and_literals() -> None:
    asm = assemble(HEAD + "db 'A'\n'A' = $20\nlda #'A'\ndb 'A', \"AB\"\ndw 'A'+1\n"
                   "cleartable\ndb 'A'\n")
    assert asm.binary() == bytes.fromhex("41 a9 20 20 20 42 21 00 41".replace(" ", ""))


def test_strings_are_utf8_bytes() -> None:
    assert assemble(HEAD + "db \"éa\"\ndw \"éa\"\n").binary() == \
        bytes.fromhex("c3a961c300a9006100")


def test_repeated_lines_and_macros_follow_the_table() -> None:
    source = HEAD + ("macro m()\ndb 'A'\nlda #'A'\nendmacro\n%m()\ndb 'A'\ndb 'A'\n"
                     "'A' = $20\n%m()\ndb 'A'\ndb 'A'\n")
    assert assemble(source, listing=False).binary() == \
        bytes.fromhex("41 a9 41 41 41 20 a9 20 20 20".replace(" ", ""))


def test_non_ascii_char_literal_is_refused() -> None:
    with pytest.raises(AsmError, match="invalid character literal 'é'") as exc:
        assemble(HEAD + "nop\nlda #'é'\n")
    assert (exc.value.line, exc.value.column) == (4, 6)
    with pytest.raises(AsmError, match="invalid character assignment"):
        assemble(HEAD + "'é' = $20\n")


def test_table_file_errors_name_the_source_line(tmp_path: Path) -> None:
    (tmp_path / "bad.tbl").write_bytes(b"A=1A\nB=1\n")
    (tmp_path / "patch.asm").write_text(HEAD + "table \"bad.tbl\"\n")
    with pytest.raises(AsmError, match="line 2 is not c=hex") as exc:
        assemble_file(tmp_path / "patch.asm")
    assert exc.value.line == 3
