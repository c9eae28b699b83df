"""Enumerative superoptimisation of short straight-line windows, proven on the emulator.

In the manner of Massalin's superoptimizer: for a window of up to `MAX_WINDOW` instructions in
one basic block (no branches, calls, stack or width changes, no indexed or indirect operands,
no I/O registers), enumerate every sequence of up to `MAX_CANDIDATE` instructions over the real
instruction set, strictly cheaper on the objective, whose operands come from the window itself
(its addresses, in every addressing form that reaches the same byte under the known D and DBR;
its constants, plus 0, 1 and all-ones), and keep the first one that

1. computes the same result on a few edge and random states (fast rejection, on the emulator),
2. and then is *proven*: every live output register and flag and every byte either sequence
   writes agree on **all** input states when the window's inputs (the registers, flags and
   memory bytes it reads before writing them) total at most `EXHAUSTIVE_BITS` bits — an
   exhaustive proof — or else on `SAMPLED_TRIALS` seeded states plus the edge states, which
   is testing, not proof, and is reported as `sampled`.

A rewrite that relies on an entry assumption (decimal flag clear, a stated D or DBR) says so.
Nothing is made that the check did not confirm.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from afs.asm.cpu import CpuState
from afs.asm.isa import OPCODES, Mode, OpcodeInfo

MAX_WINDOW = 4
MAX_CANDIDATE = 3
EXHAUSTIVE_BITS = 16
SAMPLED_TRIALS = 512
FAST_STATES = 6
CODE_BASE = 0x008000


def clock() -> float:
    """The clock every deadline of the search is read on: CPU seconds of the calling thread,
    so a budget buys the same search on a loaded machine or beside concurrent requests (a
    thread waiting for the interpreter lock or a core does not spend it)."""
    return time.thread_time()

_INFO = {(info.mnemonic, info.mode): info for info in OPCODES}
_FLAG_BITS = {"N": 0x80, "V": 0x40, "Z": 0x02, "C": 0x01}
_IMPLIED = ("INC", "DEC", "ASL", "LSR", "ROL", "ROR", "INX", "INY", "DEX", "DEY", "TAX", "TAY",
            "TXA", "TYA", "TXY", "TYX", "CLC", "SEC")
_IMMEDIATE = ("LDA", "LDX", "LDY", "ADC", "SBC", "AND", "ORA", "EOR", "CMP", "CPX", "CPY")
_MEMORY = ("LDA", "LDX", "LDY", "STA", "STX", "STY", "STZ", "ADC", "SBC", "AND", "ORA", "EOR",
           "CMP", "CPX", "CPY", "BIT", "INC", "DEC", "ASL", "LSR", "ROL", "ROR", "TSB", "TRB")
#: What a window may hold: straight-line data operations on plain operands.
_WINDOW_MODES = frozenset({Mode.IMPLIED, Mode.ACCUMULATOR, Mode.IMMEDIATE_M, Mode.IMMEDIATE_X,
                           Mode.DIRECT, Mode.ABSOLUTE, Mode.ABSOLUTE_LONG})
_WINDOW_MNEMONICS = frozenset(_IMPLIED) | frozenset(_IMMEDIATE) | frozenset(_MEMORY) | {"NOP"}
_DECIMAL_SENSITIVE = frozenset({"ADC", "SBC"})


@dataclass(frozen=True)
class Op:
    """One instruction: an opcode and its operand value (None for implied)."""

    info: OpcodeInfo
    operand: int | None = None

    # The search hashes ops millions of times: the opcode and operand identify one.
    def __hash__(self) -> int:
        return hash((self.info.opcode, self.operand))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Op) and (self.info.opcode, self.operand) == (
            other.info.opcode, other.operand)

    @property
    def mnemonic(self) -> str:
        return self.info.mnemonic

    def size(self, m8: bool, x8: bool) -> int:
        from afs.asm.isa import operand_length

        return 1 + operand_length(self.info.mode, m8=m8, x8=x8)

    def cycles(self, m8: bool, x8: bool) -> int:
        return self.info.cycles(m8=m8, x8=x8, dl_zero=True, emulation=False)

    def encode(self, m8: bool, x8: bool) -> bytes:
        length = self.size(m8, x8) - 1
        value = 0 if self.operand is None else self.operand
        return bytes([self.info.opcode]) + value.to_bytes(length, "little") if length else \
            bytes([self.info.opcode])

    def text(self, m8: bool, x8: bool) -> str:
        """asar source; the width suffix pins the encoding asar would otherwise choose."""
        mode, name = self.info.mode, self.mnemonic
        if mode is Mode.IMPLIED:
            return name
        if mode is Mode.ACCUMULATOR:
            return f"{name} A"
        assert self.operand is not None
        if mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
            wide = not (m8 if mode is Mode.IMMEDIATE_M else x8)
            return f"{name} #${self.operand:04X}" if wide else f"{name} #${self.operand:02X}"
        if mode is Mode.DIRECT:
            return f"{name}.b ${self.operand:02X}"
        if mode is Mode.ABSOLUTE:
            return f"{name}.w ${self.operand:04X}"
        return f"{name}.l ${self.operand:06X}"


def _op(mnemonic: str, mode: Mode, operand: int | None = None) -> Op | None:
    info = _INFO.get((mnemonic, mode))
    return Op(info, operand) if info is not None else None


def cost(ops: list[Op] | tuple[Op, ...], objective: str, m8: bool, x8: bool) -> tuple[int, int]:
    """(objective, the other measure): bytes and cycles, compared in that order."""
    size = sum(o.size(m8, x8) for o in ops)
    cycles = sum(o.cycles(m8, x8) for o in ops)
    return (size, cycles) if objective == "bytes" else (cycles, size)


# --- the window ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """What is known on entry to the window."""

    m8: bool
    x8: bool
    decimal_clear: bool = True
    dp: int | None = 0
    dbr: int | None = None


def effective(op: Op, entry: Entry) -> int | None:
    """The canonical 24-bit byte address a memory operand names (None: not knowable).

    With D or DBR unknown, a direct-page or absolute operand is placed as if D = 0 or
    DBR = $7E: sound only while every memory operand of the window is of that one kind and
    candidates keep that kind (see `memory_class`)."""
    mode, value = op.info.mode, op.operand
    if value is None:
        return None
    if mode is Mode.DIRECT:
        return _canonical(((entry.dp or 0) + value) & 0xFFFF)
    if mode is Mode.ABSOLUTE:
        if entry.dbr is None:
            return 0x7E0000 | value if value < 0x2000 else None
        return _canonical((entry.dbr << 16) | value)
    if mode is Mode.ABSOLUTE_LONG:
        return _canonical(value)
    return None


def memory_class(op: Op, entry: Entry) -> str | None:
    """"known" for operands whose byte is known; "dp" or "abs" for those that depend on an
    unknown D or DBR; None for no memory operand."""
    mode = op.info.mode
    if mode is Mode.DIRECT:
        return "known" if entry.dp is not None else "dp"
    if mode is Mode.ABSOLUTE:
        return "known" if entry.dbr is not None else "abs"
    if mode is Mode.ABSOLUTE_LONG:
        return "known"
    return None


def _canonical(address: int) -> int:
    bank, low = address >> 16, address & 0xFFFF
    if (bank & 0x7F) < 0x40 and low < 0x2000:
        return 0x7E0000 | low
    return address


def _is_io(address: int) -> bool:
    bank, low = address >> 16, address & 0xFFFF
    return (bank & 0x7F) < 0x40 and 0x2000 <= low < 0x6000


def _forms(address: int, entry: Entry) -> list[tuple[Mode, int]]:
    """Every plain addressing form that reaches `address` under the known D and DBR."""
    forms = [(Mode.ABSOLUTE_LONG, address)]
    if entry.dbr is not None:
        low = address & 0xFFFF
        if _canonical((entry.dbr << 16) | low) == address:
            forms.append((Mode.ABSOLUTE, low))
    if entry.dp is not None:
        offset = (address & 0xFFFF) - entry.dp
        if 0 <= offset < 0x100 and _canonical((entry.dp + offset) & 0xFFFF) == address:
            forms.append((Mode.DIRECT, offset))
    return forms


def window_ok(ops: list[Op], entry: Entry) -> bool:
    """Can this window be searched? Plain operands, no I/O, and memory operands whose
    aliasing does not hang on an unknown D or DBR."""
    if len({c for op in ops if (c := memory_class(op, entry)) is not None}) > 1:
        return False
    for op in ops:
        if op.info.mode not in _WINDOW_MODES or op.mnemonic not in _WINDOW_MNEMONICS:
            return False
        if op.info.mode in (Mode.DIRECT, Mode.ABSOLUTE, Mode.ABSOLUTE_LONG):
            address = effective(op, entry)
            if address is None or _is_io(address):
                return False
        if op.mnemonic in _DECIMAL_SENSITIVE and not entry.decimal_clear:
            return False
    return True


def alphabet(ops: list[Op], entry: Entry) -> list[Op]:
    """Candidate instructions built from the window's own operands."""
    mask_m = 0xFF if entry.m8 else 0xFFFF
    mask_x = 0xFF if entry.x8 else 0xFFFF
    constants = {0, 1}
    addresses: dict[int, list[tuple[Mode, int]]] = {}
    for op in ops:
        if op.info.mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X) and op.operand is not None:
            constants.add(op.operand)
        address = effective(op, entry)
        if address is not None and op.operand is not None:
            kind = memory_class(op, entry)
            addresses[address] = _forms(address, entry) if kind == "known" else \
                [(op.info.mode, op.operand)]
    out: list[Op] = []
    for name in _IMPLIED:
        found = _op(name, Mode.ACCUMULATOR) or _op(name, Mode.IMPLIED)
        if found:
            out.append(found)
    for name in _IMMEDIATE:
        mode = Mode.IMMEDIATE_X if name in ("LDX", "LDY", "CPX", "CPY") else Mode.IMMEDIATE_M
        mask = mask_x if mode is Mode.IMMEDIATE_X else mask_m
        for value in sorted({c & mask for c in constants} | {mask}):
            found = _op(name, mode, value)
            if found:
                out.append(found)
    for address in sorted(addresses):
        # The shortest form that reaches the byte: the longer ones do the same, slower.
        mode, value = addresses[address][-1]
        for name in _MEMORY:
            found = _op(name, mode, value) or _op(name, Mode.ABSOLUTE, address & 0xFFFF
                                                   if mode is Mode.DIRECT else None)
            if found and found.operand is not None:
                out.append(found)
    # Index registers the window never touches stay out of the search: it would only find
    # rewrites that clobber them.
    touched = 0
    for op in ops:
        use, define = _use_def(op, entry)
        touched |= use | define
    from afs.asm.liveness import REG_BITS

    index_bits = {"X": REG_BITS["X"] | REG_BITS["XH"], "Y": REG_BITS["Y"] | REG_BITS["YH"]}
    return [op for op in out if all(touched & bits or not _uses_register(op, name, entry)
                                    for name, bits in index_bits.items())]


