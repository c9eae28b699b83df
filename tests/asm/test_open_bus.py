"""Open bus: a read of an unmapped address returns the last value on the data bus.

The expected values below were measured on bsnes-mercury (accuracy profile) through
../shared/oracle; `test_open_bus_matches_bsnes` re-measures them, and more, when the oracle is
installed, and skips otherwise.
"""

from __future__ import annotations

import json
import sys

import pytest

from afs.asm.cpu import CpuState
from afs.asm.machine import run_snippet
from tests.conftest import SHARED_DIR

# (code, initial registers, initial WRAM, A that bsnes ends with)
CASES = [
    ("sep #$20\nlda $1000", {"dbr": 0xE4, "p": 0x30}, {}, 0x10),          # operand high byte
    ("rep #$20\nlda $1000", {"dbr": 0xE4, "p": 0x10}, {}, 0x1010),        # both bytes
    ("sep #$20\nlda.l $E41234", {"p": 0x30}, {}, 0xE4),                   # bank byte
    ("sep #$20\nlda $6000", {"p": 0x30}, {}, 0x60),                       # LoROM expansion
    ("sep #$20\nlda $2000", {"p": 0x30}, {}, 0x20),                       # below the PPU ports
    ("sep #$20\nlda $4000", {"p": 0x30}, {}, 0x40),                       # below the joypad ports
    ("sep #$20\nlda $401234", {"p": 0x30}, {}, 0x40),                     # LoROM bank $40 low half
    ("sep #$20\nlda ($10)", {"dbr": 0xE4, "p": 0x30},
     {0x7E0010: 0x00, 0x7E0011: 0x23}, 0x23),                            # the pointer's high byte
    ("sep #$20\nlda [$10],y", {"p": 0x30, "y": 1},
     {0x7E0010: 0x00, 0x7E0011: 0x23, 0x7E0012: 0x45}, 0x45),            # the pointer's bank
    ("sep #$20\nlda $10FF,x", {"dbr": 0xE4, "p": 0x30, "x": 2}, {}, 0x10),
    ("rep #$20\nlda $10FF,x", {"dbr": 0xE4, "p": 0x10, "x": 2}, {}, 0x1010),
    ("sep #$20\nclc\nlda #$01\nadc $1000", {"dbr": 0xE4, "p": 0x30}, {}, 0x11),
]


@pytest.mark.parametrize(("code", "init", "ram", "expected"), CASES,
                         ids=[c[0].replace("\n", " ; ") for c in CASES])
def test_unmapped_reads_give_open_bus_and_are_reported(code, init, ram, expected):
    result = run_snippet(code, init=CpuState(**init), memory=ram)
    assert result.state.a == expected
    assert result.open_bus_reads, "an unmapped read must be reported"


def test_the_report_names_address_value_and_cycle():
    result = run_snippet("sep #$20\nlda $1000", init=CpuState(dbr=0xE4, p=0x30))
    assert result.open_bus_reads == [(0xE41000, 0x10, 3)]


def test_mapped_memory_is_not_open_bus():
    result = run_snippet("sep #$20\nlda $7EF36D\nlda $700000\nlda $10\nlda $2100",
                         init=CpuState(p=0x30), memory={0x7EF36D: 5})
    assert result.open_bus_reads == []


def test_open_bus_matches_bsnes():
    sys.path.insert(0, str(SHARED_DIR / "oracle"))
    snes_oracle = pytest.importorskip("snes_oracle", reason="../shared/oracle is absent")
    ok, why = snes_oracle.available()
    if not ok:
        pytest.skip(why)
    cases = [{"id": str(i), "code": code,
              "init": {**init, "ram": {f"0x{a:06X}": v for a, v in ram.items()}}}
             for i, (code, init, ram, _) in enumerate(CASES)]
    # More of the same shapes: other banks, offsets and widths.
    for bank in (0x40, 0x5F, 0xC8, 0xE4):
        for offset in (0x0000, 0x1234, 0x7FFE):
            for width in ("sep", "rep"):
                cases.append({"id": f"{bank:02X}{offset:04X}{width}",
                              "code": f"{width} #$20\nlda.l ${bank:02X}{offset:04X}",
                              "init": {"p": 0x10}})
    results = snes_oracle.run_cases(cases)
    mismatches = []
    for case, got in zip(cases, results, strict=True):
        assert "error" not in got, got
        ram = {int(a, 16): v for a, v in case["init"].pop("ram", {}).items()}
        ours = run_snippet(case["code"], init=CpuState(**case["init"]), memory=ram)
        if ours.state.a != got["a"]:
            mismatches.append(f"{case['code']!r}: bsnes A={got['a']:04X}, ours {ours.state.a:04X}")
    assert not mismatches, "\n".join(mismatches)


def test_afs_asm_run_reports_open_bus(tmp_path):
    # Issue 21: the open-bus read is visible in `afs asm run`, as text and in --json.
    from typer.testing import CliRunner

    from afs.cli.main import app

    program = tmp_path / "bus.asm"
    program.write_text("sep #$20\nlda $1000\n")
    text = CliRunner().invoke(app, ["asm", "run", str(program), "--init", "dbr=0xE4,p=0x30"])
    assert text.exit_code == 0, text.output
    assert "read of unmapped $E41000 gave open bus 0x10" in text.output
    out = CliRunner().invoke(app, ["asm", "run", str(program), "--init", "dbr=0xE4,p=0x30",
                                   "--json"])
    assert out.exit_code == 0, out.output
    reads = json.loads(out.output)["open_bus_reads"]
    assert [(r["address"], r["value"]) for r in reads] == [("0xE41000", 0x10)]
