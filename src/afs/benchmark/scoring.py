"""How one answer to one item is scored — by running it.

* din: assembles, equivalent to the original under the item's live-out (equivalence
  checker), and not worse on the item's objective (cycles by default, or bytes). Score:
  0.25 for an equivalent, not-worse answer, up to 1.0 as its gain reaches the reference's.
* farore: only an answer whose code passes the item's behaviour test (the bug is gone and
  nothing else broke) scores: 0.7, plus 0.15 each for naming the buggy line and the bug's
  category (a short diagnosis: a list of many lines or categories names none). A failed
  test scores 0 whatever the answer names.
* nayru: the answer assembles and passes the item's spec: 1.0, else 0.
* veran: driven by the prediction questions (`afs.benchmark.veran_questions`): a pass needs
  every `Answer N:` right, plus an explanation that states at least half of the rubric's
  concepts (negated mentions do not count) and makes none of its known-false claims (role
  swaps, wrong widths). Score: 0.7 x the share of right answers + 0.3 x the rubric score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from afs.asm.errors import AsmError
from afs.asm.extract import extract_code
from afs.benchmark.checks import run_behaviour_test, score_rubric
from afs.benchmark.items import BenchmarkItem

VERAN_PASS = 0.5          # the rubric share a passing explanation needs
PREDICTION_WEIGHT = 0.7


@dataclass
class SampleScore:
    passed: bool
    score: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "score": round(self.score, 4), "details": self.details}


def _cost(metrics: Any, goal: str) -> float:
    return float(metrics.bytes) if goal == "bytes" else float(metrics.cycles_mean)


def score_din(item: BenchmarkItem, answer: str) -> SampleScore:
    from afs.asm.equivalence import check_equivalent

    code = extract_code(answer)
    if code is None:
        return SampleScore(False, 0.0, {"reason": "no code in the answer"})
    try:
        result = check_equivalent(item.code, code, live_out=item.live_out,
                                  preconditions=item.preconditions or None, trials=64, seed=1)
    except AsmError as exc:
        return SampleScore(False, 0.0, {"reason": f"does not assemble: {exc}"})
    except Exception as exc:  # a runaway loop, a bad state: the answer fails, the run goes on
        return SampleScore(False, 0.0, {"reason": f"{type(exc).__name__}: {exc}"})
    details: dict[str, Any] = {"equivalent": result.equivalent,
                               "metrics": {k: v.to_dict() for k, v in result.metrics.items()}}
    if not result.equivalent:
        details["reason"] = "not equivalent"
        details["counterexample"] = (result.counterexample.to_dict()
                                     if result.counterexample else None)
        return SampleScore(False, 0.0, details)
    goal = item.metadata.objective
    original = _cost(result.metrics["original"], goal)
    candidate = _cost(result.metrics["candidate"], goal)
    if candidate > original:
        details["reason"] = f"equivalent but worse in {goal} ({candidate:g} > {original:g})"
        return SampleScore(False, 0.0, details)
    reference = (item.reference_metrics or {}).get("reference", {})
    ref_cost = reference.get("bytes" if goal == "bytes" else "cycles_mean", original)
    ref_gain = max(original - ref_cost, 1e-9)
    gain = original - candidate
    score = 0.25 + 0.75 * min(1.0, gain / ref_gain)
    details.update({"objective": goal, "gain": gain, "reference_gain": original - ref_cost})
    return SampleScore(True, score, details)


_LINE = re.compile(r"\bline\s*#?\s*(\d+)\b", re.I)
FARORE_PASS = 0.7           # the behaviour test passes: the bug is fixed, nothing else broke
FARORE_NAMED = 0.15         # each of: the buggy line, the bug's category (only on a pass)
_MAX_NAMED_LINES = 3        # naming more lines than this is a list, not a diagnosis
_MAX_NAMED_CATEGORIES = 2


def _named_categories(text: str) -> set[str]:
    from afs.benchmark.items import CATEGORIES

    lowered = text.lower()
    return {c for c in CATEGORIES["farore"] if c in lowered or c.replace("_", " ") in lowered}


def score_farore(item: BenchmarkItem, answer: str) -> SampleScore:
    """Credit only for code that passes the behaviour test; naming the buggy line and the
    bug's category adds to a pass and never replaces it (a failed test scores 0)."""
    assert item.test is not None and item.bug is not None
    lines = {int(n) for n in _LINE.findall(answer)}
    categories = _named_categories(answer)
    named_line = item.bug.line in lines and len(lines) <= _MAX_NAMED_LINES
    named_category = item.bug.category in categories and \
        len(categories) <= _MAX_NAMED_CATEGORIES
    details: dict[str, Any] = {"named_line": named_line, "named_category": named_category}
    code = extract_code(answer)
    if code is None:
        return SampleScore(False, 0.0, {**details, "reason": "no code in the answer"})
    report = run_behaviour_test(code, item.test)
    details["test"] = report.to_dict()
    if not report.passed:
        details["reason"] = "the fixed code fails the behaviour test"
        return SampleScore(False, 0.0, details)
    score = FARORE_PASS + FARORE_NAMED * named_line + FARORE_NAMED * named_category
    return SampleScore(True, score, details)


