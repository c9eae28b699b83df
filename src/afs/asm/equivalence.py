"""Are two 65816 snippets equivalent? Differential execution from shared random states.

`check_equivalent(original, candidate, live_out=..., preconditions=..., trials=64, seed=...)`
runs both snippets on the emulator (`afs.asm.machine`) from the same initial states: random
registers and flags (M/X too, unless fixed by preconditions or implied by both snippets'
immediate sizes), random D/DBR/S, and every memory byte either snippet reads, drawn lazily and
deterministically from (seed, trial, address). The first trials are edge states (all 0, $FF,
$80, $7F, $01 with carry set/clear and decimal mode). It compares the live-out registers and
flags, the final value of every byte either snippet writes (the free stack below the final S
and declared scratch excluded) and the sequence of I/O register writes. A failure comes with
a shrunk counterexample: initial state, both final states, and the first difference.

This is testing, not proof: "equivalent" means no trial told them apart.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from afs.asm.cpu import CpuState, ExecutionBudgetExceeded
from afs.asm.isa import Mode
from afs.errors import InputError

_FLAG_BITS = {"n": 0x80, "v": 0x40, "m": 0x20, "x": 0x10, "d": 0x08, "i": 0x04, "z": 0x02,
              "c": 0x01}
_REGS = ("a", "x", "y", "s", "dp", "dbr", "e")
STACK_WINDOW = 0x100      # bytes below the final S treated as free scratch
STUB_ORG = 0x00E000       # where stubs for external labels are placed


@dataclass(frozen=True)
class LiveOut:
    """What must agree after both snippets: registers, a mask of P bits, and memory."""

    regs: frozenset[str]
    flags: int
    memory: bool

    @property
    def names(self) -> list[str]:
        flags = [f for f, bit in _FLAG_BITS.items() if self.flags & bit]
        return [*sorted(self.regs), *flags, *(["mem"] if self.memory else [])]


def parse_live_out(spec: str | Iterable[str] | None) -> LiveOut:
    """`"a,x,y,p,mem"`-style names: registers a x y s dp dbr e, `p` (all flags) or single
    flags n v m x d i z c written as `c` (x as a flag: `xflag`), and `mem`. None = everything."""
    if spec is None:
        return LiveOut(frozenset(_REGS), 0xFF, True)
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    regs: set[str] = set()
    flags = 0
    memory = False
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name in _REGS:
            regs.add(name)
        elif name in ("d", "flagd", "decimal"):
            flags |= _FLAG_BITS["d"]
        elif name == "p":
            flags |= 0xFF
        elif name in ("xflag", "mflag"):
            flags |= _FLAG_BITS[name[0]]
        elif name in _FLAG_BITS:
            flags |= _FLAG_BITS[name]
        elif name in ("mem", "memory"):
            memory = True
        else:
            raise InputError(f"unknown live-out name '{name}' (expected a, x, y, s, dp, dbr, e, "
                             f"p, one of the flags n v d i z c, xflag, mflag, or mem)")
    return LiveOut(frozenset(regs), flags, memory)


def parse_preconditions(spec: str | Mapping[str, int] | None) -> dict[str, int]:
    """`"m=1,x=1,d=0"`: flags (n v m x d i z c), `e`, and registers `dp`, `dbr`, `s`."""
    if spec is None:
        return {}
    items = spec.items() if isinstance(spec, Mapping) else (
        part.split("=", 1) for part in spec.split(",") if part.strip())
    out: dict[str, int] = {}
    for item in items:
        try:
            key, value = item
        except ValueError:
            raise InputError(f"precondition {item!r}: expected name=value") from None
        key = str(key).strip().lower()
        try:
            number = value if isinstance(value, int) else int(str(value).strip().replace(
                "$", "0x"), 0)
        except ValueError:
            raise InputError(f"precondition {key}: '{value}' is not a number") from None
        if key in _FLAG_BITS or key == "e":
            if number not in (0, 1):
                raise InputError(f"precondition {key}={number}: a flag is 0 or 1")
        elif key not in ("dp", "dbr", "s"):
            raise InputError(f"unknown precondition '{key}' (flags n v m x d i z c, e, dp, "
                             f"dbr, s)")
        out[key] = number
    return out


@dataclass
class SnippetMetrics:
    bytes: int
    cycles_min: int
    cycles_mean: float
    cycles_max: int

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "cycles_min": self.cycles_min,
                "cycles_mean": round(self.cycles_mean, 2), "cycles_max": self.cycles_max}


@dataclass
class Counterexample:
    initial: dict[str, Any]
    original: dict[str, Any]
    candidate: dict[str, Any]
    difference: str

    def to_dict(self) -> dict[str, Any]:
        return {"initial": self.initial, "original": self.original,
                "candidate": self.candidate, "first_difference": self.difference}


@dataclass
class EquivalenceResult:
    equivalent: bool
    trials: int
    live_out: list[str]
    preconditions: dict[str, int]
    counterexample: Counterexample | None
    metrics: dict[str, SnippetMetrics]
    timeouts: int = 0
    trial_cycles: list[tuple[int, int]] = field(default_factory=list)

    def never_slower(self) -> bool:
        """True when the candidate took no more cycles than the original on every trial."""
        return all(c <= o for o, c in self.trial_cycles)

    def to_dict(self) -> dict[str, Any]:
        return {"equivalent": self.equivalent, "trials": self.trials,
                "live_out": self.live_out, "preconditions": self.preconditions,
                "counterexample": self.counterexample.to_dict() if self.counterexample else None,
                "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
                "timeouts": self.timeouts}


# --- running one snippet -------------------------------------------------------------------

@dataclass
class _Outcome:
    regs: dict[str, int]
    writes: dict[int, int]
    io: list[tuple[int, int]]
    stop: str
    cycles: int


class _Runner:
    """One snippet loaded once into a machine; runs it from given states."""

    def __init__(self, source: Any, stubs: Mapping[str, str], filename: str) -> None:
        from afs.asm.machine import Machine

        self.assembly = _assemble_with_stubs(source, stubs, filename)
        self.machine = Machine(mapper=self.assembly.mapper)
        segments = [(s.address, bytes(s.data)) for s in self.assembly.segments if s.data]
        self.machine.load_program(segments)
        self.size = len(segments[0][1]) if segments else 0
        self.known: set[int] = set()    # every address some run read before writing
        self.slow: set[int] = set()     # such addresses the read hook does not see

    def run(self, init: CpuState, memory: _Memory, budget: int) -> _Outcome | None:
        mem = self.machine.memory
        hooked: set[int] = set()

        def first_read(address: int) -> None:
            # The machine answers a never-written byte with `fill`, right after this hook:
            # set it to this trial's value and keep the byte so later reads agree.
            value = memory.value(address)
            mem.fill = value
            mem.ram[address] = value
            hooked.add(address)

        mem.on_uninitialized_read = first_read
        for _ in range(64):     # a retry is needed only for reads outside WRAM/ROM
            mem.ram.clear()
            hooked.clear()
            for address in self.slow:
                mem.poke(address, memory.value(address))
            self.machine.cpu.load_state(init)
            try:
                r = self.machine.run(max_instructions=budget)
            except ExecutionBudgetExceeded:
                return None
            finally:
                self.known |= hooked
            fresh = r.uninitialized_reads - hooked - self.slow
            if not fresh:
                break
            self.slow |= fresh
            self.known |= fresh
        st = r.state
        regs = {"a": st.a, "x": st.x, "y": st.y, "s": st.s, "dp": st.d, "dbr": st.dbr,
                "e": st.e, "p": st.p}
        writes = {a: r.final_memory(a) for a, _, _ in r.writes}
        return _Outcome(regs, writes, [(a, v) for a, v, _ in r.io_writes], r.stop_reason,
                        r.cycles)


def _assemble_with_stubs(source: Any, stubs: Mapping[str, str], filename: str) -> Any:
    from afs.asm.assembler import assemble

    if not isinstance(source, str):
        return source
    text = source
    if stubs:
        parts = [source.rstrip("\n"), f"org ${STUB_ORG:06X}"]
        for name, body in stubs.items():
            parts += [f"{name}:", body]
        text = "\n".join(parts) + "\n"
    return assemble(text, filename=filename, base=0x008000)


class _Memory:
    """The initial memory of one trial: explicit bytes, else a deterministic draw."""

    def __init__(self, seed: int, trial: int, fixed: int | None = None) -> None:
        self.salt = (seed * 0x9E3779B1 + trial * 0x85EBCA77) & 0xFFFFFFFF
        self.fixed = fixed
        self.explicit: dict[int, int] = {}

    def value(self, address: int) -> int:
        if address in self.explicit:
            return self.explicit[address]
        if self.fixed is not None:
            return self.fixed
        h = (address * 0x2545F491 ^ self.salt) & 0xFFFFFFFF
        h ^= h >> 15
        h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
        if h & 0x3 == 0:    # one byte in four is an edge value, so equality paths get taken
            return _EDGE_BYTES[(h >> 2) % len(_EDGE_BYTES)]
        return (h >> 11) & 0xFF


_EDGE_BYTES = (0x00, 0xFF, 0x80, 0x7F, 0x01)
_EDGE_WORDS = (0x0000, 0xFFFF, 0x8000, 0x7FFF, 0x0001, 0x00FF, 0x0080)


def _word(rng: random.Random) -> int:
    return rng.choice(_EDGE_WORDS) if rng.random() < 0.25 else rng.randrange(0x10000)


# --- states --------------------------------------------------------------------------------

_EDGES = ((0x0000, 0x00, 0), (0xFFFF, 0xFF, 1), (0x8000, 0x80, 0), (0x7FFF, 0x7F, 1),
          (0x0001, 0x01, 0), (0x0080, 0xFF, 0))


def _initial(rng: random.Random, trial: int, pre: Mapping[str, int], seed: int,
             ) -> tuple[CpuState, _Memory]:
    e = pre.get("e", 0)
    edge = _EDGES[trial] if trial < len(_EDGES) else None
    if edge is not None:
        word, byte, carry = edge
        a = x = y = word
        p = (rng.randrange(256) & ~0x09) | carry | (0x08 if trial >= 4 else 0)
        memory = _Memory(seed, trial, byte)
    else:
        a, x, y = _word(rng), _word(rng), _word(rng)
        p = rng.randrange(256)
        memory = _Memory(seed, trial)
    for flag, bit in _FLAG_BITS.items():
        if flag in pre:
            p = (p | bit) if pre[flag] else (p & ~bit)
    if e:
        p |= 0x30
    if p & 0x10:
        x &= 0xFF
        y &= 0xFF
    dp = pre.get("dp", 0 if trial % 2 == 0 else rng.randrange(0x1E00))
    dbr = pre.get("dbr", rng.choice((0x00, 0x7E, 0x7F, rng.randrange(0x40))))
    if "s" in pre:
        s = pre["s"]
    elif e:
        s = 0x0100 | rng.randrange(0xC0, 0x100)
    else:
        s = rng.randrange(0x1F00, 0x1FF0)
    return CpuState(a=a, x=x, y=y, s=s, d=dp, dbr=dbr, pbr=0, pc=0x8000, p=p, e=e), memory


def implied_widths(assembly: Any) -> dict[str, int]:
    """Entry M/X the code assumes: from immediates sized before any REP/SEP/PLP/XCE."""
    from afs.asm.analysis import ENTRY, analyze, instructions_from_listing

    instrs = instructions_from_listing(assembly.listing, assembly.symbols)
    if not instrs:
        return {}
    an = analyze(instrs)
    out: dict[str, int] = {}
    for ins in instrs:
        st = an.before[ins.index]
        if st is None:
            continue
        if ins.mode is Mode.IMMEDIATE_M and st.m == ENTRY and "m" not in out:
            out["m"] = 1 if ins.imm_bytes == 1 else 0
        if ins.mode is Mode.IMMEDIATE_X and st.x == ENTRY and "x" not in out:
            out["x"] = 1 if ins.imm_bytes == 1 else 0
    return out


# --- comparison ----------------------------------------------------------------------------

def _final(out: _Outcome | None, memory: _Memory) -> dict[str, Any]:
    if out is None:
        return {"stop": "budget exceeded"}
    regs = {k: f"${v:04X}" if k in ("a", "x", "y", "s", "dp") else f"${v:02X}"
            for k, v in out.regs.items()}
    return {**regs, "stop": out.stop, "cycles": out.cycles,
            "writes": {f"${a:06X}": f"${v:02X}" for a, v in sorted(out.writes.items())}}


def _difference(o: _Outcome | None, c: _Outcome | None, live: LiveOut, memory: _Memory,
                scratch: set[int]) -> str | None:
    if o is None or c is None:
        if o is None and c is None:
            return None
        which = "original" if o is None else "candidate"
        return f"the {which} did not finish within the instruction budget"
    if o.stop != c.stop:
        return f"stop: {o.stop} vs {c.stop}"
    for reg in ("a", "x", "y", "s", "dp", "dbr", "e"):
        if reg in live.regs and o.regs[reg] != c.regs[reg]:
            width = 2 if reg in ("e", "dbr") else 4
            return f"{reg.upper()}: ${o.regs[reg]:0{width}X} vs ${c.regs[reg]:0{width}X}"
    diff = (o.regs["p"] ^ c.regs["p"]) & live.flags
    if diff:
        names = "".join(f.upper() for f, bit in _FLAG_BITS.items() if diff & bit)
        return f"P: ${o.regs['p']:02X} vs ${c.regs['p']:02X} (flags {names} differ)"
    if live.memory:
        top = max(o.regs["s"], c.regs["s"]) & 0xFFFF
        for address in sorted(set(o.writes) | set(c.writes)):
            if address in scratch or _in_stack_window(address, top):
                continue
            ov = o.writes.get(address, memory.value(address))
            cv = c.writes.get(address, memory.value(address))
            if ov != cv:
                return f"memory ${address:06X}: ${ov:02X} vs ${cv:02X}"
        if o.io != c.io:
            k = next((i for i, (p, q) in enumerate(zip(o.io, c.io, strict=False)) if p != q),
                     min(len(o.io), len(c.io)))
            show = [f"${a:04X}=${v:02X}" if (a, v) else "" for a, v in (
                o.io[k] if k < len(o.io) else (0, 0), c.io[k] if k < len(c.io) else (0, 0))]
            return (f"I/O write #{k + 1}: {show[0] or 'none'} vs {show[1] or 'none'} "
                    f"({len(o.io)} vs {len(c.io)} I/O writes)")
    return None


def _in_stack_window(address: int, s: int) -> bool:
    if address >> 16 != 0x7E:
        return False
    low = address & 0xFFFF
    return s - STACK_WINDOW < low <= s


# --- the checker ---------------------------------------------------------------------------

def check_equivalent(original: Any, candidate: Any, live_out: str | Iterable[str] | None = None,
                     preconditions: str | Mapping[str, int] | None = None, trials: int = 64,
                     seed: int = 0, *, scratch: Iterable[int] = (),
                     stubs: Mapping[str, str] | None = None, max_instructions: int = 20_000,
                     infer_widths: bool = True) -> EquivalenceResult:
    """Differential check of two snippets (asar source or `Assembly`); see the module doc.

    `stubs` maps external labels to the code that stands in for them (e.g. `{"Sub": "rts"}`);
    `scratch` lists addresses whose final values do not matter.
    """
    live = parse_live_out(live_out)
    pre = parse_preconditions(preconditions)
    stubs = dict(stubs or {})
    runners = (_Runner(original, stubs, "<original>"), _Runner(candidate, stubs, "<candidate>"))
    if infer_widths:
        pre = {**_agreed_widths(runners), **pre}
    scratch_set = set(scratch)
    rng = random.Random(seed)
    cycles: list[tuple[int, int]] = []
    timeouts = 0
    counter: Counterexample | None = None
    for trial in range(max(1, trials)):
        init, memory = _initial(rng, trial, pre, seed)
        o = runners[0].run(init, memory, max_instructions)
        c = runners[1].run(init, memory, max_instructions)
        if o is None or c is None:
            timeouts += 1
        diff = _difference(o, c, live, memory, scratch_set)
        if diff is not None:
            counter = _shrink(runners, init, memory, live, scratch_set, max_instructions, diff)
            break
        if o is not None and c is not None:
            cycles.append((o.cycles, c.cycles))
    metrics = {name: _metrics(r.size, [pair[k] for pair in cycles])
               for k, (name, r) in enumerate(zip(("original", "candidate"), runners,
                                                 strict=True))}
    return EquivalenceResult(counter is None, trial + 1, live.names, pre, counter, metrics,
                             timeouts, cycles)


def width_choices(preconditions: str | Mapping[str, int] | None) -> list[dict[str, int]]:
    """Every entry state the preconditions allow for M and X: a stated flag as given, a free
    one both ways (emulation mode runs with both 8-bit, so it has one choice)."""
    pre = parse_preconditions(preconditions)
    if pre.get("e"):
        return [pre]
    return [{**pre, "m": m, "x": x} for m in ((pre["m"],) if "m" in pre else (1, 0))
            for x in ((pre["x"],) if "x" in pre else (1, 0))]


def check_every_width(original: Any, candidate: Any, live_out: str | Iterable[str] | None = None,
                      preconditions: str | Mapping[str, int] | None = None, trials: int = 64,
                      seed: int = 0, **options: Any) -> list[EquivalenceResult]:
    """`check_equivalent` under each of `width_choices(preconditions)`, widths never inferred
    from either snippet; stops after the first combination that is not equivalent."""
    results = []
    for pre in width_choices(preconditions):
        results.append(check_equivalent(original, candidate, live_out, pre, trials, seed,
                                        infer_widths=False, **options))
        if not results[-1].equivalent:
            break
    return results


def _agreed_widths(runners: tuple[_Runner, _Runner]) -> dict[str, int]:
    implied = [implied_widths(r.assembly) for r in runners]
    out: dict[str, int] = {}
    for flag in ("m", "x"):
        values = {w[flag] for w in implied if flag in w}
        if len(values) == 1:
            out[flag] = values.pop()
    return out


def _metrics(size: int, cycles: list[int]) -> SnippetMetrics:
    if not cycles:
        return SnippetMetrics(size, 0, 0.0, 0)
    return SnippetMetrics(size, min(cycles), statistics.fmean(cycles), max(cycles))


def _shrink(runners: tuple[_Runner, _Runner], init: CpuState, memory: _Memory, live: LiveOut,
            scratch: set[int], budget: int, diff: str) -> Counterexample:
    """Greedily zero registers and memory bytes while the snippets still disagree (not for
    a run past the instruction budget: every re-run would cost the whole budget again)."""
    def outcome(state: CpuState, mem: _Memory) -> tuple[Any, Any, str | None]:
        o = runners[0].run(state, mem, budget)
        c = runners[1].run(state, mem, budget)
        return o, c, _difference(o, c, live, mem, scratch)

    state = init.copy()
    mem = _Memory(0, 0)
    mem.salt, mem.fixed = memory.salt, memory.fixed
    for address in sorted(runners[0].known | runners[1].known):
        mem.explicit[address] = memory.value(address)
    if "instruction budget" in diff:
        o, c, _ = outcome(state, mem)
        return Counterexample(_state_dict(state, mem), _final(o, mem), _final(c, mem), diff)
    for reg in ("a", "x", "y"):
        if getattr(state, reg):
            trial = state.copy()
            setattr(trial, reg, 0)
            if outcome(trial, mem)[2] is not None:
                state = trial
    for address in sorted(mem.explicit):
        old = mem.explicit[address]
        if old:
            mem.explicit[address] = 0
            if outcome(state, mem)[2] is None:
                mem.explicit[address] = old
    o, c, final_diff = outcome(state, mem)
    return Counterexample(_state_dict(state, mem), _final(o, mem), _final(c, mem),
                          final_diff or diff)


def _state_dict(state: CpuState, mem: _Memory) -> dict[str, Any]:
    return {"a": f"${state.a:04X}", "x": f"${state.x:04X}", "y": f"${state.y:04X}",
            "s": f"${state.s:04X}", "dp": f"${state.d:04X}", "dbr": f"${state.dbr:02X}",
            "p": f"${state.p:02X}", "e": state.e,
            "memory": {f"${a:06X}": f"${mem.value(a):02X}" for a in sorted(mem.explicit)}}


__all__ = ["Counterexample", "EquivalenceResult", "LiveOut", "SnippetMetrics",
           "check_equivalent", "check_every_width", "implied_widths", "parse_live_out",
           "parse_preconditions", "width_choices"]
