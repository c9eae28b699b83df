"""65816 emulator speed against py65's 6502 emulator on the same loops, plus run_snippet calls/s.

The three workloads are 6502 machine code (a copy loop, a 16-bit add loop, a branchy loop),
which the 65816 runs unchanged in 8-bit mode: our core runs them from LoROM ROM at $008000 on
the full SNES machine (write log and read tracking on), py65 from RAM at $0200. Each loop jumps
back to its start forever, and both emulators run a fixed number of instructions.
"""

from __future__ import annotations

import time

from afs.asm.cpu import Cpu, CpuState, ExecutionBudgetExceeded
from afs.asm.machine import Machine, PlainMemory, run_snippet

INSTRUCTIONS = 300_000
ORIGIN_6502 = 0x0200
ORIGIN_65816 = 0x8000


def _copy_loop(origin: int) -> bytes:
    hi = origin >> 8
    return bytes([
        0xA2, 0x00,              # LDX #0
        0xBD, 0x00, 0x10,        # loop: LDA $1000,X
        0x9D, 0x00, 0x11,        # STA $1100,X
        0xE8,                    # INX
        0xD0, 0xF7,              # BNE loop
        0x4C, origin & 0xFF, hi,  # JMP start
    ])


def _arith_loop(origin: int) -> bytes:
    hi = origin >> 8
    return bytes([
        0xA2, 0x40,              # LDX #$40
        0x18,                    # loop: CLC
        0xA5, 0x10,              # LDA $10
        0x69, 0x03,              # ADC #3
        0x85, 0x10,              # STA $10
        0xA5, 0x11,              # LDA $11
        0x69, 0x00,              # ADC #0
        0x85, 0x11,              # STA $11
        0xCA,                    # DEX
        0xD0, 0xF0,              # BNE loop
        0x4C, origin & 0xFF, hi,  # JMP start
    ])


def _branchy_loop(origin: int) -> bytes:
    hi = origin >> 8
    start = origin
    return bytes([
        0xA2, 0x40,              # LDX #$40
        0xA5, 0x10,              # loop: LDA $10
        0x29, 0x01,              # AND #1
        0xF0, 0x05,              # BEQ even
        0xE6, 0x12,              # INC $12
        0x4C, (start + 15) & 0xFF, hi,  # JMP next
        0xC6, 0x13,              # even: DEC $13
        0xE6, 0x10,              # next: INC $10
        0xCA,                    # DEX
        0xD0, 0xEE,              # BNE loop
        0x4C, origin & 0xFF, hi,  # JMP start
    ])


WORKLOADS = {"copy": _copy_loop, "arith": _arith_loop, "branchy": _branchy_loop}


def _time_ours(code: bytes, memory: str) -> float:
    if memory == "snes":
        machine = Machine()
        machine.load_program([(ORIGIN_65816, code)])
        cpu = machine.cpu
    else:
        plain = PlainMemory()
        plain.data[ORIGIN_65816:ORIGIN_65816 + len(code)] = code
        cpu = Cpu(plain)
    cpu.load_state(CpuState(pc=ORIGIN_65816, e=1, p=0x34))
    started = time.perf_counter()
    try:
        count, reason = cpu.run(INSTRUCTIONS)
    except ExecutionBudgetExceeded:
        count, reason = INSTRUCTIONS, "budget"
    elapsed = time.perf_counter() - started
    if count != INSTRUCTIONS:
        raise RuntimeError(f"workload stopped early ({reason}) after {count} instructions")
    return count / elapsed


def _time_py65(code: bytes) -> float:
    from py65.devices.mpu6502 import MPU

    mpu = MPU()
    mpu.memory[ORIGIN_6502:ORIGIN_6502 + len(code)] = list(code)
    mpu.pc = ORIGIN_6502
    step = mpu.step
    started = time.perf_counter()
    for _ in range(INSTRUCTIONS):
        step()
    return INSTRUCTIONS / (time.perf_counter() - started)


SNIPPET = """\
rep #$30
lda #$1234
sta $10
ldx #$0002
-
lda $10
clc
adc #$0011
sta $10
dex
bne -
sep #$20
lda #$55
sta $7E2000
nop
"""  # 4 + 2 * 6 + 4 = 20 instructions


def _snippet_rate(seconds: float = 1.5) -> tuple[float, int]:
    calls = 0
    instructions = run_snippet(SNIPPET).instructions
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        run_snippet(SNIPPET)
        calls += 1
    return calls / (time.perf_counter() - started), instructions


def run() -> dict:
    """Instructions/s per workload for our core (SNES map and plain RAM) and py65; ratio."""
    out: dict[str, object] = {"instructions_per_workload": INSTRUCTIONS}
    ratios = []
    for name, build in WORKLOADS.items():
        ours = max(_time_ours(build(ORIGIN_65816), "snes") for _ in range(3))
        plain = max(_time_ours(build(ORIGIN_65816), "plain") for _ in range(3))
        theirs = max(_time_py65(build(ORIGIN_6502)) for _ in range(3))
        ratios.append(ours / theirs)
        out[name] = {"afs_snes_ips": round(ours), "afs_plain_ram_ips": round(plain),
                     "py65_ips": round(theirs), "ratio_afs_snes_over_py65": round(ours / theirs, 3)}
    rate, n = _snippet_rate()
    out["run_snippet"] = {"calls_per_s": round(rate, 1), "instructions_per_call": n}
    out["min_ratio_vs_py65"] = round(min(ratios), 3)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
