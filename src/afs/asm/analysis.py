"""Static analysis of assembled 65816 code: CFG, width/stack/constant tracking and liveness.

Input is an `Assembly` (its listing gives every decoded instruction with address, file and
line); the opcode facts come from `afs.asm.isa`. The forward analysis tracks, per instruction,
an abstract `State`: the M/X/E width flags through REP/SEP/PLP/XCE (unknown where paths with
different widths meet), the push depth relative to routine entry with a symbolic stack (so PLP
restores what PHP saved), carry/decimal provenance, known register constants (A, B, X, Y, D,
DBR) and the memory bytes written on every path. Backward liveness says which registers and
flags each instruction's results still feed. Lint rules and the optimiser read these facts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# Re-exported: the lint rules, the optimiser and the experts import these from here.
from afs.asm.flow import (  # noqa: F401  # noqa: F401
    ABSOLUTE_DATA,
    BRANCH_FLAG,
    CALLS,
    COMPUTED,
    CONDITIONAL,
    CONTROL_MNEMONICS,
    DIRECT,
    ENTRY,
    INDIRECT_DP,
    LONG_DATA,
    RETURNS,
    X_INDEXED,
    Y_INDEXED,
    Cfg,
    Instr,
    State,
    build_cfg,
    instructions_from_listing,
    m8,
    merge,
    x8,
)
from afs.asm.isa import Mode
from afs.asm.liveness import bits, solve

IO_RANGES = ((0x2100, 0x21FF), (0x4016, 0x4017), (0x4200, 0x43FF))


def is_io(offset: int) -> bool:
    """Is a bank-$00 offset a memory-mapped I/O register?"""
    return any(lo <= offset <= hi for lo, hi in IO_RANGES)


def io_key(key: tuple[str, int] | None, state: State) -> int | None:
    """The I/O register offset an access reaches, when that is known (D/DBR conventions)."""
    if key is None:
        return None
    space, value = key
    if space == "abs" and is_io(value):
        return value            # absolute I/O: DBR is a system bank in code that does this
    if space == "long":
        bank = value >> 16
        if (bank <= 0x3F or 0x80 <= bank <= 0xBF) and is_io(value & 0xFFFF):
            return value & 0xFFFF
    if space == "dp" and isinstance(state.dp, int) and is_io((state.dp + value) & 0xFFFF):
        return (state.dp + value) & 0xFFFF
    return None


def access_bytes(ins: Instr, state: State) -> int:
    """How many bytes a data access touches (1 or 2; 2 when the width is unknown)."""
    name = ins.mnemonic
    if name in ("STX", "STY", "LDX", "LDY", "CPX", "CPY"):
        w = x8(state)
    elif name == "PEI":
        return 2
    else:
        w = m8(state)
    return 1 if w else 2


def written_keys(ins: Instr, state: State) -> list[tuple[str, int]]:
    """Address keys a store/read-modify-write definitely writes (direct modes only)."""
    if ins.info.access not in ("write", "rmw") or ins.mode not in (
            Mode.DIRECT, Mode.ABSOLUTE, Mode.ABSOLUTE_LONG):
        return []
    key = ins.data_address()
    if key is None:
        return []
    n = access_bytes(ins, state) if m8(state) is not None or ins.mnemonic in (
        "STX", "STY") else 1
    io = io_key(key, state)
    if io is not None:
        return [("io", io + k) for k in range(n)]
    space, value = key
    return [(space, value + k) for k in range(n)]


# --- transfer function ---------------------------------------------------------------------

_PUSH = {"PHA": "A", "PHX": "X", "PHY": "Y", "PHP": "P", "PHB": "B", "PHD": "D", "PHK": "K",
         "PEA": "PEA", "PEI": "PEI", "PER": "PER"}
_PULL = {"PLA": "A", "PLX": "X", "PLY": "Y", "PLP": "P", "PLB": "B", "PLD": "D"}


def push_size(name: str, state: State) -> int | None:
    """Bytes a push/pull moves. With the caller's (unknown) width, one byte is assumed, which
    keeps push/pull counting right as long as the width does not change in between."""
    if name in ("PHA", "PLA"):
        w = m8(state)
        if w is None:
            return 1 if state.m == ENTRY else None
        return 1 if w else 2
    if name in ("PHX", "PHY", "PLX", "PLY"):
        w = x8(state)
        if w is None:
            return 1 if state.x == ENTRY else None
        return 1 if w else 2
    if name in ("PHP", "PLP", "PHB", "PLB", "PHK"):
        return 1
    return 2  # PHD, PLD, PEA, PEI, PER


def _set_width(st: State, mask: int, value: int) -> State:
    changes: dict[str, Any] = {}
    if mask & 0x20:
        changes["m"] = 8 if value else 16
        changes["m_inferred"] = changes["m_assumed"] = False
    if mask & 0x10:
        changes["x"] = 8 if value else 16
        changes["x_inferred"] = changes["x_assumed"] = False
        if value:  # X=1 zeroes the index high bytes
            changes["xv"] = st.xv & 0xFF if st.xv is not None else None
            changes["yv"] = st.yv & 0xFF if st.yv is not None else None
    if mask & 0x01:
        changes["c"] = value
    if mask & 0x08:
        changes["dec"] = value
    if st.e == 1:
        changes.pop("m", None)
        changes.pop("x", None)
    return replace(st, **changes)


def _imm(ins: Instr) -> int | None:
    return int(ins.operand) if ins.mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X) else None


def _set_a(st: State, value: int | None, wide: bool | None) -> dict[str, Any]:
    """Changes for writing A with `value` (full 16-bit when wide)."""
    regs = set(st.regs_set) | {"A"}
    if wide:
        regs.add("B")
        return {"a": None if value is None else value & 0xFF,
                "b": None if value is None else (value >> 8) & 0xFF,
                "regs_set": frozenset(regs)}
    if wide is None:
        return {"a": None, "b": None, "regs_set": frozenset(regs)}
    return {"a": None if value is None else value & 0xFF, "regs_set": frozenset(regs)}


def _a_value(st: State, wide: bool | None) -> int | None:
    if st.a is None:
        return None
    if wide:
        return None if st.b is None else st.b << 8 | st.a
    return st.a if wide is False else None


def transfer(ins: Instr, st: State) -> State:
    """The state after `ins` (on the fall-through/branch edges alike)."""
    st = _refine_by_encoding(ins, st)
    name, mode = ins.mnemonic, ins.mode
    wide_m = None if m8(st) is None else not m8(st)
    wide_x = None if x8(st) is None else not x8(st)
    ch: dict[str, Any] = {}
    imm = _imm(ins)
    if name == "REP":
        return _set_width(st, int(ins.operand), 0)
    if name == "SEP":
        return _set_width(st, int(ins.operand), 1)
    if name in ("CLC", "SEC"):
        return replace(st, c=int(name == "SEC"))
    if name in ("CLD", "SED"):
        return replace(st, dec=int(name == "SED"))
    if name == "XCE":
        new_e = st.c if st.c in (0, 1) else None
        new_c = st.e if st.e in (0, 1) else COMPUTED
        nst = replace(st, e=new_e, c=new_c)
        if new_e == 1:
            nst = replace(nst, m=8, x=8, xv=None, yv=None, m_assumed=False, x_assumed=False)
        elif new_e is None:
            nst = replace(nst, m=None, x=None)
        return nst
    if name in _PUSH:
        size = push_size(name, st)
        payload: Any = None
        if name == "PHP":
            payload = (st.m, st.x, st.c, st.dec)
        elif name == "PHA":
            payload = _a_value(st, wide_m)
        elif name in ("PHX", "PHY"):
            payload = st.xv if name == "PHX" else st.yv
        elif name == "PEA":
            payload = int(ins.operand)
        elif name == "PHK":
            payload = (ins.address >> 16) & 0xFF
        elif name == "PHB":
            payload = st.dbr
        elif name == "PHD":
            payload = st.dp
        if size is None or st.depth is None or st.stack is None:
            return replace(st, depth=None, stack=None)
        # A register pushed at the caller's width: its size (1 assumed) is not known.
        assumed = (name == "PHA" and m8(st) is None) or (
            name in ("PHX", "PHY") and x8(st) is None)
        return replace(st, depth=st.depth + size,
                       stack=(*st.stack, (_PUSH[name], size, payload, assumed)))
    if name in _PULL:
        size = push_size(name, st)
        if st.stack and st.stack[-1][3] and name in ("PLA", "PLX", "PLY"):
            size = st.stack[-1][1]   # takes back what the push left, at whatever width
        depth = None if st.depth is None or size is None else st.depth - size
        top_kind = st.stack[-1][0] if st.stack else None
        stack, raw = _pop(st.stack, size)
        value = raw if isinstance(raw, int) else None
        ch = {"depth": depth, "stack": stack}
        if name == "PLP":
            if top_kind == "P" and isinstance(raw, tuple):
                pm, px, pc, pd = raw
                ch.update(m=pm, x=px, c=pc, dec=pd, m_assumed=False, x_assumed=False)
            else:
                ch.update(m=None, x=None, c=COMPUTED, dec=None)
            return replace(st, **ch)
        if name == "PLA":
            ch.update(_set_a(st, value, wide_m))
        elif name == "PLX":
            ch.update(xv=value, regs_set=st.regs_set | {"X"})
        elif name == "PLY":
            ch.update(yv=value, regs_set=st.regs_set | {"Y"})
        elif name == "PLB":
            ch.update(dbr=raw if raw == ENTRY or isinstance(raw, int) else None)
        elif name == "PLD":
            ch.update(dp=raw if raw == ENTRY or isinstance(raw, int) else None)
        return replace(st, **ch)
    if name in CALLS:
        return replace(st, a=None, b=None, xv=None, yv=None, c=COMPUTED)
    if name == "LDA":
        ch.update(_set_a(st, imm, wide_m))
    elif name == "LDX":
        ch.update(xv=imm, regs_set=st.regs_set | {"X"})
    elif name == "LDY":
        ch.update(yv=imm, regs_set=st.regs_set | {"Y"})
    elif name in ("TAX", "TAY"):
        val = _a_value(st, wide_x)
        key = "xv" if name == "TAX" else "yv"
        ch.update({key: val, "regs_set": st.regs_set | {name[2]}})
    elif name in ("TXA", "TYA"):
        src = st.xv if name == "TXA" else st.yv
        ch.update(_set_a(st, src, wide_m))
    elif name in ("TXY", "TYX"):
        src = st.xv if name == "TXY" else st.yv
        ch.update({"yv" if name == "TXY" else "xv": src,
                   "regs_set": st.regs_set | {name[2]}})
    elif name == "TSX":
        ch.update(xv=None, regs_set=st.regs_set | {"X"})
    elif name == "TDC":
        ch.update(_set_a(st, st.dp if isinstance(st.dp, int) else None, True))
    elif name == "TSC":
        ch.update(_set_a(st, None, True))
    elif name in ("TCS", "TXS"):
        ch.update(depth=None, stack=None)   # another stack: what it holds is not ours
    elif name == "TCD":
        ch.update(dp=_a_value(st, True))
    elif name == "XBA":
        ch.update(a=st.b, b=st.a, regs_set=st.regs_set | {"A", "B"})
    elif name in ("INX", "DEX", "INY", "DEY"):
        key = "xv" if name[2] == "X" else "yv"
        cur = getattr(st, key)
        mask = 0xFF if (wide_x is False) else 0xFFFF
        ch[key] = None if cur is None or wide_x is None else (
            cur + (1 if name[0] == "I" else -1)) & mask
    elif mode is Mode.ACCUMULATOR or name in ("ADC", "SBC", "AND", "ORA", "EOR"):
        ch.update(_set_a(st, _fold_a(name, mode, st, imm, wide_m), wide_m))
    elif name in ("MVN", "MVP"):
        ch.update(a=0xFF, b=0xFF, xv=None, yv=None, dbr=ins.operand[0],
                  regs_set=st.regs_set | {"A", "B", "X", "Y"})
    if "C" in ins.info.flags and name not in ("REP", "SEP", "PLP", "RTI"):
        ch["c"] = COMPUTED
    written = written_keys(ins, st)
    if written:
        ch["written"] = st.written | frozenset(written)
        io = {k[1] for k in written if k[0] == "io"}
        if 0x2100 in io and name != "STZ":
            a = st.a if name == "STA" else (st.xv if name == "STX" else st.yv)
            if a is not None and a & 0x80:
                ch["blank"] = True
    if ins.info.access == "read" and ins.mode in (Mode.ABSOLUTE, Mode.ABSOLUTE_LONG) and (
            io_key(ins.data_address(), st) in (0x4210, 0x4212)):
        ch["blank"] = True   # polling the vblank/NMI flag
    if name == "WAI":
        ch["blank"] = True
    return replace(st, **ch) if ch else st


def _fold_a(name: str, mode: Mode, st: State, imm: int | None, wide: bool | None) -> int | None:
    """Constant-fold simple A operations when every input is known (no carry/decimal guess)."""
    cur = _a_value(st, wide)
    if cur is None or wide is None:
        return None
    mask = 0xFFFF if wide else 0xFF
    if mode is Mode.ACCUMULATOR:
        if name == "INC":
            return (cur + 1) & mask
        if name == "DEC":
            return (cur - 1) & mask
        if name == "ASL":
            return (cur << 1) & mask
        if name == "LSR":
            return cur >> 1
        return None
    if imm is None:
        return None
    if name == "AND":
        return cur & imm
    if name == "ORA":
        return cur | imm
    if name == "EOR":
        return cur ^ imm
    if name == "ADC" and st.c in (0, 1) and st.dec == 0:
        return (cur + imm + st.c) & mask
    return None


def _pop(stack: tuple | None, size: int | None) -> tuple[tuple | None, Any]:
    """Pop `size` bytes: (rest, value); value is a P snapshot, an int, ENTRY or None."""
    if stack is None or size is None or not stack:
        return None, None
    items = list(stack)
    top = items[-1]
    if top[1] == size:
        return tuple(items[:-1]), top[2]
    parts: list[Any] = []
    need = size
    while need and items:
        kind, n, payload, _ = items.pop()
        value = payload if isinstance(payload, int) and kind != "P" else None
        if n <= need:
            parts.append(None if value is None else value & 0xFF)
            if n == 2:
                parts.append(None if value is None else value >> 8)
            need -= n
        else:   # take the low byte of a two-byte push and leave its high byte
            parts.append(None if value is None else value & 0xFF)
            items.append((kind, 1, None if value is None else value >> 8, False))
            need = 0
    if need:
        return None, None
    if all(isinstance(p, int) for p in parts):
        return tuple(items), sum(p << (8 * k) for k, p in enumerate(parts))
    return tuple(items), None


@dataclass
class Analysis:
    """Everything the forward and backward passes found for one assembled file."""

    instrs: list[Instr]
    cfg: Cfg
    before: list[State | None]
    live_after: list[int]
    routine_of: list[frozenset[int]]
    merge_conflicts: list[tuple[int, str]]

    def state(self, i: int) -> State | None:
        """The state before instruction i, with widths an immediate's size implies filled in."""
        st = self.before[i]
        return None if st is None else _refine_by_encoding(self.instrs[i], st)

    def state_after(self, i: int) -> State | None:
        st = self.before[i]
        return None if st is None else transfer(self.instrs[i], st)

    def is_dead(self, i: int, *names: str) -> bool:
        """Are all of `names` (liveness register names) dead right after instruction i?"""
        return not (self.live_after[i] & bits(*names))


