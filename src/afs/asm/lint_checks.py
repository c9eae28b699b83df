"""The lint checks: each reads `afs.asm.analysis` facts and yields `Finding`s for its rules.

Here the checks of the CPU's state (widths, the stack, calls, registers, compares, interrupts,
flags); `afs.asm.lint_hardware` has those of the machine around it. `CHECKS` lists all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from afs.asm.analysis import (
    BRANCH_FLAG,
    CALLS,
    CONDITIONAL,
    ENTRY,
    RETURNS,
    Analysis,
    Instr,
    State,
    flag_producer,
    m8,
    push_size,
    x8,
)
from afs.asm.flow import reachable
from afs.asm.isa import Mode
from afs.asm.lint_hardware import check_banks, check_hardware, check_loops, check_pointers
from afs.asm.lint_rules import Finding, LintContext, replace_fix
from afs.asm.liveness import bits, use_def

# --- width and stack -----------------------------------------------------------------------

def _check_widths(c: LintContext) -> Iterator[Finding]:
    for ins in c.an.instrs:
        if ins.mode not in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X) or c.an.before[ins.index] is None:
            continue
        st = c.st(ins.index)
        is_m = ins.mode is Mode.IMMEDIATE_M
        w = m8(st) if is_m else x8(st)
        reg = "A" if is_m else "X/Y"
        raw = st.m if is_m else st.x
        assembled8 = ins.imm_bytes == 1
        if w is None and raw is None and not _width_set_back(c, ins.index, is_m,
                                                               8 if assembled8 else 16):
            yield c.find("M002", ins, f"{reg} may be 8- or 16-bit here (paths disagree); "
                                      f"'{ins.text}' assumes {8 if assembled8 else 16}-bit.")
        elif w is not None and w != assembled8 and (st.m_assumed if is_m else st.x_assumed):
            # The width is only the assumption that the callee preserved it; shipped code
            # calls routines that return with another width, and this immediate says so.
            yield c.find("M002", ins, f"{reg} is {8 if w else 16}-bit only if the routine called "
                                      f"before preserved it; '{ins.text}' assumes "
                                      f"{8 if assembled8 else 16}-bit (check what it returns "
                                      f"with).")
        elif w is not None and w != assembled8:
            want = 8 if w else 16
            inferred = st.m_inferred if is_m else st.x_inferred
            why = "an earlier immediate" if inferred else "REP/SEP"
            value = int(ins.operand)
            new_op = f"#${value & 0xFF:02X}" if w else f"#${value:04X}"
            fixed = re.sub(r"#\S+", new_op, ins.text, count=1)
            yield c.find("M001", ins, f"{reg} is {want}-bit here (set by {why}) but "
                                      f"'{ins.text}' assembles a {8 if assembled8 else 16}-bit "
                                      f"immediate, so the following bytes decode wrongly.",
                         replace_fix(ins, fixed))


def _width_set_back(c: LintContext, i: int, is_m: bool, width: int) -> bool:
    """Do the disagreeing paths reaching `i` only bring the caller's width and the width this
    immediate assumes, set back after a switch: round a loop (the loop restores it before
    looping) or by `REP #$20 ... SEP #$20` on the way (the author restores the width they
    were in, which is the caller's)? Then no path is shown to run it at another width."""
    an = c.an
    flag = "m" if is_m else "x"
    sources: list[tuple[object, bool]] = []
    seen = {i}
    work = [i]
    while work:
        j = work.pop()
        for p in an.cfg.pred[j]:
            out = an.state_after(p)
            if out is None:
                continue
            value = getattr(out, flag)
            if value is None:
                if p not in seen:
                    seen.add(p)
                    work.append(p)
            elif value != ENTRY:
                sources.append((value, p >= j or _restored(c, p, flag, width)))
    return bool(sources) and all(value == width and ok for value, ok in sources)


def _restored(c: LintContext, p: int, flag: str, width: int) -> bool:
    """Is the width at `p` (on its one straight-line way in) set by a REP/SEP that switches
    back from the other width, which an earlier REP/SEP on the way had set?"""
    an = c.an
    bit = 0x20 if flag == "m" else 0x10
    j = p
    seen: set[int] = set()
    while j not in seen:
        seen.add(j)
        ins = an.instrs[j]
        if ins.mnemonic in ("REP", "SEP") and int(ins.operand) & bit:
            st = an.before[j]
            other = 16 if width == 8 else 8
            return st is not None and getattr(st, flag) == other and not getattr(
                st, f"{flag}_inferred")
        if ins.mnemonic in ("PLP", "XCE") or ins.mnemonic in CALLS:
            return False
        preds = an.cfg.pred[j]
        if len(preds) != 1:
            return False
        j = preds[0]
    return False


def _dispatch(an: Analysis, ins: Instr, st: State) -> bool:
    """`PHA : RTS` jumps: exactly a return address (2 bytes for RTS, 3 for RTL) pushed by
    the last few instructions of the block, which the return then pops on purpose."""
    if st.depth != {"RTS": 2, "RTL": 3}.get(ins.mnemonic):
        return False
    block = an.cfg.block(an.cfg.block_of[ins.index])
    recent = range(max(block.start, ins.index - 3), ins.index)
    return any(an.instrs[i].mnemonic in ("PHA", "PHX", "PHY", "PEA", "PER", "PHK")
               for i in recent)


_PULL_FOR = {"A": "PLA", "X": "PLX", "Y": "PLY", "P": "PLP", "B": "PLB", "D": "PLD", "K": "PLB"}


def _check_stack(c: LintContext) -> Iterator[Finding]:
    an = c.an
    # A join after a reported one sees the same disagreement carried on: report it once.
    covered: set[int] = set()
    for t in sorted(t for t, what in an.merge_conflicts if what == "depth"):
        if t not in covered and (finding := _depth_conflict(c, t)) is not None:
            yield finding
            covered |= reachable(an.cfg.succ, t)
    for ins in an.instrs:
        st = an.before[ins.index]
        if st is None:
            continue
        name = ins.mnemonic
        if name in RETURNS and st.depth is not None and st.depth > 0 and not _dispatch(
                an, ins, st):
            fix = None
            if st.stack and all(item[0] in _PULL_FOR for item in st.stack):
                pulls = [_PULL_FOR[item[0]].lower() for item in reversed(st.stack)]
                fix = replace_fix(ins, *pulls, ins.text)
            pending = ", ".join(item[0] for item in st.stack or ())
            yield c.find("S001", ins, f"{name} with {st.depth} byte(s) still on the stack"
                                      f"{' (pushed: ' + pending + ')' if pending else ''}; "
                                      f"it returns to a wrong address.", fix)
        if name in ("PLA", "PLX", "PLY", "PLP", "PLB", "PLD"):
            if st.depth == 0:
                yield c.find("S004", ins, f"{name} runs with nothing pushed by this routine, "
                                          f"so it pulls the return address.")
            else:
                yield from _pull_size(c, ins, st)


def _pull_size(c: LintContext, ins: Instr, st: State) -> Iterator[Finding]:
    """S003: a register pull whose size differs from the push it takes back."""
    name = ins.mnemonic
    size = push_size(name, st)
    if not st.stack or size is None or name not in ("PLA", "PLX", "PLY"):
        return
    kind, pushed = st.stack[-1][0], st.stack[-1][1]
    if kind not in ("A", "X", "Y"):
        return
    # A width known only from an immediate's size means no REP/SEP ran since entry: the
    # pull runs at the caller's width.
    at_entry_width = st.m_inferred if name == "PLA" else st.x_inferred
    if st.stack[-1][3]:
        # Pushed at the caller's width: its size is whatever the caller's width was. Only
        # the routine's own evidence of that width (an immediate before any REP/SEP) can
        # show a pull after REP/SEP takes a different size; without it, the pull states
        # the width the routine expects to be entered with.
        if at_entry_width or (m8(st) if name == "PLA" else x8(st)) is None:
            return
        entry_m, entry_x = _entry_widths(c.an, c.routine_members(ins.index))
        evidence = entry_m if kind == "A" else entry_x
        if evidence is None or (1 if evidence[0] == 8 else 2) == size:
            return
        yield c.find("S003", ins, f"{name} pulls {size} byte(s) but PH{kind} ran at the "
                                  f"caller's width, which line {evidence[1]} shows is "
                                  f"{evidence[0]}-bit ({evidence[0] // 8} byte(s)).")
        return
    if pushed == size or at_entry_width or (st.m_assumed if name == "PLA" else st.x_assumed):
        # Same width, or one only assumed preserved across a call (M002 says so where an
        # immediate shows the callee changed it): no mismatch shown.
        return
    if size > pushed and len(st.stack) > 1 and st.stack[-2][0] in ("A", "X", "Y") and (
            pushed + st.stack[-2][1] == size):
        return  # two byte pushes pulled as one word, on purpose
    if size < pushed and _next_pulls_take(c, ins.index, pushed - size):
        return  # a word pushed and pulled back a byte at a time, on purpose
    yield c.find("S003", ins, f"{name} pulls {size} byte(s) but the last push "
                              f"({kind}) left {pushed}.")


def _next_pulls_take(c: LintContext, i: int, rest: int) -> bool:
    """Is the next stack operation on every path from `i` a pull of exactly `rest` bytes?"""
    an = c.an
    seen = {i}
    work = list(an.cfg.succ[i])
    while work:
        j = work.pop()
        if j in seen:
            continue
        seen.add(j)
        ins, st = an.instrs[j], an.before[j]
        name = ins.mnemonic
        if st is None or name in RETURNS or name in _STACK_CHANGING or (
                name.startswith(("PH", "PE"))):
            return False
        if name.startswith("PL"):
            if push_size(name, st) != rest:
                return False
            continue
        if not an.cfg.succ[j]:
            return False
        work.extend(an.cfg.succ[j])
    return True


_STACK_CHANGING = ("TCS", "TXS")


def _depth_conflict(c: LintContext, t: int) -> Finding | None:
    """S002 where the disagreement provably matters, nothing where every return it reaches
    runs at a depth shipped code uses on purpose, else S005.

    Different depths meeting at a join are a bug when the stack effect of everything after
    the join is the same on every path (so one of the two depths reaches a return), or when
    the join lies on a loop whose every pass changes the depth. Otherwise later pulls may
    depend on the same condition as the pushes (push and restore a value only in a mode
    that needs it), which shipped code does.
    """
    an = c.an
    ins = an.instrs[t]
    preds = [an.state_after(p) for p in an.cfg.pred[t]]
    depths = sorted({s.depth for s in preds if s is not None and s.depth is not None})
    low, high = (depths[0], depths[-1]) if depths else (0, 0)
    effect = _stack_effect_from(c, t)
    if effect is not None:
        loop_change, returns = effect
        if loop_change:
            return c.find("S002", ins, f"Each pass of the loop through here changes the stack "
                                       f"by {loop_change:+d} byte(s), so it grows or shrinks "
                                       f"without bound.")
        for r, rel in returns:
            ret = an.instrs[r]
            if not {low + rel, high + rel} <= _return_depths(an, ret):
                return c.find("S002", ins, f"Paths reaching this instruction have pushed "
                                           f"{low} and {high} byte(s), and every path on to "
                                           f"the {ret.mnemonic} at line {ret.line} changes "
                                           f"the stack by the same amount, so it returns "
                                           f"with {low + rel} or {high + rel} byte(s) "
                                           f"pushed by this routine.")
        if returns:
            return None   # e.g. a plain exit and a PHA:RTS jump sharing one RTS
    return c.find("S005", ins, f"Paths reaching this instruction have pushed {low} and "
                               f"{high} byte(s); correct only if the later pulls are taken "
                               f"under the same condition as the pushes.")


def _return_depths(an: Analysis, ret: Instr) -> set[int]:
    """Depths a return may run at on purpose: balanced; the return address pulled off (to
    return to the caller's caller); a return address just pushed (a PHA:RTS jump)."""
    size = {"RTS": 2, "RTL": 3}.get(ret.mnemonic, 0)
    depths = {0, -size}
    k = ret.index   # the last few instructions falling through to it (a label may be between)
    while k > 0 and ret.index - k < 3 and k in an.cfg.succ[k - 1]:
        k -= 1
        if an.instrs[k].mnemonic in ("PHA", "PHX", "PHY", "PEA", "PER", "PHK"):
            depths.add(size)
            break
    return depths


def _stack_effect_from(c: LintContext, t: int) -> tuple[int, list[tuple[int, int]]] | None:
    """Walk forward from `t` counting pushes and pulls relative to `t`.

    Returns (the change found on coming back round to `t`, or 0; the returns reached with
    their relative depth), or None when paths after `t` disagree with each other (a
    conditional pull) or a stack change is unknown: then nothing is provable.
    """
    an = c.an
    rel: dict[int, int] = {t: 0}
    work = [t]
    returns: list[tuple[int, int]] = []
    loop_change = 0
    agree = True
    while work:
        i = work.pop()
        ins, st = an.instrs[i], an.before[i]
        name = ins.mnemonic
        if st is None or name in _STACK_CHANGING:
            return None
        if name in RETURNS:
            returns.append((i, rel[i]))
            continue
        delta = 0
        if name.startswith(("PH", "PE", "PL")):
            size = push_size(name, st)
            if size is None:
                return None
            delta = -size if name.startswith("PL") else size
        for s in an.cfg.succ[i]:
            r = rel[i] + delta
            if s not in rel:
                rel[s] = r
                work.append(s)
            elif rel[s] != r:
                if s == t:
                    loop_change = r
                else:
                    agree = False
    return (loop_change, returns) if agree else None


def _check_calls(c: LintContext) -> Iterator[Finding]:
    an = c.an
    instrs = an.instrs
    has_return = any(i.mnemonic in RETURNS for i in instrs)
    for entry, kind in an.cfg.call_targets.items():
        for i in sorted(an.cfg.routines.get(entry, ())):
            ins = instrs[i]
            if (kind == "JSL" and ins.mnemonic == "RTS") or (
                    kind == "JSR" and ins.mnemonic == "RTL"):
                want = "RTL" if kind == "JSL" else "RTS"
                yield c.find("C001", ins, f"{ins.mnemonic} in a routine called with {kind}; "
                                          f"it must return with {want}.",
                             replace_fix(ins, want.lower()))
            elif ins.mnemonic == "RTI":
                yield c.find("C001", ins, f"RTI in a routine called with {kind}.")
    last = max((i.address for i in instrs), default=0)
    for ins in instrs:
        # A call with data at its return address and code after that is a jump-table
        # dispatch: the callee reads the table through the return address and never
        # returns there.
        if ins.mnemonic in CALLS and ins.address != last:
            continue
        if has_return and an.cfg.exits.get(ins.index) == "end" and an.before[ins.index] and (
                ins.mnemonic not in _NO_FALLTHROUGH):
            yield c.find("C004", ins, "Execution continues past the last instruction into "
                                      "whatever follows.")
    yield from _check_clobber(c)


_NO_FALLTHROUGH = frozenset({"JMP", "JML", "BRA", "BRL", "STP", "RTS", "RTL", "RTI"})


def _check_clobber(c: LintContext) -> Iterator[Finding]:
    an = c.an
    summaries: dict[int, int] = {}
    for entry in an.cfg.routines:
        summaries[entry] = _clobbers(c, entry)
    regs = (("A", bits("A")), ("X", bits("X")), ("Y", bits("Y")))
    for ins in an.instrs:
        if ins.mnemonic not in CALLS or an.before[ins.index] is None:
            continue
        target = ins.target()
        callee = next((j.index for j in an.instrs if j.address == target), None)
        if callee is None or callee not in summaries:
            continue
        st = c.st(ins.index)
        clob = summaries[callee]
        nxt = ins.index + 1
        for name, bit in regs:
            if not clob & bit or name not in st.regs_set or nxt >= len(an.instrs):
                continue
            reader = _first_use(c, nxt, bit)
            if reader is not None:
                yield c.find("C003", an.instrs[reader],
                             f"{name} is read here after {ins.text} (line {ins.line}), but the "
                             f"callee overwrites {name} without saving it.")


def _clobbers(c: LintContext, entry: int) -> int:
    """Registers a routine writes and does not save with a push/pull pair."""
    members = c.an.cfg.routines[entry]
    written = 0
    pushed = set()
    for i in members:
        ins = c.an.instrs[i]
        if ins.mnemonic in CALLS:
            continue
        _, df = use_def(ins, c.st(i))
        written |= df
        if ins.mnemonic in ("PHA", "PHX", "PHY"):
            pushed.add(ins.mnemonic[2])
    for reg in pushed:
        written &= ~bits(reg)
    return written & bits("A", "X", "Y")


def _first_use(c: LintContext, start: int, bit: int) -> int | None:
    """First instruction from `start` in straight-line order that reads `bit` before writing."""
    an = c.an
    for j in range(start, len(an.instrs)):
        ins = an.instrs[j]
        use, df = use_def(ins, c.st(j))
        if ins.mnemonic in CALLS or ins.mnemonic in RETURNS:
            return None
        if use & bit:
            return j
        if df & bit or ins.mnemonic in CONDITIONAL or ins.mnemonic in ("BRA", "JMP", "BRL"):
            return None
    return None


# --- registers, carry ----------------------------------------------------------------------

def _loops(c: LintContext) -> list[tuple[int, int]]:
    """(head, branch) for each backward branch: the loop body is head..branch."""
    out = []
    for ins in c.an.instrs:
        for t in c.an.cfg.succ[ins.index]:
            if t <= ins.index and (ins.mnemonic in CONDITIONAL or ins.mnemonic in (
                    "BRA", "BRL", "JMP", "JML")):
                out.append((t, ins.index))
    return out


def _check_registers(c: LintContext) -> Iterator[Finding]:
    an = c.an
    for head, end in _loops(c):
        st = an.before[head]
        if st is None:
            continue
        body = an.instrs[head:end + 1]
        # What the loop's branches test: an index stepped or compared there counts the loop
        # (one only stepped, like an output offset advanced with INY, does not).
        tested = {an.instrs[j].mnemonic for j in (
            flag_producer(an, i.index, BRANCH_FLAG[i.mnemonic]) for i in body
            if i.mnemonic in BRANCH_FLAG) if j is not None}
        for reg, step in (("X", ("INX", "DEX")), ("Y", ("INY", "DEY"))):
            if not tested & {*step, f"CP{reg}"}:
                continue
            # Counted: stepped somewhere in the body before anything in it loads it.
            counted = any(i.mnemonic in step and reg not in (an.before[i.index] or st).regs_set
                          for i in body)
            if counted and reg not in st.regs_set and not any(
                    i.mnemonic in CALLS for i in body) and an.routine_of[head]:
                entry_path = [p for p in an.cfg.pred[head] if p < head]
                if entry_path or head in an.cfg.entries:
                    yield c.find("R001", an.instrs[head],
                                 f"{reg} counts this loop but this routine never loads it "
                                 f"before the loop starts.")
    for ins in an.instrs:
        st = an.before[ins.index]
        if st is None:
            continue
        name = ins.mnemonic
        garbage_b = "B" not in st.regs_set and st.b is None
        if name in ("TAX", "TAY") and m8(st) is True and x8(st) is False and garbage_b:
            yield c.find("R002", ins, f"{name} with 8-bit A and 16-bit index copies B into the "
                                      f"high byte, and B was never set here.")
        if name in ("TCD", "TCS") and m8(st) is True and garbage_b:
            yield c.find("R002", ins, f"{name} always copies 16 bits; B was never set here.")
        if name in ("ADC", "SBC"):
            want = "CLC" if name == "ADC" else "SEC"
            if st.c == ENTRY:
                yield c.find("F001", ins, f"{name} uses whatever carry the caller left; put "
                                          f"{want} before it.",
                             replace_fix(ins, want.lower(), ins.text))
            elif ((name == "SBC" and st.c == 0) or (name == "ADC" and st.c == 1)) and not (
                    _deliberate_carry(c, ins)):
                yield c.find("F002", ins, f"{name} with carry {'clear' if st.c == 0 else 'set'}"
                                          f" {'subtracts' if name == 'SBC' else 'adds'} one "
                                          f"more than the operand; use {want}.",
                             replace_fix(ins, want.lower(), ins.text))


def _deliberate_carry(c: LintContext, ins: Instr) -> bool:
    """Carry known from the branch just taken on it (`BCS .big : SBC #$0F` subtracts $10),
    or SEC : ADC completing a negation (`EOR #$FFFF : SEC : ADC #n` is n - A)."""
    source = _carry_source(c, ins.index)
    if source is not None and source not in ("CLC", "SEC", "REP", "SEP"):
        return True
    preds = c.an.cfg.pred[ins.index]
    if ins.mnemonic == "ADC" and len(preds) == 1 and c.an.instrs[preds[0]].mnemonic == "SEC":
        before = c.an.cfg.pred[preds[0]]
        if len(before) == 1:
            eor = c.an.instrs[before[0]]
            return eor.mnemonic == "EOR" and eor.mode is Mode.IMMEDIATE_M and int(
                eor.operand) in (0xFF, 0xFFFF)
    return False


# --- compares, branches, bits -------------------------------------------------------------

def _carry_source(c: LintContext, i: int) -> str | None:
    """The instruction that last set carry before `i` on its one straight-line way in (a
    compare kept across an INC/DEC on purpose), or None."""
    an = c.an
    j = i
    seen = set()
    while j not in seen:
        seen.add(j)
        preds = an.cfg.pred[j]
        if len(preds) != 1:
            return None
        j = preds[0]
        ins = an.instrs[j]
        if ins.mnemonic in CALLS:
            return None
        if "C" in ins.info.flags and not (ins.mnemonic in ("REP", "SEP") and not (
                int(ins.operand) & 0x01)):
            return ins.mnemonic
    return None


def _check_compares(c: LintContext) -> Iterator[Finding]:
    an = c.an
    for ins in an.instrs:
        i = ins.index
        if an.before[i] is None:
            continue
        name = ins.mnemonic
        prev = an.instrs[i - 1] if i > 0 and an.cfg.block_of[i - 1] == an.cfg.block_of[i] else None
        if name in ("CMP", "CPX", "CPY") and an.is_dead(i, "N", "Z", "C"):
            yield c.find("Q001", ins, f"The flags of '{ins.text}' are overwritten before any "
                                      f"branch reads them.")
        # Against #0 the difference is the value itself: it cannot overflow.
        if name in ("BMI", "BPL") and prev is not None and prev.mnemonic in (
                "CMP", "CPX", "CPY") and not (
                prev.mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X) and int(prev.operand) == 0):
            yield c.find("N001", ins, f"{name} after {prev.mnemonic} is a signed test only "
                                      f"while the difference fits; use BCC/BCS for unsigned "
                                      f"or SEC/SBC + BVC/EOR #$80 for signed.")
        if name in ("BCC", "BCS") and prev is not None and prev.mnemonic in (
                "INC", "DEC", "INX", "INY", "DEX", "DEY") and _carry_source(c, i) not in (
                "CMP", "CPX", "CPY"):
            fix = None
            if prev.mnemonic in ("INC", "INX", "INY"):
                new = "beq" if name == "BCS" else "bne"
                fix = replace_fix(ins, re.sub(r"^\s*\w+", new, ins.text, count=1))
            yield c.find("Q002", ins, f"{prev.mnemonic} does not change carry; {name} tests an "
                                      f"older carry (test wrap-around with BEQ/BNE).", fix)
        if name in ("BVC", "BVS") and prev is not None and prev.mnemonic in ("CMP", "CPX",
                                                                             "CPY"):
            yield c.find("Q003", ins, f"{prev.mnemonic} does not set V; {name} tests an older "
                                      f"overflow flag.")
        if name in ("BMI", "BPL", "BVS", "BVC"):
            flag = "N" if name in ("BMI", "BPL") else "V"
            if prev is not None and prev.mnemonic == "BIT" and prev.mode is Mode.IMMEDIATE_M:
                mask = int(prev.operand)
                fix = None
                wide = prev.imm_bytes == 2
                top = (0x8000 if wide else 0x80) if flag == "N" else (0x4000 if wide else 0x40)
                if mask == top:
                    new = "bne" if name in ("BMI", "BVS") else "beq"
                    fix = replace_fix(ins, re.sub(r"^\s*\w+", new, ins.text, count=1))
                yield c.find("Z001", ins, f"BIT {prev.text.split(None, 1)[1]} (immediate) sets "
                                          f"only Z, so {name} tests a stale {flag}; branch on Z "
                                          f"(BNE/BEQ) instead.", fix)
        if name == "AND" and ins.mode is Mode.IMMEDIATE_M and int(ins.operand) == 0:
            yield c.find("Z002", ins, "AND #0 always gives zero; load zero or fix the mask.")


