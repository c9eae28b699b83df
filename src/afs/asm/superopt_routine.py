"""Whole-routine transformations the window search cannot see, each one checked.

Every transformation proposes a candidate for the whole routine; the candidate is kept only
when `check_equivalent` finds it equivalent to the current code under the exact entry state
and live-out (`TRIALS` states here, 256 more on the final result in `superoptimize`) **and**
it is cheaper on the objective (for bytes: no slower; for cycles: at most `BYTES_FOR_CYCLES`
bytes larger). None of them is trusted on its own: a proposal whose precondition does not hold
(an index register read after a loop, a subroutine that looks at its own stack frame, a bank
that aliases differently, a carry out of a shift) fails the check and is not made.

Here: `bank setup` (`PHB / LDA #bank / PHA / PLB ... PLB` goes, absolute operands become long
where the entry DBR does not reach the same bytes); `inline subroutine` (a local subroutine
called once, straight-line, no stack use); `16-bit pairs` (width planning: adjacent 8-bit
steps on a byte and the next, in write order, as one 16-bit step between one REP and one
SEP); `16-bit guarded add` (a two-byte subtract or add stored only when it does not borrow,
as one 16-bit step); `jump table` (a compare chain on `AND #2^n-1` becomes
`ASL / TAX / JMP (t,X)`); `table lookup` (a chain of constant stores becomes data tables);
`mode change undone` and `redundant width change` (SEP/REP, CLD/SED); `drop push/pull`;
`overwritten store`; `index step` (`TYA / CLC / ADC #k / TAY` -> k x INY);
`read-modify-write` (`LDA m / CLC / ADC #1 / STA m` -> `INC m`); `bit test` (`AND #bit /
CMP #bit / BNE` -> `BEQ`, `BPL`, `BIT / BVC`); `redundant reload`; `bit set/clear`
(TSB/TRB); branch layout (`branch over branch`, `sink store`). Loops and multiplication are
in `afs.asm.superopt_loops`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from afs.asm.isa import Mode
from afs.asm.superopt_context import (
    _BRANCHES,
    _NO_MEMORY,
    _PLAIN,
    _STACK,
    _STORES,
    _WRITES,
    APPEND,
    _bytes,
    _context,
    _Ctx,
    _edit,
    _imm,
    _index_at,
    _labelled,
    _operand,
    _pairs,
)
from afs.asm.superopt_loops import (
    _block_move,
    _count_down,
    _fusion,
    _hoist,
    _multiply,
    _widen_loop,
)

#: States per candidate here: a screen, since `superoptimize` checks the whole result again
#: on 256 states and keeps the original if that fails.
TRIALS = 24


_PUSH_PULL = {"PHA": "PLA", "PHX": "PLX", "PHY": "PLY", "PHP": "PLP", "PHB": "PLB",
              "PHD": "PLD"}


_LONG_FORM = {Mode.ABSOLUTE: Mode.ABSOLUTE_LONG, Mode.ABSOLUTE_X: Mode.ABSOLUTE_LONG_X}


@dataclass
class RoutineChange:
    """One accepted transformation: the new source and what the check measured."""

    name: str
    line: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    source: str
    detail: str


# --- proposals -----------------------------------------------------------------------------


def _inline(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    instrs = ctx.instrs
    symbols: dict[str, int] = ctx.assembly.symbols  # type: ignore[attr-defined]
    for k, call in enumerate(instrs):
        if call.mnemonic != "JSR" or call.mode is not Mode.ABSOLUTE:
            continue
        start = _index_at(ctx, call.target())
        if start is None or start == 0 or instrs[start - 1].mnemonic not in (
                "RTS", "RTL", "JMP", "JML", "BRA", "BRL"):
            continue
        names = [n for n, a in symbols.items() if a == instrs[start].address]
        written = _operand(call)
        # The label as the call writes it must occur exactly twice: its definition and this
        # call (no other caller, jump table or same-named sublabel elsewhere).
        if len(names) != 1 or not re.fullmatch(r"\.?\w+", written) or \
                _mentions(ctx.source, written) != 2:
            continue
        body = []
        for ins in instrs[start:]:
            if ins.mnemonic == "RTS":
                break
            if ins.mnemonic in _STACK or ins.mnemonic in _BRANCHES or (
                    ins.index != start and _labelled(ctx, ins)) or ins.mode in (
                    Mode.STACK_RELATIVE, Mode.STACK_RELATIVE_INDIRECT_Y, Mode.RELATIVE8):
                body = []
                break
            body.append(ins)
        else:
            continue
        if not body:
            continue
        ret = body[-1].index + 1
        changes = {k: tuple(ins.text for ins in body), ret: ()}
        changes.update({ins.index: () for ins in body})
        yield f"inline subroutine {written}", call.line, changes


def _mentions(source: str, name: str) -> int:
    """How often a label's name, as written, occurs in the source (comments aside)."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])")
    return sum(len(pattern.findall(line.split(";")[0])) for line in source.split("\n"))