def _edge_state(ins: Instr, st: State, target: int, fallthrough: bool) -> State:
    """Refine facts along a conditional branch edge (carry after BCC/BCS)."""
    name = ins.mnemonic
    if name in ("BCC", "BCS"):
        taken_c = 0 if name == "BCC" else 1
        return replace(st, c=taken_c if not fallthrough else 1 - taken_c)
    return st


def analyze(instrs: list[Instr], *, entry: State | None = None,
            live_out: int | None = None, contexts: dict[int, State] | None = None) -> Analysis:
    """Run the forward state analysis and backward liveness over `instrs`."""
    cfg = build_cfg(instrs)
    n = len(instrs)
    before: list[State | None] = [None] * n
    conflicts: list[tuple[int, str]] = []
    start = entry or State()
    work: list[int] = []
    for e in cfg.entries:
        before[e] = (contexts or {}).get(e, start)
        work.append(e)
    reported: set[tuple[int, str]] = set()
    steps = 0
    while work:
        i = work.pop()
        steps += 1
        st = before[i]
        assert st is not None
        ins = instrs[i]
        out = transfer(ins, st)
        nxt = instrs[i].end
        for t in cfg.succ[i]:
            edge = out
            if ins.mnemonic in CONDITIONAL:
                edge = _edge_state(ins, out, t, instrs[t].address == nxt)
            if ins.mnemonic in CALLS:
                edge = _after_call(st, out)
            cur = before[t]
            new = edge if cur is None else merge(cur, edge)
            # A path below the entry depth pulled the return address on purpose (PLA PLA to
            # return to the caller's caller, which S004 reports): not a push imbalance.
            if cur is not None and cur.depth is not None and edge.depth is not None and (
                    cur.depth != edge.depth) and min(cur.depth, edge.depth) >= 0 and (
                    t, "depth") not in reported:
                reported.add((t, "depth"))
                conflicts.append((t, "depth"))
            if new != cur:
                before[t] = new
                work.append(t)
    routine_of = [frozenset(e for e, members in cfg.routines.items() if i in members)
                  for i in range(n)]
    live = solve(instrs, cfg, before, live_out)
    return Analysis(instrs, cfg, before, live, routine_of, conflicts)


