"""What every Nayru family shares: entry state, the spec builder and its self-checks.

A family states its request (several paraphrases, one drawn by the rng), a reference
routine, the input states to test from, and a Python model of the task. The spec's
expectations come from the model, never from running the reference; every byte a case
initialises (inputs, outputs, guard bytes around them) is checked at the end, so a routine
that writes a neighbour, stops one byte short or leaves the state alone fails. The builder
refuses a family whose reference writes a byte the spec does not watch, whose cases all
expect "no change", or whose cases never vary carry and the registers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from afs.benchmark.generation import Draft, GenerationError

#: P on entry, one per case in turn: 8-bit A/X/Y and decimal clear (the stated entry state)
#: with carry, zero, overflow and negative varied, so that a missing CLC/SEC or a branch on a
#: stale flag fails some case.
ENTRY_P = (0x31, 0x30, 0xF3, 0x70, 0xB1, 0x32)
IO_DBR = 0x00
MAX_INSTRUCTIONS = 20_000   # for the generator's own runs of a reference
BUDGET_FLOOR = 1_000        # the least instruction budget a spec allows


def h(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


def lng(address: int) -> str:
    """A long operand (`$7EF36D`)."""
    return h(address, 6)


def ab(address: int) -> str:
    """An absolute operand for low WRAM or an I/O register (`$0DD0`)."""
    return h(address & 0xFFFF, 4)


def lines(*items: str | Iterable[str]) -> str:
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        else:
            out.extend(item)
    return "\n".join(out)


class Memory(dict[int, int]):
    """The model's view of memory: reading a byte no case initialised is a template bug."""

    def __missing__(self, address: int) -> int:
        raise GenerationError(f"the model read ${address:06X}, which the case does not set")

    def word(self, address: int) -> int:
        return self[address] | self[address + 1] << 8

    def set_word(self, address: int, value: int) -> None:
        self[address] = value & 0xFF
        self[address + 1] = (value >> 8) & 0xFF


@dataclass
class State:
    """One test's starting point: memory bytes and registers the request gives."""

    memory: dict[int, int]
    registers: dict[str, int] | None = None


@dataclass
class Outcome:
    """What the model says a correct routine leaves: registers, flags, I/O writes."""

    registers: dict[str, int] | None = None
    flags: dict[str, int] | None = None
    io: dict[int, list[int]] | None = None


Model = Callable[[Memory, dict[str, int]], Outcome | None]


def _addr(value: int) -> str:
    return f"0x{value:06X}"


def build_cases(rng: random.Random, states: list[State], model: Model, *, watch: Iterable[int],
                dbr: int) -> list[dict[str, Any]]:
    """Spec cases: each state plus poisoned watched bytes and junk registers, expectations
    from `model` (which edits its `Memory` and returns the registers/flags/I/O it expects)."""
    watched = set(watch)
    cases = []
    for index, state in enumerate(states):
        # Junk registers are never $00 or $FF in their low byte: those are the edge values
        # the states use, so a routine that skips loading a register cannot pass by luck.
        init = {"a": rng.randrange(0x100) << 8 | rng.randrange(0x10, 0xF0),
                "x": rng.randrange(0x10, 0xF0), "y": rng.randrange(0x10, 0xF0),
                "p": ENTRY_P[index % len(ENTRY_P)], "dbr": dbr, **(state.registers or {})}
        memory = dict(state.memory)
        # Outputs the model writes start poisoned too (a first run finds them), and every
        # byte next to a watched one is a guard: an off-by-one or a stray 16-bit store shows.
        probe = Memory({**memory, **{a: 0 for a in watched if a not in memory}})
        model(probe, dict(init))
        touched = watched | set(probe) | set(memory)
        guards = {a + d for a in touched for d in (-1, 1)} - touched
        # poison is never $00 or $FF, the values a store of zero or a fill most often writes
        for address in sorted(touched - set(memory)):
            memory[address] = rng.randrange(1, 0xFF)
        for address in sorted(guards):
            memory[address] = rng.randrange(1, 0xFF)
        after = Memory(memory)
        outcome = model(after, dict(init)) or Outcome()
        io = dict(outcome.io or {})
        for address in list(io):     # a neighbouring register written by mistake shows
            for near in (address - 1, address + 1):
                io.setdefault(near, [])
        expect: dict[str, Any] = {
            "memory": {_addr(a): after[a] for a in sorted(after)},
            # the stack comes back balanced: a routine that leaks a byte would crash its caller
            "registers": {"s": 0x01FF, **(outcome.registers or {})},
            "flags": dict(outcome.flags or {}),
            "io": {_addr(a): v for a, v in sorted(io.items())},
        }
        cases.append({"init": init, "memory": {_addr(a): v for a, v in sorted(memory.items())},
                      "expect": expect})
    return cases


