"""Distillation under realistic load: answers the filters must really check, retry accounting
under a failure mix, the filter worker pool, and prompts that never ask for what the
filters reject. No wall-clock figures here: throughput ratios live in `bench/`."""

from __future__ import annotations

from pathlib import Path

from afs.distillation import DistillationDataGenerator, TeacherEnsemble
from afs.distillation.filters import (
    CONTROL_FLOW_TRIALS,
    STRAIGHT_LINE_TRIALS,
    FilterInput,
    FilterPipeline,
    equivalence_trials,
)
from afs.distillation.prompts import DOMAINS, PromptGenerator, alttp_entities, wide_store_allowed
from afs.jsonl import read_jsonl
from tests.distillation.conftest import loopback_teacher
from tests.support.load_harness import failure_mix, realistic_answer
from tests.support.provider_servers import ProviderServer


def _specs(count: int, seed: int = 0, domains=DOMAINS):
    generator = PromptGenerator(seed, domains=domains, entities=alttp_entities())
    return [generator.prompt(i) for i in range(count)]


def test_realistic_answers_pass_every_filter_for_every_domain():
    # The load harness answers like a good teacher; every answer must survive the real
    # filters, so a bench that uses it measures filters doing their full work.
    pipeline = FilterPipeline()
    seen = set()
    for spec in _specs(160, seed=3):
        answer = realistic_answer(spec.user, spec.system)
        report = pipeline.evaluate(FilterInput(domain=spec.domain, response=answer,
                                               family=spec.family, code=spec.code,
                                               task=spec.task))
        assert report.accepted, (spec.domain, spec.family, report.reasons, answer)
        statuses = {c.name: c.status for c in report.checks}
        if spec.domain == "optimize":
            assert statuses["equivalence"] == "pass" and statuses["assembles"] == "pass"
        seen.add(spec.domain)
    assert seen == set(DOMAINS)


def test_a_wrong_optimisation_is_rejected_by_the_equivalence_filter():
    spec = next(s for s in _specs(200, domains=("optimize",)) if s.family == "zero_store")
    answer = realistic_answer(spec.user, spec.system).replace("STZ", "STA", 1)
    report = FilterPipeline().evaluate(FilterInput(domain=spec.domain, response=answer,
                                                   family=spec.family, code=spec.code,
                                                   task=spec.task))
    assert any(r.startswith("equivalence: not equivalent") for r in report.reasons)


def test_prompts_ask_for_16_bit_stores_only_where_the_map_allows_them():
    # $7E0025 (link_z_coord) is a 1-byte variable: a 16-bit store clobbers its neighbour.
    assert not wide_store_allowed(0x25)
    wide_families = {"paired_store", "mode_switch", "missing_clc", "immediate_width"}
    checked = 0
    pipeline = FilterPipeline()
    for spec in _specs(600, seed=11, domains=("optimize", "debug")):
        if spec.family not in wide_families:
            continue
        answer = realistic_answer(spec.user, spec.system)
        report = pipeline.evaluate(FilterInput(domain=spec.domain, response=answer,
                                               family=spec.family, code=spec.code,
                                               task=spec.task))
        knowledge = next(c for c in report.checks if c.name == "knowledge")
        assert knowledge.status != "fail", (spec.family, knowledge.detail)
        checked += 1
    assert checked > 50


def test_equivalence_trials_follow_control_flow():
    straight = "LDA $10\nSTA $12\nRTS"
    looping = "LDX #$04\n.loop:\nSTZ $10,X\nDEX\nBPL .loop\nRTS"
    assert equivalence_trials(straight, "LDA $10\nSTA $12\nRTS") == STRAIGHT_LINE_TRIALS
    assert equivalence_trials(looping, straight) == CONTROL_FLOW_TRIALS


async def test_pool_and_inline_filters_decide_the_same(tmp_path: Path, test_keys):
    server = ProviderServer(reply=lambda r: realistic_answer(
        r.prompt, next((m["content"] for m in r.messages if m["role"] == "system"), "")))
    records = {}
    with server:
        for workers in (0, 2):
            ensemble = TeacherEnsemble([loopback_teacher("openai", server)])
            with DistillationDataGenerator(ensemble, output_dir=tmp_path / str(workers),
                                           concurrency=8, filter_workers=workers,
                                           benchmark_root=None) as generator:
                await generator.generate_batch(count=40)
            await ensemble.aclose()
            records[workers] = [
                (r["id"], r["quality"], [c["status"] for c in r["filters"]])
                for r in read_jsonl(tmp_path / str(workers) / "checkpoint.jsonl")]
    assert sorted(records[0]) == sorted(records[2])
    assert len(records[2]) == 40


async def test_status_counts_every_attempt_retry_429_and_5xx(tmp_path: Path, test_keys):
    # A 25% failure mix (429 with Retry-After, 500, 503); the inner retry loop rides most of
    # it out, and the teacher's status must still show every one the server sent.
    server = ProviderServer(reply=lambda r: realistic_answer(
        r.prompt, next((m["content"] for m in r.messages if m["role"] == "system"), "")),
        fault=failure_mix(0.25, seed=5, retry_after=0.01))
    with server:
        teacher = loopback_teacher("openai", server, attempts=4)
        ensemble = TeacherEnsemble([teacher], max_attempts=20, default_pause=0.01,
                                   breaker_threshold=1000)
        generator = DistillationDataGenerator(ensemble, output_dir=tmp_path, concurrency=8,
                                              filter_workers=0, benchmark_root=None)
        await generator.generate_batch(count=60)
        await ensemble.aclose()
    (status,) = ensemble.status()
    sent = [r.fault.status if r.fault else 200 for r in server.requests]
    assert sent.count(429) > 0 and sent.count(500) + sent.count(503) > 0
    assert status["attempts"] == len(sent)
    assert status["rate_limited"] == sent.count(429)
    assert status["server_errors"] == sent.count(500) + sent.count(503)
    assert status["successes"] == sent.count(200)
    # Every failed attempt was either retried inside the call or ended the call.
    failed_calls = status["requests"] - status["successes"]
    assert status["retries"] + failed_calls == len(sent) - sent.count(200)
