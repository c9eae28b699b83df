"""The lint checks about the machine around the CPU: DMA, the PPU and I/O registers, banks,
pointers and the direct page, loops and their timing (`afs.asm.lint_checks` has the CPU-state
checks and the list of all)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from afs.asm.analysis import (
    CALLS,
    CONDITIONAL,
    ENTRY,
    INDIRECT_DP,
    RETURNS,
    Instr,
    State,
    access_bytes,
    flag_producer,
    io_key,
    m8,
    written_keys,
    x8,
)
from afs.asm.isa import Mode
from afs.asm.lint_rules import (
    _PPU_DATA,
    _READ_ONLY,
    _WRITE_ONLY,
    VBLANK_CPU_CYCLES,
    Finding,
    LintContext,
    in_ranges,
    replace_fix,
)
from afs.asm.liveness import bits, use_def

# --- hardware: DMA, PPU, I/O direction ------------------------------------------------------

def _stored_value(ins: Instr, st: State) -> int | None:
    name = ins.mnemonic
    if name == "STZ":
        return 0
    if name == "STA":
        return st.a if m8(st) else (None if st.a is None or st.b is None else st.b << 8 | st.a)
    if name == "STX":
        return st.xv
    if name == "STY":
        return st.yv
    return None


def check_hardware(c: LintContext) -> Iterator[Finding]:
    an = c.an
    zero_size: dict[int, set[int]] = {}
    for ins in an.instrs:
        st = an.before[ins.index]
        if st is None:
            continue
        key = ins.data_address()
        io = io_key(key, st) if ins.mode in (Mode.ABSOLUTE, Mode.ABSOLUTE_LONG, Mode.DIRECT) \
            else None
        access = ins.info.access
        if io is not None:
            n = access_bytes(ins, st)
            span = range(io, io + n)
            # A store to a read-only register is lost. Not flagged: the high byte of a 16-bit
            # store spilling into one (ignored, harmless), or a read-modify-write (ASL/LSR/ROL
            # of a result register: the read and the flags are the point; the write-back is
            # how the instruction works).
            if access == "write" and in_ranges(_READ_ONLY, io):
                yield c.find("W001", ins, f"${io:04X} is read-only; this store is ignored.")
            if access in ("read", "rmw") and any(in_ranges(_WRITE_ONLY, a) for a in span):
                yield c.find("W002", ins, f"${io:04X} is write-only; reading it returns open "
                                          f"bus, not the last value written.")
            if access == "write":
                yield from _dma_checks(c, ins, st, io, n, zero_size)
                if any(a in _PPU_DATA for a in span) and not _in_vblank(c, ins, st):
                    reg = _PPU_DATA[next(a for a in span if a in _PPU_DATA)]
                    yield c.find("V001", ins, f"{reg} written with no forced blank, vblank wait "
                                              f"or NMI context in this routine; during active "
                                              f"display the write is lost.")
        if access in ("write", "rmw") and key is not None:
            yield from _rom_store(c, ins, st, key)


def _in_vblank(c: LintContext, ins: Instr, st: State) -> bool:
    if st.blank:
        return True
    return any(e in c.nmi_context for e in c.an.routine_of[ins.index])


def _dma_checks(c: LintContext, ins: Instr, st: State, io: int, n: int,
                zero_size: dict[int, set[int]]) -> Iterator[Finding]:
    value = _stored_value(ins, st)
    if io == 0x420B and value is not None:
        members = c.routine_members(ins.index)
        later = set()
        for j in members:
            if j > ins.index and c.an.before[j] is not None:
                later |= {k[1] for k in written_keys(c.an.instrs[j], c.st(j)) if k[0] == "io"}
        for ch in range(8):
            if not value & (1 << ch):
                continue
            regs = range(0x4300 + ch * 16, 0x4307 + ch * 16)
            have = {k[1] for k in st.written if k[0] == "io"}
            missing = [r for r in regs if r not in have]
            if not missing or (len(missing) == len(regs) and not (later & set(regs))):
                continue
            names = ", ".join(f"${r:04X}" for r in missing)
            after = [r for r in missing if r in later]
            why = " (written only after the enable)" if after else ""
            yield c.find("D001", ins, f"DMA channel {ch} is started before {names}{why} "
                                      f"is set up.")
    base = io & ~0xF
    if 0x4300 <= io <= 0x437F and value is not None:
        ch = (io - 0x4300) >> 4
        lo = io - base
        if lo == 5 and n == 2 and value == 0:
            yield c.find("D002", ins, f"DMA channel {ch} size is 0, which means 65,536 bytes.")
        elif lo in (5, 6) and n == 1 and value & 0xFF == 0:
            zero_size.setdefault(ch, set()).add(lo)
            if zero_size[ch] == {5, 6}:
                yield c.find("D002", ins, f"DMA channel {ch} size is 0, which means 65,536 "
                                          f"bytes.")


def _is_rom(address: int) -> bool:
    bank, off = address >> 16, address & 0xFFFF
    return ((bank <= 0x3F or 0x80 <= bank <= 0xBF) and off >= 0x8000) or (
        0x40 <= bank <= 0x6F) or bank >= 0xC0


def _rom_store(c: LintContext, ins: Instr, st: State, key: tuple[str, int]) -> Iterator[Finding]:
    value = key[1]
    if ins.mode in (Mode.ABSOLUTE_LONG, Mode.ABSOLUTE_LONG_X) and _is_rom(value):
        yield c.find("B002", ins, f"${value:06X} is ROM; the store is ignored.")
    elif ins.mode in (Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y) and isinstance(
            st.dbr, int) and _is_rom(st.dbr << 16 | value):
        yield c.find("B002", ins, f"With DBR = ${st.dbr:02X}, ${value:04X} is ROM; the store is "
                                  f"ignored.")


_LONG_LITERAL = re.compile(r"\$(7[EF])([0-9A-Fa-f]{4})\b")


def _states_wram_bank(ins: Instr, off: int) -> bool:
    """`STA.w $7E2522`: the operand spells out the WRAM bank the access assumes DBR holds
    (the disassembler's and many hackers' way of stating it), so the assumption is stated,
    not forgotten."""
    m = _LONG_LITERAL.search(ins.text.partition(";")[0])
    return m is not None and int(m.group(2), 16) == off


def check_banks(c: LintContext) -> Iterator[Finding]:
    for ins in c.an.instrs:
        st = c.an.before[ins.index]
        if st is None or ins.mode not in (Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y):
            continue
        key = ins.data_address()
        if key is None or ins.info.access == "":
            continue
        off = key[1]
        if isinstance(st.dbr, int):
            continue   # known DBR: B002 judges ROM stores; anything else is deliberate
        # $FFC0,Y and the like reach Y-$40 in the next bank (a negative offset), not ROM.
        store_high = off >= 0x8000 and ins.info.access in ("write", "rmw") and not (
            off >= 0xFF00 and ins.mode is not Mode.ABSOLUTE)
        low_wram = 0x2000 <= off < 0x8000 and not in_ranges(((0x2100, 0x21FF),
                                                             (0x4000, 0x43FF)), off)
        if (low_wram or store_high) and not _states_wram_bank(ins, off):
            yield c.find("B001", ins, f"${off:04X} is WRAM only with DBR = $7E/$7F; this "
                                      f"routine never sets DBR (use a long address "
                                      f"$7E{off:04X} or PHB/PLB).")


# --- pointers and direct page -------------------------------------------------------------

def check_pointers(c: LintContext) -> Iterator[Finding]:
    an = c.an
    dp_before_move: dict[frozenset[int], set[int]] = {}
    for ins in an.instrs:
        st = an.before[ins.index]
        if st is None:
            continue
        mode = ins.mode
        key = ins.data_address()
        if key is not None and key[0] == "dp":
            seen = dp_before_move.setdefault(an.routine_of[ins.index], set())
            if st.dp in (ENTRY, 0):
                seen.add(key[1])
            elif isinstance(st.dp, int) and key[1] in seen:
                yield c.find("A004", ins, f"D is ${st.dp:04X} here, so ${key[1]:02X} now "
                                          f"means ${(st.dp + key[1]) & 0xFFFF:04X}, not the "
                                          f"byte used before D changed.")
        if key is None or st.dp not in (ENTRY, 0):
            continue
        dp = key[1]
        wrote = {k[1] for k in st.written if k[0] == "dp"}
        ever = _ever_written_dp(c, ins)
        # A pointer only advanced here (INC/DEC of its low byte) is the caller's pointer.
        stored = _ever_written_dp(c, ins, plain=True)
        if mode in (Mode.DIRECT_INDIRECT, Mode.DIRECT_INDIRECT_Y):
            if dp + 2 in wrote and dp in wrote and not _used_alone(c, ins, dp + 2):
                fixed = ins.text.replace("(", "[", 1).replace(")", "]", 1)
                yield c.find("A001", ins, f"The routine stores a bank byte at ${dp + 2:02X}, "
                                          f"but (${dp:02X}) uses DBR as the bank.",
                             replace_fix(ins, fixed))
            elif dp in wrote and dp in stored and dp + 1 not in ever:
                yield c.find("A003", ins, f"Pointer ${dp:02X}: only the low byte is set here; "
                                          f"${dp + 1:02X} keeps a stale value.")
        if mode in (Mode.DIRECT_INDIRECT_LONG, Mode.DIRECT_INDIRECT_LONG_Y) and (
                dp in wrote or dp + 1 in wrote) and dp + 2 not in ever and (
                dp in stored or dp + 1 in stored):
            yield c.find("A002", ins, f"[${dp:02X}] reads its bank from ${dp + 2:02X}, which "
                                      f"this routine never sets.")
    for ins in an.instrs:
        st = an.before[ins.index]
        # Only a TCD of the routine's own moves D; a PLD restores whatever was saved.
        if st is not None and ins.mnemonic in RETURNS and st.dp != ENTRY and any(
                an.instrs[j].mnemonic == "TCD" for j in c.routine_members(ins.index)):
            yield c.find("A005", ins, "D was changed (TCD/PLD) and is not restored before "
                                      "returning.")


def _ever_written_dp(c: LintContext, ins: Instr, *, plain: bool = False) -> set[int]:
    """Direct-page bytes any path of the routine writes (`plain`: by a store, not INC/ASL/...)."""
    out = set()
    for j in c.routine_members(ins.index):
        st = c.an.before[j]
        other = c.an.instrs[j]
        if st is not None and not (plain and other.info.access != "write"):
            out |= {k[1] for k in written_keys(other, st) if k[0] == "dp"}
    return out


def _used_alone(c: LintContext, ins: Instr, dp: int) -> bool:
    """Does the routine read direct-page byte `dp` on its own (a variable, or a pointer of its
    own), so a store there is not the bank byte of the pointer below it?"""
    for j in c.routine_members(ins.index):
        other = c.an.instrs[j]
        if other.data_address() == ("dp", dp) and (
                other.info.access != "write" or other.mode in INDIRECT_DP):
            return True
    return False


# --- loops and timing ----------------------------------------------------------------------

def _sccs(succ: list[list[int]], nodes: list[int]) -> list[list[int]]:
    """Strongly connected components (iterative Tarjan)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, k = work.pop()
            if k == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            if k < len(succ[v]):
                work.append((v, k + 1))
                w = succ[v][k]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            for w in succ[v]:
                if w in on:
                    low[v] = min(low[v], low[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def check_loops(c: LintContext) -> Iterator[Finding]:
    an = c.an
    succ = an.cfg.succ
    reachable = [i for i in range(len(an.instrs)) if an.before[i] is not None]
    for comp in _sccs(succ, reachable):
        members = set(comp)
        if len(comp) == 1 and comp[0] not in succ[comp[0]]:
            continue
        body = [an.instrs[i] for i in comp]
        exits = [i for i in comp if any(t not in members for t in succ[i]) or i in an.cfg.exits]
        waits = any(i.mnemonic in ("WAI", "STP") or i.mnemonic in CALLS for i in body)
        if not exits:
            if not waits:
                yield c.find("L001", body[0], "This loop has no way out: no branch leaves it "
                                              "and nothing inside returns.")
            continue
        yield from _invariant_exit(c, comp, members, exits)
        yield from _loop_bounds(c, comp, members)
        if any(e in c.handlers for e in an.routine_of[comp[0]]):
            yield from _nmi_budget(c, comp, members)


def _invariant_exit(c: LintContext, comp: list[int], members: set[int], exits: list[int],
                    ) -> Iterator[Finding]:
    an = c.an
    if any(an.instrs[i].mnemonic in CALLS for i in comp):
        return
    modified = 0
    for i in comp:
        modified |= use_def(an.instrs[i], c.st(i))[1]
    tests = []
    for i in exits:
        ins = an.instrs[i]
        if ins.mnemonic not in CONDITIONAL or i in an.cfg.exits:
            return
        producer = flag_producer(an, i, _flag_of(ins.mnemonic))
        if producer is None or producer not in members:
            return
        p = an.instrs[producer]
        if p.info.access in ("read", "rmw") or p.mnemonic in ("PLA", "PLX", "PLY", "PLP"):
            return    # memory can change under the loop (interrupts, hardware)
        use, df = use_def(p, c.st(producer))
        regs = use & bits("A", "B", "X", "Y")
        if df & regs or modified & regs or not regs:
            return
        tests.append(p)
    if tests:
        yield c.find("L002", an.instrs[exits[0]],
                     f"The exit test ('{tests[0].text}') reads registers this loop never "
                     f"changes, so once the loop is entered it never ends.")


def _flag_of(branch: str) -> str:
    return {"BPL": "N", "BMI": "N", "BVC": "V", "BVS": "V", "BCC": "C", "BCS": "C",
            "BNE": "Z", "BEQ": "Z"}[branch]


def _loop_bounds(c: LintContext, comp: list[int], members: set[int]) -> Iterator[Finding]:
    an = c.an
    head = comp[0]
    tail = an.instrs[comp[-1]]
    prev = an.instrs[comp[-1] - 1] if comp[-1] - 1 in members else None
    if prev is None or tail.mnemonic not in ("BPL", "BNE") or prev.mnemonic not in ("DEX",
                                                                                  "DEY"):
        return
    reg = prev.mnemonic[2]
    entry_states = [s for s in (an.state_after(p) for p in an.cfg.pred[head]
                                if p not in members) if s is not None]
    if not entry_states:
        return
    vals = {getattr(s, "xv" if reg == "X" else "yv") for s in entry_states}
    widths = {x8(s) for s in entry_states}
    if len(vals) != 1 or None in vals or len(widths) != 1 or None in widths:
        return
    start = vals.pop()
    sign = 0x80 if widths.pop() else 0x8000
    if tail.mnemonic == "BPL" and start & sign and (start - 1) & sign:
        yield c.find("O001", tail, f"{reg} starts at ${start:X}, already negative, so this "
                                   f"BPL loop runs only once.")
    indexed = [an.instrs[i] for i in comp if an.instrs[i].mode in (
        Mode.DIRECT_X, Mode.ABSOLUTE_X, Mode.ABSOLUTE_LONG_X)]
    step = 1
    while comp[-1] - 1 - step in members and an.instrs[comp[-1] - 1 - step].mnemonic == "DEX":
        step += 1
    # From 0 the count wraps round and covers every value; `Table-2,X` shows the author
    # shifted the base to reach element 0.
    if tail.mnemonic == "BNE" and reg == "X" and indexed and start != 0 and not any(
            _SHIFTED_BASE.search(i.text.partition(";")[0]) for i in indexed):
        yield c.find("O002", tail, f"X runs ${start:X}..${step:X}: element 0 is never visited "
                                   f"and element ${start:X} is.")


_SHIFTED_BASE = re.compile(r"-\s*\$?[0-9A-Fa-f]+\s*,\s*[xX]")


def _nmi_budget(c: LintContext, comp: list[int], members: set[int]) -> Iterator[Finding]:
    an = c.an
    head = comp[0]
    before_loop = [an.state_after(p) for p in an.cfg.pred[head] if p not in members]
    per_iter = sum(an.instrs[i].info.base_cycles for i in comp)
    counts = set()
    for s in before_loop:
        if s is not None:
            counts.add(s.xv if s.xv is not None else s.yv)
    if len(counts) == 1 and None not in counts:
        n = counts.pop() or 0x10000
        total = per_iter * n
        if total > VBLANK_CPU_CYCLES:
            yield c.find("T001", an.instrs[comp[-1]], f"About {total:,} CPU cycles ({n} x "
                                                      f"{per_iter}) inside the NMI handler; "
                                                      f"vblank has about {VBLANK_CPU_CYCLES:,}.")
