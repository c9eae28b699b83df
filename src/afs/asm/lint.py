"""Lint for 65816 code: stable rule ids, a severity, the line, and one sentence on why.

Every rule reads the facts `afs.asm.analysis` computed (widths, stack depth, carry, constants,
bytes written on every path, liveness) and maps to one debugging category of the Farore
benchmark. `RULES` is the catalogue; `lint_source` runs it. Where a rule knows the repair it
attaches a `Fix` (replacement statements for the flagged one), which Farore applies.

Categories no static rule can decide in general are listed in `UNDECIDABLE`: they need the
author's intent (which bound was meant, which compare was meant, how long a frame may be).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from afs.asm.analysis import CALLS, Analysis, Instr, analyze, instructions_from_listing
from afs.asm.errors import AsmError
from afs.asm.lint_checks import CHECKS
from afs.asm.lint_rules import (
    _HANDLER_NAME,
    RULES,
    SEVERITIES,
    UNDECIDABLE,
    Finding,
    Fix,
    LintContext,
    Rule,
)

__all__ = ["RULES", "SEVERITIES", "UNDECIDABLE", "Finding", "Fix", "LintReport", "Rule",
           "apply_fix", "lint_instructions", "lint_source"]

# --- driver ----------------------------------------------------------------------------------



@dataclass
class LintReport:
    findings: list[Finding]
    assembled: bool

    def by_severity(self, minimum: str = "warning") -> list[Finding]:
        floor = SEVERITIES.index(minimum)
        return [f for f in self.findings if SEVERITIES.index(f.severity) >= floor]

    def to_dict(self) -> dict[str, object]:
        return {"assembled": self.assembled, "findings": [f.to_dict() for f in self.findings]}


def lint_source(source: str, *, filename: str = "<input>", base: int = 0x008000,
                handlers: tuple[str, ...] = ()) -> LintReport:
    """Assemble and lint `source`. `handlers` names labels that are interrupt handlers."""
    from afs.asm.assembler import assemble

    try:
        assembly = assemble(source, filename=filename, base=base)
    except AsmError as exc:
        return LintReport([_asm_finding(exc, source)], assembled=False)
    instrs = instructions_from_listing(assembly.listing, assembly.symbols)
    return lint_instructions(instrs, handlers=handlers)


def lint_instructions(instrs: list[Instr], *, handlers: tuple[str, ...] = ()) -> LintReport:
    """Lint already-assembled instructions."""
    an = analyze(instrs)
    ctx = LintContext(an)
    wanted = {h.lower() for h in handlers}
    for entry, members in an.cfg.routines.items():
        labels = an.instrs[entry].labels
        is_handler = any(_HANDLER_NAME.search(lbl) or lbl.lower() in wanted for lbl in labels)
        if is_handler or (entry not in an.cfg.call_targets and any(
                an.instrs[i].mnemonic == "RTI" for i in members)):
            ctx.handlers.add(entry)
    ctx.nmi_context = _called_from(an, ctx.handlers)
    findings: list[Finding] = []
    seen = set()
    for check in CHECKS:
        for f in check(ctx):
            key = (f.rule, f.file, f.line, f.message)
            if key not in seen:
                seen.add(key)
                findings.append(f)
    findings.sort(key=lambda f: (f.file, f.line, -SEVERITIES.index(f.severity), f.rule))
    return LintReport(findings, assembled=True)


def _called_from(an: Analysis, roots: set[int]) -> set[int]:
    out = set(roots)
    todo = list(roots)
    addr_to_index = {i.address: i.index for i in an.instrs}
    while todo:
        entry = todo.pop()
        for i in an.cfg.routines.get(entry, ()):
            ins = an.instrs[i]
            if ins.mnemonic in CALLS:
                callee = addr_to_index.get(ins.target() or -1)
                if callee is not None and callee not in out and callee in an.cfg.routines:
                    out.add(callee)
                    todo.append(callee)
    return out


_BRANCH_RE = re.compile(r"^\s*(b(?:pl|mi|vc|vs|cc|cs|ne|eq|ra|lt|ge))(\.b)?\s+(\S+)",
                        re.IGNORECASE)
_INVERSE = {"bpl": "bmi", "bmi": "bpl", "bvc": "bvs", "bvs": "bvc", "bcc": "bcs", "bcs": "bcc",
            "bne": "beq", "beq": "bne", "blt": "bcs", "bge": "bcc"}


def _asm_finding(exc: AsmError, source: str) -> Finding:
    line = exc.line or 1
    text = exc.message
    if "out of range" in text and "branch" in text:
        r = RULES["B003"]
        lines = source.splitlines()
        stmt = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        fix = None
        m = _BRANCH_RE.match(stmt)
        if m:
            op, target = m.group(1).lower(), m.group(3)
            new = ("brl " + target,) if op == "bra" else (
                f"{_INVERSE[op]} +", f"jmp {target}", "+")
            fix = Fix(line, stmt, new)
        return Finding("B003", r.category, r.severity, exc.file, line, text, fix)
    far = re.match(r"'(jsr|jmp) addr' cannot take a 3-byte operand", text)
    if far:
        r = RULES["C002"]
        long_form = "JSL" if far.group(1) == "jsr" else "JML"
        return Finding("C002", r.category, r.severity, exc.file, line,
                       f"{far.group(1).upper()} cannot reach another bank (the target has a "
                       f"24-bit address); use {long_form}.")
    r = RULES["E001"]
    return Finding("E001", r.category, r.severity, exc.file, line, text)


def apply_fix(source: str, fix: Fix) -> str:
    """Source with the statement on `fix.line` replaced by the fix's statements."""
    lines = source.splitlines()
    if not 0 < fix.line <= len(lines):
        return source
    line = lines[fix.line - 1]
    indent = re.match(r"\s*", line).group(0) or "  "  # type: ignore[union-attr]
    pos = line.find(fix.old)
    if pos < 0:
        return source
    head, tail = line[:pos], line[pos + len(fix.old):]
    if fix.statements:
        first = head + fix.statements[0]
        rest = [indent + s for s in fix.statements[1:]]
        if rest:
            rest[-1] += tail
        else:
            first += tail
        new_lines = [first, *rest]
    else:
        new_lines = [head + tail] if (head + tail).strip() else []
    return "\n".join([*lines[:fix.line - 1], *new_lines, *lines[fix.line:]]) + (
        "\n" if source.endswith("\n") else "")
