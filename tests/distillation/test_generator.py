"""DistillationDataGenerator over in-process teachers: counts, resume, filters, stopping."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from afs.distillation import (
    DistillationDataGenerator,
    DistillationStopped,
    PromptGenerator,
    PromptSpaceExhausted,
    Teacher,
    TeacherEnsemble,
)
from afs.distillation.checkpoint import Checkpoint
from afs.jsonl import read_jsonl
from afs.models.base import TransientError
from tests.distillation.conftest import ScriptedModel, scripted_answer

DOMAINS = ("generate", "explain", "alttp")


def generator_for(tmp_path: Path, *models: ScriptedModel, **options) -> DistillationDataGenerator:
    ensemble = TeacherEnsemble([Teacher(m) for m in models],
                               **options.pop("ensemble_options", {}))
    options.setdefault("domains", DOMAINS)
    return DistillationDataGenerator(ensemble, output_dir=tmp_path, **options)


async def test_generates_exactly_count_unique_records(tmp_path: Path):
    model = ScriptedModel("t", delay=0.005)
    generator = generator_for(tmp_path, model, concurrency=8)
    samples = await generator.generate_batch(count=60)
    assert len(samples) == 60
    stored = read_jsonl(tmp_path / "checkpoint.jsonl")
    assert [r["id"] for r in stored] == [s["id"] for s in samples]
    assert len({r["id"] for r in stored}) == 60
    assert len({r["prompt"] for r in stored}) == 60
    first = stored[0]
    assert first["teacher"] == "t" and first["provider"] == "scripted" and first["model"] == "t"
    assert first["usage"]["completion_tokens"] > 0 and first["cost"] == pytest.approx(0.001)
    assert {c["name"] for c in first["filters"]} >= {"refusal", "code", "assembles"}
    assert generator.stats.accepted == 60
    assert model.calls == 60 + generator.stats.rejected  # no request wasted past the count


async def test_in_flight_requests_never_exceed_what_is_missing(tmp_path: Path):
    active = peak = 0

    def answer(prompt: str) -> str:
        return scripted_answer(prompt)

    model = ScriptedModel("t", answer=answer)
    original = model._complete

    async def tracked(messages, params):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        try:
            return await original(messages, params)
        finally:
            active -= 1

    model._complete = tracked
    await generator_for(tmp_path / "a", model, concurrency=16).generate_batch(count=5)
    assert peak == 5  # never more than the samples still missing
    peak = 0
    await generator_for(tmp_path / "b", model, concurrency=4).generate_batch(count=40)
    assert peak == 4  # and never more than the concurrency


async def test_resume_reaches_exactly_count_without_repeating_prompts(tmp_path: Path):
    await generator_for(tmp_path, ScriptedModel("a")).generate_batch(count=20)
    second = ScriptedModel("b")
    samples = await generator_for(tmp_path, second).generate_batch(count=45)
    assert len(samples) == 45
    assert second.calls == 25 + 0  # only the missing ones were asked
    ids = [r["id"] for r in read_jsonl(tmp_path / "checkpoint.jsonl")]
    assert len(ids) == len(set(ids)) == 45
    again = ScriptedModel("c")
    assert len(await generator_for(tmp_path, again).generate_batch(count=30)) == 30
    assert again.calls == 0


async def test_rejected_answers_are_recorded_and_not_counted(tmp_path: Path):
    calls = 0

    def sometimes_refuses(prompt: str) -> str:
        nonlocal calls
        calls += 1
        return "Please paste your code first." if calls % 3 == 0 else scripted_answer(prompt)

    generator = generator_for(tmp_path, ScriptedModel("t", answer=sometimes_refuses))
    await generator.generate_batch(count=30)
    checkpoint = Checkpoint(tmp_path / "checkpoint.jsonl")
    assert len(checkpoint) == 30
    assert len(checkpoint.rejected) == generator.stats.rejected > 0
    assert all(r["reasons"][0].startswith("refusal") for r in checkpoint.rejected)
    assert generator.stats.rejection_reasons["refusal"] == generator.stats.rejected
    assert not checkpoint.ids & checkpoint.rejected_ids


async def test_near_duplicate_answers_are_rejected(tmp_path: Path):
    same = "The routine stores one into the variable and returns; flags follow the value."
    generator = generator_for(tmp_path, ScriptedModel("t", answer=lambda p: same),
                              domains=["explain", "alttp"], max_rejections_in_a_row=20)
    with pytest.raises(DistillationStopped, match=r"1/3 .*last 20 answers were all rejected "
                                                  r"\(most common reasons: near_duplicate_answer"):
        await generator.generate_batch(count=3)
    assert len(Checkpoint(tmp_path / "checkpoint.jsonl").rejected) == 20


async def test_no_rejection_counted_past_the_limit_while_the_last_is_written(tmp_path: Path):
    # The write of the rejection that reaches the limit is slow; answers that arrive meanwhile
    # must not be decided (they were counted, 21 or 22 of a limit of 20, before the fix).
    same = "The routine stores one into the variable and returns; flags follow the value."
    for attempt in range(10):
        folder = tmp_path / str(attempt)
        generator = generator_for(folder, ScriptedModel("t", answer=lambda p: same, delay=0.001),
                                  domains=["explain", "alttp"], max_rejections_in_a_row=20,
                                  concurrency=8)
        write = generator._write

        def slow_at_the_limit(*args, write=write, generator=generator):
            if generator._rejections_in_a_row >= 20:
                time.sleep(0.2)
            write(*args)

        generator._write = slow_at_the_limit
        with pytest.raises(DistillationStopped, match=r"last 20 answers were all rejected"):
            await generator.generate_batch(count=50)
        assert len(Checkpoint(folder / "checkpoint.jsonl").rejected) == 20


async def test_all_teachers_down_stops_cleanly_and_keeps_samples(tmp_path: Path):
    await generator_for(tmp_path, ScriptedModel("ok")).generate_batch(count=10)
    down = [ScriptedModel(n, fail_always=TransientError("HTTP 503")) for n in ("x", "y")]
    generator = generator_for(tmp_path, *down, concurrency=4,
                              ensemble_options={"max_attempts": 3, "breaker_cooldown": 0.05})
    with pytest.raises(DistillationStopped) as info:
        await generator.generate_batch(count=50)
    assert info.value.accepted == 10 and info.value.requested == 50
    assert "kept in" in str(info.value)
    assert len(read_jsonl(tmp_path / "checkpoint.jsonl")) == 10


async def test_exhausted_prompt_space_stops_with_a_clear_error(tmp_path: Path):
    # Without knowledge-graph entities the alttp domain has only its 24 topic questions.
    generator = generator_for(tmp_path, ScriptedModel("t"), max_prompt_skips=200,
                              prompts=PromptGenerator(0, domains=["alttp"], entities=[]))
    with pytest.raises(DistillationStopped, match="duplicates or excluded"):
        await generator.generate_batch(count=500)
    assert 0 < len(read_jsonl(tmp_path / "checkpoint.jsonl")) < 500


async def test_progress_reports_only_new_samples(tmp_path: Path):
    await generator_for(tmp_path, ScriptedModel("a")).generate_batch(count=5)
    seen = []
    generator = generator_for(tmp_path, ScriptedModel("b"))
    await generator.generate_batch(count=12, on_progress=lambda done, total, s: seen.append(
        (done, total, s.accepted)))
    assert seen[-1] == (12, 12, 7)
    assert generator.stats.existing == 5 and generator.stats.to_dict()["accepted"] == 7


async def test_export_training_data_from_the_generator(tmp_path: Path):
    generator = generator_for(tmp_path, ScriptedModel("t"))
    await generator.generate_batch(count=20)
    result = generator.export_training_data(tmp_path / "train.jsonl", split=0.25)
    assert result.train_count + result.validation_count == 20
    rows = read_jsonl(tmp_path / "train.jsonl")
    assert all(r["messages"][0]["role"] == "system" for r in rows)


def test_prompt_space_error_type():
    assert issubclass(PromptSpaceExhausted, Exception)


async def test_filters_can_run_in_a_worker_process(tmp_path: Path):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1) as pool:
        generator = generator_for(tmp_path, ScriptedModel("t"), filter_executor=pool)
        samples = await generator.generate_batch(count=8)
    assert len(samples) == 8
    assert all(any(c["name"] == "assembles" for c in s["filters"]) for s in samples)
