"""Din: optimises 65816 code with the peephole optimiser and reports what it saved."""

from __future__ import annotations

from afs.asm.errors import AsmError
from afs.asm.optimizer import optimize
from afs.models.classical_experts.common import extract_code, fence, prose_request

# A fragment (no return) is judged by what it leaves in memory, X, Y, S, D and DBR: A and the
# arithmetic flags are assumed dead unless the request says otherwise.
FRAGMENT_LIVE = "x,y,s,dp,dbr,e,i,d,mem"
ROUTINE_LIVE = None


def answer(request: str) -> str:
    code = extract_code(request)
    if code is None:
        return ("Din (offline optimiser) needs 65816 code to optimise, in a ```asm block or as "
                "plain lines; I found none in this request.")
    words = prose_request(request)
    ends_in_return = any(line.strip().lower().startswith(("rts", "rtl", "rti"))
                         for line in code.splitlines()[-3:])
    keep_all = ends_in_return or any(k in words for k in ("keep a", "preserve a", "a is live",
                                                          "keep flags", "preserve flags"))
    live = ROUTINE_LIVE if keep_all else FRAGMENT_LIVE
    try:
        result = optimize(code, live_out=live, verify=True, trials=64)
    except AsmError as exc:
        return f"Din cannot optimise this: it does not assemble ({exc})."
    assumption = ("every register and flag is kept as the original leaves it" if keep_all else
                  "A and the N/V/Z/C flags are not read after this fragment (memory, X, Y, "
                  "S, D and DBR are preserved); say 'keep A' if A is used afterwards")
    if not result.rewrites:
        return (f"{fence(code)}\n\nNo rewrite in my rule set applies, so the code is unchanged "
                f"(assumed: {assumption}).")
    check = result.verified
    lines = [fence(result.source), ""]
    if check is None or not check.equivalent:
        return (f"{fence(code)}\n\nMy candidate rewrite failed the equivalence check, so I "
                f"return the original unchanged.")
    before, after = check.metrics["original"], check.metrics["candidate"]
    saved_cycles = before.cycles_mean - after.cycles_mean
    lines.append(f"Saved {result.bytes_saved} bytes ({result.bytes_before} -> "
                 f"{result.bytes_after}) and {saved_cycles:.1f} cycles on average "
                 f"({before.cycles_mean:.1f} -> {after.cycles_mean:.1f} over {check.trials} "
                 f"random runs, checked equivalent).")
    lines.append("")
    lines.append("Changes:")
    for rw in result.rewrites:
        lines.append(f"- line {rw.line}: {' / '.join(rw.before)} -> "
                     f"{' / '.join(rw.after) or '(removed)'}: {rw.reason}")
    lines.append("")
    decimal = " Decimal mode is assumed off (D=0)." if any(
        rw.assumes_decimal_clear for rw in result.rewrites) else ""
    lines.append(f"Assumed: {assumption}.{decimal}")
    return "\n".join(lines)
