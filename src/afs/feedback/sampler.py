"""Turn rated inference records into training data, and pick which records to use.

Three builders read `Example`s (a record joined with its latest vote) and emit the formats
TRL and most fine-tuning tools read:

- **SFT** (`accepted` + `to_sft`): records whose latest score is at least `min_score`, or that
  carry a correction (the correction replaces the response). Rows are chatml:
  `{"messages": [{"role": "system"|"user"|"assistant", "content": ...}], "metadata": {...}}`.
- **DPO** (`dpo_pairs` + `to_dpo`): `{"prompt", "chosen", "rejected", "system", "metadata"}`
  from three sources: a correction vs the original response; a critic loop's accepted output
  vs its first draft; and, for one prompt answered more than once, the best-rated answer
  (score >= `min_score`) vs the worst (score <= -`min_score`).
- **KTO** (`kto_examples` + `to_kto`): `{"prompt", "completion", "label", "system", "metadata"}`:
  label true for score >= `min_score`, false for score <= -`min_score`, scores in between are
  skipped as ambiguous; a correction adds (correction, true) and (original, false).

Critic-loop convention (what the critic loop logs): each revision is a record whose
`parent_id` is the draft it revises, all under one `trace_id`; the output the critic accepted
has `metadata["critic_accepted"] = true`.

Selection samplers work on anything with `prompt`, `expert`, `timestamp` and `score`
(`Example`, `DpoPair`, `KtoExample`): near-duplicate removal (`dedupe_near_duplicates`),
per-expert balance (`balance_per_expert`), recency-weighted sampling (`recency_sample`);
`build_dataset` chains them in that order. `uncertainty_queue` lists records a person should
review (low model confidence, or experts that disagree on the same prompt). Rows with a blank
prompt or answer are never emitted.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from afs import neardup
from afs.errors import InputError
from afs.feedback.collector import Example
from afs.feedback.logger import iso_timestamp
from afs.neardup import jaccard

FORMATS = ("sft", "dpo", "kto")
CRITIC_ACCEPTED_KEY = "critic_accepted"
CONFIDENCE_KEY = "confidence"
NO_EXPERT = "-"


class Sampleable(Protocol):
    @property
    def prompt(self) -> str: ...
    @property
    def expert(self) -> str | None: ...
    @property
    def timestamp(self) -> float: ...
    @property
    def score(self) -> float | None: ...


S = TypeVar("S", bound=Sampleable)


@dataclass(frozen=True)
class DpoPair:
    prompt: str
    system: str | None
    chosen: str
    rejected: str
    kind: str  # "correction" | "critic" | "rated"
    expert: str | None
    timestamp: float  # of the chosen answer
    score: float | None  # of the chosen answer
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KtoExample:
    prompt: str
    system: str | None
    completion: str
    label: bool
    expert: str | None
    timestamp: float
    score: float | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewItem:
    example: Example
    uncertainty: float  # in [0, 1]; higher needs review sooner
    reasons: tuple[str, ...]


def _check_min_score(min_score: float) -> None:
    if not 0.0 <= min_score <= 1.0:
        raise InputError(f"min_score must be in [0, 1], got {min_score}")


def _base_metadata(example: Example) -> dict[str, Any]:
    record, feedback = example.record, example.feedback
    return {
        "record_id": record.id,
        "model": record.model,
        "expert": record.expert,
        "timestamp": iso_timestamp(record.timestamp),
        "score": None if feedback is None else feedback.score,
        "feedback_source": None if feedback is None else feedback.source,
    }


# --- SFT -------------------------------------------------------------------------------------


def accepted(examples: Sequence[Example], *, min_score: float = 0.5) -> list[Example]:
    """Examples fit for SFT: latest score >= `min_score`, or a correction was given."""
    _check_min_score(min_score)
    return [
        ex for ex in examples
        if ex.feedback is not None and (ex.correction is not None or ex.feedback.score >= min_score)
        and ex.prompt.strip() and ex.accepted_text.strip()
    ]


def to_sft(examples: Sequence[Example]) -> list[dict[str, Any]]:
    """Chatml rows; the assistant turn is the correction when there is one."""
    rows = []
    for ex in examples:
        messages = []
        if ex.record.system:
            messages.append({"role": "system", "content": ex.record.system})
        messages.append({"role": "user", "content": ex.record.prompt})
        messages.append({"role": "assistant", "content": ex.accepted_text})
        metadata = _base_metadata(ex) | {"corrected": ex.correction is not None}
        rows.append({"messages": messages, "metadata": metadata})
    return rows


# --- DPO -------------------------------------------------------------------------------------


def _critic_pairs(examples: Sequence[Example]) -> list[DpoPair]:
    by_trace: dict[str, dict[str, Example]] = defaultdict(dict)
    for ex in examples:
        if ex.record.trace_id is not None:
            by_trace[ex.record.trace_id][ex.record.id] = ex
    pairs = []
    for trace_id, members in by_trace.items():
        finals = [ex for ex in members.values()
                  if ex.record.metadata.get(CRITIC_ACCEPTED_KEY) is True]
        if not finals:
            continue
        final = max(finals, key=lambda ex: ex.record.seq)
        first, seen = final, {final.record.id}
        while first.record.parent_id in members and first.record.parent_id not in seen:
            first = members[first.record.parent_id]
            seen.add(first.record.id)
        if first is final or first.record.response.strip() == final.record.response.strip():
            continue
        pairs.append(DpoPair(
            prompt=first.record.prompt, system=first.record.system,
            chosen=final.record.response, rejected=first.record.response, kind="critic",
            expert=final.expert, timestamp=final.timestamp, score=final.score,
            metadata={"kind": "critic", "trace_id": trace_id, "chosen_id": final.record.id,
                      "rejected_id": first.record.id, "expert": final.expert,
                      "model": final.record.model, "chosen_score": final.score,
                      "rejected_score": first.score},
        ))
    return pairs


def _rated_pairs(examples: Sequence[Example], min_score: float) -> list[DpoPair]:
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in examples:
        if ex.feedback is not None:
            groups[(ex.record.system or "", ex.prompt.strip())].append(ex)
    pairs = []
    for group in groups.values():
        good = [ex for ex in group if ex.feedback.score >= min_score]
        bad = [ex for ex in group if ex.feedback.score <= -min_score]
        if not good or not bad:
            continue
        # Best answer: highest score, newest on ties; worst: lowest score, newest on ties.
        best = max(good, key=lambda ex: (ex.feedback.score, ex.record.seq))
        worst = min(bad, key=lambda ex: (ex.feedback.score, -ex.record.seq))
        if best.accepted_text.strip() == worst.record.response.strip():
            continue
        pairs.append(DpoPair(
            prompt=best.prompt, system=best.record.system, chosen=best.accepted_text,
            rejected=worst.record.response, kind="rated", expert=best.expert,
            timestamp=best.timestamp, score=best.score,
            metadata={"kind": "rated", "chosen_id": best.record.id,
                      "rejected_id": worst.record.id, "expert": best.expert,
                      "model": best.record.model, "chosen_score": best.score,
                      "rejected_score": worst.score},
        ))
    return pairs


def dpo_pairs(examples: Sequence[Example], *, min_score: float = 0.5) -> list[DpoPair]:
    """Preference pairs: corrections, critic loops, then best-vs-worst rated answers.

    Pairs with identical (prompt, chosen, rejected) are emitted once.
    """
    _check_min_score(min_score)
    pairs = []
    for ex in examples:
        correction = ex.correction
        if correction is None or correction.strip() == ex.record.response.strip():
            continue
        pairs.append(DpoPair(
            prompt=ex.prompt, system=ex.record.system, chosen=correction,
            rejected=ex.record.response, kind="correction", expert=ex.expert,
            timestamp=ex.timestamp, score=ex.score,
            metadata=_base_metadata(ex) | {"kind": "correction"},
        ))
    pairs += _critic_pairs(examples)
    pairs += _rated_pairs(examples, min_score)
    unique, seen = [], set()
    for pair in pairs:
        key = (pair.prompt, pair.chosen, pair.rejected)
        if all(text.strip() for text in key) and key not in seen:
            seen.add(key)
            unique.append(pair)
    return unique


def to_dpo(pairs: Sequence[DpoPair]) -> list[dict[str, Any]]:
    return [
        {"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected, "system": p.system,
         "metadata": dict(p.metadata)}
        for p in pairs
    ]


# --- KTO -------------------------------------------------------------------------------------


def kto_examples(examples: Sequence[Example], *, min_score: float = 0.5) -> list[KtoExample]:
    """Labelled single answers (see the module docstring for the labelling rule)."""
    _check_min_score(min_score)
    items = []
    for ex in examples:
        if ex.feedback is None or not ex.prompt.strip():
            continue
        meta = _base_metadata(ex)

        def item(completion: str, label: bool, kind: str, ex: Example = ex,
                 meta: dict[str, Any] = meta) -> KtoExample:
            return KtoExample(
                prompt=ex.prompt, system=ex.record.system, completion=completion, label=label,
                expert=ex.expert, timestamp=ex.timestamp, score=ex.score,
                metadata=meta | {"kind": kind},
            )

        if ex.correction is not None:
            items.append(item(ex.correction, True, "correction"))
            if ex.correction.strip() != ex.record.response.strip():
                items.append(item(ex.record.response, False, "corrected_response"))
        elif ex.feedback.score >= min_score:
            items.append(item(ex.record.response, True, "response"))
        elif ex.feedback.score <= -min_score:
            items.append(item(ex.record.response, False, "response"))
    return [k for k in items if k.completion.strip()]


def to_kto(items: Sequence[KtoExample]) -> list[dict[str, Any]]:
    return [
        {"prompt": k.prompt, "completion": k.completion, "label": k.label, "system": k.system,
         "metadata": dict(k.metadata)}
        for k in items
    ]


# --- similarity ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+|[^\w\s]")


def shingles(text: str, size: int = 2) -> frozenset[tuple[str, ...]]:
    """Lower-cased word/punctuation n-grams of `text` (the whole text if it is shorter);
    near-duplicates among them are found by `afs.neardup`, the one detector of AFS."""
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) <= size:
        return frozenset([tuple(tokens)]) if tokens else frozenset()
    return frozenset(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def similarity(a: str, b: str, *, shingle_size: int = 2) -> float:
    return jaccard(shingles(a, shingle_size), shingles(b, shingle_size))


# --- selection -------------------------------------------------------------------------------


def _priority(item: Sampleable) -> tuple[float, float]:
    """Best-rated first, then newest: the one kept from a group of near-duplicates."""
    score = item.score if item.score is not None else -math.inf
    return (score, item.timestamp)


def dedupe_near_duplicates(
    items: Sequence[S],
    *,
    threshold: float = 0.8,
    shingle_size: int = 2,
    text: Callable[[S], str] | None = None,
) -> list[S]:
    """Drop items whose prompt is a near-duplicate (Jaccard of word n-grams >= `threshold`)
    of one already kept. The best-rated, then newest, item of a group survives; survivors
    keep their input order.

    Exact, not approximate (no MinHash): `afs.neardup.keep_distinct`, prefix filtering.
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    get_text = text or (lambda item: item.prompt)
    sets = [shingles(get_text(item), shingle_size) for item in items]
    order = sorted(range(len(items)), key=lambda i: (_priority(items[i]), -i), reverse=True)
    kept = neardup.keep_distinct(sets, order, threshold)
    return [items[i] for i in sorted(kept)]