def score_nayru(item: BenchmarkItem, answer: str) -> SampleScore:
    assert item.spec is not None
    code = extract_code(answer)
    if code is None:
        return SampleScore(False, 0.0, {"reason": "no code in the answer"})
    report = run_behaviour_test(code, item.spec)
    return SampleScore(report.passed, 1.0 if report.passed else 0.0, {"spec": report.to_dict()})


_FENCED = re.compile(r"```.*?(?:```|\Z)", re.S)
_ANSWER_LINE = re.compile(r"^[\s>*_`#-]*answer\s*#?\s*\d+\s*[:.)=-].*$", re.I | re.M)


def explanation_text(answer: str) -> str:
    """The prose of a veran answer: without fenced code (echoed code explains nothing) and
    without its `Answer N:` lines (the rubric scores the explanation, not the predictions)."""
    return _ANSWER_LINE.sub("", _FENCED.sub("", answer))


def score_veran(item: BenchmarkItem, answer: str) -> SampleScore:
    from afs.benchmark.veran_questions import check_predictions

    assert item.rubric is not None
    report = score_rubric(explanation_text(answer), item.rubric)
    predictions = check_predictions(item.questions or [], answer)
    right = sum(p["correct"] for p in predictions)
    share = right / len(predictions) if predictions else 0.0
    details = {"predictions": predictions, "rubric": report.to_dict()}
    return _veran_verdict(share, report.score, bool(report.wrong_claims), details)


def _veran_verdict(share: float, rubric_score: float, wrong_claims: bool,
                   details: dict[str, Any]) -> SampleScore:
    passed = share == 1.0 and rubric_score >= VERAN_PASS and not wrong_claims
    score = PREDICTION_WEIGHT * share + (1 - PREDICTION_WEIGHT) * rubric_score
    if not passed:
        details["reason"] = ("wrong or missing predictions" if share < 1.0 else
                             "the explanation makes a known-false claim" if wrong_claims else
                             "the explanation states too little of what the code does")
    return SampleScore(passed, score, details)


def apply_veran_judge(score: dict[str, Any], grade: float) -> dict[str, Any]:
    """Fold an LLM judge's grade (0-1) into a veran score dict: it is averaged with the
    rubric; the predictions still decide whether the answer can pass."""
    details = score["details"]
    predictions = details.get("predictions", [])
    share = (sum(p["correct"] for p in predictions) / len(predictions)) if predictions else 0.0
    rubric = (details["rubric"]["score"] + grade) / 2
    verdict = _veran_verdict(share, rubric, bool(details["rubric"]["wrong_claims"]),
                             {**details, "judge_score": grade})
    return verdict.to_dict()


SCORERS = {"din": score_din, "farore": score_farore, "nayru": score_nayru, "veran": score_veran}


def score_answer(item: BenchmarkItem, answer: str) -> SampleScore:
    """Score one answer with its domain's scorer."""
    return SCORERS[item.domain](item, answer)


def score_payload(payload: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """Process-pool entry point: `(item as dict, answer)` → score dict."""
    item, answer = payload
    return score_answer(BenchmarkItem.model_validate(item), answer).to_dict()