def _uses_register(op: Op, name: str, entry: Entry) -> bool:
    from afs.asm.liveness import REG_BITS

    use, define = _use_def(op, entry)
    return bool((use | define) & REG_BITS[name])


# --- running -------------------------------------------------------------------------------

@dataclass
class _Outcome:
    registers: tuple[int, ...]
    flags: int
    writes: dict[int, int]


class _Bench:
    """One reusable machine: load a sequence, run it from a state, read what it did.

    Loading writes the bytes into the ROM image and resets the decoded-code cache and the
    segment end; runs only poke RAM, so the decoded code stays valid between states.
    """

    def __init__(self, entry: Entry) -> None:
        from afs.asm.machine import Machine

        self.machine = Machine()
        self.entry = entry
        self.code = b""
        self.count = 0

    def load(self, ops: list[Op] | tuple[Op, ...]) -> _Bench:
        machine = self.machine
        self.code = b"".join(o.encode(self.entry.m8, self.entry.x8) for o in ops)
        self.count = len(ops)
        if self.code:
            machine.memory.load(CODE_BASE, self.code)
        machine.code_ends = {(CODE_BASE + len(self.code)) & 0xFFFFFF}
        machine.cpu.code_cache.clear()
        return self

    def run(self, state: CpuState, memory: dict[int, int]) -> _Outcome:
        if not self.count:
            return _Outcome((state.a, state.x, state.y), state.p, {})
        machine = self.machine
        ram = machine.memory.ram
        ram.clear()
        poke = machine.memory.poke
        for address, value in memory.items():
            poke(address, value)
        start = state.copy()
        start.pbr, start.pc = CODE_BASE >> 16, CODE_BASE & 0xFFFF
        machine.cpu.load_state(start)
        result = machine.run(max_instructions=self.count + 1,
                             stop_at=CODE_BASE + len(self.code))
        final = result.state
        return _Outcome((final.a, final.x, final.y), final.p,
                        {a: v for a, v, _ in result.writes})


