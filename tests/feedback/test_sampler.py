from __future__ import annotations

from collections import Counter
from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.errors import InputError
from afs.feedback.collector import Example, Feedback
from afs.feedback.logger import LogRecord, iso_timestamp
from afs.feedback.sampler import (
    accepted,
    balance_per_expert,
    build_dataset,
    dedupe_near_duplicates,
    dpo_pairs,
    kto_examples,
    recency_sample,
    recency_weight,
    shingles,
    similarity,
    to_dpo,
    to_kto,
    to_sft,
    uncertainty_queue,
)

NOW = 1_700_000_000.0
_seq = count(1)


def ex(
    rid: str,
    prompt: str = "p",
    response: str = "r",
    score: float | None = None,
    *,
    correction: str | None = None,
    expert: str | None = None,
    model: str = "din-v3",
    system: str | None = None,
    ts: float = NOW,
    trace: str | None = None,
    parent: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Example:
    seq = next(_seq)
    record = LogRecord(id=rid, timestamp=ts, prompt=prompt, response=response, model=model,
                       system=system, expert=expert, trace_id=trace, parent_id=parent,
                       metadata=meta or {}, seq=seq)
    feedback = None
    if score is not None:
        feedback = Feedback(id=seq, record_id=rid, timestamp=ts, score=score, text=None,
                            correction=correction, source="user")
    return Example(record, feedback)


# --- SFT -------------------------------------------------------------------------------------


def test_sft_takes_accepted_answers_and_corrections_replace_responses():
    examples = [
        ex("good", "q1", "a1", 1.0),
        ex("weak", "q2", "a2", 0.4),
        ex("edge", "q3", "a3", 0.5),
        ex("fixed", "q4", "wrong", -1.0, correction="right"),
        ex("unrated", "q5", "a5"),
        ex("blankfix", "q6", "a6", -1.0, correction="   "),
        ex("blank", "q7", "   ", 1.0),
    ]
    assert [e.record.id for e in accepted(examples)] == ["good", "edge", "fixed"]
    assert [e.record.id for e in accepted(examples, min_score=0.3)] == [
        "good", "weak", "edge", "fixed"]
    rows = to_sft(accepted(examples))
    assert rows[2] == {
        "messages": [{"role": "user", "content": "q4"}, {"role": "assistant", "content": "right"}],
        "metadata": {"record_id": "fixed", "model": "din-v3", "expert": None,
                     "timestamp": iso_timestamp(NOW), "score": -1.0, "feedback_source": "user",
                     "corrected": True},
    }
    assert rows[0]["metadata"]["corrected"] is False


def test_sft_puts_the_system_prompt_first():
    [row] = to_sft([ex("s", "q", "a", 1.0, system="You are Din.")])
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    assert row["messages"][0]["content"] == "You are Din."


def test_min_score_is_validated():
    with pytest.raises(InputError, match=r"min_score must be in \[0, 1\]"):
        accepted([], min_score=1.5)


# --- DPO -------------------------------------------------------------------------------------


def test_dpo_from_a_correction():
    pairs = dpo_pairs([
        ex("c", "q", "LDA #$00\nSTA $10", -1.0, correction="STZ $10", system="sys"),
        ex("same", "q2", "x", 1.0, correction=" x "),  # not a real change
    ])
    assert to_dpo(pairs) == [{
        "prompt": "q", "chosen": "STZ $10", "rejected": "LDA #$00\nSTA $10", "system": "sys",
        "metadata": {"record_id": "c", "model": "din-v3", "expert": None,
                     "timestamp": iso_timestamp(NOW), "score": -1.0,
                     "feedback_source": "user", "kind": "correction"},
    }]


def test_dpo_from_a_critic_loop_uses_the_first_draft_and_the_accepted_output():
    examples = [
        ex("d1", "Write a DMA routine", "draft one", trace="t", expert="nayru"),
        ex("crit", "Critique: draft one", "too slow", trace="t", parent="d1", expert="farore"),
        ex("d2", "Revise using: too slow", "draft two", trace="t", parent="crit",
           expert="nayru"),
        ex("d3", "Revise again", "final", trace="t", parent="d2", expert="nayru",
           meta={"critic_accepted": True}),
        # A loop whose first draft was accepted at once gives no pair.
        ex("solo", "Explain NMI", "fine", trace="u", meta={"critic_accepted": True}),
        # A trace with no accepted output gives no pair.
        ex("open", "q", "a", trace="v"), ex("open2", "q'", "b", trace="v", parent="open"),
    ]
    [pair] = dpo_pairs(examples)
    assert (pair.kind, pair.prompt, pair.chosen, pair.rejected) == (
        "critic", "Write a DMA routine", "final", "draft one")
    assert pair.metadata["chosen_id"] == "d3" and pair.metadata["rejected_id"] == "d1"
    assert pair.metadata["trace_id"] == "t" and pair.expert == "nayru"


def test_dpo_pairs_the_best_and_worst_rated_answers_to_one_prompt():
    examples = [
        ex("ok", "Clear $10", "LDA #0 : STA $10", 0.6),
        ex("best", "Clear $10", "STZ $10", 1.0),
        ex("bad", "Clear $10", "STA $10", -1.0),
        ex("meh", "Clear $10", "STX $10", -0.4),  # not bad enough at min_score 0.5
        ex("lonely", "Other", "a", 1.0),  # no rejected answer
        ex("neg", "Third", "b", -1.0),  # no chosen answer
    ]
    [pair] = dpo_pairs(examples)
    assert (pair.kind, pair.chosen, pair.rejected) == ("rated", "STZ $10", "STA $10")
    assert (pair.metadata["chosen_score"], pair.metadata["rejected_score"]) == (1.0, -1.0)
    # With a lower bar the -0.4 answer qualifies, but the -1.0 one is still the worst.
    [pair] = dpo_pairs(examples, min_score=0.3)
    assert pair.rejected == "STA $10"


def test_dpo_emits_identical_pairs_once():
    examples = [ex("a", "q", "bad", -1.0, correction="good"),
                ex("b", "q", "bad", -1.0, correction="good")]
    assert len(dpo_pairs(examples)) == 1


# --- KTO -------------------------------------------------------------------------------------


def test_kto_labels():
    examples = [
        ex("pos", "q1", "a1", 1.0), ex("edge+", "q2", "a2", 0.5), ex("amb", "q3", "a3", 0.2),
        ex("edge-", "q4", "a4", -0.5), ex("neg", "q5", "a5", -1.0), ex("none", "q6", "a6"),
        ex("fix", "q7", "wrong", 0.8, correction="right"),
    ]
    rows = to_kto(kto_examples(examples))
    got = [(r["metadata"]["record_id"], r["completion"], r["label"], r["metadata"]["kind"])
           for r in rows]
    assert got == [
        ("pos", "a1", True, "response"), ("edge+", "a2", True, "response"),
        ("edge-", "a4", False, "response"), ("neg", "a5", False, "response"),
        ("fix", "right", True, "correction"), ("fix", "wrong", False, "corrected_response"),
    ]
    assert set(rows[0]) == {"prompt", "completion", "label", "system", "metadata"}


# --- similarity and near-duplicates ----------------------------------------------------------


def test_shingles_and_similarity_values():
    assert shingles("LDA #$00", 2) == {("lda", "#"), ("#", "$"), ("$", "00")}
    assert shingles("one", 2) == {("one",)} and shingles("", 2) == frozenset()
    # a b c d e vs a b c d f: bigrams share ab bc cd of 5 distinct -> 3/5.
    assert similarity("a b c d e", "a b c d f") == pytest.approx(0.6)
    assert similarity("A  B\tc", "a b C") == 1.0
    assert similarity("", "") == 1.0 and similarity("x y", "") == 0.0


def test_dedupe_keeps_the_best_rated_then_newest_and_input_order():
    items = [
        ex("old", "Optimize LDA #$00 STA $10", "a", 0.5, ts=NOW - 100),
        ex("other", "Explain HDMA tables", "b", 0.5),
        ex("best", "optimize   lda #$00 sta $10", "c", 1.0, ts=NOW - 200),
        ex("newer", "OPTIMIZE LDA #$00 STA $10", "d", 0.5, ts=NOW),
    ]
    assert [e.record.id for e in dedupe_near_duplicates(items)] == ["other", "best"]
    tie = [items[0], items[1], items[3]]  # equal scores: the newest wins
    assert [e.record.id for e in dedupe_near_duplicates(tie)] == ["other", "newer"]


def test_dedupe_threshold_is_exact():
    items = [ex("x", "a b c d e", score=1.0), ex("y", "a b c d f", score=0.5)]
    assert [e.record.id for e in dedupe_near_duplicates(items, threshold=0.6)] == ["x"]
    assert [e.record.id for e in dedupe_near_duplicates(items, threshold=0.61)] == ["x", "y"]
    empties = [ex("e1", "", score=1.0), ex("e2", "  ", score=0.5), ex("z", "z", score=0.5)]
    assert [e.record.id for e in dedupe_near_duplicates(empties)] == ["e1", "z"]
    with pytest.raises(InputError, match="threshold"):
        dedupe_near_duplicates(items, threshold=0)


def _brute_force_dedupe(items, threshold):
    """The definition, pair by pair: walk best-first, keep what no kept item is close to."""
    order = sorted(range(len(items)), key=lambda i: ((items[i].score, items[i].timestamp), -i),
                   reverse=True)
    kept: list[int] = []
    for i in order:
        if all(similarity(items[i].prompt, items[k].prompt) < threshold for k in kept):
            kept.append(i)
    return [items[i].record.id for i in sorted(kept)]


@settings(max_examples=150, deadline=None)
@given(
    prompts=st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=7)
                     .map(" ".join), min_size=1, max_size=14),
    threshold=st.sampled_from([0.3, 0.5, 0.6, 2 / 3, 0.75, 0.8, 1.0]),
)
def test_dedupe_matches_the_pairwise_definition(prompts, threshold):
    # A six-word vocabulary makes overlaps (and prefix-filter edge cases) common.
    items = [ex(f"i{n}", text, score=(n % 3) / 2) for n, text in enumerate(prompts)]
    got = [e.record.id for e in dedupe_near_duplicates(items, threshold=threshold)]
    assert got == _brute_force_dedupe(items, threshold)


