"""Din's own wrong answers for the audit: cheaper-looking rewrites that break the contract.

Each one is cheaper than (or as cheap as) the original and wrong in a way the generic battery
does not aim at:

* `original_reformatted`: the original in lower case with a comment: no saving at all;
* `original_last_store_dropped` / `reference_last_store_dropped`: the last store (memory or
  I/O register) left out, which saves cycles and changes what the routine leaves behind;
* `reference_without_status_save`: PHP/PLP dropped where the item promises P is restored;
* `reference_one_width_only`: the reference with its width set-up (PHP, REP/SEP, PLP)
  removed, correct only for callers that already run in the widths it assumes;
* `reference_result_flag_dropped`: the last SEC/CLC/CLD that no arithmetic consumes left
  out, where the item returns a flag;
* `reference_live_register_clobbered`: a live register overwritten before the return.
"""

from __future__ import annotations

import re

from afs.benchmark.audit import WrongAnswer, fenced
from afs.benchmark.items import BenchmarkItem

_STORE = re.compile(r"^\s*(STA|STZ|STX|STY)\b", re.I)
_RETURN = re.compile(r"^\s*(RTS|RTL)\b", re.I)
_WIDTH_SETUP = re.compile(r"^\s*(PHP|PLP|REP|SEP)\b", re.I)
_STATUS = re.compile(r"^\s*(PHP|PLP)\b", re.I)
_FLAG_SET = re.compile(r"^\s*(SEC|CLC|CLD)\b", re.I)
_CONSUMER = re.compile(r"^\s*(ADC|SBC|ROL|ROR)\b", re.I)
_CLOBBER = {"a": "LDA #$5A", "x": "LDX #$5A", "y": "LDY #$5A"}


def _drop(lines: list[str], index: int) -> str:
    return "\n".join(lines[:index] + lines[index + 1:])


def _live(item: BenchmarkItem) -> set[str]:
    return {name.strip().lower() for name in (item.live_out or "").split(",") if name.strip()}


def _last(lines: list[str], pattern: re.Pattern[str]) -> int | None:
    hits = [i for i, line in enumerate(lines) if pattern.match(line)]
    return hits[-1] if hits else None


def _result_flag(lines: list[str]) -> int | None:
    """The last SEC/CLC/CLD whose flag no later ADC/SBC/ROL/ROR reads before a return."""
    flag = _last(lines, _FLAG_SET)
    if flag is None:
        return None
    for line in lines[flag + 1:]:
        if _RETURN.match(line):
            break
        if _CONSUMER.match(line):
            return None
    return flag


def domain_wrong_answers(item: BenchmarkItem) -> list[WrongAnswer]:
    """Din-specific wrong answers for one item (see the module docstring)."""
    original = item.code.splitlines()
    reference = item.expected_output.splitlines()
    live = _live(item)
    out = [WrongAnswer("original_reformatted",
                       fenced("; tidied up\n" + item.code.lower()))]
    last_original = _last(original, _STORE)
    if last_original is not None:
        out.append(WrongAnswer("original_last_store_dropped",
                               fenced(_drop(original, last_original))))
    last_store = _last(reference, _STORE)
    if last_store is not None:
        out.append(WrongAnswer("reference_last_store_dropped",
                               fenced(_drop(reference, last_store))))
    if any(_STATUS.match(line) for line in reference) and ({"p"} & live or len(live) > 1):
        out.append(WrongAnswer("reference_without_status_save", fenced("\n".join(
            line for line in reference if not _STATUS.match(line)))))
    if any(_WIDTH_SETUP.match(line) for line in reference) and (
            "m" not in item.preconditions or "x" not in item.preconditions):
        out.append(WrongAnswer("reference_one_width_only", fenced("\n".join(
            line for line in reference if not _WIDTH_SETUP.match(line)))))
    flag = _result_flag(reference)
    if flag is not None and live & {"c", "d", "p"}:
        out.append(WrongAnswer("reference_result_flag_dropped", fenced(_drop(reference, flag))))
    ret = _last(reference, _RETURN)
    for register in sorted(live & set(_CLOBBER)):
        where = ret if ret is not None else len(reference)
        clobbered = [*reference[:where], _CLOBBER[register], *reference[where:]]
        out.append(WrongAnswer(f"reference_{register}_clobbered",
                               fenced("\n".join(clobbered))))
    return out