# --- interrupts and flag state -------------------------------------------------------------

def _check_interrupts(c: LintContext) -> Iterator[Finding]:
    an = c.an
    for entry in sorted(c.handlers):
        members = sorted(an.cfg.routines[entry])
        name = an.instrs[entry].labels[0] if an.instrs[entry].labels else "handler"
        for i in members:
            ins = an.instrs[i]
            if ins.mnemonic in ("RTS", "RTL"):
                yield c.find("I001", ins, f"{name} is an interrupt handler; {ins.mnemonic} "
                                          f"leaves P and the return bank on the stack. Use RTI.",
                             replace_fix(ins, "rti"))
        # Saved by a push here, or restored by a pull before RTI (the tail of a handler
        # whose entry, elsewhere, pushed them).
        pushed = {an.instrs[i].mnemonic[2] for i in members
                  if an.instrs[i].mnemonic in ("PHA", "PHX", "PHY", "PLA", "PLX", "PLY")}
        for reg in ("A", "X", "Y"):
            writer = next((an.instrs[i] for i in members if reg not in pushed and use_def(
                an.instrs[i], c.st(i))[1] & bits(reg)), None)
            if writer is not None:
                yield c.find("I002", writer, f"{name} changes {reg} without saving it (PH{reg} "
                                             f"at entry, PL{reg} before RTI).")


