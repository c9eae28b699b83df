"""How one answer to one item is scored — by running it.

* din: assembles, differs from the original, is equivalent to it under the item's live-out
  in EVERY entry width its preconditions allow (a free M or X is tested both ways; widths are
  never inferred from the answer) and strictly cheaper on the item's objective (cycles, or
  bytes) in the worst allowed width. Anything else scores 0. Score: gain / reference gain,
  so the reference earns 1.0, capped at DIN_SCORE_CAP for answers that beat it.
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

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from afs.asm.errors import AsmError
from afs.asm.extract import extract_code, normalize_code
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


# din: every candidate is measured on the same entry states (seed, first DIN_TRIALS trials) as
# the reference was at generation, so the reference itself scores exactly 1.0.
DIN_TRIALS = 128
DIN_SEED = 1
# Scoring screens every width with its first trials before the full DIN_TRIALS: most wrong
# answers fail on an edge state, in whichever width, without paying for a full width first.
SCREEN_TRIALS = 8
# A saving beyond the reference scores above 1.0, up to this cap: a beat stays visible, but an
# item whose reference saves a few cycles cannot outweigh ordinary passes on a mean score.
DIN_SCORE_CAP = 1.5


def _metrics(size: int, cycles: list[int]) -> dict[str, float]:
    if not cycles:
        return {"bytes": float(size), "cycles_min": 0.0, "cycles_mean": 0.0,
                "cycles_max": 0.0}
    return {"bytes": float(size), "cycles_min": float(min(cycles)),
            "cycles_mean": round(sum(cycles) / len(cycles), 2),
            "cycles_max": float(max(cycles))}


@dataclass
class DinMeasurement:
    """`candidate` against `code` under every entry width the item allows.

    Cycles are the mean over the first DIN_TRIALS entry states of each width; the gain is the
    worst case over the widths (a caller entering with any allowed width must not pay more),
    and `original`/`candidate` aggregate the widths (cycles_mean = the slowest width's mean).
    """

    equivalent: bool
    entries: list[dict[str, int]]
    counterexample: dict[str, Any] | None
    per_width: list[dict[str, Any]]
    original: dict[str, float]
    candidate: dict[str, float]
    gain: dict[str, float]
    widths_not_run: int = 0     # after an early stop: the verdict did not need them

    def reference_metrics(self) -> dict[str, dict[str, float]]:
        return {"original": self.original, "reference": self.candidate, "gain": self.gain}


def measure_din_candidate(code: Any, candidate: Any, live_out: str | None,
                          preconditions: dict[str, int], trials: int = DIN_TRIALS, *,
                          stop_when_slower: bool = False) -> DinMeasurement:
    """Equivalence under every allowed entry width and the cost of both snippets; entry
    states come only from `preconditions` (never from the snippets' immediates). `code` and
    `candidate` are asar source or `Assembly` objects (assembled once by the caller).

    Widths run one after another and stop at the first that is not equivalent; with
    `stop_when_slower`, also at the first whose cycle gain is not positive (the worst-width
    gain cannot be positive then, so a cycles answer fails whatever the other widths do)."""
    from afs.asm.equivalence import check_equivalent, width_choices

    widths = width_choices(preconditions or None)
    results = []
    for pre in widths:
        results.append(check_equivalent(code, candidate, live_out, pre, trials, DIN_SEED,
                                        infer_widths=False))
        if not results[-1].equivalent:
            break
        if stop_when_slower and _cycle_gain(results[-1]) <= 0:
            break
    return _measurement(results, widths_not_run=len(widths) - len(results))


def _cycle_gain(result: Any) -> float:
    """One width's gain exactly as `_measurement` rounds it."""
    pairs = result.trial_cycles[:DIN_TRIALS]
    return round(_metrics(0, [o for o, _ in pairs])["cycles_mean"]
                 - _metrics(0, [c for _, c in pairs])["cycles_mean"], 2)


def screen_din_candidate(code: Any, candidate: Any, live_out: str | None,
                         preconditions: dict[str, int]) -> DinMeasurement | None:
    """The first SCREEN_TRIALS entry states of every allowed width (edge states first), the
    same states `measure_din_candidate` starts each width with: a counterexample here is one
    the full measurement meets too, so the answer fails either way. None when none is found
    (only the full measurement decides then)."""
    from afs.asm.equivalence import check_equivalent, width_choices

    results = []
    for pre in width_choices(preconditions or None):
        results.append(check_equivalent(code, candidate, live_out, pre, SCREEN_TRIALS,
                                        DIN_SEED, infer_widths=False))
        if not results[-1].equivalent:
            return _measurement(results)
    return None


def _measurement(results: list[Any], widths_not_run: int = 0) -> DinMeasurement:
    entries = [r.preconditions for r in results]
    last = results[-1]
    counter = None
    if not last.equivalent and last.counterexample is not None:
        counter = {"entry": last.preconditions, **last.counterexample.to_dict()}
    per_width = []
    for r in results:
        pairs = r.trial_cycles[:DIN_TRIALS]
        per_width.append({"entry": r.preconditions,
                          "original": _metrics(r.metrics["original"].bytes,
                                               [o for o, _ in pairs]),
                          "candidate": _metrics(r.metrics["candidate"].bytes,
                                                [c for _, c in pairs])})

    def aggregate(which: str) -> dict[str, float]:
        rows = [w[which] for w in per_width]
        return {"bytes": rows[0]["bytes"],
                "cycles_min": min(r["cycles_min"] for r in rows),
                "cycles_mean": max(r["cycles_mean"] for r in rows),
                "cycles_max": max(r["cycles_max"] for r in rows)}

    gain = {"bytes": per_width[0]["original"]["bytes"] - per_width[0]["candidate"]["bytes"],
            "cycles_mean": round(min(w["original"]["cycles_mean"] - w["candidate"]["cycles_mean"]
                                     for w in per_width), 2)}
    return DinMeasurement(all(r.equivalent for r in results), entries, counter, per_width,
                          aggregate("original"), aggregate("candidate"), gain,
                          widths_not_run)


@functools.lru_cache(maxsize=512)
def _assembled(code: str) -> Any:
    """An item's original is assembled once per process, whatever the number of answers."""
    from afs.asm.assembler import assemble

    return assemble(code, base=0x008000)


def _image(assembly: Any) -> bytes:
    """The machine code: a renamed label or a reformatted line is not an optimisation, and a
    bytes-objective answer that is not smaller needs no run."""
    return b"".join(bytes(s.data) for s in assembly.segments)


def score_din(item: BenchmarkItem, answer: str, *, screen: bool = True) -> SampleScore:
    """Pass = equivalent under the item's live-out in every allowed entry width AND strictly
    cheaper on its objective in every width; score = gain / reference gain (capped).

    `screen=False` runs every width in full with no early stop: the same verdict and score,
    only slower on wrong answers (the tests compare the two)."""
    code = extract_code(answer)
    if code is None:
        return SampleScore(False, 0.0, {"reason": "no code in the answer"})
    if normalize_code(code) == normalize_code(item.code):
        return SampleScore(False, 0.0, {"reason": "the original code, unchanged"})
    try:
        from afs.asm.assembler import assemble

        original, answer_code = _assembled(item.code), assemble(code, base=0x008000)
        before, after = _image(original), _image(answer_code)
        if before == after:
            return SampleScore(False, 0.0, {"reason": "the original machine code, unchanged"})
        if item.metadata.objective == "bytes" and len(after) >= len(before):
            return SampleScore(False, 0.0, {"reason": f"not smaller ({len(after)} bytes, the "
                                                      f"original has {len(before)})"})
        m = ((screen_din_candidate(original, answer_code, item.live_out, item.preconditions)
              if screen else None)
             or measure_din_candidate(original, answer_code, item.live_out,
                                      item.preconditions, stop_when_slower=screen and
                                      item.metadata.objective != "bytes"))
    except AsmError as exc:
        return SampleScore(False, 0.0, {"reason": f"does not assemble: {exc}"})
    except Exception as exc:  # a runaway loop, a bad state: the answer fails, the run goes on
        return SampleScore(False, 0.0, {"reason": f"{type(exc).__name__}: {exc}"})
    details: dict[str, Any] = {"equivalent": m.equivalent, "entries": m.entries,
                               "metrics": {"original": m.original, "candidate": m.candidate}}
    if not m.equivalent:
        details["reason"] = f"not equivalent with entry state {m.entries[-1]}"
        details["counterexample"] = m.counterexample
        return SampleScore(False, 0.0, details)
    goal = "bytes" if item.metadata.objective == "bytes" else "cycles_mean"
    gain = m.gain[goal]
    reference = (item.reference_metrics or {}).get("gain", {}).get(goal, 0.0)
    details.update({"objective": item.metadata.objective, "gain": gain,
                    "reference_gain": reference})
    if gain <= 0:
        details["reason"] = (f"equivalent but not cheaper in {item.metadata.objective} "
                             f"(gain {gain:g} in the worst allowed entry width)")
        if m.widths_not_run:
            details["reason"] = (f"equivalent but not cheaper in {item.metadata.objective} "
                                 f"with entry state {m.entries[-1]} (gain {gain:g}; "
                                 f"{m.widths_not_run} other entry width(s) not run)")
        return SampleScore(False, 0.0, details)
    if reference <= 0:
        details["reason"] = "the item has no reference gain"
        return SampleScore(False, 0.0, details)
    ratio = gain / reference
    details["versus_reference"] = ("beat" if ratio > 1 + 1e-9 else
                                   "matched" if ratio >= 1 - 1e-9 else "below")
    return SampleScore(True, min(DIN_SCORE_CAP, ratio), details)


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
