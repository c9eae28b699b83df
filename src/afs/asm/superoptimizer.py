"""Din's engine for whole routines: the passes and the window searches of
`afs.asm.superopt`, with the rewrite database (`afs.asm.rewrite_db`) consulted first, under
one time budget; and `scan`, which runs it over every self-contained routine of a
disassembly. See the README's "Din's engine" section for what each step proves.
"""

from __future__ import annotations

from dataclasses import dataclass

from afs.asm.isa import Mode
from afs.asm.rewrite_db import shipped
from afs.asm.superopt import (
    _FLAG_BITS,
    _INFO,
    CODE_BASE,
    MAX_WINDOW,
    STOCHASTIC_WINDOW,
    Entry,
    Found,
    Op,
    Outputs,
    _byte_addresses,
    _canonical,
    _entry_state,
    _instrs,
    _known,
    clock,
    cost,
    search_window,
    stochastic_search,
    window_ok,
)
from afs.asm.superopt_routine import routine_pass


@dataclass
class SuperRewrite:
    """One change made to a routine, with how it was checked."""

    line: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    proof: str           # "rule" (a peephole rule), "exhaustive" or "sampled"
    detail: str
    assumptions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "before": list(self.before), "after": list(self.after),
                "proof": self.proof, "detail": self.detail,
                "assumptions": list(self.assumptions)}


@dataclass
class SuperResult:
    """The optimised source and what was done to it."""

    source: str
    rewrites: list[SuperRewrite]
    objective: str
    before: tuple[int, float] = (0, 0.0)  # (bytes, mean cycles) measured by the final check
    after: tuple[int, float] = (0, 0.0)
    verified: object | None = None         # the final whole-routine EquivalenceResult
    note: str = ""


def _outputs(live: int, memory: bool = True) -> Outputs:
    from afs.asm.liveness import REG_BITS

    def reg(low: str, high: str) -> int:
        return (0xFF if live & REG_BITS[low] else 0) | (0xFF00 if live & REG_BITS[high] else 0)

    flags = sum(bit for flag, bit in _FLAG_BITS.items() if live & REG_BITS[flag])
    return Outputs(a=reg("A", "B"), x=reg("X", "XH"), y=reg("Y", "YH"), flags=flags,
                   memory=memory)


def _memory_dead(instrs: list, window: range, live_out: str | None) -> bool:
    """Can nothing observe the window's stores? Only when memory is not in the live-out and
    no other instruction of the code reads memory at all (loops make "after" unreliable)."""
    from afs.asm.equivalence import parse_live_out

    if parse_live_out(live_out).memory:
        return False
    return not any((ins.info.access in ("read", "rmw") and ins.info.mode not in (
        Mode.IMMEDIATE_M, Mode.IMMEDIATE_X, Mode.IMMEDIATE_8, Mode.IMPLIED, Mode.ACCUMULATOR))
        or ins.mnemonic in ("PLA", "PLX", "PLY", "PLP", "PLB", "PLD", "RTS", "RTL", "RTI",
                            "JSR", "JSL", "JMP", "JML")
        for k, ins in enumerate(instrs) if k not in window)


