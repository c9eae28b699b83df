"""Every SingleStepTests 65816 vector in ../shared/data/sst65816: registers, RAM and cycles.

Loader rules from that directory's README: in emulation mode S is forced to $01xx (the vectors
store a random high byte), X/Y high bytes cleared and P bits 4-5 set; memory is a flat 24-bit
RAM with no SNES map; the cycle count is len(cycles).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from afs.asm.cpu import Cpu, CpuState
from afs.asm.machine import PlainMemory
from tests.conftest import SHARED_DIR

SST_DIR = SHARED_DIR / "data" / "sst65816"
FILES = sorted(p.name for p in SST_DIR.glob("*.json.gz")) if SST_DIR.is_dir() else []
REGISTERS = ("a", "x", "y", "s", "d", "dbr", "pbr", "pc", "p", "e")


def _initial_state(init: dict) -> CpuState:
    st = CpuState(**{k: init[k] for k in REGISTERS})
    if st.e:
        st.s = 0x100 | (st.s & 0xFF)
        st.x &= 0xFF
        st.y &= 0xFF
        st.p |= 0x30
    return st


def run_vector_file(path: Path) -> tuple[int, list[str]]:
    """Run every vector of one file; returns (vectors run, failure descriptions)."""
    tests = json.loads(gzip.decompress(path.read_bytes()))
    memory = PlainMemory()
    ram = memory.data
    cpu = Cpu(memory)
    failures: list[str] = []
    for test in tests:
        init, final = test["initial"], test["final"]
        for address, value in init["ram"]:
            ram[address] = value
        cpu.load_state(_initial_state(init))
        cycles, halt = cpu.step()
        got = cpu.state().as_dict()
        bad = [f"{k}={got[k]:#x} want {final[k]:#x}" for k in REGISTERS if got[k] != final[k]]
        bad += [f"ram[{a:06X}]={ram[a]:#x} want {v:#x}" for a, v in final["ram"] if ram[a] != v]
        if cycles != len(test["cycles"]):
            bad.append(f"cycles={cycles} want {len(test['cycles'])}")
        if halt is not None:
            bad.append(f"halted: {halt}")
        if bad:
            failures.append(f"{test['name']}: " + ", ".join(bad))
        for address, _ in init["ram"] + final["ram"]:
            ram[address] = 0
    return len(tests), failures


def test_vectors_present(shared_dir: Path) -> None:
    if not SST_DIR.is_dir():
        pytest.skip(f"{SST_DIR} is absent")
    assert len(FILES) == 84


@pytest.mark.parametrize("name", FILES or ["<no vectors>"])
def test_single_step_vectors(name: str, shared_dir: Path) -> None:
    if not FILES:
        pytest.skip(f"{SST_DIR} holds no vectors")
    count, failures = run_vector_file(SST_DIR / name)
    assert count == 1000
    assert not failures, f"{len(failures)} of {count} failed; first: " + "; ".join(failures[:5])