# --- balance and recency ---------------------------------------------------------------------


def test_balance_per_expert_caps_each_group_at_its_best():
    items = [
        ex("d1", expert="din", score=0.5), ex("n1", expert="nayru", score=1.0),
        ex("d2", expert="din", score=1.0), ex("x1", score=0.5, ts=NOW - 10),
        ex("d3", expert="din", score=0.7), ex("x2", score=0.5, ts=NOW),
    ]
    assert [e.record.id for e in balance_per_expert(items)] == ["n1", "d2", "x2"]
    assert [e.record.id for e in balance_per_expert(items, per_expert=2)] == [
        "n1", "d2", "x1", "d3", "x2"]
    assert balance_per_expert([]) == []
    with pytest.raises(InputError, match="per_expert must be at least 1"):
        balance_per_expert(items, per_expert=0)


def test_recency_weight_halves_every_half_life():
    assert recency_weight(0, 168) == 1.0
    assert recency_weight(168, 168) == 0.5
    assert recency_weight(336, 168) == 0.25
    assert recency_weight(-5, 168) == 1.0  # clock skew: a future record is simply new
    with pytest.raises(InputError, match="half-life must be positive"):
        recency_weight(1, 0)


def test_recency_sample_is_deterministic_and_keeps_input_order():
    items = [ex(f"r{i}", ts=NOW - i * 3600) for i in range(50)]
    first = recency_sample(items, 10, half_life_hours=24, now=NOW, seed=3)
    assert first == recency_sample(items, 10, half_life_hours=24, now=NOW, seed=3)
    assert len(first) == 10 and len({e.record.id for e in first}) == 10
    positions = [items.index(e) for e in first]
    assert positions == sorted(positions)
    assert recency_sample(items, 60, now=NOW) == items
    assert recency_sample(items, 0, now=NOW) == []