def _next_window(assembly: object, source: str, filename: str, pre: dict[str, int], mask: int,
                 objective: str, deadline: float, seed: int, tried: set[tuple[str, ...]],
                 live_out: str | None = None, *, lengths: range = range(1, MAX_WINDOW + 1),
                 stochastic: bool = False) -> tuple[int, int, Found, Entry] | None:
    """The first window, shortest first (cheap searches before expensive ones), that the
    search can make cheaper: enumeratively, or with `stochastic` by the Markov chain (each
    window gets an equal share of the time left)."""
    from afs.asm.analysis import analyze, instructions_from_listing, m8, x8
    from afs.asm.optimizer import locatable, returns_see_live_out

    instrs = instructions_from_listing(assembly.listing, assembly.symbols)  # type: ignore[attr-defined]
    an = returns_see_live_out(analyze(instrs, entry=_entry_state(pre),  # type: ignore[arg-type]
                                      live_out=mask), mask)
    leaders = set(an.cfg.leaders)
    lines = source.split("\n")
    per_line: dict[int, int] = {}
    for ins in instrs:
        # An instruction that shares its line or was written by a define is never edited.
        per_line[ins.line] = per_line.get(ins.line, 0) + (1 if locatable(lines, ins) else 2)
    for length in lengths:
        for i in range(len(instrs) - length + 1):
            window = instrs[i:i + length]
            if any(k in leaders for k in range(i + 1, i + length)) or any(
                    ins.file != filename or per_line[ins.line] != 1
                    or isinstance(ins.operand, tuple) for ins in window):
                continue
            st = an.before[i]
            if st is None or m8(st) is None or x8(st) is None or st.e != 0:
                continue
            entry = Entry(m8=bool(m8(st)), x8=bool(x8(st)),
                          decimal_clear=st.dec == 0, dp=_known(st.dp), dbr=_known(st.dbr))
            ops = [Op(ins.info, None if ins.operand is None else int(ins.operand))
                   for ins in window]
            # The analysis's widths must match how each instruction was assembled (an
            # immediate's size), or the search would run different bytes from the original.
            if any(op.size(entry.m8, entry.x8) != ins.size for op, ins in zip(ops, window,
                                                                            strict=True)):
                continue
            key = tuple(ins.text for ins in window)
            if key in tried or not window_ok(ops, entry):
                continue
            tried.add(key)
            outputs = _outputs(an.live_after[i + length - 1],
                               not _memory_dead(instrs, range(i, i + length), live_out))
            if stochastic:
                share = (deadline - clock()) / max(1, len(instrs) - i)
                found = stochastic_search(ops, entry, outputs, objective=objective,
                                          deadline=clock() + share, seed=seed)
            else:
                found = shipped().lookup(ops, entry, outputs, objective=objective) or \
                    search_window(ops, entry, outputs, objective=objective,
                                  deadline=deadline, seed=seed)
            if found is not None:
                return i, length, found, entry
            if clock() > deadline:
                return None
    return None


def _checked_peephole(source: str, filename: str, live_out: str | None, pre: dict[str, int],
                      seed: int) -> object:
    """The peephole rules, checked under the stated entry state: a rule whose precondition
    does not hold here is dropped and the rest applied again (at most 4 times)."""
    from afs.asm.equivalence import check_equivalent
    from afs.asm.optimizer import RULES, optimize

    rules = set(RULES)
    for _ in range(4):
        result = optimize(source, filename=filename, live_out=live_out, rules=sorted(rules),
                          assume_decimal_clear=pre.get("d", 0) == 0)
        if not result.rewrites or check_equivalent(
                source, result.source, live_out=live_out, preconditions=pre or None, trials=64,
                seed=seed, infer_widths=False).equivalent:
            return result
        rules.discard(result.rewrites[0].rule)
    return optimize(source, filename=filename, live_out=live_out, rules=[])