def balance_per_expert(items: Sequence[S], *, per_expert: int | None = None) -> list[S]:
    """At most `per_expert` items per expert (default: as many as the smallest expert has),
    keeping each expert's best-rated, then newest; survivors keep their input order.
    Items without an expert form one group."""
    if per_expert is not None and per_expert < 1:
        raise InputError(f"per_expert must be at least 1, got {per_expert}")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[item.expert or NO_EXPERT].append(i)
    if not groups:
        return []
    cap = per_expert if per_expert is not None else min(len(g) for g in groups.values())
    chosen = []
    for members in groups.values():
        ranked = sorted(members, key=lambda i: (_priority(items[i]), -i), reverse=True)
        chosen += ranked[:cap]
    return [items[i] for i in sorted(chosen)]


def recency_weight(age_hours: float, half_life_hours: float) -> float:
    """0.5 ** (age / half-life): 1 for a new record, 1/2 after one half-life."""
    if half_life_hours <= 0:
        raise InputError(f"half-life must be positive, got {half_life_hours} hours")
    return 0.5 ** (max(age_hours, 0.0) / half_life_hours)


def recency_sample(
    items: Sequence[S],
    k: int,
    *,
    half_life_hours: float = 168.0,
    now: float | None = None,
    seed: int = 0,
) -> list[S]:
    """Draw `k` items without replacement, each with probability weight
    `recency_weight(age)`, so recent feedback dominates but old data still appears.
    Deterministic for a given `seed`; survivors keep their input order.

    Uses Efraimidis–Spirakis keys u^(1/w), compared in log space so that very old
    items (weights that underflow to 0) still get a well-defined, tiny chance.
    """
    if k < 0:
        raise InputError(f"sample size must be non-negative, got {k}")
    if half_life_hours <= 0:
        raise InputError(f"half-life must be positive, got {half_life_hours} hours")
    if k >= len(items):
        return list(items)
    now = time.time() if now is None else now
    rng = random.Random(seed)
    keys = []
    for item in items:
        age_hours = max(now - item.timestamp, 0.0) / 3600.0
        log_weight = -age_hours / half_life_hours * math.log(2)
        u = 1.0 - rng.random()  # in (0, 1]
        # u^(1/w) is larger <=> log(-log u) - log w is smaller.
        neg_log_u = -math.log(u)
        keys.append((math.log(neg_log_u) if neg_log_u > 0 else -math.inf) - log_weight)
    chosen = sorted(range(len(items)), key=lambda i: keys[i])[:k]
    return [items[i] for i in sorted(chosen)]