def _changes(case: dict[str, Any]) -> bool:
    expect = case["expect"]
    if any(expect["io"].values()):
        return True
    if any(case["memory"].get(a) != v for a, v in expect["memory"].items()):
        return True
    if any(case["init"].get(r) != v for r, v in expect["registers"].items()):
        return True
    bits = {"n": 0x80, "v": 0x40, "z": 0x02, "c": 0x01}
    return any(bool(case["init"]["p"] & bits[f]) != bool(v) for f, v in expect["flags"].items())


def self_check(reference: str, cases: list[dict[str, Any]], name: str) -> int:
    """The reference writes only watched bytes and I/O registers the spec lists; some case
    expects a change (so doing nothing fails); carry varies across cases. Returns the most
    instructions the reference runs in one case."""
    from afs.asm.cpu import CpuState
    from afs.asm.machine import run_snippet

    if not any(_changes(c) for c in cases):
        raise GenerationError(f"{name}: every case expects no change")
    if len({c["init"]["p"] & 1 for c in cases}) < 2 and len(cases) > 1:
        raise GenerationError(f"{name}: carry never varies")
    longest = 0
    for index, case in enumerate(cases):
        init = CpuState(s=0x01FF, **case["init"])
        memory = {int(a, 16): v for a, v in case["memory"].items()}
        result = run_snippet(reference, init=init, memory=memory,
                             max_instructions=MAX_INSTRUCTIONS)
        longest = max(longest, result.instructions)
        top = result.state.s & 0xFFFF
        for address in result.written():
            stack = address >> 16 == 0x7E and top - 0x100 < (address & 0xFFFF) <= 0x01FF
            if not stack and _addr(address) not in case["expect"]["memory"]:
                raise GenerationError(f"{name}: case {index}: the reference writes "
                                      f"${address:06X}, which the spec does not watch")
        listed = {int(a, 16) & 0xFFFF for a in case["expect"]["io"]}
        for address, _, _ in result.io_writes:
            if address & 0xFFFF not in listed:
                raise GenerationError(f"{name}: case {index}: the reference writes I/O "
                                      f"${address & 0xFFFF:04X}, which the spec does not list")
    return longest


def draft(rng: random.Random, *, category: str, family: str, difficulty: int,
          requests: list[str], reference: str, states: list[State], model: Model,
          watch: Iterable[int] = (), dbr: int = 0x7E, registers: Iterable[str] = (),
          flags: Iterable[str] = (), description: str) -> Draft:
    """One proven-shape item: a paraphrase drawn by `rng`, the spec built and self-checked.

    `registers` and `flags` name what the model's outcome sets (the spec checks them, and
    they join `live_out`). Entry state: native mode, 8-bit A/X/Y, decimal clear, D = $0000,
    DBR as given."""
    request = rng.choice(requests)
    cases = build_cases(rng, states, model, watch=watch, dbr=dbr)
    longest = self_check(reference, cases, f"{category}/{family}")
    # Ten times what the reference needs: room for a slower correct answer, while a wrong
    # answer stuck in a loop fails fast.
    budget = max(BUDGET_FLOOR, 10 * longest)
    live = ["mem", "s", *registers, *flags]
    return Draft(category=category, difficulty=difficulty, code="", expected_output=reference,
                 description=description, task="generate",
                 extra={"spec": {"cases": cases, "max_instructions": budget},
                        "live_out": ",".join(live),
                        "preconditions": {"e": 0, "m": 1, "x": 1, "d": 0, "dp": 0,
                                          "dbr": dbr}},
                 metadata={"request": request, "family": family})


def pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def free_block(rng: random.Random, size: int, *, align: int = 1) -> int:
    """A block of WRAM the ALTTP map leaves free ($7F5000-$7F7FFF), for a hack's own data."""
    start = rng.randrange(0x5000, 0x8000 - size - 2)
    return 0x7F0000 | (start - start % align)


def free_low(rng: random.Random, size: int = 1) -> int:
    """Free low WRAM ($7E1E00-$7E1EFF is unused by the map): reachable with absolute
    addressing from banks $00-$3F as well."""
    return 0x7E0000 | rng.randrange(0x1E00, 0x1F00 - size - 1)