def _refine_by_encoding(ins: Instr, st: State) -> State:
    """An immediate's assembled size shows the width the author assumed; use it where unknown."""
    if ins.mode is Mode.IMMEDIATE_M and st.m in (ENTRY, None) and st.e != 1:
        return replace(st, m=8 if ins.imm_bytes == 1 else 16, m_inferred=True)
    if ins.mode is Mode.IMMEDIATE_X and st.x in (ENTRY, None) and st.e != 1:
        return replace(st, x=8 if ins.imm_bytes == 1 else 16, x_inferred=True)
    return st


def _after_call(before_call: State, out: State) -> State:
    """Across a call: widths, D and DBR are assumed preserved (the usual convention)."""
    return replace(out, m=before_call.m, x=before_call.x, e=before_call.e, m_assumed=True,
                   x_assumed=True,
                   depth=before_call.depth, stack=before_call.stack)


def analyze_source(source: str, *, filename: str = "<input>", base: int = 0x008000,
                   live_out: int | None = None) -> tuple[Any, Analysis]:
    """Assemble `source` (raises `AsmError`) and analyse it: (assembly, analysis)."""
    from afs.asm.assembler import assemble

    assembly = assemble(source, filename=filename, base=base)
    instrs = instructions_from_listing(assembly.listing, assembly.symbols)
    return assembly, analyze(instrs, live_out=live_out)


def flag_producer(analysis: Analysis, i: int, flag: str) -> int | None:
    """Index of the nearest earlier instruction in i's basic block that sets `flag`."""
    cfg = analysis.cfg
    block = cfg.block(cfg.block_of[i])
    for j in range(i - 1, block.start - 1, -1):
        ins = analysis.instrs[j]
        if ins.mnemonic in CALLS:
            return None
        if flag in ins.info.flags and not (ins.mnemonic in ("REP", "SEP") and not (
                int(ins.operand) & _FLAG_MASK[flag])):
            return j
    return None


_FLAG_MASK = {"N": 0x80, "V": 0x40, "M": 0x20, "X": 0x10, "D": 0x08, "I": 0x04, "Z": 0x02,
              "C": 0x01}