def _entry_widths(an: Analysis, members: Iterable[int]) -> tuple[tuple[int, int] | None,
                                                                tuple[int, int] | None]:
    """(M, X) the routine's code shows it is entered with: the size of the first immediate
    reached before any REP/SEP, with its line; None where no immediate says."""
    entry_m = entry_x = None
    for i in sorted(members):
        st = an.before[i]
        ins = an.instrs[i]
        if st is None:
            continue
        if ins.mode is Mode.IMMEDIATE_M and st.m == ENTRY and entry_m is None:
            entry_m = (8 if ins.imm_bytes == 1 else 16, ins.line)
        if ins.mode is Mode.IMMEDIATE_X and st.x == ENTRY and entry_x is None:
            entry_x = (8 if ins.imm_bytes == 1 else 16, ins.line)
    return entry_m, entry_x


def _check_flag_state(c: LintContext) -> Iterator[Finding]:
    an = c.an
    for members in an.cfg.routines.values():
        entry_m, entry_x = _entry_widths(an, members)
        for i in sorted(members):
            ins = an.instrs[i]
            st = an.before[i]
            if st is None or ins.mnemonic not in ("RTS", "RTL"):
                continue
            if st.dec == 1:
                yield c.find("G001", ins, "Decimal mode is still on at return; callers expect "
                                          "binary arithmetic.", replace_fix(ins, "cld", ins.text))
            for reg, inferred, now in (("A", entry_m, st.m), ("X/Y", entry_x, st.x)):
                if inferred and now in (8, 16) and now != inferred[0]:
                    yield c.find("G002", ins, f"The routine's code assumes {inferred[0]}-bit "
                                              f"{reg} on entry (line {inferred[1]}) but returns "
                                              f"with {now}-bit {reg}.")


CHECKS: tuple[Callable[[LintContext], Iterator[Finding]], ...] = (
    _check_widths, _check_stack, _check_calls, _check_registers, check_hardware,
    check_banks, check_pointers, _check_compares, check_loops, _check_interrupts,
    _check_flag_state,
)
