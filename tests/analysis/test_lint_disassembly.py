"""The disassembly lint (`make lint-disassembly`): runs on routines written like usdasm's.

The real disassembly is not part of the repository; `test_on_the_us_disassembly` runs on it
when /work/ext/usdasm (or $AFS_USDASM) is checked out and skips otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lint_disassembly.py"


def _run(root: Path, tmp_path: Path) -> dict:
    out = tmp_path / "lint.json"
    done = subprocess.run([sys.executable, str(SCRIPT), str(root), "--json", str(out)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_routines_in_the_usdasm_style_are_linted(tmp_path):
    # Our own routines, written the way usdasm writes them (address annotations, no colons
    # on sublabels, register names from registers.asm).
    (tmp_path / "main.asm").write_text('lorom\nincsrc "bank_00.asm"\n')
    (tmp_path / "registers.asm").write_text("INIDISP = $002100\nRDMPYL = $004216\n")
    (tmp_path / "bank_00.asm").write_text(
        "org $008000\n\nClearScreen:\n#_008000: SEP #$20\n#_008002: LDA.b #$80\n"
        "#_008004: STA.w INIDISP\n#_008007: JSR Helper\n#_00800A: RTS\n\n"
        "Helper:\n#_00800B: PHA\n#_00800C: LDA.b $10\n#_00800E: BEQ .skip\n"
        "#_008010: ASL.w RDMPYL\n.skip\n#_008013: RTS\n")
    result = _run(tmp_path, tmp_path)
    assert result["linted"] == 2 and result["not_assembled"] == 0
    assert {c["rule"] for c in result["counts"]} == {"S001"}  # Helper returns with A pushed


def test_what_only_the_isolation_causes_is_not_counted(tmp_path):
    # Ours, usdasm-style: Probe runs off its end into Tail; Tail, only ever jumped to, pulls
    # the B that Entry pushed. Drop pulls its caller's return address on purpose (S004).
    (tmp_path / "main.asm").write_text('lorom\nincsrc "bank_00.asm"\n')
    (tmp_path / "registers.asm").write_text("")
    (tmp_path / "bank_00.asm").write_text(
        "org $008000\n\nEntry:\n#_008000: PHB\n#_008001: JSR Drop\n#_008004: LDA.b $10\n"
        "#_008006: BEQ Tail\n\nProbe:\n#_008008: LDA.b $11\n#_00800A: BEQ .fall\n"
        "#_00800C: RTS\n.fall\n#_00800D: INC.b $12\n\nTail:\n#_00800F: PLB\n#_008010: RTS\n"
        "\nDrop:\n#_008011: LDA.b $13\n#_008013: BNE .keep\n#_008015: PLA\n#_008016: PLA\n"
        ".keep\n#_008017: RTS\n")
    result = _run(tmp_path, tmp_path)
    assert result["linted"] == 4 and result["not_assembled"] == 0
    counts = {c["rule"]: c["count"] for c in result["counts"]}
    assert counts == {"S004": 1} and "Drop" in result["examples"]["S004"][0]


def test_a_routine_reading_its_pool_is_linted(tmp_path):
    # Ours, usdasm-style: the table a routine reads sits in its `pool` section, before it.
    (tmp_path / "main.asm").write_text('lorom\nincsrc "bank_00.asm"\n')
    (tmp_path / "registers.asm").write_text("")
    (tmp_path / "bank_00.asm").write_text(
        "org $008000\n\npool Lookup\n\n.values\n#_008000: db $01, $02, $04, $08\n\n"
        "pool off\n\nLookup:\n#_008004: LDA.w .values,X\n#_008007: STA.b $10\n"
        "#_008009: RTS\n")
    result = _run(tmp_path, tmp_path)
    assert result["linted"] == 1 and result["not_assembled"] == 0


def test_a_state_reached_through_jmp_table_is_a_tail(tmp_path):
    # Ours: Dispatch pushes B and jumps through its table; State pulls it and returns.
    (tmp_path / "main.asm").write_text('lorom\nincsrc "bank_00.asm"\n')
    (tmp_path / "registers.asm").write_text("")
    (tmp_path / "bank_00.asm").write_text(
        "org $008000\n\nDispatch:\n#_008000: PHB\n#_008001: PHK\n#_008002: PLB\n"
        "#_008003: LDX.b $10\n#_008005: JMP.w (.vectors,X)\n\n.vectors\n"
        "#_008008: dw State\n\nState:\n#_00800A: STZ.b $12\n#_00800C: PLB\n"
        "#_00800D: RTS\n")
    result = _run(tmp_path, tmp_path)
    assert result["linted"] == 2 and result["counts"] == []


def test_a_missing_checkout_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none")],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1


@pytest.mark.slow
def test_on_the_us_disassembly(tmp_path):
    root = Path(os.environ.get("AFS_USDASM", "/work/ext/usdasm"))
    if not (root / "main.asm").is_file():
        pytest.skip(f"{root} is absent (the US disassembly is not part of this repository)")
    result = _run(root, tmp_path)
    assert result["linted"] > 1000
    # The shipped game works: no error-severity finding on it.
    assert not [c for c in result["counts"] if c["severity"] == "error"], result["counts"]
