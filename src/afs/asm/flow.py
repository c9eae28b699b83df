"""The instruction model the analyses share: decoded instructions, the CFG, the abstract state.

`afs.asm.analysis` (the forward state analysis) and `afs.asm.liveness` (backward liveness)
both build on these types; keeping them here lets each import them without importing the
other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from afs.asm.isa import OPCODES, Mode, OpcodeInfo, branch_target, decode

# --- instruction model ---------------------------------------------------------------------

CONDITIONAL = frozenset({"BPL", "BMI", "BVC", "BVS", "BCC", "BCS", "BNE", "BEQ"})
RETURNS = frozenset({"RTS", "RTL", "RTI"})
CALLS = frozenset({"JSR", "JSL"})
BRANCH_FLAG = {"BPL": "N", "BMI": "N", "BVC": "V", "BVS": "V", "BCC": "C", "BCS": "C",
               "BNE": "Z", "BEQ": "Z"}
X_INDEXED = frozenset({Mode.DIRECT_X, Mode.ABSOLUTE_X, Mode.ABSOLUTE_LONG_X,
                       Mode.DIRECT_X_INDIRECT, Mode.ABSOLUTE_X_INDIRECT})
Y_INDEXED = frozenset({Mode.DIRECT_Y, Mode.ABSOLUTE_Y, Mode.DIRECT_INDIRECT_Y,
                       Mode.DIRECT_INDIRECT_LONG_Y, Mode.STACK_RELATIVE_INDIRECT_Y})
DIRECT = frozenset({Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y})
INDIRECT_DP = frozenset({Mode.DIRECT_INDIRECT, Mode.DIRECT_INDIRECT_LONG,
                         Mode.DIRECT_X_INDIRECT, Mode.DIRECT_INDIRECT_Y,
                         Mode.DIRECT_INDIRECT_LONG_Y})
ABSOLUTE_DATA = frozenset({Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y})
LONG_DATA = frozenset({Mode.ABSOLUTE_LONG, Mode.ABSOLUTE_LONG_X})
CONTROL_MNEMONICS = frozenset({"JMP", "JML", "JSR", "JSL", "PEA", "PER", "PEI"})


@dataclass(frozen=True)
class Instr:
    """One assembled instruction with where it came from."""

    index: int
    address: int
    size: int
    info: OpcodeInfo
    operand: Any
    file: str
    line: int
    text: str
    labels: tuple[str, ...] = ()

    @property
    def mnemonic(self) -> str:
        return self.info.mnemonic

    @property
    def mode(self) -> Mode:
        return self.info.mode

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def imm_bytes(self) -> int:
        """Bytes of an immediate operand as assembled (what the author's code assumes)."""
        return self.size - 1

    def target(self) -> int | None:
        """Static destination of a branch or absolute/long jump/call, else None."""
        mode, name = self.info.mode, self.info.mnemonic
        if mode in (Mode.RELATIVE8, Mode.RELATIVE16) and name != "PER":
            raw = bytes([self.info.opcode]) + int(self.operand).to_bytes(self.size - 1, "little")
            return branch_target(decode(raw), self.address)
        if name in ("JMP", "JSR") and mode is Mode.ABSOLUTE:
            return (self.address & 0xFF0000) | int(self.operand)
        if name in ("JML", "JSL") and mode is Mode.ABSOLUTE_LONG:
            return int(self.operand)
        return None

    def data_address(self) -> tuple[str, int] | None:
        """The operand as an address key: ("dp", off), ("abs", addr16) or ("long", addr24)."""
        if self.operand is None or isinstance(self.operand, tuple):
            return None
        if self.mnemonic in CONTROL_MNEMONICS:
            return None
        if self.mode in DIRECT or self.mode in INDIRECT_DP:
            return ("dp", int(self.operand))
        if self.mode in ABSOLUTE_DATA:
            return ("abs", int(self.operand))
        if self.mode in LONG_DATA:
            return ("long", int(self.operand))
        return None


def instructions_from_listing(listing: Iterable[Any], symbols: dict[str, int] | None = None,
                              ) -> list[Instr]:
    """Turn `Assembly.listing` into `Instr`s (labels attached by address)."""
    by_address: dict[int, list[str]] = {}
    for name, address in (symbols or {}).items():
        by_address.setdefault(address, []).append(name)
    out: list[Instr] = []
    for entry in listing:
        if getattr(entry, "kind", None) != "instruction":
            continue
        data = bytes(entry.data)
        info = OPCODES[data[0]]
        operand = getattr(entry, "operand", None)
        if info.mode is Mode.BLOCK_MOVE and len(data) == 3:
            operand = (data[1], data[2])
        elif len(data) > 1:
            operand = int.from_bytes(data[1:], "little")
        out.append(Instr(len(out), entry.address, len(data), info, operand, entry.file,
                         entry.line, entry.text.strip(),
                         tuple(sorted(by_address.get(entry.address, ())))))
    return out


# --- CFG -----------------------------------------------------------------------------------

@dataclass
class Cfg:
    """Basic blocks over the instruction list; `succ[i]` are instruction indices."""

    instrs: list[Instr]
    succ: list[list[int]]
    pred: list[list[int]]
    exits: dict[int, str]             # index -> "rts" | "rtl" | "rti" | "end" | "jump" | ...
    entries: list[int]
    call_targets: dict[int, str]      # callee entry index -> "JSR" | "JSL"
    leaders: list[int]
    block_of: list[int]
    routines: dict[int, frozenset[int]] = field(default_factory=dict)

    def block(self, leader_pos: int) -> range:
        start = self.leaders[leader_pos]
        end = self.leaders[leader_pos + 1] if leader_pos + 1 < len(self.leaders) else len(
            self.instrs)
        return range(start, end)


def build_cfg(instrs: list[Instr]) -> Cfg:
    """Successors, exits, routine entries (first instruction, call targets, unreachable labels)."""
    index_at = {ins.address: ins.index for ins in instrs}
    n = len(instrs)
    # A branch to the address just past the code falls off its end, like the last
    # instruction does: what is live there is the caller's live-out, not everything.
    code_end = instrs[-1].end if instrs else None
    succ: list[list[int]] = [[] for _ in range(n)]
    exits: dict[int, str] = {}
    calls: dict[int, str] = {}
    for ins in instrs:
        i, name = ins.index, ins.mnemonic
        nxt = index_at.get(ins.end)
        fall = [nxt] if nxt is not None else []
        target = ins.target()
        tgt = index_at.get(target) if target is not None else None
        if name in CONDITIONAL:
            succ[i] = fall + ([tgt] if tgt is not None and tgt != nxt else [])
            if tgt is None:
                exits[i] = "end" if target == code_end else "jump"
            if nxt is None:
                exits[i] = "end"
        elif name in ("BRA", "BRL", "JMP", "JML"):
            if tgt is not None:
                succ[i] = [tgt]
            elif target is not None and target == code_end:
                exits[i] = "end"
            else:
                exits[i] = "indirect" if target is None else "jump"
        elif name in RETURNS:
            exits[i] = name.lower()
        elif name == "STP":
            exits[i] = "stp"
        else:
            if name in CALLS and tgt is not None:
                calls.setdefault(tgt, name)
            succ[i] = fall
            if nxt is None:
                exits[i] = "end"
    pred: list[list[int]] = [[] for _ in range(n)]
    for i, targets in enumerate(succ):
        for t in targets:
            pred[t].append(i)
    entries = _find_entries(instrs, succ, calls)
    starts = {0, *entries, *calls}
    for i, targets in enumerate(succ):
        ends_block = i in exits or instrs[i].mnemonic in CONDITIONAL or len(targets) != 1 or (
            targets[0] != i + 1)
        if ends_block:
            starts.update(targets)
            if i + 1 < n:
                starts.add(i + 1)
    leaders = sorted(x for x in starts if x < n)
    block_of = [0] * n
    for pos, start in enumerate(leaders):
        end = leaders[pos + 1] if pos + 1 < len(leaders) else n
        for i in range(start, end):
            block_of[i] = pos
    cfg = Cfg(instrs, succ, pred, exits, entries, calls, leaders, block_of)
    cfg.routines = {e: reachable(succ, e) for e in entries}
    return cfg


def reachable(succ: list[list[int]], start: int) -> frozenset[int]:
    """Instruction indices reachable from `start` along `succ` (start included)."""
    seen = {start}
    todo = [start]
    while todo:
        for t in succ[todo.pop()]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return frozenset(seen)


def _find_entries(instrs: list[Instr], succ: list[list[int]], calls: dict[int, str]) -> list[int]:
    if not instrs:
        return []
    entries = [0, *sorted(c for c in calls if c != 0)]
    reached: set[int] = set()
    for e in entries:
        reached |= reachable(succ, e)
    # A labelled instruction nothing reaches starts another routine (reached from elsewhere).
    for ins in instrs:
        if ins.index not in reached and ins.labels:
            entries.append(ins.index)
            reached |= reachable(succ, ins.index)
    return entries


# --- abstract state ------------------------------------------------------------------------

ENTRY = "entry"        # value the routine was entered with (unknown, but the caller's)
COMPUTED = "computed"  # set by this routine, value depends on data


@dataclass(frozen=True)
class State:
    """Facts that hold before an instruction on every path reaching it."""

    m: Any = ENTRY          # 8, 16, ENTRY or None (paths disagree)
    x: Any = ENTRY
    e: Any = ENTRY          # 0, 1, ENTRY or None
    c: Any = ENTRY          # 0, 1, COMPUTED, ENTRY (ENTRY wins at merges: "on some path")
    dec: Any = ENTRY        # decimal flag: 0, 1, ENTRY or None
    depth: int | None = 0   # bytes pushed since routine entry
    stack: tuple | None = ()  # symbolic pushes, top last: (kind, size, payload, assumed)
    a: int | None = None    # A low byte
    b: int | None = None    # A high byte (B)
    xv: int | None = None
    yv: int | None = None
    dp: Any = ENTRY         # D register: int, ENTRY or None
    dbr: Any = ENTRY        # data bank: int, ENTRY or None
    regs_set: frozenset = frozenset()   # {"A", "B", "X", "Y"} written on every path
    written: frozenset = frozenset()    # address keys written on every path
    blank: bool = False     # forced blank / vblank wait / NMI context established
    m_inferred: bool = False  # M came from an immediate's size, not from REP/SEP
    x_inferred: bool = False
    # M/X assumed unchanged across a call (the usual convention; a callee may break it).
    m_assumed: bool = False
    x_assumed: bool = False


def _merge_val(a: Any, b: Any) -> Any:
    return a if a == b else None


def _merge_carry(a: Any, b: Any) -> Any:
    if a == b:
        return a
    if ENTRY in (a, b):
        return ENTRY
    return COMPUTED


def _merge_width(a: Any, a_inferred: bool, b: Any, b_inferred: bool) -> tuple[Any, bool]:
    """Join of a width. A width inferred from an immediate's size is a guess about the
    caller's width (no REP/SEP changed it), so it does not disagree with the caller's."""
    if a == b:
        return a, a_inferred and b_inferred
    if (a == ENTRY and b_inferred) or (b == ENTRY and a_inferred):
        return ENTRY, False
    return None, False


def _merge_payload(p: tuple, q: tuple) -> Any:
    """Join of two pushed values: a PHP's flags field by field (PLP then restores the widths
    the paths agree on), anything else only when equal."""
    if p[0] == q[0] == "P" and isinstance(p[2], tuple) and isinstance(q[2], tuple):
        (pm, px, pc, pd), (qm, qx, qc, qd) = p[2], q[2]
        return (_merge_val(pm, qm), _merge_val(px, qx), _merge_carry(pc, qc),
                ENTRY if ENTRY in (pd, qd) else _merge_val(pd, qd))
    return p[2] if p[2] == q[2] else None


def merge(s: State, t: State) -> State:
    """Join of two states at a control-flow merge."""
    if s == t:
        return s
    if s.depth == t.depth and s.stack is not None and t.stack is not None and len(
            s.stack) == len(t.stack):
        stack: tuple | None = tuple(
            p if p == q else (p[0] if p[0] == q[0] else "?", p[1], _merge_payload(p, q),
                              p[3] or q[3])
            for p, q in zip(s.stack, t.stack, strict=True))
        if any(p[1] != q[1] for p, q in zip(s.stack, t.stack, strict=True)):
            stack = None
    else:
        stack = None
    m, m_inferred = _merge_width(s.m, s.m_inferred, t.m, t.m_inferred)
    x, x_inferred = _merge_width(s.x, s.x_inferred, t.x, t.x_inferred)
    return State(
        m=m, x=x, e=_merge_val(s.e, t.e),
        c=_merge_carry(s.c, t.c), dec=ENTRY if ENTRY in (s.dec, t.dec) else _merge_val(
            s.dec, t.dec),
        depth=s.depth if s.depth == t.depth else None, stack=stack,
        a=_merge_val(s.a, t.a), b=_merge_val(s.b, t.b), xv=_merge_val(s.xv, t.xv),
        yv=_merge_val(s.yv, t.yv), dp=_merge_val(s.dp, t.dp), dbr=_merge_val(s.dbr, t.dbr),
        regs_set=s.regs_set & t.regs_set, written=s.written & t.written,
        blank=s.blank and t.blank, m_inferred=m_inferred, x_inferred=x_inferred,
        m_assumed=s.m_assumed or t.m_assumed, x_assumed=s.x_assumed or t.x_assumed,
    )


def m8(state: State) -> bool | None:
    """True if A is 8-bit, False if 16-bit, None if unknown."""
    if state.e == 1:
        return True
    return {8: True, 16: False}.get(state.m)


def x8(state: State) -> bool | None:
    if state.e == 1:
        return True
    return {8: True, 16: False}.get(state.x)