@dataclass(frozen=True)
class Outputs:
    """What must agree after the window: registers (full 16 bits or low byte), flags."""

    a: int = 0xFFFF
    x: int = 0xFFFF
    y: int = 0xFFFF
    flags: int = 0xC3
    #: False only when nothing can read what the window stores (see `_memory_dead`)
    memory: bool = True

    def same(self, one: _Outcome, other: _Outcome, memory: dict[int, int]) -> bool:
        masks = (self.a, self.x, self.y)
        if any((p ^ q) & mask for p, q, mask in zip(one.registers, other.registers, masks,
                                                   strict=True)):
            return False
        if (one.flags ^ other.flags) & self.flags:
            return False
        if not self.memory:
            return True
        for address in one.writes.keys() | other.writes.keys():
            before = memory.get(address, 0)
            if one.writes.get(address, before) != other.writes.get(address, before):
                return False
        return True


def _reads(ops: list[Op] | tuple[Op, ...], entry: Entry) -> tuple[set[str], set[int]]:
    """Registers/flags and memory bytes the sequence reads before writing them (statically:
    every read is counted as an input, which can only make the input space larger)."""
    from afs.asm.liveness import REG_BITS

    names = {bit: name for name, bit in REG_BITS.items()}
    registers: set[str] = set()
    memory: set[int] = set()
    written: set[int] = set()
    defined = 0
    for op in ops:
        use, define = _use_def(op, entry)
        for bit, name in names.items():
            if use & bit and not defined & bit:
                registers.add(name)
        defined |= define
        address = effective(op, entry)
        if address is not None:
            index_op = op.mnemonic in ("LDX", "LDY", "STX", "STY", "CPX", "CPY")
            width = 1 if (entry.x8 if index_op else entry.m8) else 2
            span = {(address + k) & 0xFFFFFF for k in range(width)}
            if op.info.access in ("read", "rmw"):
                memory |= span - written
            if op.info.access in ("write", "rmw"):
                written |= span
    return registers, memory


