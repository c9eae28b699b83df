"""Farore: lints 65816 code, names the most likely bug, and proposes a fix where a rule has one.

What the request states is used as facts: the entry state ("On entry: native mode, 8-bit
A/X/Y, DBR = $7E", "You may assume on entry: m=1, x=1") makes the analysis start from those
widths and drops findings the stated DBR rules out; a register the request says must be
preserved ("the caller's Y must be preserved") is checked by running the code on the
emulator from random entry states, and fixed with a push/pull pair when that passes the same
check and the linter.
"""

from __future__ import annotations

import random

from afs.asm.analysis import analyze_source
from afs.asm.cpu import CpuState
from afs.asm.errors import AsmError
from afs.asm.lint import RULES, SEVERITIES, UNDECIDABLE, Finding, apply_fix, lint_source
from afs.asm.lint_rules import Fix
from afs.models.classical_experts.common import Request, fence, parse_request

TRIALS = 8
BUDGET = 20_000
WRITES = {"x": ("LDX", "TAX", "TYX", "TSX", "INX", "DEX", "PLX"),
          "y": ("LDY", "TAY", "TXY", "INY", "DEY", "PLY"),
          "a": ("LDA", "PLA", "TXA", "TYA", "ADC", "SBC", "AND", "ORA", "EOR", "TDC", "TSC",
                "XBA")}
RETURNS = ("RTS", "RTL")


def _rank(f: Finding) -> tuple[int, int]:
    return (-SEVERITIES.index(f.severity), f.line)


def _preamble(pre: dict[str, int]) -> list[str]:
    """Lines that put the analysis in the stated entry widths (the linter has no entry
    state of its own)."""
    sep = (0x20 if pre.get("m") == 1 else 0) | (0x10 if pre.get("x") == 1 else 0)
    rep = (0x20 if pre.get("m") == 0 else 0) | (0x10 if pre.get("x") == 0 else 0)
    return ([f"SEP #${sep:02X}"] if sep else []) + ([f"REP #${rep:02X}"] if rep else [])


def lint_stated(code: str, pre: dict[str, int]) -> list[Finding]:
    """Lint `code` as entered in the stated state; line numbers are `code`'s own."""
    head = _preamble(pre)
    report = lint_source("\n".join([*head, code]) if head else code)
    if head and not report.assembled:
        report = lint_source(code)
        head = []
    k = len(head)
    out = []
    for f in report.findings:
        if f.line <= k and report.assembled:
            continue
        if f.rule == "B001" and pre.get("dbr") in (0x7E, 0x7F):
            continue  # the request says DBR is a WRAM bank
        fix = None if f.fix is None else Fix(f.fix.line - k, f.fix.old, f.fix.statements)
        out.append(Finding(f.rule, f.category, f.severity, f.file, f.line - k, f.message, fix))
    return out


def _entry(rng: random.Random, pre: dict[str, int]) -> CpuState:
    p = rng.randrange(0x100) & ~0x08  # decimal off unless stated
    for flag, bit in (("m", 0x20), ("x", 0x10), ("d", 0x08), ("c", 0x01), ("i", 0x04)):
        if flag in pre:
            p = p | bit if pre[flag] else p & ~bit
    x8 = bool(p & 0x10)
    mask = 0xFF if x8 else 0xFFFF
    return CpuState(a=rng.randrange(0x10000), x=rng.randrange(0x10000) & mask,
                    y=rng.randrange(0x10000) & mask, s=0x01F0, d=pre.get("dp", 0),
                    dbr=pre.get("dbr", 0x7E), p=p, e=pre.get("e", 0))


def clobbered(code: str, register: str, pre: dict[str, int]) -> bool | None:
    """Whether a run can change `register` (a, x or y); None when the code cannot be run."""
    from afs.asm.machine import run_snippet

    rng = random.Random(0)
    for _ in range(TRIALS):
        init = _entry(rng, pre)
        try:
            result = run_snippet(code, init=init, max_instructions=BUDGET)
        except Exception:  # does not assemble, calls outside the snippet, a runaway loop
            return None
        if result.stop_reason not in ("end", "rts", "rtl"):
            return None
        if getattr(result.state, register) != getattr(init, register):
            return True
    return False


