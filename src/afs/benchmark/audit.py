"""The benchmark audit: wrong answers that must not pass, and how varied the items are.

For every item, a battery of answers that do not do the task is scored exactly as a model's
answer would be (`afs.benchmark.scoring.score_answer`):

* generic: empty, prose only, `RTS`, `NOP`, the item's own code handed back unchanged, the
  reference with its REP/SEP stripped, and deterministic mutants of the reference (operand
  +-1, flipped branch condition, dropped instruction, swapped index register, swapped
  operation, wrong entry width);
* per domain: `afs.benchmark.audit_<domain>.domain_wrong_answers(item)` where that module
  exists (negated explanations for veran, live-out clobbers for din, ...).

A wrong answer that passes is an audit failure: the item's check can be met without doing
the task. One exception: a *code mutant* can happen to be a correct answer (a dropped
instruction that was dead, an operand change that nothing observes). Such a mutant is
excused when a strong equivalence check under the item's own entry state and live-out (256
trials, widths never inferred from the answer) cannot tell it from the reference.

The audit also measures how varied a domain is: the share of distinct normalised code shapes
(`shape_key`: comments, labels, numbers and addresses abstracted away).
"""

from __future__ import annotations

import importlib
import multiprocessing
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from afs.asm.extract import normalize_code
from afs.asm.isa import OPCODES
from afs.benchmark.items import DOMAINS, MINIMUM_COUNTS, BenchmarkItem

SHAPE_RATIO_MINIMUM = 0.6
MINIMUM_MUTANTS = 8
EXCUSE_TRIALS = 256
EXCUSE_SEED = 11

PROSE_ONLY = ("I looked at this carefully. The routine is correct as written and needs no "
              "change; it does exactly what was asked.")


@dataclass(frozen=True)
class WrongAnswer:
    """An answer that does not do the item's task; `answer` is the full text a model sends."""

    label: str
    answer: str


def fenced(code: str) -> str:
    """`code` as a model would send it: one ```asm block."""
    return f"```asm\n{code.strip()}\n```"


# --- shapes --------------------------------------------------------------------------------

_NUMBER = re.compile(r"\$[0-9A-F]+|%[01]+|\b\d+\b")
_LABEL_DEF = re.compile(r"^(?:[.A-Z_?][\w.]*:|[+-]+)\s*")
_IDENTIFIER = re.compile(r"(?<![\w$%.])[A-Z_.?][\w.]*")
_DATA = re.compile(r"^(DB|DW|DL|DD)\b.*")


def shape_key(code: str) -> str:
    """What a routine looks like once labels, numbers and addresses are abstracted away:
    mnemonics, width suffixes and addressing-mode punctuation remain."""
    shapes = []
    for line in normalize_code(code).splitlines():
        text = _LABEL_DEF.sub("", line).strip()
        if not text or re.fullmatch(r"[+-]+", text):
            continue
        text = _DATA.sub(r"\1 *", text)
        mnemonic, _, operand = text.partition(" ")
        operand = _NUMBER.sub("N", operand)
        operand = _IDENTIFIER.sub(lambda m: m.group(0) if m.group(0) in ("X", "Y", "S")
                                  else "L", operand)
        operand = re.sub(r"[+-]+$", "L", operand) if operand.strip("+-") == "" else operand
        shapes.append(f"{mnemonic} {operand}".strip())
    return "\n".join(shapes)


def shape_source(item: BenchmarkItem) -> str:
    """The code an item is about: its own code, or for a generation task its reference."""
    return item.code if item.code.strip() else item.expected_output


def shape_ratio(items: Iterable[BenchmarkItem]) -> float:
    """Distinct shapes over items (1.0 for no items)."""
    items = list(items)
    if not items:
        return 1.0
    return len({shape_key(shape_source(i)) for i in items}) / len(items)


# --- mutants -------------------------------------------------------------------------------

_STATEMENT = re.compile(
    r"^(?P<lead>\s*(?:[.A-Za-z_?][\w.]*:|[+-]+:?)?\s*)"
    r"(?P<mnemonic>[A-Za-z]{3})(?P<suffix>\.[bwlBWL])?"
    r"(?P<rest>(?:\s+[^;]*?)?)(?P<tail>\s*(?:;.*)?)$")