_REGISTER_BITS = {"A": 8, "B": 8, "X": 8, "XH": 8, "Y": 8, "YH": 8, "C": 1, "N": 1, "V": 1,
                  "Z": 1}


def input_bits(registers: set[str], memory: set[int]) -> int:
    """How many bits of input state a window depends on (the size of an exhaustive proof)."""
    return sum(_REGISTER_BITS.get(r, 0) for r in registers) + 8 * len(memory)


_EDGE = (0x0000, 0xFFFF, 0x8000, 0x7FFF, 0x0001, 0x00FF, 0xFF00, 0x0080)


def _states(registers: set[str], memory: set[int], entry: Entry, rng: random.Random,
            count: int) -> Iterator[tuple[CpuState, dict[int, int]]]:
    """Edge states first, then seeded random ones."""
    for index in range(count):
        if index < len(_EDGE):
            word = _EDGE[index]
            a = x = y = word
            p = (0x01 if index % 2 else 0) | (0x80 if index % 3 == 0 else 0)
            mem = {addr: word & 0xFF for addr in memory}
        else:
            a, x, y = (rng.randrange(0x10000) for _ in range(3))
            p = rng.randrange(256)
            mem = {addr: rng.randrange(256) for addr in memory}
        yield _state(a, x, y, p, entry), mem


