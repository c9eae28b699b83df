"""Din: optimises 65816 code with the peephole optimiser and reports what it saved.

What must survive the code comes from the request when it says so ("What must be preserved
at the end: a,n,z,mem", "keep A"), else from Din's convention below; the entry state it may
assume ("You may assume on entry: m=1, x=1, d=0") fixes the equivalence check's initial
states. A rewrite is returned only when the checker finds it equivalent under exactly those
terms and not slower, so Din never clobbers something the request declared live.
"""

from __future__ import annotations

from afs.asm.equivalence import EquivalenceResult, check_equivalent
from afs.asm.errors import AsmError
from afs.asm.optimizer import RULES, OptimizeResult, optimize
from afs.models.classical_experts.common import Request, fence, parse_request

# A fragment (no return) is judged by what it leaves in memory, X, Y, S, D and DBR: A and the
# arithmetic flags are assumed dead unless the request says otherwise.
FRAGMENT_LIVE = "x,y,s,dp,dbr,e,i,d,mem"
ROUTINE_LIVE = None
TRIALS = 64
MAX_TRIES = 4


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


def answer(request: str) -> str:
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
    rules = set(RULES)
    refused = ""
    for _ in range(MAX_TRIES):
        try:
            result = optimize(code, live_out=live, assume_decimal_clear=pre["d"] == 0,
                              rules=sorted(rules))
        except AsmError as exc:
            return f"Din cannot optimise this: it does not assemble ({exc})."
        if not result.rewrites:
            break
        check, refused = _verify(code, result.source, live, pre)
        if check is not None:
            return _report(result, check, f"{assumption}.{_decimal(result, req)}{entry}")
        # Drop the first rule that fired and try again without it.
        rules.discard(result.rewrites[0].rule)
    if refused:
        return (f"{fence(code)}\n\nMy candidate rewrites failed the check under these terms "
                f"({assumption}; {refused}), so I return the original unchanged.{entry}")
    return (f"{fence(code)}\n\nNo rewrite in my rule set applies, so the code is unchanged "
            f"(assumed: {assumption}).{entry}")


def _verify(code: str, candidate: str, live: str | None, pre: dict[str, int]
            ) -> tuple[EquivalenceResult | None, str]:
    """(the check, "") when `candidate` is equivalent and not worse, else (None, why not)."""
    try:
        check = check_equivalent(code, candidate, live_out=live, preconditions=pre,
                                 trials=TRIALS, seed=0)
    except Exception as exc:  # a runaway loop or an unsupported state: do not risk a rewrite
        return None, f"the check could not run: {exc}"
    if not check.equivalent:
        return None, (check.counterexample.difference if check.counterexample
                      else "not equivalent")
    before, after = check.metrics["original"], check.metrics["candidate"]
    if after.cycles_mean > before.cycles_mean or after.bytes > before.bytes:
        return None, "not faster and smaller under the stated entry state"
    return check, ""


def _decimal(result: OptimizeResult, req: Request) -> str:
    needs = any(rw.assumes_decimal_clear for rw in result.rewrites)
    return " Decimal mode is assumed off (D=0)." if needs and "d" not in req.preconditions \
        else ""


def _report(result: OptimizeResult, check: EquivalenceResult, assumed: str) -> str:
    before, after = check.metrics["original"], check.metrics["candidate"]
    saved_cycles = before.cycles_mean - after.cycles_mean
    lines = [fence(result.source), "",
             f"Saved {result.bytes_saved} bytes ({result.bytes_before} -> "
             f"{result.bytes_after}) and {saved_cycles:.1f} cycles on average "
             f"({before.cycles_mean:.1f} -> {after.cycles_mean:.1f} over {check.trials} "
             f"random runs, checked equivalent).", "", "Changes:"]
    for rw in result.rewrites:
        lines.append(f"- line {rw.line}: {' / '.join(rw.before)} -> "
                     f"{' / '.join(rw.after) or '(removed)'}: {rw.reason}")
    lines += ["", f"Assumed: {assumed}"]
    return "\n".join(lines)