_FLIPPED_BRANCH = {"BEQ": "BNE", "BNE": "BEQ", "BCC": "BCS", "BCS": "BCC", "BPL": "BMI",
                   "BMI": "BPL", "BVC": "BVS", "BVS": "BVC"}
_SWAPPED_REGISTER = {"LDX": "LDY", "LDY": "LDX", "STX": "STY", "STY": "STX", "INX": "INY",
                     "INY": "INX", "DEX": "DEY", "DEY": "DEX", "TAX": "TAY", "TAY": "TAX",
                     "TXA": "TYA", "TYA": "TXA", "CPX": "CPY", "CPY": "CPX", "PHX": "PHY",
                     "PHY": "PHX", "PLX": "PLY", "PLY": "PLX"}
_SWAPPED_OPERATION = {"ADC": "SBC", "SBC": "ADC", "CLC": "SEC", "SEC": "CLC", "INC": "DEC",
                      "DEC": "INC", "AND": "ORA", "ORA": "AND", "EOR": "AND", "ASL": "LSR",
                      "LSR": "ASL", "ROL": "ROR", "ROR": "ROL", "STA": "STZ"}
_HEX = re.compile(r"\$([0-9A-Fa-f]+)")
_INDEX = re.compile(r",\s*([XYxy])\b")
_WIDTH = re.compile(r"^(REP|SEP)$", re.I)
_MUTANTS_PER_KIND = 3
_MNEMONICS = frozenset(info.mnemonic for info in OPCODES)


@dataclass
class _Line:
    index: int
    mnemonic: str
    match: re.Match[str]


def _statements(lines: list[str]) -> list[_Line]:
    out = []
    for index, line in enumerate(lines):
        match = _STATEMENT.match(line)
        if match and match.group("mnemonic").upper() in _MNEMONICS:
            out.append(_Line(index, match.group("mnemonic").upper(), match))
    return out


def _spread(candidates: list[Any], count: int) -> list[Any]:
    """Up to `count` of `candidates`, spread from first to last (deterministic)."""
    if len(candidates) <= count:
        return candidates
    step = (len(candidates) - 1) / (count - 1) if count > 1 else 0
    return [candidates[round(k * step)] for k in range(count)]


def _replace_line(lines: list[str], index: int, text: str | None) -> str:
    out = list(lines)
    if text is None:
        del out[index]
    else:
        out[index] = text
    return "\n".join(out)


def _rebuilt(line: _Line, *, mnemonic: str | None = None, rest: str | None = None) -> str:
    """The line with its mnemonic and/or operand replaced, label and comment kept."""
    m = line.match
    return (f"{m.group('lead')}{mnemonic or m.group('mnemonic')}{m.group('suffix') or ''}"
            f"{m.group('rest') if rest is None else rest}{m.group('tail')}")


def _with_mnemonic(line: _Line, mnemonic: str) -> str:
    return _rebuilt(line, mnemonic=mnemonic)


def _nudged_operand(line: _Line, delta: int) -> str | None:
    m = line.match
    rest = m.group("rest")
    found = _HEX.search(rest)
    if not found:
        return None
    digits = found.group(1)
    value = (int(digits, 16) + delta) % (16 ** len(digits))
    return _rebuilt(line, rest=f"{rest[:found.start(1)]}{value:0{len(digits)}X}"
                              f"{rest[found.end(1):]}")