def _state(a: int, x: int, y: int, p: int, entry: Entry) -> CpuState:
    p &= ~0x38
    p |= (0x20 if entry.m8 else 0) | (0x10 if entry.x8 else 0)
    if not entry.decimal_clear:
        p |= 0x08
    if entry.x8:
        x &= 0xFF
        y &= 0xFF
    dbr = 0x7E if entry.dbr is None else entry.dbr
    return CpuState(a=a, x=x, y=y, d=entry.dp or 0, dbr=dbr, p=p, e=0)


def _exhaustive(registers: set[str], memory: set[int], entry: Entry
                ) -> Iterator[tuple[CpuState, dict[int, int]]]:
    """Every input state: each register byte, flag and memory byte the window reads."""
    fields: list[tuple[str, int]] = []
    for name in sorted(registers):
        width = _REGISTER_BITS.get(name, 0)
        if width:
            fields.append((name, width))
    addresses = sorted(memory)
    fields += [(f"m{addr}", 8) for addr in addresses]
    ranges = [range(1 << width) for _, width in fields]
    for values in itertools.product(*ranges):
        chosen = dict(zip((name for name, _ in fields), values, strict=True))
        a = chosen.get("A", 0) | (chosen.get("B", 0) << 8)
        x = chosen.get("X", 0) | (chosen.get("XH", 0) << 8)
        y = chosen.get("Y", 0) | (chosen.get("YH", 0) << 8)
        p = sum(bit for flag, bit in _FLAG_BITS.items() if chosen.get(flag))
        yield _state(a, x, y, p, entry), {addr: chosen[f"m{addr}"] for addr in addresses}


# --- search --------------------------------------------------------------------------------

@dataclass
class Found:
    """A proven cheaper replacement for a window."""

    before: tuple[Op, ...]
    after: tuple[Op, ...]
    proof: str                 # "exhaustive" or "sampled"
    states_checked: int
    input_bits: int
    assumptions: list[str] = field(default_factory=list)

    def lines(self, entry: Entry) -> list[str]:
        return [op.text(entry.m8, entry.x8) for op in self.after]


def _writes_of(ops: tuple[Op, ...], entry: Entry) -> frozenset[int]:
    return frozenset(a for op in ops if op.info.access in ("write", "rmw")
                     and (a := effective(op, entry)) is not None)


def _live_mask(outputs: Outputs) -> int:
    from afs.asm.liveness import REG_BITS

    mask = 0
    for value, low, high in ((outputs.a, "A", "B"), (outputs.x, "X", "XH"),
                             (outputs.y, "Y", "YH")):
        if value & 0xFF:
            mask |= REG_BITS[low]
        if value & 0xFF00:
            mask |= REG_BITS[high]
    for flag, bit in _FLAG_BITS.items():
        if outputs.flags & bit:
            mask |= REG_BITS[flag]
    return mask


