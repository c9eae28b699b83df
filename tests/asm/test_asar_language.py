"""asar 1.91 language features real hacks use, each checked against the asar binary
(byte for byte, and `print` output), with fixed expectations that run without it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from afs.asm.asar import AsarError, asar_assemble, find_asar
from afs.asm.assembler import assemble, assemble_file
from afs.asm.build import build
from afs.asm.errors import AsmError
from tests.asm.difftools import ASAR, SKIP_REASON, first_difference

CASES = {
    "hash_labels": """\
lorom
org $008000
Main:
#_008000: nop
.sub
#_008001: #Other: dw .sub, _008000, Main_sub, Other
#EXIT_008009
#.y
.z: dw EXIT_008009, Main_y, .z, .sub
""",
    "bankcross_off": """\
lorom
check bankcross off
org $00FFFE
db 1,2,3,4
L: nop
dw L
org $01FFFF
db 5,6
""",
    "bankcross_off_under_base": """\
lorom
check bankcross off
org $00FFFC
base $1000
A: db 1,2,3,4,5,6
B: dw A, B
base off
C: dw C
""",
    "silent_truncation": """\
lorom
org $008000
L:
dw $12345, L+$10000
db 300, -200
lda.b #$1234
dd $123456789
""",
    "quoted_define_value": """\
org $008000
!n = "1+2"
!m = "$55"
db !n, !m
""",
    "arch_switch": """\
lorom
arch 65816
org $008000
lda #$12
arch spc700
base $0800
Start: mov a,#$12
bne Start
arch 65816
base off
sta $12
""",
    "loops": """org $008000
!i = 0
while !i < 3
db !i
!i #= !i+1
endwhile
for i = 1..3
for j = 0..2
db !i*16+!j
endfor
endfor
macro rep3(v)
for k = 0..3
db <v>+!k
endfor
endmacro
%rep3($40)
""",
    "table": """org $008000
table "tbl.txt"
db "ABC"
dw "AB"
cleartable
db "A"
""",
    "struct": """org $008000
struct S $0000
.a: skip 2
.b: skip 1
endstruct
dw S.a, S.b, sizeof(S)
lda S.b
struct T $7E0100
.x: skip 4
.y: skip 2
endstruct
lda T.y
db sizeof(T)
""",
    "spcblock": """org $008000
db $AA
spcblock $6000 nspc
    db $00,$01,$02,$03
exec_start:
    mov $33,#$44
    bra exec_start
endspcblock execute exec_start
dw $1234
spcblock $0500
    nop
endspcblock
lda #$12
""",
    "sa1rom": "sa1rom\norg $008000\ndb 1\norg $3F8000\ndb 2\norg $808000\ndb 3\n"
              "org $BFFFF0\ndb 4\norg $C12000\ndb 5\nL: dw L, pctosnes($200000)\n",
    "fullsa1rom": "fullsa1rom\norg $008000\ndb 1\norg $A08000\ndb 2\norg $C10000\ndb 3\n",
    "sfxrom": "sfxrom\norg $008000\ndb 1\norg $3F8000\ndb 2\norg $5F1234\ndb 3\n"
              "dw snestopc($400000)\n",
    "functions": """lorom
org $008000
function kb(x) = x*1024
function twice(a, b) = a+b+b
!inc = 1
L: dw kb(2), twice(1, 2), bank(L), pc(), defined("inc"), defined("nope"), min(3, 7), max(3,7)
db select(1, 5, 6), not(0), stringsequal("a", "a"), stringsequalnocase("A","a"), clamp(9, 1, 4)
dw realbase(), snestopc($018000), pctosnes($8000)
dl pctosnes($1234), pctosnes($500000), snestopc($7E0000)
lda #bank(L)
lda kb(1)
if defined("inc") && pc() > $8000
db $AA
endif
""",
    # a `function`'s arguments go into its body as text (asar_math.cpp): a string with its
    # quotes, a bare name or number as written (never read where the body leaves it out),
    # anything else as its value; parameters match whatever their case
    "function_arguments_as_text": """lorom
org $008000
function f(s) = stringsequal(s, "x")
function g(s, n) = stringsequal(s, "ab")+n
function h(a) = 1
function k(A) = a+1
function sz(t) = sizeof(t)
function d(s) = defined(s)
function m(a, b) = a*b+1
function sq(x) = m(x, x)
function pair(ab, b) = ab+b
!q = 1
struct S $1000
.x: skip 3
endstruct
db f("x"), f("y"), g("ab", 2), h(Nope), k(2), sz(S), d("q"), d("r"), pair(1, 2)
db m(2, 3), m(1+1, 2+1), sq(3), sq(1+2), m(-1, 2)&$FF, m(%11, $2)
lda m(Fwd, 1)
lda sq(Fwd)
Fwd = $12
math pri on
db m(2, 3), m(1+1, 2+1)
""",
    "macro_local_labels": """lorom