def superoptimize(source: str, *, filename: str = "<input>", live_out: str | None = None,
                  preconditions: str | dict[str, int] | None = None, objective: str = "cycles",
                  budget: float = 2.0, peephole: bool = True, seed: int = 0,
                  routine: bool = True, guessed: frozenset[str] = frozenset()) -> SuperResult:
    """Unreachable code, the whole-routine transformations (`afs.asm.superopt_routine`),
    shorter addressing, peephole rules, then window search until `budget` CPU seconds of
    this thread are spent (`superopt.clock`); the result is checked against the original as
    a whole (256 trials under `live_out` and `preconditions`) and the original is kept if
    that check fails. `guessed` names entry widths in `preconditions` that are guesses (the
    scan's): no REP/SEP is removed on their strength."""
    from afs.asm.assembler import assemble
    from afs.asm.equivalence import check_equivalent, implied_widths, parse_preconditions
    from afs.asm.optimizer import _apply, _Edit, _live_mask

    if objective not in ("cycles", "bytes"):
        raise ValueError(f"objective must be cycles or bytes, not {objective!r}")
    pre = parse_preconditions(preconditions)
    # Widths the request leaves open are those the code's own immediates assume (what its
    # author assumed), never those of a rewrite.
    pre = {**implied_widths(assemble(source, filename=filename, base=CODE_BASE)), **pre}
    deadline = clock() + budget
    mask = _live_mask(live_out)
    rewrites: list[SuperRewrite] = []
    current, found = _unreachable_pass(source, filename, pre)
    rewrites += found
    if routine:
        for change in routine_pass(current, filename=filename, live_out=live_out, pre=pre,
                                   objective=objective, deadline=deadline, seed=seed,
                                   guessed=guessed):
            rewrites.append(SuperRewrite(change.line, change.before, change.after, "sampled",
                                         change.detail))
            current = change.source
    current, found = _addressing_pass(current, filename, pre, objective)
    rewrites += found
    if peephole:
        first = _checked_peephole(current, filename, live_out, pre, seed)
        current = first.source
        rewrites += [SuperRewrite(r.line, r.before, r.after, "rule", f"{r.rule}: {r.reason}",
                                  ("decimal flag clear",) if r.assumes_decimal_clear else ())
                     for r in first.rewrites]
    tried: set[tuple[str, ...]] = set()
    stochastic = False
    while clock() < deadline:
        assembly = assemble(current, filename=filename, base=CODE_BASE)
        step = _next_window(assembly, current, filename, pre, mask, objective, deadline, seed,
                            tried, live_out, stochastic=stochastic,
                            lengths=range(STOCHASTIC_WINDOW, MAX_WINDOW, -1) if stochastic
                            else range(1, MAX_WINDOW + 1))
        if step is None:
            if stochastic:
                break
            stochastic = True      # the short windows are done: longer ones, by sampling
            continue
        i, length, found, entry = step
        lines = found.lines(entry)
        edit = _Edit("superopt", i, tuple(range(i, i + length)), tuple(lines),
                     f"{found.proof} check over {found.input_bits} input bits")
        candidate = _apply(current, assembly, [edit])
        try:
            assemble(candidate, filename=filename, base=CODE_BASE)
        except Exception:  # a shorter window pushed a branch out of range: keep the old one
            continue
        line = assembly.listing and next(  # type: ignore[attr-defined]
            ins.line for ins in _instrs(assembly) if ins.index == i)
        rewrites.append(SuperRewrite(
            line, tuple(op.text(entry.m8, entry.x8) for op in found.before), tuple(lines),
            found.proof, f"{found.states_checked} states checked over {found.input_bits} "
            f"input bits", tuple(found.assumptions)))
        current = candidate
    result = SuperResult(current, rewrites, objective)
    if rewrites:
        check = check_equivalent(source, current, live_out=live_out, preconditions=pre or None,
                                 trials=256, seed=seed, infer_widths=False)
        result.verified = check
        if not check.equivalent:
            if peephole or routine:
                # A peephole rule's precondition did not hold here, or a routine
                # transformation passed its 64 states but not these 256: try again without
                # the peephole rules, then without the routine transformations too.
                retry = superoptimize(source, filename=filename, live_out=live_out,
                                      preconditions=preconditions, objective=objective,
                                      budget=max(0.0, deadline - clock()),
                                      peephole=False, routine=routine and not peephole,
                                      seed=seed, guessed=guessed)
                if retry.rewrites:
                    return retry
            return SuperResult(source, [], objective, verified=check,
                               note="the whole-routine check refused the result; original kept")
        original, final = check.metrics["original"], check.metrics["candidate"]
        result.before = (original.bytes, original.cycles_mean)
        result.after = (final.bytes, final.cycles_mean)
    return result


