"""Peephole optimiser for 65816 source: semantics-preserving rewrites, each with its precondition.

`optimize(source)` assembles the source, analyses it (`afs.asm.analysis`: widths, constants,
liveness), applies the rules below at most once per basic block per pass, regenerates the
source text (labels, comments and untouched lines stay as written) and repeats until nothing
applies. Every rule is a rewrite that never adds cycles on any path. Preconditions:

- `stz`: `LDA #0` + stores -> `STZ` stores, when A (and B for 16-bit) and N/Z are dead after.
- `dead-load`: a load/transfer/CLC/SEC whose every result is dead is removed.
- `redundant-load`: `LDA #n` when A already holds n; `LDA m` after `STA m`/`LDA m` (no aliasing
  store between), when N/Z are dead or already describe A.
- `redundant-flag`: `CMP #0`/`CPX #0`/`CPY #0` right after an op that set N/Z from the same
  register, when C is dead; `AND #$FF(FF)`/`ORA #0`/`EOR #0` likewise (no flag change at all).
- `rep-sep`: adjacent SEP+SEP / REP+REP merge; REP a + SEP b -> SEP b when b covers a; a
  REP/SEP that sets M/X to the width they already have (established by REP/SEP) is removed.
- `inc-dec`: `CLC; ADC #1` -> `INC A` (and `SEC; SBC #1` -> `DEC A`), `LDA m; CLC; ADC #1;
  STA m` -> `INC m`, when C and V are dead (and A for the memory form) and decimal mode is off.
- `branch-over-branch`: `Bcc L1; BRA/JMP L2; L1:` -> `B!cc L2` when L2 is in range.
- `tail-call`: `JSR f; RTS` -> `JMP f` (`JSL f; RTL` -> `JML f`) when f is in this file and
  never looks at its own stack frame (no stack-relative access, TSC/TSX, or pull at depth 0).
- `double-via-asl`: `STA m; CLC; ADC m` -> `STA m; ASL A` when V is dead and decimal is off.
- `paired-store-16`: `LDA #lo; STA d; LDA #hi; STA d+1` with 8-bit A and 16-bit index ->
  `LDX #hilo; STX d` (or LDY/STY) when A, N/Z and that index register are dead.
- `dead-store`: a store overwritten later in the same block with no possible read between.

Decimal mode: SNES code runs with D clear; `assume_decimal_clear=False` disables the rules
that need it unless the analysis proves D = 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from afs.asm.analysis import (
    CALLS,
    CONDITIONAL,
    ENTRY,
    Analysis,
    Instr,
    access_bytes,
    analyze,
    instructions_from_listing,
    io_key,
    is_io,
    m8,
    x8,
)
from afs.asm.errors import AsmError
from afs.asm.isa import Mode
from afs.asm.liveness import ALL, FLAG_BITS, bits

INVERSE = {"BPL": "BMI", "BMI": "BPL", "BVC": "BVS", "BVS": "BVC", "BCC": "BCS", "BCS": "BCC",
           "BNE": "BEQ", "BEQ": "BNE"}
_STZ_MODES = (Mode.DIRECT, Mode.DIRECT_X, Mode.ABSOLUTE, Mode.ABSOLUTE_X)
_INC_MODES = (Mode.DIRECT, Mode.DIRECT_X, Mode.ABSOLUTE, Mode.ABSOLUTE_X)
_SIMPLE = (Mode.DIRECT, Mode.ABSOLUTE)
_NZ_FROM_A = frozenset({"LDA", "ADC", "SBC", "AND", "ORA", "EOR", "PLA", "TXA", "TYA", "TDC",
                        "TSC"})
_NZ_FROM_A_ACC = frozenset({"ASL", "LSR", "ROL", "ROR", "INC", "DEC"})
_NZ_FROM = {"X": frozenset({"LDX", "TAX", "TYX", "TSX", "INX", "DEX", "PLX"}),
            "Y": frozenset({"LDY", "TAY", "TXY", "INY", "DEY", "PLY"})}


@dataclass(frozen=True)
class Rewrite:
    rule: str
    line: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    reason: str
    assumes_decimal_clear: bool = False


@dataclass
class OptimizeResult:
    source: str
    rewrites: list[Rewrite]
    bytes_before: int
    bytes_after: int
    verified: Any = None   # EquivalenceResult when optimize(verify=True)

    @property
    def bytes_saved(self) -> int:
        return self.bytes_before - self.bytes_after


@dataclass
class _Edit:
    """Delete instruction indices `drop`; put `insert` statements where `at` was."""

    rule: str
    at: int
    drop: tuple[int, ...]
    insert: tuple[str, ...]
    reason: str
    decimal: bool = False


@dataclass
class _Ctx:
    an: Analysis
    editable: set[int]
    decimal_ok: Callable[[int], bool]

    def ins(self, i: int) -> Instr:
        return self.an.instrs[i]

    def same_block(self, *idx: int) -> bool:
        blocks = {self.an.cfg.block_of[i] for i in idx}
        leaders = set(self.an.cfg.leaders)
        return len(blocks) == 1 and not any(i in leaders for i in idx[1:]) and all(
            i in self.editable for i in idx)

    def dead(self, i: int, mask: int) -> bool:
        return not self.an.live_after[i] & mask


def _operand_text(ins: Instr) -> str | None:
    """The operand as written (`$10,X`, `Label+1`), without mnemonic or size suffix."""
    m = re.match(r"\s*[A-Za-z]{3}(\.[bwlBWL])?\s*(.*?)\s*$", ins.text)
    return m.group(2) if m else None


_SIZED = frozenset({Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y, Mode.ABSOLUTE, Mode.ABSOLUTE_X,
                    Mode.ABSOLUTE_Y, Mode.ABSOLUTE_LONG, Mode.ABSOLUTE_LONG_X})


def _same_operand(mnemonic: str, ins: Instr) -> str | None:
    """`mnemonic` on the operand of `ins` as written, size suffix included: asar sizes an
    unsuffixed operand by its text (the same for either mnemonic), but dropping a written
    `.w` would let it pick direct page for `$10` (another byte whenever D is not 0)."""
    m = re.match(r"\s*[A-Za-z]{3}(\.[bwlBWL])?\s*(.*?)\s*$", ins.text)
    if m is None or ins.mode not in _SIZED:
        return None
    return f"{mnemonic}{(m.group(1) or '').lower()} {m.group(2)}"


def _a_mask(st: Any) -> int:
    return bits("A") if m8(st) else bits("A", "B")


NZ = FLAG_BITS["N"] | FLAG_BITS["Z"]
CV = FLAG_BITS["C"] | FLAG_BITS["V"]


# --- rules ---------------------------------------------------------------------------------

def _rule_stz(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if ins.mnemonic != "LDA" or ins.mode is not Mode.IMMEDIATE_M or int(ins.operand) != 0:
        return None
    if st is None or m8(st) is None or (ins.imm_bytes == 1) != m8(st):
        return None
    j = i + 1
    stores = []
    while j < len(c.an.instrs) and c.ins(j).mnemonic == "STA" and c.ins(j).mode in _STZ_MODES:
        stores.append(j)
        j += 1
    if not stores or not c.same_block(i, *stores):
        return None
    if not c.dead(stores[-1], _a_mask(st) | NZ):
        return None
    texts = []
    for k in stores:
        text = _same_operand("stz", c.ins(k))
        if text is None:
            return None
        texts.append(text)
    return _Edit("stz", i, (i, *stores), tuple(texts),
                 "zero stores via STZ; A and N/Z are not used afterwards")


def _rule_dead_load(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if st is None or i not in c.editable:
        return None
    name = ins.mnemonic
    if name in ("CLC", "SEC"):
        mask = FLAG_BITS["C"]
    elif name in ("LDA", "TXA", "TYA"):
        if m8(st) is None or (name == "LDA" and not _pure_read(ins, st)):
            return None
        mask = _a_mask(st) | NZ
    elif name in ("LDX", "LDY", "TAX", "TAY", "TXY", "TYX"):
        if x8(st) is None or (name in ("LDX", "LDY") and not _pure_read(ins, st)):
            return None
        reg = "X" if name in ("LDX", "TAX", "TYX") else "Y"
        mask = bits(reg, reg + "H") | NZ
    else:
        return None
    if not c.dead(i, mask):
        return None
    return _Edit("dead-load", i, (i,), (), f"the result of '{ins.text}' is never used")


def _pure_read(ins: Instr, st: Any) -> bool:
    """A load that cannot touch hardware (immediate, or a plain RAM address)."""
    if ins.mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
        return True
    key = ins.data_address()
    if key is None or ins.mode not in (Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y):
        return ins.mode in (Mode.ABSOLUTE, Mode.ABSOLUTE_LONG) and key is not None and (
            io_key(key, st) is None and not is_io(key[1] & 0xFFFF))
    # An unknown (caller's) D is taken to point at RAM, as in ALTTP; a D set to an I/O page
    # in this routine is known and honoured.
    return st.dp == 0 or (st.dp == ENTRY and not is_io(key[1]))


def _rule_redundant_load(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if st is None or i not in c.editable:
        return None
    name = ins.mnemonic
    if name == "LDA" and ins.mode is Mode.IMMEDIATE_M and m8(st) is not None:
        v = int(ins.operand)
        known = st.a if m8(st) else (None if st.a is None or st.b is None else st.b << 8 | st.a)
        if known == v and (c.dead(i, NZ) or _nz_describes(c, i, "A")):
            return _Edit("redundant-load", i, (i,), (), f"A already holds ${v:X}")
    if name in ("LDX", "LDY") and ins.mode is Mode.IMMEDIATE_X and x8(st) is not None:
        known = st.xv if name == "LDX" else st.yv
        if known == int(ins.operand) and (c.dead(i, NZ) or _nz_describes(c, i, name[2])):
            return _Edit("redundant-load", i, (i,), (), f"{name[2]} already holds ${known:X}")
    if name == "LDA" and ins.mode in _SIMPLE and i >= 1 and m8(st) is not None:
        prev = c.ins(i - 1)
        if prev.mnemonic in ("STA", "LDA") and prev.mode is ins.mode and c.same_block(i - 1, i) \
                and prev.operand == ins.operand and _ram(ins, st) and (
                c.dead(i, NZ) or prev.mnemonic == "LDA" or _nz_describes(c, i, "A")):
            return _Edit("redundant-load", i, (i,), (), f"A already equals {ins.text[4:]}")
        if i >= 2:
            first, mid = c.ins(i - 2), prev
            if first.mnemonic == "LDA" and first.mode is ins.mode and first.operand == (
                    ins.operand) and mid.mnemonic in ("STA", "STX", "STY", "STZ") and (
                    mid.mode in _SIMPLE) and c.same_block(i - 2, i - 1, i) and _ram(ins, st) \
                    and _ram(mid, st) and _disjoint(mid, ins, st):
                return _Edit("redundant-load", i, (i,), (), f"A already equals {ins.text[4:]}")
    return None


def _ram(ins: Instr, st: Any) -> bool:
    key = ins.data_address()
    return key is not None and io_key(key, st) is None and not (
        key[0] == "abs" and is_io(key[1])) and not (key[0] == "dp" and st.dp not in (0, ENTRY))


def _span(ins: Instr, st: Any) -> set[int]:
    n = access_bytes(ins, st)
    return {int(ins.operand) + k for k in range(n)}


def _disjoint(a: Instr, b: Instr, st: Any) -> bool:
    """Do two direct/absolute accesses (same addressing kind) touch different bytes?"""
    if a.mode is not b.mode or a.mode not in _SIMPLE:
        return False
    return not _span(a, st) & _span(b, st)


def _nz_describes(c: _Ctx, i: int, reg: str) -> bool:
    """Do N/Z before instruction i already describe register `reg` (at the current width)?"""
    j = i - 1
    while j >= 0 and c.same_block(j, i):
        p = c.ins(j)
        if "N" in p.info.flags or "Z" in p.info.flags:
            if reg == "A":
                return p.mnemonic in _NZ_FROM_A or (
                    p.mnemonic in _NZ_FROM_A_ACC and p.mode is Mode.ACCUMULATOR)
            return p.mnemonic in _NZ_FROM[reg]
        if p.mnemonic in ("REP", "SEP", "XBA") or p.mnemonic in CALLS:
            return False
        _, df = _use_def(c, j)
        if df & bits(reg):
            return False
        j -= 1
    return False


def _use_def(c: _Ctx, j: int) -> tuple[int, int]:
    from afs.asm.liveness import use_def

    return use_def(c.ins(j), c.an.state(j))


def _rule_redundant_flag(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if st is None or i not in c.editable:
        return None
    name = ins.mnemonic
    if ins.mode not in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
        return None
    v = int(ins.operand)
    if name in ("CMP", "CPX", "CPY") and v == 0:
        reg = {"CMP": "A", "CPX": "X", "CPY": "Y"}[name]
        if c.dead(i, FLAG_BITS["C"]) and (c.dead(i, NZ) or _nz_describes(c, i, reg)):
            return _Edit("redundant-flag", i, (i,), (),
                         f"'{ins.text}' only re-derives N/Z (carry is not used)")
    full = 0xFF if ins.imm_bytes == 1 else 0xFFFF
    if (name == "AND" and v == full) or (name in ("ORA", "EOR") and v == 0):
        if m8(st) is None or (ins.imm_bytes == 1) != m8(st):
            return None
        if c.dead(i, NZ) or _nz_describes(c, i, "A"):
            return _Edit("redundant-flag", i, (i,), (), f"'{ins.text}' changes nothing")
    return None


def _rule_rep_sep(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if st is None or ins.mnemonic not in ("REP", "SEP") or i not in c.editable:
        return None
    mask = int(ins.operand)
    if i + 1 < len(c.an.instrs) and c.same_block(i, i + 1):
        nxt = c.ins(i + 1)
        if nxt.mnemonic == ins.mnemonic:
            merged = mask | int(nxt.operand)
            return _Edit("rep-sep", i, (i, i + 1), (f"{ins.mnemonic.lower()} #${merged:02X}",),
                         "adjacent mode changes merged")
        if ins.mnemonic == "REP" and nxt.mnemonic == "SEP" and not mask & ~int(nxt.operand):
            return _Edit("rep-sep", i, (i,), (), "the following SEP sets every bit this REP "
                                                 "clears")
    if mask & ~0x30 or not mask:
        return None
    want = 8 if ins.mnemonic == "SEP" else 16
    for bit, cur, inferred in ((0x20, st.m, st.m_inferred), (0x10, st.x, st.x_inferred)):
        if mask & bit and (cur != want or inferred):
            return None
    return _Edit("rep-sep", i, (i,), (), f"the width is already {want}-bit here")


def _rule_inc_dec(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if st is None or ins.mnemonic not in ("CLC", "SEC") or i + 1 >= len(c.an.instrs):
        return None
    op = c.ins(i + 1)
    want = "ADC" if ins.mnemonic == "CLC" else "SBC"
    if op.mnemonic != want or op.mode is not Mode.IMMEDIATE_M or int(op.operand) != 1:
        return None
    st_op = c.an.state(i + 1)
    if st_op is None or m8(st_op) is None or (op.imm_bytes == 1) != m8(st_op):
        return None
    if not c.same_block(i, i + 1) or not c.dead(i + 1, CV) or not c.decimal_ok(i + 1):
        return None
    new = "inc" if want == "ADC" else "dec"
    # Memory form: LDA m; CLC; ADC #1; STA m -> INC m (A dead afterwards).
    if i >= 1 and i + 2 < len(c.an.instrs):
        ld, stx = c.ins(i - 1), c.ins(i + 2)
        if ld.mnemonic == "LDA" and stx.mnemonic == "STA" and ld.mode is stx.mode and (
                ld.mode in _INC_MODES) and ld.operand == stx.operand and c.same_block(
                i - 1, i, i + 1, i + 2) and _ram(ld, st) and c.dead(i + 2, _a_mask(st) | CV):
            text = _same_operand(new, ld)
            if text is not None:
                return _Edit("inc-dec", i - 1, (i - 1, i, i + 1, i + 2), (text,),
                             f"read-modify-write {new.upper()} on memory; A, C and V are not "
                             f"used afterwards", decimal=True)
    return _Edit("inc-dec", i, (i, i + 1), (f"{new} a",),
                 f"{new.upper()} A adds/subtracts one without touching C/V, which are dead",
                 decimal=True)


def _rule_branch(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    if ins.mnemonic not in CONDITIONAL or i + 2 > len(c.an.instrs) - 1 + 1 or i + 1 >= len(
            c.an.instrs):
        return None
    jump = c.ins(i + 1)
    if jump.mnemonic not in ("BRA", "JMP") or (jump.mnemonic == "JMP" and jump.mode is not (
            Mode.ABSOLUTE)):
        return None
    if c.an.cfg.pred[i + 1] != [i] or {i, i + 1} - c.editable:
        return None
    if ins.target() != jump.end:
        return None
    text = _operand_text(jump)
    if text is None or ("+" in text.strip("+") or text.startswith(("+", "-"))):
        return None      # anonymous labels change meaning when the branch moves
    return _Edit("branch-over-branch", i, (i, i + 1), (f"{INVERSE[ins.mnemonic].lower()} {text}",),
                 "inverted branch instead of branching over a jump")


def _rule_tail_call(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    if ins.mnemonic not in CALLS or i + 1 >= len(c.an.instrs):
        return None
    ret = c.ins(i + 1)
    if (ins.mnemonic, ret.mnemonic) not in (("JSR", "RTS"), ("JSL", "RTL")):
        return None
    if ins.mode not in (Mode.ABSOLUTE, Mode.ABSOLUTE_LONG) or {i, i + 1} - c.editable:
        return None
    target = ins.target()
    callee = next((k.index for k in c.an.instrs if k.address == target), None)
    if callee is None or callee not in c.an.cfg.routines:
        return None
    for k in c.an.cfg.routines[callee]:
        body = c.ins(k)
        st = c.an.state(k)
        if body.mode in (Mode.STACK_RELATIVE, Mode.STACK_RELATIVE_INDIRECT_Y) or (
                body.mnemonic in ("TSC", "TSX")) or st is None or st.depth is None or (
                body.mnemonic.startswith("PL") and st.depth <= 0):
            return None
    text = _operand_text(ins)
    if text is None:
        return None
    jump = "jmp" if ins.mnemonic == "JSR" else "jml"
    keep_ret = c.an.cfg.pred[i + 1] != [i]
    drop = (i,) if keep_ret else (i, i + 1)
    return _Edit("tail-call", i, drop, (f"{jump} {text}",),
                 "tail call: the callee returns straight to our caller")


def _rule_double(c: _Ctx, i: int) -> _Edit | None:
    if i + 2 >= len(c.an.instrs):
        return None
    sta, clc, adc = c.ins(i), c.ins(i + 1), c.ins(i + 2)
    st = c.an.state(i)
    if st is None or sta.mnemonic != "STA" or clc.mnemonic != "CLC" or adc.mnemonic != "ADC":
        return None
    if adc.mode is not sta.mode or adc.operand != sta.operand or sta.mode not in _SIMPLE:
        return None
    if not c.same_block(i, i + 1, i + 2) or not _ram(sta, st) or m8(st) is None:
        return None
    if not c.dead(i + 2, FLAG_BITS["V"]) or not c.decimal_ok(i + 2):
        return None
    return _Edit("double-via-asl", i + 1, (i + 1, i + 2), ("asl a",),
                 "A + A is A shifted left (same carry, N and Z); V is dead", decimal=True)


def _rule_paired_store(c: _Ctx, i: int) -> _Edit | None:
    if i + 3 >= len(c.an.instrs):
        return None
    l1, s1, l2, s2 = (c.ins(i + k) for k in range(4))
    st = c.an.state(i)
    if st is None or m8(st) is not True or x8(st) is not False:
        return None
    if not (l1.mnemonic == l2.mnemonic == "LDA" and s1.mnemonic == s2.mnemonic == "STA"):
        return None
    if l1.mode is not Mode.IMMEDIATE_M or l2.mode is not Mode.IMMEDIATE_M:
        return None
    if s1.mode not in _SIMPLE or s2.mode is not s1.mode or int(s2.operand) != int(
            s1.operand) + 1:
        return None
    if not c.same_block(i, i + 1, i + 2, i + 3) or not _ram(s1, st) or not _ram(s2, st):
        return None
    if not c.dead(i + 3, bits("A") | NZ):
        return None
    value = (int(l2.operand) & 0xFF) << 8 | (int(l1.operand) & 0xFF)
    for reg in ("X", "Y"):
        store = _same_operand(f"st{reg.lower()}", s1)
        if store is not None and c.dead(i + 3, bits(reg, reg + "H")):
            return _Edit("paired-store-16", i, (i, i + 1, i + 2, i + 3),
                         (f"ld{reg.lower()} #${value:04X}", store),
                         f"one 16-bit store through the 16-bit {reg} register; A, N/Z and "
                         f"{reg} are dead")
    return None


def _rule_dead_store(c: _Ctx, i: int) -> _Edit | None:
    ins = c.ins(i)
    st = c.an.state(i)
    if st is None or ins.mnemonic not in ("STA", "STX", "STY", "STZ") or ins.mode not in _SIMPLE:
        return None
    if not _ram(ins, st) or (m8(st) is None and ins.mnemonic in ("STA", "STZ")) or (
            x8(st) is None and ins.mnemonic in ("STX", "STY")):
        return None
    mine = _span(ins, st)
    j = i + 1
    while j < len(c.an.instrs) and c.same_block(i, j):
        nxt = c.ins(j)
        sj = c.an.state(j)
        if sj is None or nxt.mnemonic in CALLS or nxt.mnemonic in ("TCD", "PLD", "PLB", "MVN",
                                                                   "MVP", "RTI", "BRK", "COP"):
            return None
        reads = nxt.info.access in ("read", "rmw") or nxt.mnemonic.startswith("PL") or (
            nxt.mode in (Mode.STACK_RELATIVE, Mode.STACK_RELATIVE_INDIRECT_Y))
        if reads and (nxt.mode is not ins.mode or not _ram(nxt, sj) or _span(nxt, sj) & mine):
            return None
        if nxt.info.access == "write" and nxt.mode is ins.mode and nxt.mnemonic in (
                "STA", "STX", "STY", "STZ"):
            known = (m8(sj) is not None) if nxt.mnemonic in ("STA", "STZ") else (
                x8(sj) is not None)
            if known and mine <= _span(nxt, sj):
                return _Edit("dead-store", i, (i,), (),
                             f"overwritten by '{nxt.text}' before anything reads it")
        j += 1
    return None


RULES: dict[str, Callable[[_Ctx, int], _Edit | None]] = {
    "stz": _rule_stz,
    "inc-dec": _rule_inc_dec,
    "paired-store-16": _rule_paired_store,
    "double-via-asl": _rule_double,
    "redundant-load": _rule_redundant_load,
    "redundant-flag": _rule_redundant_flag,
    "rep-sep": _rule_rep_sep,
    "branch-over-branch": _rule_branch,
    "tail-call": _rule_tail_call,
    "dead-store": _rule_dead_store,
    "dead-load": _rule_dead_load,
}


# --- driver --------------------------------------------------------------------------------

def _live_mask(live_out: str | Iterable[str] | None) -> int:
    from afs.asm.equivalence import parse_live_out

    if live_out is None:
        return ALL
    live = parse_live_out(live_out)
    mask = 0
    for reg, names in (("a", ("A", "B")), ("x", ("X", "XH")), ("y", ("Y", "YH")), ("s", ("S",)),
                       ("dp", ("DP",)), ("dbr", ("DBR",)), ("e", ("E",))):
        if reg in live.regs:
            mask |= bits(*names)
    for flag, name in (("N", 0x80), ("V", 0x40), ("M", 0x20), ("X", 0x10), ("D", 0x08),
                       ("I", 0x04), ("Z", 0x02), ("C", 0x01)):
        if live.flags & name:
            mask |= FLAG_BITS[flag]
    return mask | bits("M", "XF", "E")


def optimize(source: str, *, filename: str = "<input>", live_out: str | Iterable[str] | None = None,
             assume_decimal_clear: bool = True, rules: Iterable[str] | None = None,
             max_passes: int = 32, verify: bool = False, trials: int = 64,
             seed: int = 0) -> OptimizeResult:
    """Apply the peephole rules until none fires; see the module docstring for each rule.

    `live_out` names what must survive when execution falls off the end or returns from the
    routine (default: all).
    `verify=True` checks the result with `afs.asm.equivalence.check_equivalent` and keeps the
    original source if the check fails (which would be a bug in a rule).
    """
    from afs.asm.assembler import assemble

    active = [RULES[r] for r in (rules if rules is not None else RULES)]
    mask = _live_mask(live_out)
    first = assemble(source, filename=filename, base=0x008000)
    bytes_before = _code_bytes(first)
    current, assembly = source, first
    done: list[Rewrite] = []
    disabled: set[tuple[str, int]] = set()
    for _ in range(max_passes):
        edits = _plan(assembly, filename, mask, assume_decimal_clear, active, disabled, current)
        if not edits:
            break
        new_source = _apply(current, assembly, edits)
        try:
            new_assembly = assemble(new_source, filename=filename, base=0x008000)
        except AsmError:
            # A rewrite pushed a branch out of range: drop that edit and try again.
            for e in edits:
                disabled.add((e.rule, e.at))
            continue
        done.extend(_describe(assembly, edits))
        current, assembly = new_source, new_assembly
    result = OptimizeResult(current, done, bytes_before, _code_bytes(assembly))
    if verify and done:
        from afs.asm.equivalence import check_equivalent

        pre = "d=0" if any(r.assumes_decimal_clear for r in done) else None
        check = check_equivalent(source, current, live_out=live_out, preconditions=pre,
                                 trials=trials, seed=seed)
        result.verified = check
        if not check.equivalent:
            result = OptimizeResult(source, [], bytes_before, bytes_before, check)
    return result


def _code_bytes(assembly: Any) -> int:
    return sum(len(line.data) for line in assembly.listing if line.kind == "instruction")


def returns_see_live_out(an: Analysis, mask: int) -> Analysis:
    """`an` with `mask` live at every RTS/RTL, not everything: right when the code is one
    routine (nothing in it is called with JSR/JSL, so every return leaves the routine) and
    `mask` is what its caller reads, as the equivalence check compares at the return."""
    from dataclasses import replace

    from afs.asm.liveness import solve

    if an.cfg.call_targets or mask == ALL:
        return an
    return replace(an, live_after=solve(an.instrs, an.cfg, an.before, mask, returns=mask))


def locatable(lines: list[str], ins: Instr) -> bool:
    """Can `_apply` find the statement of `ins` in its source line? Not when a define
    (`STA !addr`) or a macro wrote it: such an instruction is never edited."""
    return 0 < ins.line <= len(lines) and ins.text in lines[ins.line - 1]


def _plan(assembly: Any, filename: str, mask: int, decimal_clear: bool,
          active: list[Callable[[_Ctx, int], _Edit | None]],
          disabled: set[tuple[str, int]], source: str) -> list[_Edit]:
    instrs = instructions_from_listing(assembly.listing, assembly.symbols)
    an = returns_see_live_out(analyze(instrs, live_out=mask), mask)
    per_line: dict[tuple[str, int], int] = {}
    for ins in instrs:
        per_line[ins.file, ins.line] = per_line.get((ins.file, ins.line), 0) + 1
    lines = source.split("\n")
    editable = {ins.index for ins in instrs if ins.file == filename and per_line[
        ins.file, ins.line] == 1 and an.before[ins.index] is not None
        and locatable(lines, ins)}

    def decimal_ok(i: int) -> bool:
        st = an.before[i]
        return st is not None and (st.dec == 0 or (decimal_clear and st.dec != 1))

    ctx = _Ctx(an, editable, decimal_ok)
    edits: list[_Edit] = []
    used_blocks: set[int] = set()
    taken: set[int] = set()
    for i in range(len(instrs)):
        if i not in editable:
            continue
        for rule in active:
            edit = rule(ctx, i)
            if edit is None or (edit.rule, edit.at) in disabled:
                continue
            blocks = {an.cfg.block_of[k] for k in edit.drop}
            if blocks & used_blocks or set(edit.drop) & taken or not set(edit.drop) <= editable:
                continue
            used_blocks |= blocks | {an.cfg.block_of[edit.at]}
            taken |= set(edit.drop)
            edits.append(edit)
            break
    return edits


def _apply(source: str, assembly: Any, edits: list[_Edit]) -> str:
    instrs = instructions_from_listing(assembly.listing, assembly.symbols)
    lines = source.split("\n")
    replace: dict[int, list[str] | None] = {}
    for e in edits:
        for k in e.drop:
            replace.setdefault(instrs[k].line, None)
        anchor = instrs[e.at].line
        replace[anchor] = list(e.insert)
    out: list[str] = []
    for number, text in enumerate(lines, start=1):
        if number not in replace:
            out.append(text)
            continue
        ins = next(i for i in instrs if i.line == number)
        new = replace[number] or []
        pos = text.find(ins.text)
        if pos < 0:
            # Leaving this line as it is would apply half an edit: callers edit only
            # `locatable` instructions, so this is a bug, never a silent change.
            raise ValueError(f"line {number}: cannot find {ins.text!r} to edit")
        head, tail = text[:pos], text[pos + len(ins.text):]
        indent = text[:len(text) - len(text.lstrip())]
        if new:
            out.append(head + new[0] + (tail if len(new) == 1 else ""))
            out.extend(indent + s for s in new[1:-1])
            if len(new) > 1:
                out.append(indent + new[-1] + tail)
        elif (head + tail).strip():
            out.append((head + tail).rstrip())
    return "\n".join(out)


def _describe(assembly: Any, edits: list[_Edit]) -> list[Rewrite]:
    instrs = instructions_from_listing(assembly.listing, assembly.symbols)
    return [Rewrite(e.rule, instrs[e.at].line, tuple(instrs[k].text for k in e.drop),
                    e.insert, e.reason, e.decimal) for e in edits]