@functools.lru_cache(maxsize=4096)
def _use_def(op: Op, entry: Entry) -> tuple[int, int]:
    from afs.asm.analysis import Instr
    from afs.asm.analysis import State as AnalysisState
    from afs.asm.liveness import use_def

    state = AnalysisState(m=8 if entry.m8 else 16, x=8 if entry.x8 else 16, e=0)
    ins = Instr(0, CODE_BASE, op.size(entry.m8, entry.x8), op.info, op.operand, "", 0,
                op.text(entry.m8, entry.x8))
    return use_def(ins, state)


@dataclass(frozen=True)
class _Facts:
    """What the search needs of one alphabet instruction, computed once."""

    cost: tuple[int, int]
    use: int
    define: int
    writes: int | None      # the byte address it writes (or read-modify-writes)
    reads: int | None       # the byte address it reads


def _facts(op: Op, objective: str, entry: Entry) -> _Facts:
    use, define = _use_def(op, entry)
    address = effective(op, entry)
    access = op.info.access
    return _Facts(cost((op,), objective, entry.m8, entry.x8), use, define,
                  address if access in ("write", "rmw") else None,
                  address if access in ("read", "rmw") else None)


def _has_dead_op(sequence: tuple[Op, ...], facts: dict[Op, _Facts], live: int) -> bool:
    """Does an instruction only produce results nobody reads? Then a shorter, cheaper
    sequence without it exists, and was tried first."""
    for op in reversed(sequence):
        fact = facts[op]
        if fact.writes is None and not fact.define & live:
            return True
        live = (live & ~fact.define) | fact.use
    return False


def _candidates(alpha: list[Op], limit: tuple[int, int], objective: str, entry: Entry,
                stores: frozenset[int], length: int, live: int,
                readable: set[int], memory_live: bool = True,
                deadline: float | None = None) -> list[tuple[Op, ...]]:
    """Sequences of exactly `length` instructions, strictly cheaper than `limit`, writing
    exactly `stores` (a subset when memory is dead), reading only `readable` memory, with no
    dead instruction; cheapest first."""
    facts = {op: _facts(op, objective, entry) for op in alpha}
    usable = [op for op in alpha if (facts[op].writes is None or facts[op].writes in stores)
              and (facts[op].reads is None or facts[op].reads in readable)]
    found: list[tuple[tuple[int, int], tuple[Op, ...]]] = []

    def extend(prefix: tuple[Op, ...], spent: tuple[int, int], written: frozenset[int]) -> None:
        if deadline is not None and len(prefix) == 1 and clock() > deadline:
            return      # out of time: what is enumerated so far is still tried, cheapest first
        if len(prefix) == length:
            enough = written == stores if memory_live else written <= stores
            if enough and not _has_dead_op(prefix, facts, live):
                found.append((spent, prefix))
            return
        for op in usable:
            step = facts[op].cost
            total = (spent[0] + step[0], spent[1] + step[1])
            if total >= limit:
                continue
            target = facts[op].writes
            extend((*prefix, op), total, written if target is None else written | {target})

    extend((), (0, 0), frozenset())
    found.sort(key=lambda pair: pair[0])
    return [sequence for _, sequence in found]


def search_window(before: list[Op], entry: Entry, outputs: Outputs, *, objective: str = "cycles",
                  max_length: int = MAX_CANDIDATE, deadline: float | None = None,
                  seed: int = 0) -> Found | None:
    """The cheapest proven replacement of `before` found before `deadline`, or None (see the
    module docstring)."""
    if not before or len(before) > MAX_WINDOW or not window_ok(before, entry):
        return None
    original = tuple(before)
    limit = cost(original, objective, entry.m8, entry.x8)
    stores = _writes_of(original, entry)
    alpha = alphabet(before, entry)
    live = _live_mask(outputs)
    reference = _Bench(entry).load(original)
    rng = random.Random(seed)
    regs, mem = _reads(original, entry)
    fast = list(_states(regs, mem, entry, rng, FAST_STATES))
    expected = [reference.run(state, memory) for state, memory in fast]
    bench = _Bench(entry)
    best: Found | None = None
    for length in range(0, min(max_length, len(original)) + 1):
        for candidate in _candidates(alpha, limit, objective, entry, stores, length, live,
                                     mem | stores, outputs.memory, deadline):
            if deadline is not None and clock() > deadline:
                return best
            bench.load(candidate)
            if all(outputs.same(want, bench.run(state, memory), memory)
                   for want, (state, memory) in zip(expected, fast, strict=True)):
                proven = prove(original, candidate, entry, outputs, seed=seed)
                if proven is not None:
                    best = proven
                    limit = cost(candidate, objective, entry.m8, entry.x8)
                    break
    return best