# --- a whole disassembly -------------------------------------------------------------------

#: ALTTP's usual entry state for a routine found in the disassembly (stated in every report).
SCAN_ENTRY = {"e": 0, "d": 0, "dp": 0}


@dataclass
class ScanFinding:
    """A verified saving in one routine of a disassembly."""

    routine: str
    path: str
    line: int
    before: str
    after: str
    bytes_saved: int
    cycles_saved: int
    rewrites: list[SuperRewrite]
    assumptions: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"routine": self.routine, "path": self.path, "line": self.line,
                "bytes_saved": self.bytes_saved, "cycles_saved": self.cycles_saved,
                "assumptions": list(self.assumptions), "before": self.before,
                "after": self.after, "rewrites": [r.to_dict() for r in self.rewrites]}


def routine_entry(code: str) -> dict[str, int]:
    """The entry state assumed for a routine found in a disassembly: `SCAN_ENTRY` plus the
    widths its own immediates show (8-bit where they show nothing)."""
    from afs.asm.assembler import assemble
    from afs.asm.equivalence import implied_widths

    assembly = assemble(code)
    widths = implied_widths(assembly)
    return {**SCAN_ENTRY, "m": widths.get("m", _width_of_immediates(assembly, "m")),
            "x": widths.get("x", _width_of_immediates(assembly, "x"))}


def guessed_widths(code: str) -> tuple[str, ...]:
    """The entry widths `routine_entry` had to guess (no immediate before any REP/SEP shows
    them): every finding in such a routine relies on them, and says so."""
    from afs.asm.assembler import assemble
    from afs.asm.equivalence import implied_widths

    shown = implied_widths(assemble(code))
    entry = routine_entry(code)
    return tuple(f"{'A' if flag == 'm' else 'X/Y'} {8 if entry[flag] else 16}-bit on entry "
                 f"(guessed: the code does not show it)" for flag in ("m", "x")
                 if flag not in shown)


def _width_of_immediates(assembly: object, flag: str) -> int:
    """1 (8-bit) unless an immediate of that width class was assembled with two bytes."""
    mode = Mode.IMMEDIATE_M if flag == "m" else Mode.IMMEDIATE_X
    sizes = {ins.size for ins in _instrs(assembly) if ins.info.mode is mode}
    return 0 if sizes == {3} else 1


def scan(source: str, *, objective: str = "cycles", budget: float = 2.0,
         on_routine: object = None) -> tuple[int, list[ScanFinding]]:
    """Superoptimise every self-contained routine under `source`; (routines tried, findings
    ranked by saving, those that rely on no assumption first)."""
    from afs.asm.assembler import assemble
    from afs.asm.equivalence import implied_widths
    from afs.asm.routines import find_routines

    routines = find_routines(source)
    findings: list[ScanFinding] = []
    for routine in routines:
        try:
            pre = routine_entry(routine.code)
            shown = implied_widths(assemble(routine.code))
            result = superoptimize(routine.code, preconditions=pre, objective=objective,
                                   budget=budget, guessed=frozenset(
                                       flag for flag in ("m", "x") if flag not in shown))
        except Exception:  # a routine AFS cannot assemble or run is skipped, not fatal
            result = None
        if result is not None and result.rewrites and result.verified is not None:
            saved_bytes = result.before[0] - result.after[0]
            saved_cycles = result.before[1] - result.after[1]
            if saved_bytes > 0 or saved_cycles > 0:
                assumptions = tuple(sorted({a for r in result.rewrites for a in r.assumptions}
                                           | set(guessed_widths(routine.code))))
                findings.append(ScanFinding(routine.name, routine.path, routine.line,
                                            routine.code, result.source, saved_bytes,
                                            saved_cycles, result.rewrites, assumptions))
        if callable(on_routine):
            on_routine(routine)
    key = (lambda f: (bool(f.assumptions), -f.cycles_saved, -f.bytes_saved)) \
        if objective == "cycles" else (lambda f: (bool(f.assumptions), -f.bytes_saved,
                                                  -f.cycles_saved))
    findings.sort(key=key)
    return len(routines), findings