def _wrap(code: str, register: str) -> str | None:
    """`code` with PHx after its entry label and PLx before each return (or at the end)."""
    push, pull = {"a": ("PHA", "PLA"), "x": ("PHX", "PLX"), "y": ("PHY", "PLY")}[register]
    lines = code.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.strip()
                  .startswith(";") and not ln.strip().endswith(":")), None)
    if first is None:
        return None
    indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
    out = [*lines[:first], f"{indent}{push}"]
    returned = False
    for ln in lines[first:]:
        word = ln.split(";")[0].split()
        if word and word[-1].upper() in RETURNS and len(word) <= 2:
            out.append(f"{indent}{pull}")
            returned = True
        out.append(ln)
    if not returned:
        out.append(f"{indent}{pull}")
    return "\n".join(out)


def _preservation(code: str, req: Request) -> tuple[Finding, str | None] | None:
    """The first stated-preserved register the code changes, and a checked fix."""
    for register in sorted(req.preserved & {"a", "x", "y"}):
        if not clobbered(code, register, req.preconditions):
            continue
        try:
            _, an = analyze_source(code)
        except AsmError:
            return None
        writer = next((i for i in an.instrs if i.mnemonic in WRITES[register]), None)
        line = writer.line if writer is not None else 1
        finding = Finding("INTENT", "register_corruption", "error", "<input>", line,
                          f"{register.upper()} must be preserved (the request says so), but "
                          f"line {line} changes it and the routine does not restore it.")
        fixed = _wrap(code, register)
        if fixed is not None and clobbered(fixed, register, req.preconditions) is False and \
                not any(f.category == "stack_imbalance"
                        for f in lint_stated(fixed, req.preconditions)):
            return finding, fixed
        return finding, None
    return None


def answer(request: str) -> str:
    req = parse_request(request)
    code = req.code
    if code is None:
        return ("Farore (offline linter) needs the 65816 code to review, in a ```asm block or "
                "as plain lines; I found none in this request.")
    findings = sorted(lint_stated(code, req.preconditions), key=_rank)
    serious = [f for f in findings if f.severity != "info"]
    stated = _preservation(code, req)
    if stated is not None:
        top, fixed = stated
        return _report(code, req, top, fixed, serious)
    if not serious:
        notes = "".join(f"\n- line {f.line}: {f.message}" for f in findings)
        cats = ", ".join(sorted(UNDECIDABLE))
        return ("No lint rule finds a bug in this code." + (f" Notes:{notes}" if notes else "")
                + f"\nStatic rules cannot decide these categories in general: {cats}. If the "
                  "code misbehaves, say what it should do and what it does instead.")
    top = serious[0]
    fixed = None
    if top.fix is not None:
        candidate = apply_fix(code, top.fix)
        after = lint_stated(candidate, req.preconditions)
        if lint_source(candidate).assembled and not any(
                f.rule == top.rule and f.line == top.line for f in after):
            fixed = candidate
    return _report(code, req, top, fixed, serious[1:])


def _report(code: str, req: Request, top: Finding, fixed: str | None,
            others: list[Finding]) -> str:
    name = RULES[top.rule].name if top.rule in RULES else "stated-register-not-preserved"
    out = [f"Bug: line {top.line}, category {top.category} ({top.rule} {name}).",
           top.message, ""]
    if fixed is not None:
        out += ["Fixed code:", fence(fixed)]
    else:
        summary = RULES[top.rule].summary if top.rule in RULES else top.message
        out.append(f"I know no mechanical fix for this rule; what is wrong: {summary}")
    if req.preconditions:
        stated = ", ".join(f"{k}={v}" for k, v in sorted(req.preconditions.items()))
        out += ["", f"Entry state taken from the request: {stated}."]
    if others:
        out += ["", "Other findings:"]
        out += [f"- line {f.line} [{f.rule} {f.category}]: {f.message}" for f in others[:8]]
    return "\n".join(out)