def _passed_through(before: tuple[Op, ...], after: tuple[Op, ...], entry: Entry,
                    outputs: Outputs) -> set:
    """Live outputs that one sequence does not write: their value on exit is their value on
    entry, so they are inputs of the comparison (`CLC` against nothing differs only when C
    was set on entry)."""
    from afs.asm.liveness import REG_BITS

    both = _defines(before, entry) & _defines(after, entry)
    live = _live_mask(outputs)
    return {name for name, bit in REG_BITS.items() if live & bit and not both & bit}


def _defines(ops: tuple[Op, ...], entry: Entry) -> int:
    mask = 0
    for op in ops:
        mask |= _use_def(op, entry)[1]
    return mask


def prove(before: tuple[Op, ...], after: tuple[Op, ...], entry: Entry, outputs: Outputs, *,
          seed: int = 0) -> Found | None:
    """Check `after` against `before` on every input state (exhaustive) when the inputs are
    small enough, else on sampled states; None when any state tells them apart."""
    regs, mem = _reads(before, entry)
    c_regs, c_mem = _reads(after, entry)
    regs, mem = regs | c_regs, mem | c_mem
    regs |= _passed_through(before, after, entry, outputs)
    bits = input_bits(regs, mem)
    exhaustive = bits <= EXHAUSTIVE_BITS
    states = _exhaustive(regs, mem, entry) if exhaustive else \
        _states(regs, mem, entry, random.Random(seed + 1), SAMPLED_TRIALS)
    one, other = _Bench(entry).load(before), _Bench(entry).load(after)
    checked = 0
    for state, memory in states:
        if not outputs.same(one.run(state, memory), other.run(state, memory), memory):
            return None
        checked += 1
    assumptions = []
    if entry.decimal_clear and any(op.mnemonic in _DECIMAL_SENSITIVE for op in before + after):
        assumptions.append("decimal flag clear")
    forms = {op.info.mode for op in after} - {op.info.mode for op in before}
    if Mode.DIRECT in forms:
        assumptions.append(f"D = ${entry.dp:04X}")
    if Mode.ABSOLUTE in forms and entry.dbr is not None:
        assumptions.append(f"DBR = ${entry.dbr:02X}")
    return Found(before, after, "exhaustive" if exhaustive else "sampled", checked, bits,
                 assumptions)


# --- stochastic search for longer windows --------------------------------------------------

STOCHASTIC_WINDOW = 8
_MISMATCH_PENALTY = 20


def _mismatches(outputs: Outputs, expected: list[_Outcome], bench: _Bench,
                states: list[tuple[CpuState, dict[int, int]]]) -> int:
    return sum(not outputs.same(want, bench.run(state, memory), memory)
               for want, (state, memory) in zip(expected, states, strict=True))