# --- whole-routine passes ------------------------------------------------------------------

_INDEXED_FORMS = {Mode.ABSOLUTE_LONG_X: (Mode.ABSOLUTE_X, Mode.DIRECT_X),
                  Mode.ABSOLUTE_X: (Mode.DIRECT_X,),
                  Mode.ABSOLUTE_Y: (Mode.DIRECT_Y,),
                  Mode.ABSOLUTE_LONG: (Mode.ABSOLUTE, Mode.DIRECT),
                  Mode.ABSOLUTE: (Mode.DIRECT,)}


def _shorter_form(ins: object, st: object, pre: dict[str, int]) -> tuple[Op, str] | None:
    """A shorter addressing form of `ins` that reaches the same bytes for every value of its
    index register (checked by enumerating them all), under the known D and DBR."""
    from afs.asm.analysis import m8, x8

    info, operand = ins.info, ins.operand  # type: ignore[attr-defined]
    if info.mode not in _INDEXED_FORMS or operand is None:
        return None
    dp, dbr = _known(st.dp), _known(st.dbr)  # type: ignore[attr-defined]
    wide_index = x8(st) is False
    if m8(st) is None or x8(st) is None:
        return None
    index_op = info.mnemonic in ("LDX", "LDY", "STX", "STY", "CPX", "CPY")
    width = 1 if (x8(st) if index_op else m8(st)) else 2
    if info.mnemonic in ("JMP", "JML", "JSR", "JSL"):
        return None
    indexes = range(0x10000 if wide_index else 0x100) if info.mode in (
        Mode.ABSOLUTE_LONG_X, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y) else range(1)
    for mode in reversed(_INDEXED_FORMS[info.mode]):        # shortest first
        target = _INFO.get((info.mnemonic, mode))
        if target is None or (mode in (Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y) and dp is None) \
                or (mode in (Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y) and dbr is None):
            continue
        new_operand = _operand_for(mode, info.mode, int(operand), dp, dbr)
        if new_operand is None:
            continue
        same = all(_byte_addresses(info.mode, int(operand), i, width, dp or 0, dbr or 0)
                   == _byte_addresses(mode, new_operand, i, width, dp or 0, dbr or 0)
                   for i in indexes)
        if same:
            assumption = f"D = ${dp:04X}" if mode in (Mode.DIRECT, Mode.DIRECT_X,
                                                      Mode.DIRECT_Y) else f"DBR = ${dbr:02X}"
            return Op(target, new_operand), assumption
    return None


def _operand_for(new: Mode, old: Mode, operand: int, dp: int | None, dbr: int | None
                 ) -> int | None:
    """The operand of the shorter form that names the same base byte."""
    base = operand if old in (Mode.ABSOLUTE_LONG, Mode.ABSOLUTE_LONG_X) else \
        ((dbr or 0) << 16) | operand
    if new in (Mode.ABSOLUTE, Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y):
        return base & 0xFFFF if dbr is not None and _canonical(base) == _canonical(
            (dbr << 16) | (base & 0xFFFF)) else None
    if dp is None:
        return None
    offset = (base & 0xFFFF) - dp
    if 0 <= offset < 0x100 and _canonical(base) == _canonical((dp + offset) & 0xFFFF):
        return offset
    return None


