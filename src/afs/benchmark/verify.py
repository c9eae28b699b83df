"""Proving benchmark items: the generator refuses an item that fails, and
`afs benchmark verify` re-proves a shipped dataset.

* din: `expected_output` is equivalent to `code` under the item's live-out in every entry
  width the preconditions allow (equivalence checker, 256 trials shared among the widths,
  at least the scorer's DIN_TRIALS per width, widths never inferred) and strictly cheaper on the
  item's objective in the worst width;
  `reference_metrics` are what the scorer measures (`scoring.measure_din_candidate`).
* farore: `code` fails its behaviour test and `expected_output` passes it; the bug's line
  exists; every test case starts in the entry state the item's preconditions state.
* nayru: `expected_output` passes the spec.
* veran: every prediction question's expected answer is what running (or assembling) the
  code gives now; the reference explanation covers its rubric fully, trips no wrong claim
  and answers every question right.
* every item: its code assembles and the knowledge graph finds no misused address
  (error-severity findings) in it.
* the dataset: no two items share normalised code; the spec's categories and counts.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from afs.asm.errors import AsmError
from afs.asm.extract import normalize_code
from afs.benchmark.checks import run_behaviour_test, score_rubric
from afs.benchmark.items import CATEGORIES, MINIMUM_COUNTS, BenchmarkItem

PROOF_TRIALS = 256


def measure_din(code: str, expected: str, live_out: str | None,
                preconditions: dict[str, int]) -> tuple[Any, dict[str, dict[str, float]]]:
    """The scorer's measurement of the reference (every allowed entry width, the scorer's
    entry states first) with PROOF_TRIALS states in all, shared among the allowed widths but
    never fewer per width than the scorer uses; and the `reference_metrics` it gives."""
    from afs.asm.equivalence import width_choices
    from afs.benchmark.scoring import DIN_TRIALS, measure_din_candidate

    per_width = max(DIN_TRIALS, PROOF_TRIALS // len(width_choices(preconditions or None)))
    result = measure_din_candidate(code, expected, live_out, preconditions, trials=per_width)
    return result, result.reference_metrics()


def _kg_problems(graph: Any, code: str, what: str) -> list[str]:
    if graph is None or not code.strip():
        return []
    return [f"{what}: knowledge graph: {f}" for f in graph.validate_output(code)
            if f.severity == "error"]


def prove_item(item: BenchmarkItem, graph: Any = None) -> list[str]:
    """Problems with one item; an empty list means it is proven."""
    try:
        problems = _prove(item)
    except AsmError as exc:
        return [f"does not assemble: {exc}"]
    except Exception as exc:  # a runaway loop in a reference is a broken item, not a crash
        return [f"{type(exc).__name__}: {exc}"]
    problems += _kg_problems(graph, item.code, "code")
    if item.domain != "veran":  # a veran reference is prose, checked by its rubric
        problems += _kg_problems(graph, item.expected_output, "expected_output")
    return problems


def _prove(item: BenchmarkItem) -> list[str]:
    problems: list[str] = []
    if item.domain == "din":
        result, metrics = measure_din(item.code, item.expected_output, item.live_out,
                                      item.preconditions)
        if not result.equivalent:
            diff = (result.counterexample or {}).get("first_difference", "?")
            problems.append(f"expected_output is not equivalent to code with entry state "
                            f"{result.entries[-1]}: {diff}")
        goal = "bytes" if item.metadata.objective == "bytes" else "cycles_mean"
        if not metrics["gain"][goal] > 0:
            problems.append(f"expected_output is not cheaper in {item.metadata.objective} in "
                            f"every allowed entry width: gain {metrics['gain'][goal]}")
        if item.reference_metrics != metrics:
            problems.append(f"reference_metrics {item.reference_metrics} differ from the "
                            f"measured {metrics}")
    elif item.domain == "farore":
        assert item.test is not None and item.bug is not None
        if run_behaviour_test(item.code, item.test).passed:
            problems.append("the buggy code passes its test: the test does not expose the bug")
        fixed = run_behaviour_test(item.expected_output, item.test)
        if not fixed.passed:
            problems.append(f"expected_output fails the test: {fixed.error or fixed.failures}")
        if item.bug.line > len(item.code.splitlines()):
            problems.append(f"bug line {item.bug.line} is past the end of the code")
        problems += _entry_mismatches(item)
    elif item.domain == "nayru":
        assert item.spec is not None
        report = run_behaviour_test(item.expected_output, item.spec)
        if not report.passed:
            problems.append(f"reference fails its spec: {report.error or report.failures}")
    else:
        problems += _prove_veran(item)
    return problems


def _prove_veran(item: BenchmarkItem) -> list[str]:
    from afs.benchmark.veran_questions import check_predictions, evaluate

    assert item.rubric is not None
    problems = []
    report = score_rubric(item.expected_output, item.rubric)
    if report.score < 1.0 or report.wrong_claims:
        problems.append(f"reference explanation misses {report.missing} or makes wrong "
                        f"claims {report.wrong_claims}")
    for number, question in enumerate(item.questions or [], start=1):
        try:
            got = evaluate(item.code, question.probe, question.init, question.memory)
        except (ValueError, KeyError) as exc:
            problems.append(f"question {number} ({question.probe}) has no answer: {exc}")
            continue
        if got != question.answer:
            problems.append(f"question {number} ({question.probe}): running the code gives "
                            f"{got!r}, the item says {question.answer!r}")
    wrong = [p["question"] for p in check_predictions(item.questions or [],
                                                      item.expected_output)
             if not p["correct"]]
    if wrong:
        problems.append(f"the reference answers questions {wrong} wrong")
    return problems


_PRE_BITS = {"m": 0x20, "x": 0x10, "d": 0x08, "c": 0x01, "z": 0x02, "i": 0x04, "v": 0x40,
             "n": 0x80}


def _entry_mismatches(item: BenchmarkItem) -> list[str]:
    """Test cases whose entry state contradicts the item's stated preconditions (the
    prompt states them, so a case outside them tests something the request rules out)."""
    assert item.test is not None
    out = []
    for index, case in enumerate(item.test.cases):
        init = {"p": 0x30, "d": 0, "dbr": 0x7E, "e": 0, **case.init}
        for name, want in item.preconditions.items():
            if name in _PRE_BITS:
                got = int(bool(init["p"] & _PRE_BITS[name]))
            else:
                got = init.get({"dp": "d"}.get(name, name))
            if got is not None and got != want:
                out.append(f"case {index} starts with {name}={got}, the item states {want}")
    return out


def dataset_problems(items: Iterable[BenchmarkItem], *, check_counts: bool = True) -> list[str]:
    items = list(items)
    problems = []
    ids = Counter(i.id for i in items)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    seen: dict[tuple[str, str], str] = {}
    for item in items:
        # A generation task has no code of its own: its request and reference identify it.
        text = item.code if item.code.strip() else \
            f"{item.metadata.request}\n{item.expected_output}"
        key = (item.domain, normalize_code(text))
        if key in seen:
            problems.append(f"{item.id} has the same normalised code as {seen[key]}")
        seen.setdefault(key, item.id)
    if check_counts:
        for domain, minimum in MINIMUM_COUNTS.items():
            in_domain = [i for i in items if i.domain == domain]
            if not in_domain:
                continue
            if len(in_domain) < minimum:
                problems.append(f"{domain}: {len(in_domain)} items, the spec asks for "
                                f"{minimum}")
            missing = set(CATEGORIES[domain]) - {i.category for i in in_domain}
            if missing:
                problems.append(f"{domain}: no items in categories {sorted(missing)}")
    return problems


_GRAPH: Any = None


def _prove_payload(item: dict[str, Any]) -> tuple[str, list[str]]:
    global _GRAPH
    if _GRAPH is None:
        from afs.knowledge.adapters import ALTTPKnowledgeGraph

        _GRAPH = ALTTPKnowledgeGraph()
    parsed = BenchmarkItem.model_validate(item)
    return parsed.id, prove_item(parsed, _GRAPH)


@dataclass
class VerifyReport:
    items: int
    failures: dict[str, list[str]] = field(default_factory=dict)
    dataset: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.dataset


def verify_items(items: list[BenchmarkItem], *, workers: int = 2, check_counts: bool = True,
                 on_item: Any = None) -> VerifyReport:
    """Re-prove every item (in a process pool) and check the dataset as a whole."""
    report = VerifyReport(items=len(items), dataset=dataset_problems(items,
                                                                     check_counts=check_counts))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for item_id, problems in pool.map(_prove_payload, [i.model_dump() for i in items],
                                          chunksize=8):
            if problems:
                report.failures[item_id] = problems
            if on_item:
                on_item(item_id, problems)
    return report