def stochastic_search(before: list[Op], entry: Entry, outputs: Outputs, *,
                      objective: str = "cycles", deadline: float, seed: int = 0,
                      max_steps: int | None = None) -> Found | None:
    """STOKE-style search (Schkufza et al. 2013) for a longer straight-line window: a Markov
    chain over edits (replace, delete, insert, swap an instruction), cost = the objective plus
    a penalty per test state on which the candidate's result differs; a move is kept by the
    Metropolis rule. Any zero-mismatch candidate cheaper than the best so far is proven with
    `prove` before it is accepted. It stops at `deadline` or after `max_steps` moves (which
    makes a run reproducible for a seed)."""
    if not before or not window_ok(before, entry):
        return None
    original = tuple(before)
    rng = random.Random(seed)
    alpha = alphabet(before, entry)
    regs, mem = _reads(original, entry)
    states = list(_states(regs, mem, entry, rng, 12))
    reference = _Bench(entry).load(original)
    expected = [reference.run(state, memory) for state, memory in states]
    bench = _Bench(entry)
    stores = _writes_of(original, entry)

    def score(sequence: tuple[Op, ...]) -> float:
        if (outputs.memory and _writes_of(sequence, entry) != stores) or not \
                _writes_of(sequence, entry) <= stores:
            return float("inf")
        bench.load(sequence)
        price = cost(sequence, objective, entry.m8, entry.x8)[0]
        return price + _MISMATCH_PENALTY * _mismatches(outputs, expected, bench, states)

    current, current_score = original, score(original)
    best_cost = cost(original, objective, entry.m8, entry.x8)
    best: Found | None = None
    steps = 0
    while clock() < deadline and (max_steps is None or steps < max_steps):
        steps += 1
        proposal = list(current)
        move = rng.randrange(4)
        if move == 0 and proposal:
            proposal[rng.randrange(len(proposal))] = rng.choice(alpha)
        elif move == 1 and proposal:
            del proposal[rng.randrange(len(proposal))]
        elif move == 2 and len(proposal) < len(original):
            proposal.insert(rng.randrange(len(proposal) + 1), rng.choice(alpha))
        elif move == 3 and len(proposal) > 1:
            i, j = rng.sample(range(len(proposal)), 2)
            proposal[i], proposal[j] = proposal[j], proposal[i]
        candidate = tuple(proposal)
        candidate_score = score(candidate)
        if candidate_score <= current_score or rng.random() < 2.0 ** (
                (current_score - candidate_score) / 2):
            current, current_score = candidate, candidate_score
        price = cost(current, objective, entry.m8, entry.x8)
        if current_score < float("inf") and price < best_cost and \
                current_score == price[0]:
            proven = prove(original, current, entry, outputs, seed=seed)
            if proven is not None:
                best, best_cost = proven, price
    return best


# --- helpers shared with the routine driver and the database --------------------------

def _byte_addresses(mode: Mode, operand: int, index: int, width: int, dp: int, dbr: int
                    ) -> list[int] | None:
    """The canonical addresses an access touches (native mode), or None for other modes."""
    if mode in (Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y):
        base = dp + operand + (index if mode is not Mode.DIRECT else 0)
        return [_canonical((base + k) & 0xFFFF) for k in range(width)]
    if mode in (Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y):
        base = ((dbr << 16) | operand) + (index if mode is not Mode.ABSOLUTE else 0)
        return [_canonical((base + k) & 0xFFFFFF) for k in range(width)]
    if mode in (Mode.ABSOLUTE_LONG, Mode.ABSOLUTE_LONG_X):
        base = operand + (index if mode is Mode.ABSOLUTE_LONG_X else 0)
        return [_canonical((base + k) & 0xFFFFFF) for k in range(width)]
    return None



def _entry_state(pre: dict[str, int]) -> object:
    from afs.asm.analysis import ENTRY
    from afs.asm.analysis import State as AnalysisState

    return AnalysisState(
        m=(8 if pre["m"] else 16) if "m" in pre else ENTRY,
        x=(8 if pre["x"] else 16) if "x" in pre else ENTRY,
        e=pre.get("e", ENTRY), dec=pre.get("d", ENTRY), dp=pre.get("dp", ENTRY),
        dbr=pre.get("dbr", ENTRY))


def _known(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _instrs(assembly: object) -> list:
    from afs.asm.analysis import instructions_from_listing

    return instructions_from_listing(assembly.listing, assembly.symbols)  # type: ignore[attr-defined]