def code_mutants(code: str) -> list[tuple[str, str]]:
    """Deterministic mutants of `code`, each `(label, mutated code)`; none equals `code`."""
    lines = code.splitlines()
    statements = _statements(lines)
    found: list[tuple[str, str]] = []

    with_numbers = [s for s in statements if _HEX.search(s.match.group("rest"))
                    and s.mnemonic not in ("REP", "SEP")]
    for line in _spread(with_numbers, _MUTANTS_PER_KIND):
        for delta, sign in ((1, "+1"), (-1, "-1")):
            text = _nudged_operand(line, delta)
            if text is not None:
                found.append((f"operand{sign}@{line.index + 1}",
                              _replace_line(lines, line.index, text)))
    for line in _spread([s for s in statements if s.mnemonic in _FLIPPED_BRANCH],
                        _MUTANTS_PER_KIND):
        found.append((f"branch_flipped@{line.index + 1}",
                      _replace_line(lines, line.index,
                                    _with_mnemonic(line, _FLIPPED_BRANCH[line.mnemonic]))))
    droppable = [s for s in statements if s.mnemonic not in ("RTS", "RTL", "RTI")]
    for line in _spread(droppable, _MUTANTS_PER_KIND):
        label = line.match.group("lead").strip() or None  # a label on the line stays
        found.append((f"dropped@{line.index + 1}", _replace_line(lines, line.index, label)))
    for line in _spread([s for s in statements if s.mnemonic in _SWAPPED_REGISTER
                         or _INDEX.search(s.match.group("rest"))], _MUTANTS_PER_KIND):
        if line.mnemonic in _SWAPPED_REGISTER:
            text = _with_mnemonic(line, _SWAPPED_REGISTER[line.mnemonic])
        else:
            rest = _INDEX.sub(lambda r: "," + ("Y" if r.group(1).upper() == "X" else "X"),
                              line.match.group("rest"), count=1)
            text = _rebuilt(line, rest=rest)
        found.append((f"register_swapped@{line.index + 1}",
                      _replace_line(lines, line.index, text)))
    for line in _spread([s for s in statements if s.mnemonic in _SWAPPED_OPERATION],
                        _MUTANTS_PER_KIND):
        if line.mnemonic == "STA" and "," in line.match.group("rest") and \
                not _INDEX.search(line.match.group("rest")):
            continue  # STZ has no long or indirect forms
        found.append((f"operation_swapped@{line.index + 1}",
                      _replace_line(lines, line.index,
                                    _with_mnemonic(line, _SWAPPED_OPERATION[line.mnemonic]))))
    widths = [s for s in statements if s.mnemonic in ("REP", "SEP")]
    if widths:
        line = widths[0]
        other = "SEP" if line.mnemonic == "REP" else "REP"
        found.append((f"width_flipped@{line.index + 1}",
                      _replace_line(lines, line.index, _with_mnemonic(line, other))))
    else:
        found.append(("entry_width_16", "REP #$30\n" + code))
    original = normalize_code(code)
    unique: dict[str, str] = {}
    for label, mutated in found:
        key = normalize_code(mutated)
        if key != original and key not in {normalize_code(v) for v in unique.values()}:
            unique[label] = mutated
    return list(unique.items())


def strip_width_changes(code: str) -> str:
    """`code` without its REP/SEP instructions."""
    kept = []
    for line in code.splitlines():
        match = _STATEMENT.match(line)
        if match and _WIDTH.match(match.group("mnemonic")):
            lead = match.group("lead").strip()
            if lead:
                kept.append(lead)
            continue
        kept.append(line)
    return "\n".join(kept)


# --- the battery ---------------------------------------------------------------------------

_CODE_DOMAINS = ("din", "farore", "nayru")


def generic_wrong_answers(item: BenchmarkItem) -> list[WrongAnswer]:
    """Wrong answers every item of the domain must reject."""
    answers = [WrongAnswer("empty", ""), WrongAnswer("prose_only", PROSE_ONLY)]
    if item.code.strip():
        answers.append(WrongAnswer("unchanged_code", fenced(item.code)))
    if item.domain not in _CODE_DOMAINS:
        return answers
    answers += [WrongAnswer("rts", fenced("RTS")), WrongAnswer("nop", fenced("NOP"))]
    reference = item.expected_output
    stripped = strip_width_changes(reference)
    if normalize_code(stripped) != normalize_code(reference) and stripped.strip():
        answers.append(WrongAnswer("mutant:width_changes_stripped", fenced(stripped)))
    answers += [WrongAnswer(f"mutant:{label}", fenced(code))
                for label, code in code_mutants(reference)]
    return answers


def _domain_battery(domain: str) -> Callable[[BenchmarkItem], list[WrongAnswer]] | None:
    name = f"afs.benchmark.audit_{domain}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None
    return module.domain_wrong_answers


def wrong_answers(item: BenchmarkItem) -> list[WrongAnswer]:
    """The whole battery for one item: generic, then the domain's own."""
    answers = generic_wrong_answers(item)
    battery = _domain_battery(item.domain)
    if battery is not None:
        answers += battery(item)
    return answers


# --- running it ----------------------------------------------------------------------------

