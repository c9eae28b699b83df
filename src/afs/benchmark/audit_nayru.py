"""Nayru's own wrong answers: routines that look right and do the task slightly wrong.

* `wrong_address`: every store goes one byte higher (the right thing at the wrong place);
* `no_final_store`: the reference without its last store;
* `count_off_by_one+1/-1`: every loop bound (`LDX/LDY/CPX/CPY #n`) one more or one less;
* `health_max_for_current`: $7EF36D (current health) swapped with $7EF36C (the maximum).
"""

from __future__ import annotations

import re

from afs.benchmark.audit import WrongAnswer, fenced
from afs.benchmark.items import BenchmarkItem

_STORE = re.compile(r"^(\s*(?:[A-Za-z_]\w*:)?\s*ST[AXYZ](?:\.[bwl])?\s+)\$([0-9A-Fa-f]+)(.*)$",
                    re.I)
_BOUND = re.compile(r"^(\s*(?:LD|CP)[XY]\s+#)\$([0-9A-Fa-f]+)(.*)$", re.I)


def _shift(match: re.Match[str], delta: int) -> str:
    digits = match.group(2)
    value = (int(digits, 16) + delta) % (16 ** len(digits))
    return f"{match.group(1)}${value:0{len(digits)}X}{match.group(3)}"


def _rewrite(code: str, pattern: re.Pattern[str], delta: int) -> str:
    return "\n".join(_shift(m, delta) if (m := pattern.match(line)) else line
                     for line in code.splitlines())


def domain_wrong_answers(item: BenchmarkItem) -> list[WrongAnswer]:
    """Plausible wrong routines built from the item's reference (those equal to it dropped)."""
    code = item.expected_output
    lines = code.splitlines()
    out = [("wrong_address", _rewrite(code, _STORE, 1))]
    stores = [k for k, line in enumerate(lines) if _STORE.match(line)]
    if stores:
        out.append(("no_final_store", "\n".join(lines[:stores[-1]] + lines[stores[-1] + 1:])))
    out += [("count_off_by_one+1", _rewrite(code, _BOUND, 1)),
            ("count_off_by_one-1", _rewrite(code, _BOUND, -1))]
    if "7EF36D" in code.upper():
        swapped = re.sub("7EF36D", "@", code, flags=re.I)
        swapped = re.sub("7EF36C", "7EF36D", swapped, flags=re.I).replace("@", "7EF36C")
        out.append(("health_max_for_current", swapped))
    # They are edits of the reference, so the audit treats them as mutants: one that a
    # strong equivalence check cannot tell from the reference (a store on a path no input
    # takes) is excused, every other one must fail the spec.
    return [WrongAnswer(f"mutant:nayru:{label}", fenced(text)) for label, text in out
            if text.strip() and text != code]