def _addressing_pass(source: str, filename: str, pre: dict[str, int], objective: str
                     ) -> tuple[str, list[SuperRewrite]]:
    """Every memory operand in its shortest form that provably reaches the same bytes."""
    from afs.asm.analysis import analyze, m8, x8
    from afs.asm.assembler import assemble
    from afs.asm.optimizer import _apply, _Edit, locatable

    assembly = assemble(source, filename=filename, base=CODE_BASE)
    instrs = _instrs(assembly)
    an = analyze(instrs, entry=_entry_state(pre))  # type: ignore[arg-type]
    edits, rewrites = [], []
    per_line = [ins.line for ins in instrs]
    lines = source.split("\n")
    for ins in instrs:
        st = an.before[ins.index]
        if st is None or ins.file != filename or st.e != 0 or per_line.count(ins.line) > 1 \
                or not locatable(lines, ins):
            continue
        found = _shorter_form(ins, st, pre)
        if found is None:
            continue
        op, assumption = found
        m, x = bool(m8(st)), bool(x8(st))
        old = Op(ins.info, int(ins.operand))
        if cost((op,), objective, m, x) >= cost((old,), objective, m, x):
            continue
        text = _indexed_text(op, m, x)
        edits.append(_Edit("addressing", ins.index, (ins.index,), (text,),
                           "shorter addressing form"))
        rewrites.append(SuperRewrite(ins.line, (ins.text,), (text,), "exhaustive",
                                     "same bytes for every index value", (assumption,)))
    if not edits:
        return source, []
    return _apply(source, assembly, edits), rewrites


def _indexed_text(op: Op, m8: bool, x8: bool) -> str:
    suffix = {Mode.DIRECT_X: ("b", ",X"), Mode.DIRECT_Y: ("b", ",Y"),
              Mode.ABSOLUTE_X: ("w", ",X"), Mode.ABSOLUTE_Y: ("w", ",Y")}.get(op.info.mode)
    if suffix is None:
        return op.text(m8, x8)
    digits = 2 if suffix[0] == "b" else 4
    return f"{op.mnemonic}.{suffix[0]} ${op.operand:0{digits}X}{suffix[1]}"


def _unreachable_pass(source: str, filename: str, pre: dict[str, int]
                      ) -> tuple[str, list[SuperRewrite]]:
    """Drop code no path reaches (the code's only entry is its first line), then a BRA or
    JMP whose target is the very next instruction."""
    from afs.asm.analysis import analyze
    from afs.asm.assembler import assemble
    from afs.asm.optimizer import _apply, _Edit, locatable

    assembly = assemble(source, filename=filename, base=CODE_BASE)
    instrs = _instrs(assembly)
    an = analyze(instrs, entry=_entry_state(pre))  # type: ignore[arg-type]
    if len(an.cfg.entries) != 1:
        return source, []
    numbers = [ins.line for ins in instrs]
    lines = source.split("\n")
    dead = [ins for ins in instrs if an.before[ins.index] is None and ins.file == filename
            and numbers.count(ins.line) == 1 and locatable(lines, ins)]
    edits = [_Edit("unreachable", ins.index, (ins.index,), (), "no path reaches it")
             for ins in dead]
    rewrites = [SuperRewrite(ins.line, (ins.text,), (), "exhaustive",
                             "unreachable on every path (control-flow graph)") for ins in dead]
    if edits:
        source = _apply(source, assembly, edits)
        assembly = assemble(source, filename=filename, base=CODE_BASE)
        instrs = _instrs(assembly)
    lines = source.split("\n")
    numbers = [ins.line for ins in instrs]
    jumps = [ins for ins in instrs if ins.mnemonic in ("BRA", "BRL", "JMP")
             and ins.target() == ins.end and ins.file == filename
             and numbers.count(ins.line) == 1 and locatable(lines, ins)]
    if jumps:
        source = _apply(source, assembly, [_Edit("jump-to-next", j.index, (j.index,), (),
                                                 "jumps to the next instruction")
                                           for j in jumps])
        rewrites += [SuperRewrite(j.line, (j.text,), (), "exhaustive",
                                  "its target is the next instruction") for j in jumps]
    return source, rewrites
