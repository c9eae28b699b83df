"""`afs asm run`: options, JSON output, trace and error handling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afs.cli.main import app
from afs.errors import InputError

SOURCE = """\
rep #$30
lda $10
clc
adc #$0100
sta $12
ldx #$0002
-
dex
bne -
sep #$20
sta $2100
"""


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "prog.asm"
    path.write_text(SOURCE)
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, ["asm", "run", *args])


def test_json_output_has_registers_counts_and_final_writes(program: Path) -> None:
    result = invoke(str(program), "--init", "a=0x1,x=0x55,dbr=0x7E,p=0x30",
                    "--mem", "7E0010=0x34", "--mem", "000011=0x12,7E0030=1", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {k: out[k] for k in ("a", "x", "y", "dbr", "pbr", "e", "stop_reason")} == {
        "a": 0x1334, "x": 0, "y": 0, "dbr": 0x7E, "pbr": 0, "e": 0, "stop_reason": "end"}
    assert out["writes"] == {"0x7E0012": 0x34, "0x7E0013": 0x13, "0x7E2100": 0x34}
    assert out["instructions"] == 12
    # REP, LDA d (16), CLC, ADC # (16), STA d (16), LDX # (16), 2 DEX, BNE taken+not, SEP, STA a
    assert out["cycles"] == 3 + 4 + 2 + 3 + 4 + 3 + 2 * 2 + 3 + 2 + 3 + 4
    assert out["io_writes"] == []


def test_state_file_then_init_override_and_fill(program: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"a": "0x0005", "p": 48, "memory": {"0x7E0011": 2}}))
    result = invoke(str(program), "--state", str(state), "--init", "d=0x0100",
                    "--fill", "0xFF", "--json")
    out = json.loads(result.output)
    # D=$0100: LDA $10 reads $0110/$0111, never written, so the fill: $FFFF + $0100.
    assert out["a"] == 0x00FF and out["d"] == 0x100
    assert out["writes"]["0x7E0112"] == 0xFF and out["io_writes"][0]["address"] == "0x002100"


def test_trace_prints_every_instruction(program: Path) -> None:
    result = invoke(str(program), "--trace")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("$008000  c230      REP #$30")
    assert sum("DEX" in ln for ln in lines) == 2
    assert "12 instructions" in result.output and "stopped: end" in result.output


def test_bad_inputs_are_input_errors(program: Path, tmp_path: Path) -> None:
    for args, message in ((["--init", "q=1"], "unknown register"),
                          (["--init", "a=zz"], "expected a number"),
                          (["--mem", "7E0010"], "ADDRESS=VALUE"),
                          (["--mem", "7E0010=0x100"], "a byte"),
                          (["--init", "e=1,x=0x100"], "emulation mode")):
        result = invoke(str(program), *args)
        assert isinstance(result.exception, InputError), args
        assert message in str(result.exception)
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  \"a\": 1,,\n}")
    result = invoke(str(program), "--state", str(bad))
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith(f"{bad}:2:")


def test_exit_codes_through_the_real_command(program: Path, tmp_path: Path) -> None:
    loop = tmp_path / "loop.asm"
    loop.write_text("-\nbra -\n")
    run = [sys.executable, "-m", "afs", "asm", "run"]
    done = subprocess.run([*run, str(loop), "--max-instructions", "50"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 1 and "budget of 50 instructions" in done.stderr
    done = subprocess.run([*run, str(program), "--fill", "0x1FF"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "--fill" in done.stderr