def _push_pull(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    instrs = ctx.instrs
    for k, push in enumerate(instrs):
        pull = _PUSH_PULL.get(push.mnemonic)
        if pull is None:
            continue
        reg = {"PHA": "A", "PHX": "X", "PHY": "Y", "PHP": "P", "PHB": "B", "PHD": "D"}[
            push.mnemonic]
        for j in range(k + 1, len(instrs)):
            ins = instrs[j]
            if ins.mnemonic == pull:
                yield "drop push/pull", push.line, {k: (), j: ()}
                break
            if ins.mnemonic in _STACK or ins.mnemonic in _WRITES[reg] or ins.mode in (
                    Mode.STACK_RELATIVE, Mode.STACK_RELATIVE_INDIRECT_Y) or (
                    ins.mnemonic in _BRANCHES and ins.mnemonic not in ("JMP", "JML")
                    and (_index_at(ctx, ins.target()) or 0) <= k) or ins.mnemonic in (
                    "JSR", "JSL", "RTS", "RTL"):
                break


def _bank_setup(ctx: _Ctx, pre: dict[str, int]
                ) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    from afs.asm.superopt import _INFO, _byte_addresses

    instrs = ctx.instrs
    for k in range(len(instrs) - 4):
        phb, lda, pha, plb = instrs[k:k + 4]
        bank = _imm(lda, "LDA")
        if (phb.mnemonic, pha.mnemonic, plb.mnemonic) != ("PHB", "PHA", "PLB") or \
                bank is None or lda.size != 2:
            continue
        end = next((j for j in range(k + 4, len(instrs)) if instrs[j].mnemonic in (
            "PLB", "PHB", "MVN", "MVP", "RTS", "RTL")), None)
        if end is None or instrs[end].mnemonic != "PLB":
            continue
        changes: dict[int, tuple[str, ...]] = {j: () for j in (k, k + 1, k + 2, k + 3, end)}
        dbr = pre.get("dbr")
        for ins in instrs[k + 4:end]:
            if ins.mode not in (Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y) or \
                    ins.mnemonic in ("JMP", "JSR", "PEA"):
                continue
            if dbr is not None and _reaches_same(ins, bank, dbr, _byte_addresses):
                continue
            long_mode = _LONG_FORM.get(ins.mode)
            if long_mode is None or (ins.mnemonic, long_mode) not in _INFO:
                changes = {}
                break
            suffix = ",X" if ins.mode is Mode.ABSOLUTE_X else ""
            changes[ins.index] = (f"{ins.mnemonic.lower()}.l ${bank:02X}"
                                  f"{int(ins.operand):04X}{suffix}",)
        if changes:
            yield "bank setup", phb.line, changes


def _reaches_same(ins: object, bank: int, dbr: int, addresses: Callable) -> bool:
    """Does the absolute operand reach the same bytes with DBR = `dbr` as with `bank`, for
    every index value? (Widths both ways: 2 bytes covers the 8-bit case.)"""
    mode, operand = ins.mode, int(ins.operand)  # type: ignore[attr-defined]
    indexes = range(1) if mode is Mode.ABSOLUTE else range(0x10000)
    return all(addresses(mode, operand, i, 2, 0, bank) == addresses(mode, operand, i, 2, 0, dbr)
               for i in indexes)


def _widen(ctx: _Ctx, pre: dict[str, int]) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """Width planning for byte pairs: adjacent 8-bit steps on a byte and the next (constant
    stores, a two-byte add or subtract, a two-byte copy) become one 16-bit step, each run of
    them between one `REP #$20` and one `SEP #$20` (the write order is kept: low, then high);
    a run right after a `SEP #$20` extends the 16-bit stretch before it instead."""
    from afs.asm.analysis import analyze, m8
    from afs.asm.superopt import _entry_state

    an = analyze(ctx.instrs, entry=_entry_state(pre))  # type: ignore[arg-type]
    for run in _bytes(ctx, pre):
        k = 0
        while k < len(run) - 1:
            merged: list[tuple[str, ...]] = []
            start = k
            while k < len(run) - 1 and (pair := _pairs(run[k], run[k + 1])) is not None \
                    and not (run[k].bare and not merged):
                merged.append(pair)
                k += 2
            if len(merged) < 2 and not (merged and any(run[j].kind != "const"
                                                       for j in range(start, k))):
                k = max(k, start + 1)
                continue
            steps = [run[j] for j in range(start, k)]
            first = steps[0].indices[0]
            changes = {idx: () for step in steps for idx in step.indices}
            # Right after a `SEP #$20`, the 16-bit stretch before it is extended instead.
            before = an.before[first - 1] if first > 0 else None
            extend = before is not None and m8(before) is False and \
                ctx.instrs[first - 1].mnemonic == "SEP" and \
                ctx.instrs[first - 1].operand == 0x20 and (first - 1) in ctx.editable
            changes[first] = (*(() if extend else ("rep #$20",)),
                              *(t for pair in merged for t in pair), "sep #$20")
            if extend:
                changes[first - 1] = ()
            if k < len(run) and run[k].bare:
                follow = run[k].indices[0]
                changes[follow] = (f"lda #${run[k].value:02X}", ctx.instrs[follow].text)
            yield "16-bit pairs", ctx.instrs[first].line, changes


_UNDO = {("SEP", "REP"), ("REP", "SEP"), ("CLD", "SED"), ("SED", "CLD")}


def _drop_width(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A REP/SEP that may change nothing (the width is already so, or is restored by a PLP
    before anything reads it): try it without; and a mode change undone by the very next
    instruction (`SEP #$20 / REP #$20`, `CLD / SED`): try the code without both."""
    instrs = ctx.instrs
    for k, ins in enumerate(instrs):
        nxt = instrs[k + 1] if k + 1 < len(instrs) else None
        if nxt is not None and (ins.mnemonic, nxt.mnemonic) in _UNDO and \
                ins.operand == nxt.operand and not _labelled(ctx, nxt):
            yield "mode change undone", ins.line, {k: (), k + 1: ()}
        if ins.mnemonic in ("REP", "SEP"):
            yield "redundant width change", ins.line, {ins.index: ()}


def _jump_table(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A compare chain that dispatches on `AND #2^n-1` (`BEQ L0 / CMP #1 / BEQ L1 ...` or
    `CMP #k / BNE + / JMP Lk / +`), the rest going to a default, becomes
    `ASL A / TAX / JMP (table,X)` over a table of every value's target."""
    instrs = ctx.instrs
    for i, ins in enumerate(instrs):
        mask = _imm(ins, "AND")
        if mask is None or mask not in (3, 7, 15) or ins.size != 2:
            continue
        targets: dict[int, str] = {}
        value: int | None = 0
        pos = i + 1
        while pos < len(instrs):
            cur = instrs[pos]
            if cur.mnemonic == "CMP" and _imm(cur, "CMP") is not None and cur.size == 2:
                value = _imm(cur, "CMP")
                pos += 1
                continue
            if value is None or value in targets or value > mask:
                break
            if cur.mnemonic == "BEQ":
                targets[value] = _operand(cur)
                value, pos = None, pos + 1
                continue
            if cur.mnemonic == "BNE" and pos + 1 < len(instrs) and instrs[pos + 1].mnemonic in (
                    "JMP", "BRA", "BRL") and cur.target() == instrs[pos + 1].end and \
                    instrs[pos + 1].mode in (Mode.ABSOLUTE, Mode.RELATIVE8, Mode.RELATIVE16):
                targets[value] = _operand(instrs[pos + 1])
                value, pos = None, pos + 2
                continue
            break
        if len(targets) < 3 or pos >= len(instrs):
            continue
        default_ins = instrs[pos]
        changes: dict[int, tuple[str, ...]] = {k: () for k in range(i + 1, pos)}
        table = f".afs_table_{i}"
        if default_ins.mnemonic in ("JMP", "BRA", "BRL") and default_ins.mode in (
                Mode.ABSOLUTE, Mode.RELATIVE8, Mode.RELATIVE16):
            default = _operand(default_ins)
            changes[pos] = ()
        else:
            default = f".afs_default_{i}"
            changes[pos] = (default, default_ins.text)
        if any(not re.fullmatch(r"[.\w]+", t) for t in (*targets.values(), default)):
            continue
        entries = ", ".join(targets.get(v, default) for v in range(mask + 1))
        changes[i + 1] = ("asl a", "tax", f"jmp ({table},x)", table, f"dw {entries}")
        yield "jump table", ins.line, changes


def _overwritten(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A store (indexed ones too) that a later store of the same operand overwrites in the
    same straight-line stretch, with nothing between that reads memory or moves the index."""
    instrs = ctx.instrs
    for i, ins in enumerate(instrs):
        if ins.mnemonic not in _STORES or ins.operand is None:
            continue
        index = {Mode.ABSOLUTE_X: "X", Mode.DIRECT_X: "X", Mode.ABSOLUTE_LONG_X: "X",
                 Mode.ABSOLUTE_Y: "Y", Mode.DIRECT_Y: "Y"}.get(ins.mode)
        for j in range(i + 1, len(instrs)):
            nxt = instrs[j]
            if _labelled(ctx, nxt) or nxt.mnemonic in _BRANCHES or nxt.mnemonic in _STACK or \
                    nxt.mnemonic in ("JSR", "JSL", "MVN", "MVP", "REP", "SEP", "XCE") or \
                    (index is not None and nxt.mnemonic in _WRITES[index]):
                break
            if nxt.mnemonic in _STORES and nxt.mode is ins.mode and nxt.operand == ins.operand:
                yield "overwritten store", ins.line, {i: ()}
                break
            if nxt.mode not in _NO_MEMORY and nxt.mnemonic not in _STORES:
                break


def _steps(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """Small steps through A done directly: `TYA / CLC / ADC #k / TAY` -> k x `INY` (k <= 4,
    and SBC -> DEY; X alike), and `LDA m / CLC / ADC #1 / STA m` -> `INC m` (SBC -> DEC)."""
    from afs.asm.superopt import _INFO

    instrs = ctx.instrs
    for i in range(len(instrs) - 3):
        a, b, c, d = instrs[i:i + 4]
        if any(_labelled(ctx, ins) for ins in (b, c, d)):
            continue
        op = {"CLC": "ADC", "SEC": "SBC"}.get(b.mnemonic)
        k = _imm(c, op) if op is not None and c.mnemonic == op else None
        if k is None:
            continue
        if a.mnemonic in ("TYA", "TXA") and d.mnemonic == "TA" + a.mnemonic[1] and 1 <= k <= 4:
            reg = a.mnemonic[1].lower()
            step = ("in" if op == "ADC" else "de") + reg
            yield "index step", a.line, {i: (step,) * k, i + 1: (), i + 2: (), i + 3: ()}
        # The load may sit before a branch that tests it: `LDA m / BEQ + / SEC / SBC #1 /
        # STA m` keeps the load and the branch, and the rest becomes `DEC m`.
        tested = a.mnemonic in _BRANCHES and i > 0 and not _labelled(ctx, a)
        load = instrs[i - 1] if tested else a
        if load.mnemonic == "LDA" and d.mnemonic == "STA" and load.mode is d.mode and \
                load.operand == d.operand and k == 1:
            from afs.asm.optimizer import _same_operand

            name = "INC" if op == "ADC" else "DEC"
            text = _same_operand(name.lower(), load) if (name, load.mode) in _INFO else None
            if text is not None:
                first = i + 1 if tested else i
                changes = {j: () for j in range(first, i + 4)}
                changes[first] = (text,)
                yield "read-modify-write", load.line, changes


def _bit_sets(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """`LDA m / ORA #k / STA m` is `LDA #k / TSB m`; `LDA m / AND #k / STA m` is
    `LDA #~k / TRB m` (A and the flags end otherwise: the check decides)."""
    from afs.asm.optimizer import _same_operand
    from afs.asm.superopt import _INFO

    instrs = ctx.instrs
    for k in range(len(instrs) - 2):
        load, op, store = instrs[k:k + 3]
        value = _imm(op, op.mnemonic) if op.mnemonic in ("ORA", "AND") else None
        if value is None or load.mnemonic != "LDA" or store.mnemonic != "STA" or \
                load.mode is not store.mode or load.operand != store.operand or \
                _labelled(ctx, op) or _labelled(ctx, store):
            continue
        name = "TSB" if op.mnemonic == "ORA" else "TRB"
        if (name, load.mode) not in _INFO:
            continue
        mask = (1 << (8 * (op.size - 1))) - 1
        bits = value if name == "TSB" else ~value & mask
        text = _same_operand(name.lower(), load)
        if text is not None:
            yield "bit set/clear", load.line, {
                k: (f"lda #${bits:0{2 * (op.size - 1)}X}",), k + 1: (text,), k + 2: ()}


def _bit_tests(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """`AND #bit / CMP #bit / BNE L` tests one bit: `AND #bit / BEQ L` does (BEQ -> BNE);
    after `LDA m`, bit 7 is `BPL`/`BMI` on the load itself and bit 6 `BIT m / BVC`/`BVS`."""
    instrs = ctx.instrs
    for i in range(1, len(instrs) - 2):
        load, mask, cmp, branch = instrs[i - 1:i + 3]
        bit = _imm(mask, "AND")
        if bit is None or mask.size != 2 or bit & (bit - 1) or not bit or \
                _imm(cmp, "CMP") != bit or branch.mnemonic not in ("BNE", "BEQ") or \
                any(_labelled(ctx, ins) for ins in (mask, cmp, branch)):
            continue
        target = _operand(branch)
        taken_when_clear = branch.mnemonic == "BNE"
        if load.mnemonic == "LDA" and load.mode in (*_PLAIN, Mode.ABSOLUTE_X, Mode.DIRECT_X) \
                and not _labelled(ctx, load):
            if bit == 0x80:
                yield "bit test", mask.line, {
                    i: (f"{'bpl' if taken_when_clear else 'bmi'} {target}",), i + 1: (),
                    i + 2: ()}
            if bit == 0x40 and load.mode in _PLAIN[:2]:
                from afs.asm.optimizer import _same_operand

                yield "bit test", mask.line, {
                    i - 1: (_same_operand("bit", load) or "",), i: (
                        f"{'bvc' if taken_when_clear else 'bvs'} {target}",), i + 1: (),
                    i + 2: ()}
        yield "bit test", mask.line, {
            i + 1: (), i + 2: (f"{'beq' if taken_when_clear else 'bne'} {target}",)}


def _misses(write: object, store: object, index8: bool) -> bool:
    """Can `write` (a store between) never reach the bytes of `store`? Same addressing kind,
    and its operand (plus any 8-bit index) stays clear of them."""
    base = {Mode.ABSOLUTE_X: Mode.ABSOLUTE, Mode.ABSOLUTE_Y: Mode.ABSOLUTE,
            Mode.DIRECT_X: Mode.DIRECT, Mode.DIRECT_Y: Mode.DIRECT}
    mode = write.mode  # type: ignore[attr-defined]
    if base.get(mode, mode) is not store.mode or not (  # type: ignore[attr-defined]
            mode in (Mode.ABSOLUTE, Mode.DIRECT) or index8):
        return False
    low = int(write.operand)  # type: ignore[attr-defined]
    high = low + (0xFF if mode in base else 0) + 1
    target = int(store.operand)  # type: ignore[attr-defined]
    return target + 1 < low or target > high


def _reload(ctx: _Ctx, pre: dict[str, int]
            ) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """`STX m ... LDX m` (Y, A alike) with the register and m untouched between (stores
    between that provably miss m are fine): the load goes."""
    instrs = ctx.instrs
    for i, store in enumerate(instrs):
        reg = {"STX": "X", "STY": "Y", "STA": "A"}.get(store.mnemonic)
        if reg is None or store.mode not in _PLAIN:
            continue
        for j in range(i + 1, len(instrs)):
            ins = instrs[j]
            if _labelled(ctx, ins) or ins.mnemonic in _BRANCHES or ins.mnemonic in _STACK or \
                    ins.mnemonic in ("JSR", "JSL", "REP", "SEP", "MVN", "MVP") or \
                    (ins.mnemonic in _WRITES[reg] and not (
                        ins.mnemonic == "LD" + reg and ins.mode is store.mode
                        and ins.operand == store.operand)):
                break
            if ins.mnemonic == "LD" + reg:
                yield "redundant reload", ins.line, {j: ()}
                break
            if ins.info.access in ("write", "rmw") and ins.mode not in _NO_MEMORY and \
                    not _misses(ins, store, pre.get("x") == 1):
                break


def _arm(instrs: list, pos: int) -> tuple[list[tuple[object, int]], int]:
    """The constant stores `LDA #c / STA d` (or `STZ d`) from `pos`: ([(store, c)], next)."""
    stores: list[tuple[object, int]] = []
    while pos < len(instrs):
        ins = instrs[pos]
        if ins.mnemonic == "STZ":
            stores.append((ins, 0))
            pos += 1
        elif _imm(ins, "LDA") is not None and ins.size == 2 and pos + 1 < len(instrs) and \
                instrs[pos + 1].mnemonic == "STA":
            stores.append((instrs[pos + 1], _imm(ins, "LDA") or 0))
            pos += 2
        else:
            break
    return stores, pos


def _switch_table(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A chain on `AND #mask` whose arms only store constants to the same places
    (`CMP #v / BNE next / LDA #c / STA d ... / BRA done`, then a default arm) becomes a table
    lookup: the value, shifted down to an index, reads one new table per place."""
    from afs.asm.optimizer import _same_operand

    instrs = ctx.instrs
    if not instrs or instrs[-1].mnemonic not in ("RTS", "RTL", "JMP", "JML", "BRA", "BRL"):
        return
    for i, ins in enumerate(instrs):
        mask = _imm(ins, "AND")
        if mask is None or ins.size != 2 or not 0 < mask < 0x20:
            continue
        step = mask & -mask
        if (mask // step) & (mask // step + 1):
            continue             # the values must be every multiple of step up to mask
        cases: dict[int, list[tuple[object, int]]] = {}
        pos, done = i + 1, None
        while pos < len(instrs):
            value = _imm(instrs[pos], "CMP") if instrs[pos].mnemonic == "CMP" else (
                0 if not cases else None)
            if value is None:
                break
            pos += instrs[pos].mnemonic == "CMP"
            branch = instrs[pos] if pos < len(instrs) else None
            if branch is None or branch.mnemonic != "BNE" or value in cases or \
                    value % step or value > mask:
                return
            stores, pos = _arm(instrs, pos + 1)
            exit_ = instrs[pos] if pos < len(instrs) else None
            if not stores or exit_ is None or exit_.mnemonic not in ("BRA", "JMP") or \
                    pos + 1 >= len(instrs) or branch.target() != instrs[pos + 1].address or \
                    (done is not None and exit_.target() != done):
                break
            done, pos = exit_.target(), pos + 1
            cases[value] = stores
        default, end = _arm(instrs, pos)
        if len(cases) < 2 or not default or end >= len(instrs) or \
                instrs[end].address != done:
            continue
        places = [(d.mode, d.operand) for d, _ in default]
        if any([(d.mode, d.operand) for d, _ in arm] != places for arm in cases.values()):
            continue
        index = "y" if any(d.mode in (Mode.ABSOLUTE_X, Mode.DIRECT_X, Mode.ABSOLUTE_LONG_X)
                           for d, _ in default) else "x"
        if any(d.mode in (Mode.ABSOLUTE_Y, Mode.DIRECT_Y) for d, _ in default) and \
                index == "y":
            continue
        code = ["lsr a"] * (step.bit_length() - 1) + [f"ta{index}"]
        tables = []
        for j, (store, _) in enumerate(default):
            text = _same_operand("sta", store)  # type: ignore[arg-type]
            if text is None:
                break
            label = f"AfsTable{ins.address & 0xFFFF:04X}_{j}"
            code += [f"lda.w {label},{index}", text]
            values = [dict(cases).get(v * step, default)[j][1] for v in range(mask // step + 1)]
            tables += [f"{label}:", "db " + ", ".join(f"${v:02X}" for v in values)]
        else:
            changes = {k: () for k in range(i + 1, end)}
            changes[i + 1] = tuple(code)
            changes[APPEND] = tuple(tables)
            yield "table lookup", ins.line, changes


def _guarded_pair(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A two-byte subtract (or add) kept only when it does not borrow (carry):
    `LDA m / SEC / SBC #l / TAX / LDA m+1 / SBC #h / BCC L / STA m+1 / STX m / L:` is
    `REP #$20 / LDA m / SEC / SBC #hl / BCC L / STA m / L: SEP #$20` (X's copy not kept)."""
    from afs.asm.optimizer import _same_operand

    instrs = ctx.instrs
    for i in range(len(instrs) - 9):
        lo, flag, op, keep, hi, op2, branch, st_hi, st_lo, after = instrs[i:i + 10]
        reg = keep.mnemonic[-1] if keep.mnemonic in ("TAX", "TAY") else None
        name = {"SEC": "SBC", "CLC": "ADC"}.get(flag.mnemonic)
        if reg is None or name is None or op.mnemonic != name or op2.mnemonic != name or \
                _imm(op, name) is None or _imm(op2, name) is None or op.size != 2 or \
                lo.mnemonic != "LDA" or hi.mnemonic != "LDA" or lo.mode not in _PLAIN or \
                hi.mode is not lo.mode or int(hi.operand) != int(lo.operand) + 1 or \
                branch.mnemonic not in ("BCC", "BCS") or branch.target() != after.address or \
                st_hi.mnemonic != "STA" or st_hi.mode is not hi.mode or \
                st_hi.operand != hi.operand or st_lo.mnemonic != "ST" + reg or \
                st_lo.mode is not lo.mode or st_lo.operand != lo.operand or \
                any(_labelled(ctx, ins) for ins in instrs[i + 1:i + 9]):
            continue
        word = (_imm(op2, name) or 0) << 8 | (_imm(op, name) or 0)
        load, store = _same_operand("lda", lo), _same_operand("sta", lo)
        if load is None or store is None:
            continue
        changes = {k: () for k in range(i, i + 9)}
        changes[i] = ("rep #$20", load, flag.text, f"{name.lower()} #${word:04X}",
                      branch.text, store)
        changes[i + 9] = ("sep #$20", after.text)
        yield "16-bit guarded add", lo.line, changes


_INVERSE = {"BPL": "bmi", "BMI": "bpl", "BVC": "bvs", "BVS": "bvc", "BCC": "bcs", "BCS": "bcc",
            "BNE": "beq", "BEQ": "bne"}


def _branches(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """Branch layout: `Bcc L1 / BRA L2 / L1:` is `B!cc L2` (anonymous labels too: the check
    refuses a `+` that would now mean another label); and a store done on both paths of a
    branch sinks below it: `STA m / CMP x / Bcc L / LDA y / STA m / L:` stores once, at L."""
    instrs = ctx.instrs
    for k in range(len(instrs) - 2):
        cond, jump, after = instrs[k:k + 3]
        if cond.mnemonic in _INVERSE and jump.mnemonic == "BRA" and \
                cond.target() == after.address and not _labelled(ctx, jump):
            yield "branch over branch", cond.line, {
                k: (f"{_INVERSE[cond.mnemonic]} {_operand(jump)}",), k + 1: ()}
    for k in range(len(instrs) - 5):
        store, test, cond, load, again, join = instrs[k:k + 6]
        if store.mnemonic == "STA" and again.mnemonic == "STA" and store.mode is again.mode \
                and store.operand == again.operand and store.mode in _PLAIN and \
                test.mnemonic in ("CMP", "CPX", "CPY", "BIT") and cond.mnemonic in _INVERSE \
                and cond.target() == join.address and load.mnemonic == "LDA" and \
                not (load.mode is store.mode and load.operand == store.operand) and \
                not (test.mode is store.mode and test.operand == store.operand) and \
                not any(_labelled(ctx, ins) for ins in (test, cond, load, again)) and \
                sum(ins.target() == join.address for ins in instrs) == 1:
            yield "sink store", store.line, {k: (), k + 4: (), k + 5: (again.text, join.text)}


# --- driver --------------------------------------------------------------------------------


def _proposals(ctx: _Ctx, pre: dict[str, int], guessed: frozenset[str] = frozenset()
               ) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    # Structural changes first (they enable the others: fused loops share one hoisted load).
    yield from _bank_setup(ctx, pre)
    yield from _inline(ctx)
    yield from _multiply(ctx)
    yield from _fusion(ctx)
    yield from _block_move(ctx)
    yield from _hoist(ctx)
    yield from _count_down(ctx)
    yield from _guarded_pair(ctx)
    yield from _widen(ctx, pre)
    yield from _widen_loop(ctx, pre)
    yield from _jump_table(ctx)
    yield from _switch_table(ctx)
    if not guessed:
        yield from _drop_width(ctx)
    yield from _push_pull(ctx)
    yield from _overwritten(ctx)
    yield from _steps(ctx)
    yield from _bit_tests(ctx)
    yield from _bit_sets(ctx)
    yield from _branches(ctx)
    yield from _reload(ctx, pre)


def routine_pass(source: str, *, filename: str = "<input>", live_out: str | None = None,
                 pre: dict[str, int] | None = None, objective: str = "cycles",
                 deadline: float | None = None, seed: int = 0,
                 guessed: frozenset[str] = frozenset()) -> list[RoutineChange]:
    """Apply the transformations above one at a time, each kept only when the equivalence
    checker confirms it and it is cheaper; returns the accepted changes in order (the last
    one's `source` is the result). `guessed` names entry widths (`m`, `x`) in `pre` that are
    guesses: then no REP/SEP is removed, since that would rest on the guess alone."""
    from afs.asm.equivalence import check_equivalent
    from afs.asm.superopt import clock

    pre = dict(pre or {})
    changes: list[RoutineChange] = []
    current = source
    refused: set[tuple] = set()
    progress = True
    while progress:
        progress = False
        try:
            ctx = _context(current, filename)
        except Exception:  # the current source no longer assembles here: stop improving
            return changes
        for name, line, edit in _proposals(ctx, pre, guessed):
            if deadline is not None and clock() > deadline:
                return changes
            # A refused proposal stays refused after other changes: it is known by what it
            # replaces, what with, and the instruction before it.
            first = min(k for k in edit if k != APPEND)
            key = (name, ctx.instrs[first - 1].text if first else "",
                   tuple(ctx.instrs[k].text for k in sorted(edit) if k != APPEND),
                   tuple(t for k in sorted(edit) for t in edit[k]))
            if key in refused:
                continue
            candidate = _edit(ctx, edit)
            if candidate is not None and name.startswith("inline subroutine "):
                candidate = _drop_label(candidate, name.rsplit(" ", 1)[1])
            if candidate is None:
                continue
            try:
                check = check_equivalent(current, candidate, live_out=live_out,
                                         preconditions=pre or None, trials=TRIALS, seed=seed,
                                         infer_widths=False)
            except Exception:  # does not assemble (a branch out of range) or runs away
                refused.add(key)
                continue
            if not check.equivalent or not _cheaper(check, objective):
                refused.add(key)
                continue
            before = tuple(ctx.instrs[k].text for k in sorted(edit) if k != APPEND)
            after = tuple(t for k in sorted(edit) for t in edit[k])
            original, final = check.metrics["original"], check.metrics["candidate"]
            changes.append(RoutineChange(
                name, line, before, after, candidate,
                f"{name}: {original.bytes}->{final.bytes} bytes, "
                f"{original.cycles_mean:.1f}->{final.cycles_mean:.1f} cycles; whole routine "
                f"checked on {check.trials} states"))
            current = candidate
            progress = True
            break
    return changes


def _drop_label(source: str, name: str) -> str:
    """Remove the line that only defines the inlined subroutine's label (now unused)."""
    pattern = re.compile(rf"^\s*{re.escape(name)}:?\s*(;.*)?$")
    return "\n".join(line for line in source.split("\n") if not pattern.match(line))


#: Bytes a change may add when the objective is cycles (a jump table, a hoisted load).
BYTES_FOR_CYCLES = 24


def _cheaper(check: object, objective: str) -> bool:
    """Cheaper on the objective; for bytes, no slower; for cycles, at most
    `BYTES_FOR_CYCLES` bytes larger."""
    before = check.metrics["original"]  # type: ignore[attr-defined]
    after = check.metrics["candidate"]  # type: ignore[attr-defined]
    if objective == "bytes":
        return after.bytes < before.bytes and after.cycles_mean <= before.cycles_mean
    return after.cycles_mean < before.cycles_mean and \
        after.bytes <= before.bytes + BYTES_FOR_CYCLES
