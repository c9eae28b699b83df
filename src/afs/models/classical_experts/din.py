"""Din: optimises 65816 code with the superoptimiser (peephole rules, provably equivalent
addressing forms, dead code, and an enumerative search over short windows, each rewrite
proven) and reports what it saved and how each change was checked.

What must survive the code comes from the request when it says so ("What must be preserved
at the end: a,n,z,mem", "keep A"), else from Din's convention below; the entry state it may
assume ("You may assume on entry: m=1, x=1, d=0") fixes the equivalence check's initial
states. A rewrite is returned only when the checker finds it equivalent under exactly those
terms and not slower, so Din never clobbers something the request declared live.
"""

from __future__ import annotations

import re

from afs.asm.assembler import assemble
from afs.asm.equivalence import EquivalenceResult, check_equivalent, implied_widths
from afs.asm.errors import AsmError
from afs.asm.superopt_routine import BYTES_FOR_CYCLES
from afs.asm.superoptimizer import SuperResult
from afs.models.classical_experts.common import Request, fence, parse_request

# A fragment (no return) is judged by what it leaves in memory, X, Y, S, D and DBR: A and the
# arithmetic flags are assumed dead unless the request says otherwise.
FRAGMENT_LIVE = "x,y,s,dp,dbr,e,i,d,mem"
ROUTINE_LIVE = None
TRIALS = 64


def _terms(req: Request, code: str) -> tuple[str | None, str]:
    """(live-out for the optimiser and the check, the sentence that states it)."""
    if req.live_out is not None:
        return req.live_out, f"only {req.live_out} must be preserved, as the request states"
    ends_in_return = any(line.strip().lower().startswith(("rts", "rtl", "rti"))
                         for line in code.splitlines()[-3:])
    if ends_in_return or req.preserved:
        return ROUTINE_LIVE, "every register and flag is kept as the original leaves it"
    return FRAGMENT_LIVE, ("A and the N/V/Z/C flags are not read after this fragment (memory, "
                           "X, Y, S, D and DBR are preserved); say 'keep A' if A is used "
                           "afterwards")


BUDGET_SECONDS = 0.5
_BYTES_GOAL = re.compile(r"\b(?:fewer|less|smaller|save|saving|minimi[sz]e)\b[^.\n]{0,40}"
                         r"\b(?:bytes?|size|space|rom)\b|\bsmaller\b|\bcode size\b", re.I)


def objective_of(prose: str) -> str:
    """"bytes" when the request asks for smaller code, else "cycles"."""
    return "bytes" if _BYTES_GOAL.search(prose) else "cycles"


def answer(request: str) -> str:
    from afs.asm.superoptimizer import superoptimize

    req = parse_request(request)
    code = req.code
    if code is None:
        return ("Din (offline optimiser) needs 65816 code to optimise, in a ```asm block or as "
                "plain lines; I found none in this request.")
    live, assumption = _terms(req, code)
    pre = dict(req.preconditions)
    # SNES code runs with D clear, so rewrites that need it are allowed unless D=1 is stated.
    pre.setdefault("d", 0)
    stated = ", ".join(f"{k}={v}" for k, v in sorted(req.preconditions.items()))
    entry = f" Entry state assumed as stated: {stated}." if stated else ""
    objective = objective_of(req.prose)
    try:
        # Widths the request leaves open are the ones the code's immediates assume.
        implied = implied_widths(assemble(code))
        result = superoptimize(code, live_out=live, preconditions=pre, objective=objective,
                               budget=BUDGET_SECONDS)
    except AsmError as exc:
        return f"Din cannot optimise this: it does not assemble ({exc})."
    widths = {k: v for k, v in implied.items() if k not in pre}
    if widths:
        pre.update(widths)
        entry += (" Entry widths taken from the code's immediates: "
                  + ", ".join(f"{k}={v}" for k, v in sorted(widths.items())) + ".")
    if result.rewrites:
        check, refused = _verify(code, result.source, live, pre, objective)
        if check is not None:
            return _report(result, check, f"{assumption}.{_decimal(result, req)}{entry}")
        return (f"{fence(code)}\n\nMy candidate rewrite failed the check under these terms "
                f"({assumption}; {refused}), so I return the original unchanged.{entry}")
    return (f"{fence(code)}\n\nNo rewrite: I found no cheaper equivalent in {objective} within my "
            f"search (assumed: {assumption}), so the code is unchanged.{entry}")


def _verify(code: str, candidate: str, live: str | None, pre: dict[str, int], objective: str
            ) -> tuple[EquivalenceResult | None, str]:
    """(the check, "") when `candidate` is equivalent and cheaper on `objective` and not worse
    on the other measure (for cycles: at most `BYTES_FOR_CYCLES` bytes larger), else (None,
    why not)."""
    try:
        check = check_equivalent(code, candidate, live_out=live, preconditions=pre,
                                 trials=TRIALS, seed=0, infer_widths=False)
    except Exception as exc:  # a runaway loop or an unsupported state: do not risk a rewrite
        return None, f"the check could not run: {exc}"
    if not check.equivalent:
        return None, (check.counterexample.difference if check.counterexample
                      else "not equivalent")
    before, after = check.metrics["original"], check.metrics["candidate"]
    cheaper = after.bytes < before.bytes if objective == "bytes" else \
        after.cycles_mean < before.cycles_mean
    not_worse = after.cycles_mean <= before.cycles_mean if objective == "bytes" else \
        after.bytes <= before.bytes + BYTES_FOR_CYCLES
    if not (cheaper and not_worse):
        return None, f"not cheaper in {objective} under the stated entry state"
    return check, ""


def _decimal(result: SuperResult, req: Request) -> str:
    needs = any("decimal flag clear" in rw.assumptions for rw in result.rewrites)
    return " Decimal mode is assumed off (D=0)." if needs and "d" not in req.preconditions \
        else ""


def _report(result: SuperResult, check: EquivalenceResult, assumed: str) -> str:
    before, after = check.metrics["original"], check.metrics["candidate"]
    saved_cycles = before.cycles_mean - after.cycles_mean
    lines = [fence(result.source), "",
             f"Saved {before.bytes - after.bytes} bytes ({before.bytes} -> {after.bytes}) and "
             f"{saved_cycles:.1f} cycles on average ({before.cycles_mean:.1f} -> "
             f"{after.cycles_mean:.1f} over {check.trials} random runs, checked equivalent).",
             "", "Changes:"]
    for rw in result.rewrites:
        assumes = f"; assumes {', '.join(rw.assumptions)}" if rw.assumptions else ""
        lines.append(f"- line {rw.line}: {' / '.join(rw.before)} -> "
                     f"{' / '.join(rw.after) or '(removed)'} ({rw.proof}: {rw.detail}{assumes})")
    lines += ["", f"Assumed: {assumed}"]
    return "\n".join(lines)
