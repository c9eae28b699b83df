"""asar 1.91's deprecation notices for older syntax (`feature_deprecated`) and its other
warnings that AFS raises, each case compared line for line with the asar binary's output
(`tests.asm.difftools.assert_warnings_as_asar`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.asm.asar_warnings import FEATURES, MESSAGES, block_comments, read_source
from afs.asm.assembler import assemble
from afs.asm.build import build
from afs.asm.errors import AsmError
from tests.asm.difftools import (
    ASAR,
    FREE_ROM,
    SKIP_REASON,
    assert_warnings_as_asar,
    first_difference,
)

# Files beside each case's patch.asm
FILES: dict[str, str | bytes] = {
    "latin.asm": b'db "caf\xe9" ;[[ an Asar 2.0 block comment\n',
    "comments.asm": "db 1 ;[[ x\ndb 2 ;[[ x ]]\n",
    "plain.asm": "db 3\n",
    "sub/inc.asm": "db 6\nwarn \"in sub\"\n",
    "sub/data.bin": "db 7\n",
}

CASES: dict[str, str | bytes] = {
    # `;[[` (Asar 2.0's block comments) not ending the line on `]]`: asar warns when it
    # reads the file, naming the file alone
    "block_comments": "lorom\norg $008000\nnop ;[[ x\nnop ;[[ x]]\ndb \";[[\", 1 ; [[ x\n"
                      ";[[\n; a ;[[ b\n;@nop ;[[ c\ndb ';', 2 ;[[\ndb ''';', 3 ;[[\n"
                      "macro m()\nnop ;[[\nendmacro\n%m()\n%m()\nincsrc \"comments.asm\"\n"
                      "incsrc \"comments.asm\"\n",
    "block_comments_disabled": "lorom\norg $008000\nwarnings disable Wfeature_deprecated\n"
                               "incsrc \"comments.asm\"\nwarnings enable Wfeature_deprecated\n"
                               "nop ;[[\n",
    # bytes that are not UTF-8: asar reads them byte by byte, with a warning
    "not_utf8": b'lorom\norg $008000\ndb "caf\xe9", 1 ; \xff\nincsrc "latin.asm"\n'
                b'incsrc "latin.asm"\n',
    "not_utf8_disabled": "lorom\norg $008000\nwarnings disable Wfeature_deprecated\n"
                         "incsrc \"latin.asm\"\n",
    "utf8_is_silent": "lorom\norg $008000\ndb \"caf\u00e9\" ; \u2014\nincsrc \"plain.asm\"\n",
    # the freespace byte given to `freespace`/`freecode`/`freedata`
    "freespace_byte": "lorom\norg $008000\nfreecode $00\nnop\nfreedata align,$00\ndb 1\n"
                      "freespace ram,$00,align\ndb 2\nfreecode\nnop\n"
                      "warnings disable Wfeature_deprecated\nfreecode 0\nnop\nmacro m()\n"
                      "freedata 0\ndb 1\nendmacro\nwarnings enable Wfeature_deprecated\n%m()\n",
    # a label named A (or a) as an operand, where `A` is not the accumulator
    "label_named_a": "lorom\norg $008000\nA:\na:\nlda A\nlda.w A\nsta a\nasl A\njmp A\n"
                     "jsr.w a\nldx A\nlda A,x\nlda #A\nmacro m()\nlda A\nendmacro\n%m()\n%m()\n"
                     "warnings disable Wfeature_deprecated\nlda A\nbra A\n"
                     "warnings enable Wfeature_deprecated\nbrl A : lda A\nB = $12\nlda B\n"
                     "lda Later\nLater:\n",
    "constant_named_a": "lorom\norg $008000\nnop\nA = $12\nlda A\nsta A\nlda #A\nrol A\n",
    # `if !condition`: a term that is one word starting with `!`, each time asar evaluates it
    "old_negation": "lorom\norg $008000\nif !(0)\ndb 1\nendif\nif !(0) && 1\nendif\n"
                    "if 1 || !(0)\nendif\nif 0\nelseif !(0)\nendif\nwhile !(1)\nendwhile\n"
                    "assert !(0)\nif !(1)\ndb 2\nelse\ndb 3\nendif\nmacro m()\nif !(0)\n"
                    "endif\nendmacro\n%m()\n%m()\nif !(1) && !(0)\nendif\nif 1\nelseif !(0)\n"
                    "endif\nif 0\nif !(0)\nendif\nendif\nif !(0) : endif\nif !($10-1)\nendif\n"
                    "if 1 && !(1)\nendif\nif !(0) && !(0) && !(0)\nendif\n"
                    "assert !(0), \"msg here\"\nif 1 == 1 && !(0)\nendif\nif 1 != 0\nendif\n"
                    "warnings disable Wfeature_deprecated\nif !(0)\nendif\n",
    "old_negation_in_loop": "lorom\norg $008000\n!i = 0\nwhile !(!i/3)\n!i #= !i+1\ndb !i\n"
                            "endwhile\n",
    # `datasize()`: to the next label up (any kind); asar warns at the last one and past $FFFF
    "datasize": "lorom\norg $008000\nautoclean jsl Free\nFirst:\ndb 1,2,3\n.sub\ndb 4\n+\n"
                "db 5\n-\ndb 6\nSecond:\nK = $00800D\nL = $7E0000\nnamespace ns\nIn:\ndb 7\n"
                "namespace off\nmacro m()\n?ml:\ndb 8\nendmacro\n%m()\nstruct S $008018\n"
                ".a: skip 2\n.b: skip 1\nendstruct\nThird:\ndw datasize(First), "
                "datasize(First_sub), datasize(Second), datasize(K), datasize(ns_In), "
                "datasize(Third)\ndb datasize(L)\nfreecode\nFree:\nnop\nFree2:\nrtl\n"
                "dw datasize(Free)\ndl datasize(Free2)\nmacro d()\ndb datasize(Free2)\n"
                "endmacro\n%d()\nwarnings disable Wdatasize_last_label\ndb datasize(Free2)\n"
                "warnings disable Wdatasize_exceeds_size\ndb datasize(Free2)\n",
    "datasize_of_no_label": "lorom\norg $008000\ndb 1\ndb datasize(Nope)\n",
    # `sizeof("Name")`: a name in quotes
    "quoted_symbols": "lorom\norg $008000\nstruct S $7E0000\n.a: skip 2\nendstruct\n"
                      "db sizeof(S), sizeof(\"S\"), objectsize(\"S\")\nmacro m()\n"
                      "db datasize(\"S\")\nendmacro\n%m()\nwarnings disable Wfeature_deprecated\n"
                      "db sizeof(\"S\")\n",
    # `startpos`: the execute address an `endspcblock` without one writes
    "startpos": "lorom\norg $008000\nspcblock $0500 nspc\nstartpos $0510\ndb 1\nendspcblock\n"
                "spcblock $0600 nspc\nstartpos $0610\ndb 1\nendspcblock execute $0620\n"
                "spcblock $0700 nspc\nnop\nendspcblock\nmacro m()\nstartpos Lbl\nendmacro\n"
                "spcblock $0800\nLbl:\n%m()\nnop\nendspcblock\n"
                "warnings disable Wfeature_deprecated\nspcblock $0900\nstartpos $1234\n"
                "endspcblock\n",
    "startpos_outside_spcblock": "lorom\norg $008000\nstartpos $0510\n",
    # asar keeps one stack of `if`s and loops: any terminator ends the innermost (warning at
    # the first one that is not its own)
    "for_closed_by_endif": "lorom\norg $008000\nfor i = 0..2\ndb 1\nendif\nwhile 0\nendif\n",
    "while_closed_by_endif": "lorom\norg $008000\n!i = 0\nwhile !i < 2\nif !i == 0\ndb 1\n"
                             "endif\n!i #= !i+1\nendif\n",
    "if_closed_by_endwhile": "lorom\norg $008000\nif 1\ndb 1\nendwhile\nwhile 0\nendif\n",
    "false_if_closed_by_endwhile": "lorom\norg $008000\nif 0\nif 1\nendwhile\nendif\n",
    "skipped_loops": "lorom\norg $008000\nif 1\nendif\nif 0\nwhile 0\nendwhile\n"
                     "for i = 0..3\nendif\nendif\n",
    "endwhile_in_body_ends_its_if": "lorom\norg $008000\n!i = 0\nwhile !i < 3\nif !i == 1\n"
                                    "db $11\nendwhile\n!i #= !i+1\ndb !i\nendif\n",
    "in_macro": "lorom\norg $008000\nmacro m()\nwhile 0\nendif\nendmacro\n%m()\n",
    # Windows paths: asar's Linux build reads `\` as `/`, silently (its Windows build warns)
    "windows_paths": "lorom\norg $008000\nincsrc \"sub\\inc.asm\"\nincbin \"sub\\data.bin\"\n"
                     "db filesize(\"sub\\data.bin\"), readfile1(\"sub\\data.bin\", 1)\n",
    # variadic macros: `<...[n]>`, and `<n>` (asar warns: deprecated), `sizeof(...)`
    "variadic_math": "lorom\norg $008000\nmacro v(a, ...)\ndb <a>, <0>, <1>, sizeof(...)\n"
                     "db <...[1]>, <...[0]>\n!k = 1\ndb <!k>, <1-1>\nif 0\ndb <5>\nendif\n"
                     "endmacro\n%v(1, 2, 3)\n%v(4, \"5\", 6)\nmacro w(...)\ndb sizeof(...)\n"
                     "endmacro\n%w()\n%w(1)\nmacro m(...)\nL = 1\ndb <L>, <...[L]>\nendmacro\n"
                     "warnings disable Wfeature_deprecated\n%m(5, 6)\n"
                     "warnings enable Wfeature_deprecated\n",
    "variadic_in_loops": "lorom\norg $008000\nmacro each(first, ...)\n!i = 0\n"
                         "while !i < sizeof(...)\ndb <...[!i]>+<first>\n!i #= !i+1\nendwhile\n"
                         "endmacro\n%each(1, 2, 3, 4)\n%each(10)\nmacro n(a, ...)\nif <a> < 2\n"
                         "db <0>\nendif\nfor j = 0..sizeof(...)\ndb <!j>\nendfor\nendmacro\n"
                         "%n(1, 7, 8)\n",
    "variadic_too_few": "lorom\norg $008000\nmacro m(a, ...)\ndb 1\nendmacro\n%m()\n",
    "variadic_not_last": "lorom\norg $008000\nmacro m(..., a)\ndb 1\nendmacro\n",
    # asar reads on through a loop's body once its condition fails (its inline `if`s warn)
    "inline_ifs_in_loops": "lorom\norg $008000\nif 0\nif 1 : db 2\nendif\nwhile 0\n"
                           "if 1 : db 3\nendwhile\nfor i = 0..2\nif 1 : db 4\nendfor\n"
                           "for j = 2..2\nif 1 : db 5\nendfor\n!i = 0\nwhile !i < 3\n"
                           "if !i == 1 : db $11 : endif\nif 1 : db 2\n!i #= !i+1\nendif\n",
}


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(CASES))
def test_warnings_as_asar_prints_them(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)         # both name the file as given: patch.asm
    assert_warnings_as_asar(CASES[name], FILES)


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", ["datasize", "label_named_a", "constant_named_a", "not_utf8",
                                  "freespace_byte", "quoted_symbols", "old_negation",
                                  "startpos", "while_closed_by_endif",
                                  "endwhile_in_body_ends_its_if", "inline_ifs_in_loops",
                                  "windows_paths", "variadic_math", "variadic_in_loops"])
def test_bytes_as_asar_writes_them(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert_warnings_as_asar(CASES[name], FILES)         # (asar patches rom.sfc)
    Path("ours.sfc").write_bytes(FREE_ROM)
    build("patch.asm", "ours.sfc", fix_checksum=False)
    assert first_difference(Path("ours.sfc").read_bytes(), Path("rom.sfc").read_bytes()) is None


def _notice(key: str) -> str:
    return MESSAGES["feature_deprecated"] % FEATURES[key]


@pytest.mark.parametrize(("line", "count"), [
    ("nop ;[[ x", 1), ("nop ;[[ x]]", 0), ("nop ;[[", 1), ("nop ;[[]", 1), ('db ";[["', 0),
    ("nop ; [[", 0), ("; a ;[[", 0), (";@nop ;[[", 1), (";[[ ;[[", 1), ("db ''';' ;[[", 0),
    ("db ''' ;[[", 1), ("db '\"' ;[[", 1), ('db "unclosed ;[[', 0), (";[[ x ]] ", 1),
])
def test_block_comments_as_asar_reads_them(line: str, count: int) -> None:
    assert block_comments(line) == count


def test_source_bytes_read_as_asar_reads_them() -> None:
    assert read_source("é".encode()) == ("é", [])
    assert read_source(b"\xef\xbb\xbfdb 1") == ("db 1", [("byte_order_mark_utf8", ())])
    text, notes = read_source(b"db \"\xe9\"")
    assert text == "db \"\xe9\"" and notes == [("feature_deprecated", FEATURES["non_utf8"])]
    # each byte is written as it was in the file, as asar writes it
    assert assemble(b'org $008000\ndb "\xe9\xff"\n').binary() == b"\xe9\xff"
    out = assemble(b"org $008000\nnop ;[[\n;\xff\n", filename="p.asm").warnings
    assert [w.message for w in out] == [_notice("non_utf8"), _notice("block_comment")]
    assert [(w.file, w.line) for w in out] == [("p.asm", 0), ("p.asm", 0)]
    assert str(out[0]).startswith("p.asm: warning: (Wfeature_deprecated): ")


def test_variadic_argument_out_of_range_is_refused() -> None:
    # (asar: Evararg_out_of_bounds, which it prints a line early, as all it says in macros)
    with pytest.raises(AsmError, match="variadic argument 1 out of range") as err:
        assemble("org $008000\nmacro m(a, ...)\ndb <1>\nendmacro\n%m(1, 2)\n")
    assert err.value.line == 3