def test_recency_sample_draws_in_proportion_to_weight():
    # Weights 1 and 0.5: drawing one, the new item should win 2/3 of the time.
    items = [ex("new", ts=NOW), ex("old", ts=NOW - 24 * 3600)]
    wins = Counter(recency_sample(items, 1, half_life_hours=24, now=NOW, seed=s)[0].record.id
                   for s in range(6000))
    assert wins["new"] / 6000 == pytest.approx(2 / 3, abs=0.02)
    # A record a thousand half-lives old still has a defined, vanishing chance.
    ancient = [ex("now", ts=NOW), ex("ancient", ts=NOW - 1000 * 3600)]
    assert {recency_sample(ancient, 1, half_life_hours=1, now=NOW, seed=s)[0].record.id
            for s in range(200)} == {"now"}


# --- uncertainty -----------------------------------------------------------------------------


def test_uncertainty_queue_flags_low_confidence_and_disagreeing_experts():
    examples = [
        ex("sure", "q0", "a", meta={"confidence": 0.9}),
        ex("unsure", "q1", "a", meta={"confidence": 0.2}),
        ex("din", "Clear $10 fast", "STZ $10", expert="din"),
        ex("nayru", "Clear $10 fast", "LDA #$00 then STA to the address", expert="nayru"),
        ex("agree1", "q2", "STZ $10", expert="din"),
        ex("agree2", "q2", "STZ $10", expert="veran"),
        ex("same-expert", "q3", "one answer", expert="din"),
        ex("same-expert2", "q3", "something else", expert="din"),
        ex("rated", "q4", "x", 1.0, meta={"confidence": 0.1}),
    ]
    queue = uncertainty_queue(examples)
    assert [item.example.record.id for item in queue] == ["din", "nayru", "unsure"]
    # Token sets {stz, $, 10} and {lda, #, $, 00, then, sta, to, the, address} share 1 of 11.
    assert queue[0].uncertainty == pytest.approx(10 / 11)
    assert queue[0].reasons == ("disagrees with nayru (similarity 0.09 < 0.3)",)
    assert queue[2].uncertainty == pytest.approx(0.8)
    assert queue[2].reasons == ("low confidence 0.20 < 0.5",)
    with_rated = uncertainty_queue(examples, include_rated=True)
    assert [item.example.record.id for item in with_rated] == ["din", "nayru", "rated", "unsure"]
    assert with_rated[2].uncertainty == pytest.approx(0.9)