def uncertainty_queue(
    examples: Sequence[Example],
    *,
    confidence_below: float = 0.5,
    similarity_below: float = 0.3,
    include_rated: bool = False,
) -> list[ReviewItem]:
    """Records a person should review, most uncertain first.

    Flagged when `metadata["confidence"]` (a number in [0, 1] the model or router reported)
    is below `confidence_below` (uncertainty 1 - confidence), or when another expert (or model,
    for records without an expert) answered the same prompt and the two answers' token-set
    Jaccard similarity is below `similarity_below` (uncertainty 1 - similarity). Already-rated
    records are left out unless `include_rated`, but still count as the other side of a
    disagreement.
    """
    flags: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for i, ex in enumerate(examples):
        confidence = ex.record.metadata.get(CONFIDENCE_KEY)
        if (isinstance(confidence, int | float) and not isinstance(confidence, bool)
                and confidence < confidence_below):
            flags[i].append((1.0 - float(confidence),
                             f"low confidence {confidence:.2f} < {confidence_below}"))
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups[(ex.record.system or "", ex.prompt.strip())].append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        label = {i: examples[i].expert or examples[i].record.model for i in members}
        if len(set(label.values())) < 2:
            continue
        answers = {i: shingles(examples[i].record.response, 1) for i in members}
        for i in members:
            others = [(jaccard(answers[i], answers[j]), label[j])
                      for j in members if label[j] != label[i]]
            sim, other = min(others)
            if sim < similarity_below:
                flags[i].append((1.0 - sim, f"disagrees with {other} "
                                            f"(similarity {sim:.2f} < {similarity_below})"))
    queue = [
        ReviewItem(examples[i], max(u for u, _ in found), tuple(r for _, r in found))
        for i, found in flags.items()
        if include_rated or examples[i].feedback is None
    ]
    queue.sort(key=lambda item: (-item.uncertainty, -item.example.timestamp))
    return queue


