"""The machinery of the Farore item families: a fixed routine, one injected bug, and a
behaviour test recorded by running the fix on the emulator.

A family writes the *fixed* routine as asar lines, the inputs of its test cases (every byte
the routine reads, the entry registers) and one `Inject`: the realistic mistake that turns
the fix into the buggy code. `make_draft` then records what the fix does on each case —
every byte it writes outside the stack page, the bytes on either side of everything it reads
or writes (which must stay as they were), the value sequence of every hardware register it
writes (and the registers next to those, which must stay unwritten), S (the stack must
balance), the register widths on return and the registers and flags the family names as
outputs — and proves that the buggy code fails that test. The item's `live_out` names the
same registers and flags, and `mem` (the bytes and hardware writes), so the audit's
equivalence check judges a mutant of the fix by what the test looks at.

Entry state of every case: native mode, 8-bit A/X/Y, decimal flag clear, D = $0000, the
family's DBR ($7E by default, $00 for routines that write hardware registers) — the item's
`preconditions`, which the prompt states (`afs.benchmark.prompts`) — and S = $1FFF (ALTTP
keeps variables in page 1, such as the sound queues $012E/$012F, so the tests keep the
stack clear of them). A, X, Y and the flags N V Z I are random, the carry alternates, unless
the family sets them. Tables go to their own segment, and a final RTS is dropped when no
helper is called: the snippet falls through its last line.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from afs.benchmark.generation import Draft, GenerationError

HEALTH_MAX, HEALTH, MAGIC, RUPEES = 0x7EF36C, 0x7EF36D, 0x7EF36E, 0x7EF360
LINK_Y, LINK_X, FACING, FRAME = 0x7E0020, 0x7E0022, 0x7E002F, 0x7E001A
PAD_HELD = 0x7E00F0
SFX1, SFX2 = 0x7E012E, 0x7E012F
SPR_Y, SPR_X, SPR_YH, SPR_XH = 0x0D00, 0x0D10, 0x0D20, 0x0D30
SPR_YV, SPR_XV, SPR_STATE, SPR_TIMER = 0x0D40, 0x0D50, 0x0DD0, 0x0DF0
SPR_TYPE, SPR_HP = 0x0E20, 0x0E50
SPRITE_TABLES = (0x0D90, 0x0DA0, 0x0DB0, 0x0DC0, 0x0DE0, 0x0E30, 0x0E60, 0x0F50)
STACK_TOP = 0x1FFF
STACK_PAGE = range(0x7E1F00, 0x7E2000)   # the tests' stack: S = $1FFF on entry
DEFAULT_BUDGET = 20_000     # for recording; a test allows BUDGET_MARGIN x what the fix ran
BUDGET_MARGIN = 8
MINIMUM_BUDGET = 2_000
# Tables live in their own segment in bank $00 (ROM), so the routine ends where its code
# ends: it falls through its last line, and a dropped RTS is a change a test can see.
DATA_ORG = 0x00C000
_DATA = re.compile(r"^\w+:\s*d[bwl]\s", re.I)


def h(value: int, digits: int = 2) -> str:
    """`$xx` (or more digits)."""
    return f"${value:0{digits}X}"


def ab(address: int) -> str:
    """The bank-less absolute operand of a WRAM address: `$1234`."""
    return h(address & 0xFFFF, 4)


def lng(address: int) -> str:
    return h(address, 6)


def scratch(rng: random.Random, count: int, size: int = 0x40) -> list[int]:
    """`count` non-overlapping blocks of `size` bytes in $7E1000-$7E19FF, which the ALTTP
    RAM map leaves unnamed (a hack's free RAM)."""
    blocks = rng.sample(range(0xA00 // size), count)
    return [0x7E1000 + b * size for b in blocks]


def pick(rng: random.Random, options: Sequence[Any]) -> Any:
    return options[rng.randrange(len(options))]


def say(rng: random.Random, *phrasings: str) -> str:
    """One of several phrasings of the same request sentence."""
    return pick(rng, phrasings)


class NotExposed(GenerationError):
    """The recorded cases of one variant happen not to tell the buggy code from the fix."""


@dataclass
class Case:
    """One test input: entry registers (besides the defaults) and initial memory."""

    memory: dict[int, int] = field(default_factory=dict)
    init: dict[str, int] = field(default_factory=dict)


@dataclass
class Inject:
    """One bug: `lines[at]` replaced by `new` (deleted when `new` is empty), or `new`
    inserted before `lines[at]` when `insert`. `line` overrides the reported line."""

    at: int | str
    new: list[str] | str
    category: str
    description: str
    insert: bool = False
    line: int | None = None
    span: int = 1           # how many lines `new` replaces


@dataclass
class Routine:
    family: str
    lines: list[str]
    cases: list[Case]
    request: str
    outputs: tuple[str, ...] = ()          # registers the request makes outputs
    flags: tuple[str, ...] = ()            # flags the request makes outputs (besides m, x)
    dbr: int = 0x7E
    budget: int = DEFAULT_BUDGET
    data: list[str] = field(default_factory=list)   # tables, assembled at DATA_ORG
    watch: tuple[int, ...] = ()            # bytes to watch besides those the fix touches


def _index(lines: list[str], at: int | str) -> int:
    if isinstance(at, int):
        return at
    hits = [i for i, text in enumerate(lines) if text == at]
    if len(hits) != 1:
        raise GenerationError(f"inject target {at!r} matches {len(hits)} lines")
    return hits[0]


def inject(lines: list[str], bug: Inject) -> tuple[list[str], int]:
    """The buggy lines and the 1-based line the bug is reported at."""
    i = _index(lines, bug.at)
    new = [bug.new] if isinstance(bug.new, str) else list(bug.new)
    if bug.insert:
        out = [*lines[:i], *new, *lines[i:]]
    else:
        out = [*lines[:i], *new, *lines[i + bug.span:]]
    return out, min(bug.line or i + 1, len(out))


def entry_state(rng: random.Random, dbr: int, init: dict[str, int], carry: int
                ) -> dict[str, int]:
    """Random A/X/Y and N V Z I flags, the given carry; native mode, 8-bit widths, D=0,
    decimal clear."""
    p = 0x30 | (rng.randrange(0x100) & 0xC6) | carry
    return {"a": rng.randrange(0x10000), "x": rng.randrange(0x100), "y": rng.randrange(0x100),
            "p": p, "s": STACK_TOP, "d": 0, "dbr": dbr, **init}


def _run(code: str, case_init: dict[str, int], memory: dict[int, int], budget: int) -> Any:
    from afs.asm.cpu import CpuState
    from afs.asm.machine import run_snippet

    state = CpuState()
    for name, value in case_init.items():
        setattr(state, name, value)
    return run_snippet(code, init=state, memory=memory, max_instructions=budget)


def _neighbours(addresses: set[int]) -> set[int]:
    out = set()
    for a in addresses:
        for b in (a - 1, a + 1):
            if b not in addresses and b >> 16 == 0x7E and b not in STACK_PAGE:
                out.add(b)
    return out


def _touched(routine: Routine, init: dict[str, int], memory: dict[int, int], code: str
             ) -> set[int]:
    first = _run(code, init, memory, routine.budget)
    if first.stop_reason not in ("end", "rts", "rtl"):
        raise GenerationError(f"{routine.family}: the fix stops by {first.stop_reason}")
    unread = {a for a in first.uninitialized_reads if a not in STACK_PAGE and a >> 16 == 0x7E}
    if unread:
        raise GenerationError(f"{routine.family}: the fix reads bytes the case does not set: "
                              f"{sorted(hex(a) for a in unread)}")
    return {a for a in first.reads | {w for w, _, _ in first.writes}
            if a >> 16 == 0x7E and a not in STACK_PAGE}


def record_cases(routine: Routine, rng: random.Random, code: str
                 ) -> tuple[list[dict[str, Any]], int]:
    """The test cases the fix defines (see the module docstring) and the most instructions
    it ran in one. Every byte any case reads or writes, and its neighbours, is watched in
    every case: a byte one case writes is one another case must leave alone."""
    inits = [entry_state(rng, routine.dbr, case.init, i % 2)
             for i, case in enumerate(routine.cases)]
    touched: set[int] = set(routine.watch)
    for init, case in zip(inits, routine.cases, strict=True):
        touched |= _touched(routine, init, dict(case.memory), code)
    watched = touched | _neighbours(touched)
    out = []
    most = 0
    for init, case in zip(inits, routine.cases, strict=True):
        memory = dict(case.memory)
        for a in sorted(watched):
            memory.setdefault(a, rng.randrange(0x100))
        result = _run(code, init, memory, routine.budget)
        most = max(most, result.instructions)
        expect_mem = {a: result.final_memory(a) for a in watched}
        expect_mem.update({a: result.final_memory(a) for a, _, _ in result.writes
                           if a not in STACK_PAGE})
        io: dict[int, list[int]] = {}
        for address, value, _ in result.io_writes:
            io.setdefault(address, []).append(value)
        for address in list(io):
            for other in (address - 1, address + 1):
                io.setdefault(other, [])
        registers = {"s": result.state.s}
        for name in routine.outputs:
            registers[name] = getattr(result.state, name)
        flags = {f: int(bool(result.state.p & bit)) for f, bit in
                 (("m", 0x20), ("x", 0x10), ("d", 0x08), ("c", 0x01), ("z", 0x02),
                  ("n", 0x80), ("v", 0x40), ("i", 0x04))
                 if f in ("m", "x", "d", *routine.flags)}
        out.append({"init": init,
                    "memory": {f"0x{a:06X}": v for a, v in sorted(memory.items())},
                    "expect": {"registers": registers, "flags": flags,
                               "memory": {f"0x{a:06X}": v for a, v in sorted(expect_mem.items())},
                               "io": {f"0x{a:06X}": v for a, v in sorted(io.items())}}})
    return out, most


# A test names registers as `CpuState` does; a live-out calls the direct page register `dp`
# (its `d` is the decimal flag).
LIVE_OUT_NAMES = {"d": "dp"}


def live_out(routine: Routine) -> str:
    """What the recorded test observes, in `afs.asm.equivalence.parse_live_out` names."""
    registers = [LIVE_OUT_NAMES.get(name, name) for name in routine.outputs]
    return ",".join(["mem", "s", *registers, "mflag", "xflag", "d", *routine.flags])


def preconditions(routine: Routine) -> dict[str, int]:
    return {"e": 0, "m": 1, "x": 1, "d": 0, "dp": 0, "dbr": routine.dbr}


def make_draft(routine: Routine, bug: Inject, rng: random.Random) -> Draft:
    """The item: buggy code, the fix, the recorded test; the buggy code must fail it."""
    from afs.benchmark.checks import run_behaviour_test
    from afs.benchmark.items import BehaviourTest

    lines, tables = list(routine.lines), list(routine.data)
    while lines and _DATA.match(lines[-1]):
        tables.insert(0, lines.pop())
    if lines[-1] == "RTS" and not any(t.startswith(("JSR", "JSL")) for t in lines):
        lines.pop()     # (the last RTS of a called helper must stay)
    routine.lines, routine.data = lines, tables
    data = [f"org ${DATA_ORG:06X}", *tables] if tables else []
    fix = "\n".join([*lines, *data])
    buggy_lines, line = inject(lines, bug)
    code = "\n".join([*buggy_lines, *data])
    cases, most = record_cases(routine, rng, fix)
    # a generous multiple of what the fix ran: a slower correct answer passes, a runaway
    # one fails fast
    test = {"cases": cases, "max_instructions": max(MINIMUM_BUDGET, BUDGET_MARGIN * most)}
    if run_behaviour_test(code, BehaviourTest.model_validate(test)).passed:
        raise NotExposed(f"{routine.family}/{bug.category}: the buggy code passes the "
                         f"recorded test")
    size = sum(1 for t in lines if t and not t.endswith(":") and t not in ("+", "-"))
    difficulty = 1 if size < 10 else 2 if size < 20 else 3
    return Draft(category=bug.category, difficulty=difficulty, code=code,
                 expected_output=fix, description=bug.description, task="debug",
                 extra={"bug": {"category": bug.category, "line": line,
                                "description": bug.description},
                        "test": test, "live_out": live_out(routine),
                        "preconditions": preconditions(routine)},
                 metadata={"request": routine.request, "family": routine.family})


REQUEST_TAILS = (
    "It does not behave as described: find the bug and fix it.",
    "Something in it is wrong. Find the bug and give the corrected routine.",
    "It misbehaves in testing. Locate the bug and fix it.",
    "There is a bug in it; track it down and fix it.",
    "It has a bug: find it and fix it.",
)


def request(rng: random.Random, intro: str, spec: str) -> str:
    """`intro` names the routine, `spec` says what it must do; a paraphrased tail asks for
    the fix without hinting at the bug."""
    return f"{intro} {spec} {pick(rng, REQUEST_TAILS)}"


#: What a family returns: a clean routine and the bugs it can be given.
Built = tuple[Routine, list[Inject]]
#: A family of routines: draws one, with its injectable bugs, from a seeded generator.
Family = Callable[[random.Random], Built]
