"""Observing a run of a snippet: what a reader of the code could predict about it.

A *probe* names one observation; `evaluate` assembles the code, runs it on the emulator from
a stated entry state and returns the observation:

* `mem:$7EF36D` / `mem16:$7E0020` — the byte / little-endian word at an address at the end;
* `reg:a` `reg:a.b` `reg:x` `reg:y` `reg:s` — a register at the end (`.b`: its low byte);
* `flag:c` (`z`, `n`, `v`) — a flag at the end: "set" or "clear";
* `count:N` — how many times the instruction on line N ran;
* `taken:N` — whether the branch on line N was taken ("yes"/"no"; it must run once);
* `branchflag:N` — the flag that decides the branch on line N ("N", "V", "Z", "C");
* `io_last:$2100` / `io_count:$2118` — the last value written to / the number of writes to
  an I/O register;
* `bytes:N` / `size:N` — the bytes line N assembles to / how many;
* `label:Name` — the address the assembler gives a label.

Used by the veran benchmark's prediction questions and by the classical Veran, which answers
such questions by running the code.

Entry state: native mode, 8-bit A and X/Y (P = $30), D = $0000, DBR = $7E, S = $01FF, other
registers 0, every byte not given $00; `init` and `memory` override. The run starts at the
first line (assembled at $008000 unless the code sets an org) and ends where it falls through
its last line or returns (RTS/RTL at call depth 0).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from afs.asm.cpu import CpuState, ExecutionBudgetExceeded

SNIPPET_BASE = 0x008000
MAX_INSTRUCTIONS = 50_000


def parse_address(text: str | int) -> int:
    """`$7EF36D`, `0x7EF36D` or an int -> the address."""
    return text if isinstance(text, int) else int(str(text).replace("$", "0x"), 0)


@lru_cache(maxsize=512)
def _assembly(code: str) -> Any:
    from afs.asm.assembler import assemble

    return assemble(code, base=SNIPPET_BASE)


def assembled_line(code: str, number: int) -> Any:
    """The listing row of line `number` (1-based) that emits bytes."""
    rows = [r for r in _assembly(code).listing if r.line == number and r.kind in
            ("instruction", "data")]
    if not rows:
        raise ValueError(f"line {number} emits nothing")
    return rows[0]


FLAG_BITS = {"n": 0x80, "v": 0x40, "m": 0x20, "x": 0x10, "d": 0x08, "i": 0x04, "z": 0x02,
             "c": 0x01}
BRANCH_FLAGS = {"BCC": "C", "BCS": "C", "BEQ": "Z", "BNE": "Z", "BMI": "N", "BPL": "N",
                "BVC": "V", "BVS": "V"}
RUN_PROBES = ("mem", "mem16", "reg", "flag", "count", "taken", "io_last", "io_count")


def entry_state(init: dict[str, int]) -> CpuState:
    """The entry state (see the module docstring) with `init`'s registers."""
    state = CpuState(p=0x30, s=0x01FF, dbr=0x7E)
    for name, value in init.items():
        if name not in ("a", "x", "y", "s", "d", "dbr", "p"):
            raise ValueError(f"unknown register {name!r} in a question's entry state")
        setattr(state, name, value)
    return state


def _run(code: str, init: dict[str, int], memory: dict[str, int], want_trace: bool
         ) -> tuple[Any, list[int]]:
    from afs.asm.machine import run_snippet

    pcs: list[int] = []
    hook = (lambda cpu: pcs.append(cpu.pbr << 16 | cpu.pc)) if want_trace else False
    try:
        result = run_snippet(code, init=entry_state(init),
                             memory={parse_address(a): v for a, v in memory.items()},
                             max_instructions=MAX_INSTRUCTIONS, trace=hook)
    except ExecutionBudgetExceeded as exc:
        raise ValueError(f"the run does not end: {exc}") from None
    if result.stop_reason not in ("end", "rts", "rtl"):
        raise ValueError(f"the run stopped by {result.stop_reason}")
    pcs.append(result.state.pbr << 16 | result.state.pc)
    return result, pcs


def evaluate(code: str, probe: str, init: dict[str, int] | None = None,
             memory: dict[str, int] | None = None) -> int | list[int] | str:
    """The answer to `probe` for `code` run from `init`/`memory` (see the module docstring);
    raises ValueError when the question has no single answer."""
    kind, _, arg = probe.partition(":")
    if kind == "bytes":
        return list(assembled_line(code, int(arg)).data)
    if kind == "size":
        return len(assembled_line(code, int(arg)).data)
    if kind == "label":
        return _assembly(code).symbols[arg]
    if kind == "branchflag":
        return BRANCH_FLAGS[assembled_line(code, int(arg)).mnemonic]
    if kind not in RUN_PROBES:
        raise ValueError(f"unknown probe {probe!r}")
    result, pcs = _run(code, init or {}, memory or {}, kind in ("count", "taken"))
    state = result.state
    if kind == "mem":
        return result.final_memory(parse_address(arg))
    if kind == "mem16":
        address = parse_address(arg)
        return result.final_memory(address) | result.final_memory(address + 1) << 8
    if kind == "reg":
        name, _, part = arg.partition(".")
        value = getattr(state, name)
        return value & 0xFF if part == "b" else value
    if kind == "flag":
        return "set" if state.p & FLAG_BITS[arg] else "clear"
    if kind in ("io_last", "io_count"):
        target = parse_address(arg) & 0xFFFF
        values = [v for a, v, _ in result.io_writes if a & 0xFFFF == target]
        if kind == "io_count":
            return len(values)
        if not values:
            raise ValueError(f"nothing is written to {arg}")
        return values[-1]
    row = assembled_line(code, int(arg))
    address = row.address
    runs = [i for i, pc in enumerate(pcs[:-1]) if pc == address]
    if kind == "count":
        return len(runs)
    if len(runs) != 1:
        raise ValueError(f"the branch on line {arg} runs {len(runs)} times")
    after = pcs[runs[0] + 1]
    return "yes" if after != address + len(row.data) else "no"