org $008000
macro wait(n)
    ldx #<n>
?loop:
    dex
    bne ?loop
    bra ?done
    nop
?done:
endmacro
%wait($10)
%wait($20)
!x ?= 5
db !x
""",
    "directives": """lorom
org $008000
!x = 1
undef "x"
if defined("x")
db 1
endif
db 2
global Foo:
.sub: dw Foo_sub
incsrc "once.asm"
incsrc "once.asm"
incsrc "from.asm"
incbin "bin10.bin":2..5
fillword $1234
fill 5
filllong $123456
fill 7
padword $ABCD
pad $008030
namespace A
pushns
namespace B
L: pullns
M: dw B_L, A_M
base $1000
pushbase
base $2000
pullbase
N: dw N
base off
bank $01
O = $018000
lda O
bank noassume
lda N
bank auto
optimize dp always
dpbase $1000
P = $1010
lda P
optimize address mirrors
Q = $7E0010
R = $001234
lda Q
lda R
""",
}
# Files the cases include, beside the source.
FILES: dict[str, str | bytes] = {
    "once.asm": "includeonce\ndb $77\n",
    "from.asm": 'includefrom "patch.asm"\ndb $66\n',
    "bin10.bin": bytes(range(1, 11)),
    "tbl.txt": "A=10\nB=20\nC=30\n",
}


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_asar(name: str, tmp_path: Path) -> None:
    source = CASES[name]
    for file, content in FILES.items():
        target = tmp_path / file
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    (tmp_path / "patch.asm").write_text(source)
    ours = assemble_file(tmp_path / "patch.asm").rom(fix_checksum=False)
    theirs = asar_assemble(source, files=FILES)
    assert first_difference(ours, theirs) is None


def test_directives_without_asar(tmp_path: Path) -> None:
    for file, content in FILES.items():
        target = tmp_path / file
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    (tmp_path / "patch.asm").write_text(CASES["directives"])
    asm = assemble_file(tmp_path / "patch.asm")
    rom = asm.rom(fix_checksum=False)
    assert rom[:3] == bytes([0x02, 0x01, 0x80])          # undef; global Foo: .sub
    assert rom[3:5] == bytes([0x77, 0x66])               # includeonce: included once
    assert rom[5:8] == bytes([3, 4, 5])                  # incbin "f":2..5
    assert rom[8:13] == bytes.fromhex("3412341234")      # fillword + fill
    assert asm.symbols["Foo"] == 0x8001 and asm.symbols["B_L"] == asm.symbols["A_M"]


def test_struct_without_asar() -> None:
    asm = assemble(CASES["struct"], filename="t.asm")
    assert asm.symbols["S.b"] == 2 and asm.symbols["T.y"] == 0x7E0104
    assert asm.binary()[:9].hex() == "000002000300ad0200"


def test_spcblock_without_asar() -> None:
    asm = assemble(CASES["spcblock"], filename="t.asm")
    assert asm.binary().hex() == ("aa09000060000102038f44332ffb0000046034120100000500a912")


def test_loops_without_asar() -> None:
    asm = assemble(CASES["loops"], filename="t.asm")
    assert asm.binary().hex() == "00010210112021404142"
    with pytest.raises(AsmError, match="'while' without 'endwhile'"):
        assemble("org $008000\nwhile 1\nnop\n", filename="t.asm")


def test_functions_without_asar() -> None:
    asm = assemble(CASES["functions"], filename="t.asm")
    assert asm.binary()[:8] == bytes.fromhex("0008050000000680")   # kb(2), twice, bank, pc()
    with pytest.raises(AsmError, match="unknown function 'nope'"):
        assemble("org $008000\ndb nope(1)\n", filename="t.asm")
    assert assemble("org $008000\ndb sqrt(17), log2(9), sin(2), cos(0)\n").binary() == \
        bytes((4, 3, 0, 1))
    with pytest.raises(AsmError, match="outside the function's domain"):
        assemble("org $008000\ndb sqrt(-4)\n", filename="t.asm")


def test_function_parameters_are_replaced_as_asar_scans_the_body() -> None:
    from afs.asm.functions import substitute_parameters

    # inside a string too; any case; other names whole
    assert substitute_parameters('stringsequal(x, "x")', ["x"], ['"a"']) == \
        'stringsequal("a", ""a"")'
    assert substitute_parameters("A+a+ab+xa", ["a"], ["3"]) == "3+3+ab+xa"
    # after `ab` matched, `b` is tried from its last character: `ab+b` -> `12+2`
    assert substitute_parameters("ab+b", ["ab", "b"], ["1", "2"]) == "12+2"


def test_function_arguments_without_asar() -> None:
    asm = assemble(CASES["function_arguments_as_text"], filename="t.asm")
    # (`pair(1, 2)` is 14: after `ab` matched, asar tries `b` from its last character, and
    # the body reads `12+2`)
    assert asm.binary()[:9] == bytes((1, 0, 3, 1, 3, 3, 1, 0, 14))
    # asar's scan: a parameter's name inside a string in the body is replaced too
    with pytest.raises(AsmError):
        assemble('org $008000\nfunction f(x) = stringsequal(x, "x")\ndb f("x")\n')
    with pytest.raises(AsmError, match="calls itself without end"):
        assemble("org $008000\nfunction f(a) = f(a)\ndb f(1)\n")
    with pytest.raises(AsmError, match=r"f\(\) needs a parameter"):
        assemble("org $008000\nfunction f() = 5\n")
    with pytest.raises(AsmError, match="unbalanced parentheses"):
        assemble("org $008000\nfunction f(a) = (a\n")
    with pytest.raises(AsmError, match=r"takes 1 argument, got 2"):
        assemble("org $008000\nfunction f(a) = a\ndb f(1, 2)\n")


def test_hash_labels_leave_the_scope_alone() -> None:
    asm = assemble(CASES["hash_labels"], filename="t.asm")
    assert asm.symbols["_008000"] == 0x8000
    assert asm.symbols["Main_sub"] == 0x8001
    assert asm.symbols["Other"] == 0x8001
    assert asm.symbols["EXIT_008009"] == 0x8009
    assert asm.symbols["Main_y"] == 0x8009


def test_bankcross_off_continues_in_the_file() -> None:
    asm = assemble(CASES["bankcross_off"], filename="t.asm")
    assert asm.symbols["L"] == 0x018002          # the address follows the file position
    rom = asm.rom(fix_checksum=False)
    assert rom[0x7FFE:0x8005] == bytes([1, 2, 3, 4, 0xEA, 0x02, 0x80])
    with pytest.raises(AsmError, match="bank border"):
        assemble(CASES["bankcross_off"].replace("check bankcross off\n", ""), filename="t.asm")


def test_truncation_is_silent_unless_strict() -> None:
    assert assemble(CASES["silent_truncation"], filename="t.asm").warnings == []
    with pytest.raises(AsmError, match="does not fit"):
        assemble(CASES["silent_truncation"], filename="t.asm", strict=True)


def test_quoted_define_is_its_text() -> None:
    with pytest.raises(AsmError, match="label 'LINK' not found"):
        assemble('org $008000\n!name = "LINK"\ndb !name\n', filename="t.asm")
    assert assemble(CASES["quoted_define_value"], filename="t.asm").binary() == b"\x03\x55"


PRINTS = 'org $008000\ndb 1,2\nprint "a","b"\nprint hex(255,4), " ", dec(-5), " ", pc\n' \
         'print hex(-1)\nprint "q""q ", bytes\n'


def test_print_writes_what_asar_writes() -> None:
    asm = assemble(PRINTS, filename="t.asm")
    assert asm.prints == ["ab", "00FF -5 008002", "FFFFFFFFFFFFFFFF", 'q"q 2']


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_print_output_matches_asar(tmp_path: Path) -> None:
    (tmp_path / "p.asm").write_text(PRINTS)
    exe = find_asar()
    out = subprocess.run([str(exe), "p.asm", "p.sfc"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines() == assemble(PRINTS, filename="p.asm").prints


def test_assert_and_error_name_the_line() -> None:
    with pytest.raises(AsmError) as info:
        assemble('org $008000\nnop\nassert 1 == 2, "bad ", hex(5)\n', filename="t.asm")
    assert (info.value.line, info.value.message) == (3, "assertion failed: bad 5")
    assemble("org $008000\nassert 2 > 1\n", filename="t.asm")
    with pytest.raises(AsmError, match="error command: boom 3"):
        assemble('org $008000\nerror "boom ", dec(3)\n', filename="t.asm")


def test_new_rom_is_written_with_the_usual_mode(tmp_path: Path) -> None:
    src = tmp_path / "p.asm"
    src.write_text("org $008000\nnop\n")
    umask = os.umask(0o022)
    try:
        result = build(src)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(result.output.stat().st_mode) == 0o644


def test_cli_prints_and_fails_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "p.asm"
    src.write_text('org $008000\nprint "hi ", hex($12)\nfreespace align\n')
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.run([sys.executable, "-m", "afs", "asm", "build", str(src)],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 2
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and f"{src}:3:1" in lines[0] and "freespace" in lines[0]
    assert not (tmp_path / "p.sfc").exists()
    src.write_text('org $008000\nprint "hi ", hex($12)\nnop\n')
    proc = subprocess.run([sys.executable, "-m", "afs", "asm", "build", str(src)],
                          capture_output=True, text=True, env=env, check=True)
    assert proc.stdout.splitlines()[0] == "hi 12"


def test_asarmon_pool_is_one_clear_error() -> None:
    with pytest.raises(AsmError) as info:
        assemble("org $008000\npool Foo\n.x\ndb 1\npool off\n", filename="t.asm")
    assert (info.value.line, info.value.column) == (2, 1)
    assert "asarmon" in info.value.message


READ_SOURCE = """\
lorom
org $008000
if read1($00FFD5) == $20 && canread2($008010)
    db $11, read1($008003)
