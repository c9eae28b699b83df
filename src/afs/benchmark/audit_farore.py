"""Farore's wrong answers for the audit (`afs.benchmark.audit`): answers that name the bug
well but do not fix it, or fix it and break something else. None of them may pass.

* the buggy code returned unchanged, with the right line and category named;
* the buggy line changed to another wrong value (an operand off by one, the opposite
  branch, the neighbouring index register), with the right line and category named;
* the correct fix plus a change to another line (dropped, or its operand off by one);
* prose only, naming the line and the category, with no code;
* the buggy code with a comment claiming the fix.

The code variants are labelled `mutant:...`: like the generic battery's mutants, one that
passes the test is excused only when the audit's equivalence check (256 trials, the item's
live-out and preconditions) cannot tell it from the fix, because then it *is* a fix.
"""

from __future__ import annotations

import re

from afs.benchmark.audit import WrongAnswer
from afs.benchmark.items import BenchmarkItem

_FLIP = {"BCC": "BCS", "BCS": "BCC", "BEQ": "BNE", "BNE": "BEQ", "BPL": "BMI", "BMI": "BPL",
         "BVC": "BVS", "BVS": "BVC"}
_OPERAND = re.compile(r"\$([0-9A-Fa-f]+)")
_MAX_OTHER_LINES = 3        # fixes that break another line: at most this many per item


def _diagnosis(item: BenchmarkItem) -> str:
    assert item.bug is not None
    return (f"The bug is on line {item.bug.line}: it is a "
            f"{item.bug.category.replace('_', ' ')} bug ({item.bug.category}). "
            f"{item.bug.description[:1].upper()}{item.bug.description[1:]}.")


def _answer(item: BenchmarkItem, code: str) -> str:
    return f"{_diagnosis(item)}\n\nFixed routine:\n```asm\n{code}\n```"


def _is_instruction(text: str) -> bool:
    t = text.strip()
    return bool(t) and not t.endswith(":") and t not in ("+", "-") and \
        not t.lower().startswith(("org", "db ", "dw ", "dl ")) and ": d" not in t.lower()


def line_variants(text: str) -> list[str]:
    """Other wrong versions of one line: each operand number off by one, the opposite
    branch condition, the other index register."""
    t = text.strip()
    out: list[str] = []
    mnemonic = t.split()[0].upper() if t else ""
    if mnemonic in _FLIP:
        out.append(t.replace(t.split()[0], _FLIP[mnemonic], 1))
    for match in _OPERAND.finditer(t):
        digits = match.group(1)
        value = int(digits, 16)
        for step in (1, -1):
            new = f"${(value + step) % 16 ** len(digits):0{len(digits)}X}"
            out.append(t[:match.start()] + new + t[match.end():])
    if re.search(r",\s*X\b", t, re.I):
        out.append(re.sub(r",\s*X\b", ",Y", t, flags=re.I))
    elif re.search(r",\s*Y\b", t, re.I) and "(" not in t and "[" not in t:
        out.append(re.sub(r",\s*Y\b", ",X", t, flags=re.I))
    return [v for v in out if v != t]


def _candidates(item: BenchmarkItem) -> list[tuple[str, str]]:
    assert item.bug is not None
    buggy = item.code.splitlines()
    fixed = item.expected_output.splitlines()
    out: list[tuple[str, str]] = []
    at = item.bug.line - 1
    if 0 <= at < len(buggy) and _is_instruction(buggy[at]):
        for k, variant in enumerate(line_variants(buggy[at])):
            if variant.strip() in (f.strip() for f in fixed[max(0, at - 2):at + 3]):
                continue        # that is (or may be) the fix itself
            out.append((f"mutant:farore_buggy_line_other_value_{k + 1}",
                        "\n".join([*buggy[:at], variant, *buggy[at + 1:]])))
    changed = {i for i, text in enumerate(fixed) if i >= len(buggy) or buggy[i] != text}
    others = [i for i, text in enumerate(fixed)
              if _is_instruction(text) and i not in changed and abs(i - at) > 1]
    step = max(1, len(others) // _MAX_OTHER_LINES)
    for i in others[::step][:_MAX_OTHER_LINES]:
        variants = line_variants(fixed[i])
        broken = [*fixed[:i], variants[0], *fixed[i + 1:]] if variants else \
            [*fixed[:i], *fixed[i + 1:]]
        out.append((f"mutant:farore_fix_breaking_line_{i + 1}", "\n".join(broken)))
    return out


def domain_wrong_answers(item: BenchmarkItem) -> list[WrongAnswer]:
    """Farore's battery for one item (see the module docstring)."""
    assert item.bug is not None
    answers = [
        WrongAnswer("farore:buggy_code_with_line_and_category", _answer(item, item.code)),
        WrongAnswer("farore:prose_naming_line_and_category", _diagnosis(item)),
        WrongAnswer("farore:buggy_code_claimed_fixed", _answer(item, "; fixed\n" + item.code)),
    ]
    answers += [WrongAnswer(label, _answer(item, code)) for label, code in _candidates(item)]
    return answers
