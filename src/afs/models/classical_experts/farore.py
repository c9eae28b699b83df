"""Farore: lints 65816 code, names the most likely bug, and proposes a fix where a rule has one."""

from __future__ import annotations

from afs.asm.lint import RULES, SEVERITIES, UNDECIDABLE, Finding, apply_fix, lint_source
from afs.models.classical_experts.common import extract_code, fence


def _rank(f: Finding) -> tuple[int, int]:
    return (-SEVERITIES.index(f.severity), f.line)


def answer(request: str) -> str:
    code = extract_code(request)
    if code is None:
        return ("Farore (offline linter) needs the 65816 code to review, in a ```asm block or "
                "as plain lines; I found none in this request.")
    report = lint_source(code)
    findings = sorted(report.findings, key=_rank)
    serious = [f for f in findings if f.severity != "info"]
    if not serious:
        notes = "".join(f"\n- line {f.line}: {f.message}" for f in findings)
        cats = ", ".join(sorted(UNDECIDABLE))
        return ("No lint rule finds a bug in this code." + (f" Notes:{notes}" if notes else "")
                + f"\nStatic rules cannot decide these categories in general: {cats}. If the "
                  "code misbehaves, say what it should do and what it does instead.")
    top = serious[0]
    rule = RULES[top.rule]
    out = [f"Bug: line {top.line}, category {top.category} ({top.rule} {rule.name}).",
           top.message, ""]
    fixed = None
    if top.fix is not None:
        candidate = apply_fix(code, top.fix)
        after = lint_source(candidate)
        if not any(f.rule == top.rule and f.line == top.line for f in after.findings
                   ) or not after.assembled:
            fixed = candidate
    if fixed is not None:
        out += ["Fixed code:", fence(fixed)]
    else:
        out.append(f"I know no mechanical fix for this rule; what is wrong: {rule.summary}")
    others = serious[1:]
    if others:
        out += ["", "Other findings:"]
        out += [f"- line {f.line} [{f.rule} {f.category}]: {f.message}" for f in others[:8]]
    return "\n".join(out)