@dataclass
class ItemAudit:
    """What happened to one item's battery."""

    item_id: str
    domain: str
    checked: int
    mutants: int
    passed: list[str] = field(default_factory=list)
    excused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.passed

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item_id, "domain": self.domain, "checked": self.checked,
                "mutants": self.mutants, "passed": self.passed, "excused": self.excused}


def _equivalent_to_reference(item: BenchmarkItem, answer: str) -> bool:
    from afs.asm.equivalence import check_equivalent
    from afs.asm.extract import extract_code

    code = extract_code(answer)
    if code is None:
        return False
    try:
        result = check_equivalent(item.expected_output, code, live_out=item.live_out,
                                  preconditions=item.preconditions or None,
                                  trials=EXCUSE_TRIALS, seed=EXCUSE_SEED, infer_widths=False)
    except Exception:  # an answer that cannot run is not equivalent to anything
        return False
    return result.equivalent


def audit_item(item: BenchmarkItem) -> ItemAudit:
    """Score the item's whole battery; see the module docstring for what is excused."""
    from afs.benchmark.scoring import score_answer

    battery = wrong_answers(item)
    audit = ItemAudit(item.id, item.domain, len(battery),
                      sum(a.label.startswith("mutant:") for a in battery))
    for wrong in battery:
        try:
            passed = score_answer(item, wrong.answer).passed
        except Exception as exc:  # a scorer that crashes on an answer is an audit failure
            audit.passed.append(f"{wrong.label} (scorer raised {type(exc).__name__}: {exc})")
            continue
        if not passed:
            continue
        if wrong.label.startswith("mutant:") and item.domain in _CODE_DOMAINS and \
                _equivalent_to_reference(item, wrong.answer):
            audit.excused.append(wrong.label)
        else:
            audit.passed.append(wrong.label)
    return audit


def _audit_payload(item: dict[str, Any]) -> ItemAudit:
    return audit_item(BenchmarkItem.model_validate(item))


@dataclass
class DomainAudit:
    """One domain's figures."""

    items: int
    answers: int
    passed: int
    excused: int
    shape_ratio: float
    minimum_items: int

    @property
    def ok(self) -> bool:
        return (self.passed == 0 and self.shape_ratio >= SHAPE_RATIO_MINIMUM
                and self.items >= self.minimum_items)

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "wrong_answers": self.answers,
                "wrong_answers_passed": self.passed, "excused_equivalent_mutants": self.excused,
                "shape_ratio": round(self.shape_ratio, 3), "minimum_items": self.minimum_items,
                "ok": self.ok}


@dataclass
class AuditReport:
    """The audit of a dataset: per-item results and per-domain figures."""

    items: list[ItemAudit]
    domains: dict[str, DomainAudit]

    @property
    def failures(self) -> list[ItemAudit]:
        return [a for a in self.items if not a.ok]

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.domains.values())

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "items": len(self.items),
                "wrong_answers": sum(a.checked for a in self.items),
                "wrong_answers_passed": sum(len(a.passed) for a in self.items),
                "domains": {name: d.to_dict() for name, d in self.domains.items()},
                "failures": [a.to_dict() for a in self.failures]}


def audit_items(items: list[BenchmarkItem], *, workers: int = 1, check_counts: bool = True,
                on_item: Callable[[ItemAudit], None] | None = None) -> AuditReport:
    """Audit every item (in a process pool when `workers` > 1) and measure each domain."""
    if workers > 1 and len(items) > 8:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = []
            for audit in pool.map(_audit_payload, [i.model_dump() for i in items], chunksize=8):
                results.append(audit)
                if on_item:
                    on_item(audit)
    else:
        results = []
        for item in items:
            results.append(audit_item(item))
            if on_item:
                on_item(results[-1])
    by_domain: dict[str, list[ItemAudit]] = defaultdict(list)
    for audit in results:
        by_domain[audit.domain].append(audit)
    domains = {}
    for name in (d for d in DOMAINS if d in by_domain):
        audits = by_domain[name]
        domains[name] = DomainAudit(
            items=len(audits), answers=sum(a.checked for a in audits),
            passed=sum(len(a.passed) for a in audits),
            excused=sum(len(a.excused) for a in audits),
            shape_ratio=shape_ratio(i for i in items if i.domain == name),
            minimum_items=MINIMUM_COUNTS[name] if check_counts else 0)
    return AuditReport(results, domains)