# --- the pipeline ----------------------------------------------------------------------------


def build_dataset(
    examples: Sequence[Example],
    fmt: str = "sft",
    *,
    min_score: float = 0.5,
    dedupe: bool = True,
    dedupe_threshold: float = 0.8,
    balance: bool = False,
    per_expert: int | None = None,
    max_samples: int | None = None,
    half_life_hours: float = 168.0,
    now: float | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Rows of `fmt` ("sft", "dpo" or "kto"): build candidates, then remove near-duplicate
    prompts, balance experts, and recency-sample down to `max_samples`, in that order.
    For KTO, desirable and undesirable examples are de-duplicated separately (the same
    prompt legitimately appears with both labels)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown dataset format {fmt!r}; expected one of {', '.join(FORMATS)}")

    def balance_and_sample(items: list[S]) -> list[S]:
        if balance or per_expert is not None:
            items = balance_per_expert(items, per_expert=per_expert)
        if max_samples is not None:
            items = recency_sample(items, max_samples, half_life_hours=half_life_hours,
                                   now=now, seed=seed)
        return items

    def deduped(items: list[S]) -> list[S]:
        return dedupe_near_duplicates(items, threshold=dedupe_threshold) if dedupe else items

    if fmt == "sft":
        return to_sft(balance_and_sample(deduped(accepted(examples, min_score=min_score))))
    if fmt == "dpo":
        return to_dpo(balance_and_sample(deduped(dpo_pairs(examples, min_score=min_score))))
    items = kto_examples(examples, min_score=min_score)
    keep = {id(k) for label in (True, False)
            for k in deduped([k for k in items if k.label is label])}
    return to_kto(balance_and_sample([k for k in items if id(k) in keep]))
