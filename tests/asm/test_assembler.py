"""Assembler unit tests (no asar needed): bytes, listing, symbols, mapping, ROM output, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afs.asm.assembler import assemble, assemble_file
from afs.asm.isa import Mode
from afs.asm.mapping import fix_checksum, pc_to_snes, snes_to_pc
from afs.cli.main import app
from tests.asm.difftools import ASAR, SKIP_REASON

SAMPLES = Path(__file__).resolve().parent / "samples"


def test_snippet_at_base_listing_and_symbols() -> None:
    asm = assemble("start:\n  sep #$20\n  lda #$12\n- dec\n  bne -\n  jsr sub\n  rts\n"
                   "sub: rts\n", base=0x008000)
    assert asm.binary() == bytes.fromhex("e2 20 a9 12 3a d0 fd 20 0b 80 60 60")
    assert asm.symbols == {"start": 0x008000, "sub": 0x00800B}
    assert [(s.address, len(s.data)) for s in asm.segments] == [(0x008000, 12)]
    ins = [ln for ln in asm.listing if ln.kind == "instruction"]
    bne = ins[3]
    assert (bne.mnemonic, bne.mode, bne.opcode, bne.operand, bne.address, bne.line) == (
        "BNE", Mode.RELATIVE8, 0xD0, 0x008004, 0x008005, 5)
    assert ins[0].text == "sep #$20" and ins[0].data == b"\xe2\x20"


def test_forward_labels_take_two_passes_and_sizes_follow_the_bank() -> None:
    asm = assemble("org $008000\nlda far\nlda near\nnear: rts\norg $018000\nfar: rtl\n")
    assert asm.passes >= 2   # pass 0 guessed `far` was in this bank; `near` moved by a byte
    assert asm.symbols["near"] == 0x008007
    assert asm.binary()[:7] == bytes.fromhex("af 00 80 01 ad 07 80")


def test_size_suffixes_and_truncation() -> None:
    asm = assemble("org $008000\nlda.b $123456\nlda.w $12\nlda.l $12\nlda.w #$12\n"
                   "jmp $12\nlda $12,y\n")
    assert asm.binary() == bytes.fromhex("a5 56 ad 12 00 af 12 00 00 a9 12 00 4c 12 00"
                                         " b9 12 00")


def test_binary_fills_gaps_and_includes_resolve_relative(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.asm").write_text("incbin data.bin\nincsrc b.asm\n")
    (tmp_path / "sub" / "b.asm").write_text("db $BB\n")
    (tmp_path / "sub" / "data.bin").write_bytes(b"\x01\x02")
    main = tmp_path / "main.asm"
    main.write_text("org $008000\ndb $AA\norg $008004\nincsrc sub/a.asm\n")
    asm = assemble_file(main)
    assert asm.binary(fill=0xFF) == bytes.fromhex("aa ff ff ff 01 02 bb")


@pytest.mark.parametrize(("mapper", "address", "offset"), [
    ("lorom", 0x008000, 0), ("lorom", 0x808000, 0), ("lorom", 0x018000, 0x8000),
    ("lorom", 0xC00000, 0x200000), ("lorom", 0x7E8000, None), ("lorom", 0x000000, None),
    ("hirom", 0xC00000, 0), ("hirom", 0x018000, 0x18000), ("hirom", 0x008000, 0x8000),
    ("exlorom", 0x008000, 0x400000), ("exlorom", 0x808000, 0), ("exhirom", 0x008000, 0x408000),
    ("exhirom", 0xC00000, 0), ("exhirom", 0x400000, 0x400000), ("norom", 0x12345, 0x12345),
])
def test_mapping(mapper: str, address: int, offset: int | None) -> None:
    assert snes_to_pc(address, mapper) == offset
    if offset is not None:
        back = pc_to_snes(offset, mapper)
        assert back is not None and snes_to_pc(back, mapper) == offset


def test_new_rom_and_checksum_as_asar_writes_them() -> None:
    # figures from asar 1.91: `lorom : org $018000 : db 1` into a new file
    rom = assemble("lorom\norg $018000\ndb 1\n").rom()
    assert len(rom) == 0x8001 and rom[0x8000] == 1
    assert rom[0x7FDC:0x7FE0] == bytes.fromhex("01 7e fe 81")
    small = assemble("lorom\norg $008000\ndb 1\n").rom()
    assert small == b"\x01"   # the file stops before the header: no checksum
    clipped = bytearray(0x7FDF)   # asar, `db 1` patched into a 0x7FDF-byte file:
    clipped[0] = 1
    assert fix_checksum(clipped, "lorom") and len(clipped) == 0x7FDF
    assert clipped[0x7FDC:] == bytes.fromhex("00 fe ff")


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(SAMPLES / "project", project)
    return project / "main.asm"


def test_cli_build_new_rom_flat_and_patch(tmp_path: Path) -> None:
    main = _copy_project(tmp_path)
    runner = CliRunner()
    out = tmp_path / "game.sfc"
    result = runner.invoke(app, ["asm", "build", str(main), "-o", str(out), "--symbols",
                                 "--listing", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["patched"] is False and payload["size"] == out.stat().st_size
    assert payload["symbols"]["Module_Main"] == 0x018000
    assert any(ln["text"] == "jsl Module_Main" and ln["bytes"] == "22008001"
               for ln in payload["listing"])
    first = out.read_bytes()
    result = runner.invoke(app, ["asm", "build", str(main), "-o", str(out)])
    assert result.exit_code == 0 and "patched" in result.output
    assert out.read_bytes() == first
    flat = tmp_path / "flat.bin"
    result = runner.invoke(app, ["asm", "build", str(main), "-o", str(flat), "--base",
                                 "$008000"])
    assert result.exit_code == 0, result.output
    assert flat.read_bytes()[:3] == first[:3] and len(flat.read_bytes()) == 0x1F001 - 0x8000


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asm"
    bad.write_text("org $008000\nlda ($1234),y\n")
    import subprocess
    import sys

    from afs.cli.main import main
    proc = subprocess.run([sys.executable, "-c", "from afs.cli.main import main; main()",
                           "asm", "build", str(bad)], capture_output=True, text=True)
    assert main is not None
    assert proc.returncode == 2
    assert f"{bad}:2:1:" in proc.stderr


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("checksum", ["on", "off"])
def test_cli_build_matches_asar_on_the_multi_file_sample(tmp_path: Path, checksum: str) -> None:
    from afs.asm.asar import run_asar
    main = _copy_project(tmp_path)
    run_asar(main, tmp_path / "asar.sfc", fix_checksum=checksum == "on")
    result = CliRunner().invoke(app, ["asm", "build", str(main), "-o",
                                      str(tmp_path / "afs.sfc"), "--fix-checksum", checksum])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "afs.sfc").read_bytes() == (tmp_path / "asar.sfc").read_bytes()


def test_concurrent_assemblies_leave_the_garbage_collector_as_they_found_it():
    import gc
    import threading

    from afs.asm.assembler import assemble

    source = "\n".join(f"LDA #${i % 256:02X}\nSTA $10" for i in range(2000))
    assert gc.isenabled()
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        for _ in range(3):
            assemble(source, base=0x008000)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
    gc.disable()
    try:
        assemble("NOP", base=0x008000)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_cli_prints_warnings_as_asar_lines(tmp_path: Path) -> None:
    import subprocess
    import sys

    # line 100: rich would turn `:100:` into an emoji; the line is longer than a terminal
    src = tmp_path / "p.asm"
    src.write_text("lorom\norg $008000\n" + "nop\n" * 97 + "db #1\nmacro m()\ndb 1+2*3\n"
                   "endmacro\n%m()\n")
    proc = subprocess.run([sys.executable, "-m", "afs", "asm", "build", str(src), "-o",
                           str(tmp_path / "p.sfc")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    notice = ("DEPRECATION NOTIFICATION: Feature \"{}\" is deprecated and will be REMOVED in "
              "the future. Please update your code to conform to newer styles. Suggested "
              "work around: {}.")
    assert proc.stderr.splitlines() == [
        f"{src}:100: warning: (Wfeature_deprecated): "
        + notice.format("# before numbers in db/dw/...", "remove the #"),
        f"{src}:101 (called from {src}:104): warning: (Wfeature_deprecated): "
        + notice.format("xkas style left to right math ", "apply order of operations")]


def test_cli_prints_print_output_and_the_listing_verbatim(tmp_path: Path) -> None:
    import subprocess
    import sys

    # Not wrapped at a pipe's 80 columns, and `:100:` is not an emoji code.
    long = "x" * 120
    src = tmp_path / "p.asm"
    src.write_text(f"lorom\norg $008000\nprint \"{long}\"\nprint \"a :100: b\"\nnop\n")
    proc = subprocess.run([sys.executable, "-m", "afs", "asm", "build", str(src), "-o",
                           str(tmp_path / "p.sfc"), "--listing"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:1] == ["$008000  ea             nop"]
    assert lines[1:3] == [long, "a :100: b"]
    assert lines[3].startswith("wrote ")