# --- pipeline --------------------------------------------------------------------------------


def test_build_dataset_chains_the_samplers():
    examples = [
        ex("d1", "Optimize A", "a", 1.0, expert="din", ts=NOW),
        ex("d1dup", "optimize a", "a'", 0.6, expert="din", ts=NOW),
        ex("d2", "Optimize B", "b", 1.0, expert="din", ts=NOW - 3600),
        ex("n1", "Generate C", "c", 1.0, expert="nayru", ts=NOW),
        ex("neg", "Generate C", "bad c", -1.0, expert="nayru", ts=NOW),
    ]
    ids = [r["metadata"]["record_id"] for r in build_dataset(examples, "sft")]
    assert ids == ["d1", "d2", "n1"]
    assert [r["metadata"]["record_id"]
            for r in build_dataset(examples, "sft", dedupe=False)] == ["d1", "d1dup", "d2", "n1"]
    assert [r["metadata"]["record_id"]
            for r in build_dataset(examples, "sft", balance=True)] == ["d1", "n1"]
    sampled = build_dataset(examples, "sft", max_samples=2, now=NOW, seed=1)
    assert len(sampled) == 2
    [pair] = build_dataset(examples, "dpo")
    assert (pair["chosen"], pair["rejected"]) == ("c", "bad c")
    # KTO keeps the same prompt with both labels: duplicates are removed per label.
    kto = build_dataset(examples, "kto")
    assert [(r["metadata"]["record_id"], r["label"]) for r in kto] == [
        ("d1", True), ("d2", True), ("n1", True), ("neg", False)]
    with pytest.raises(InputError, match="unknown dataset format 'csv'"):
        build_dataset(examples, "csv")