else
    db $22
endif
dw read2($008010), read1($3FFFFF, $77)
"""


def _old_rom() -> bytes:
    rom = bytearray(0x20000)
    rom[0x7FD5] = 0x20
    rom[0x0003] = 0x99
    rom[0x0010:0x0012] = b"\x34\x12"
    rom[0x7FC0:0x7FD5] = b"OLD ROM TITLE        "
    rom[0x7FDC:0x7FE0] = b"\xff\xff\x00\x00"        # complement/checksum: a valid pair
    return bytes(rom)


def test_read_functions_read_the_rom_being_patched(tmp_path: Path) -> None:
    (tmp_path / "p.asm").write_text(READ_SOURCE)
    (tmp_path / "p.sfc").write_bytes(_old_rom())
    result = build(tmp_path / "p.asm", fix_checksum=False)
    assert result.patched
    assert result.output.read_bytes()[:6] == bytes.fromhex("1199 3412 7700".replace(" ", ""))


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_read_functions_match_asar(tmp_path: Path) -> None:
    (tmp_path / "p.asm").write_text(READ_SOURCE)
    (tmp_path / "p.sfc").write_bytes(_old_rom())
    ours = build(tmp_path / "p.asm", fix_checksum=False).output.read_bytes()
    theirs = asar_assemble(READ_SOURCE, rom=_old_rom())
    assert first_difference(ours, theirs) is None


@pytest.mark.parametrize(("title", "pair", "garbage"), [
    (b"THE LEGEND OF ZELDA  ", "ffff0000", False),
    (b"THE LEGEND OF ZELDA  ", "cbed3412", False),
    (b"THE LEGEND OF ZELDA  ", "00000000", True),     # checksum is not ~complement
    (b"THE LEGEND OF ZELDA  ", "12345678", True),
    (bytes([1]) * 21, "ffff0000", True),              # title not printable
    # asar scores the title: lower case counts for it, a NUL-padded name or none at all is
    # fine, high-bit bytes cost 21 when 1..14 of them, punctuation costs 3 each
    (b"zelda no densetsu    ", "ffff0000", False),
    (b"GAME NAME" + bytes(12), "ffff0000", False),
    (b"GAME\x00\x00NAME" + bytes(11), "ffff0000", False),
    (bytes(21), "ffff0000", False),
    (b"\xb0" * 10 + b" " * 11, "ffff0000", False),
    (b"\xb0" * 10 + b"ABC" + bytes(8), "ffff0000", True),
    ("ゼルダノデンセツ 3   ".encode("shift_jis").ljust(21)[:21], "ffff0000", True),
    (b"ab" + b"?" * 19, "ffff0000", True),
    (b"\x00" + b"-" * 20, "ffff0000", True),          # a name after a NUL costs 4 a byte
])
@pytest.mark.parametrize("header_at", [0x7FC0, 0xFFC0])    # LoROM's header, HiROM's
def test_title_check_as_asar(title: bytes, pair: str, garbage: bool, header_at: int,
                             tmp_path: Path) -> None:
    from afs.asm.mapping import title_is_garbage

    rom = bytearray(0x20000)
    rom[header_at:header_at + 21] = title
    rom[header_at + 0x15] = 0x20
    rom[header_at + 0x1C:header_at + 0x20] = bytes.fromhex(pair)
    assert title_is_garbage(bytes(rom)) is garbage
    if ASAR is not None:
        refused = False
        try:
            asar_assemble("lorom\norg $008000\ndb 1\n", rom=bytes(rom))
        except AsarError:
            refused = True
        assert refused is garbage
