"""TeacherEnsemble strategies, failover, circuit breaking and budgets over in-process models."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from afs.distillation import (
    AnthropicTeacher,
    GeminiTeacher,
    NoTeacherAvailableError,
    OpenAITeacher,
    Teacher,
    TeacherEnsemble,
)
from afs.errors import AfsError
from afs.models.base import FatalError, RateLimitedError, TransientError
from tests.distillation.conftest import ScriptedModel

MESSAGES = [{"role": "user", "content": "Explain LDA #$00."}]


def make(*models: ScriptedModel, **options) -> TeacherEnsemble:
    teachers = [Teacher(m, name=m.model, weight=getattr(m, "weight", 1.0)) for m in models]
    return TeacherEnsemble(teachers, **options)


async def test_failover_uses_the_first_healthy_teacher():
    first, second = ScriptedModel("first"), ScriptedModel("second")
    ensemble = make(first, second)
    replies = [await ensemble.complete(MESSAGES) for _ in range(5)]
    assert {r.teacher for r in replies} == {"first"}
    assert second.calls == 0


async def test_failover_moves_on_after_a_transient_failure():
    first = ScriptedModel("first", errors=[TransientError("HTTP 503")])
    second = ScriptedModel("second")
    reply = await make(first, second).complete(MESSAGES)
    assert reply.teacher == "second"
    assert first.calls == 1


async def test_round_robin_spreads_requests_evenly():
    models = [ScriptedModel(n) for n in ("a", "b", "c")]
    ensemble = make(*models, strategy="round_robin")
    teachers = Counter([(await ensemble.complete(MESSAGES)).teacher for _ in range(9)])
    assert teachers == {"a": 3, "b": 3, "c": 3}


async def test_weighted_follows_the_weights():
    heavy, light = ScriptedModel("heavy"), ScriptedModel("light")
    ensemble = TeacherEnsemble([Teacher(heavy, weight=9.0), Teacher(light, weight=1.0)],
                               strategy="weighted", seed=3)
    teachers = Counter([(await ensemble.complete(MESSAGES)).teacher for _ in range(500)])
    assert 0.85 < teachers["heavy"] / 500 < 0.95


async def test_fatal_error_disables_with_one_message(caplog: pytest.LogCaptureFixture):
    bad = ScriptedModel("bad", fail_always=FatalError("HTTP 401 not authorised"))
    good = ScriptedModel("good")
    ensemble = TeacherEnsemble([Teacher(bad, key_env=("OPENAI_API_KEY",)), Teacher(good)])
    with caplog.at_level(logging.ERROR, logger="afs.distillation"):
        for _ in range(10):
            assert (await ensemble.complete(MESSAGES)).teacher == "good"
    assert bad.calls == 1
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "bad disabled" in messages[0] and "OPENAI_API_KEY" in messages[0]
    assert ensemble.status()[0]["state"] == "disabled"


async def test_all_disabled_stops_immediately():
    models = [ScriptedModel(n, fail_always=FatalError("unknown model")) for n in ("a", "b")]
    ensemble = make(*models)
    with pytest.raises(NoTeacherAvailableError, match="every teacher is disabled"):
        await ensemble.complete(MESSAGES)
    assert sum(m.calls for m in models) == 2


async def test_attempts_per_sample_are_bounded_when_everything_fails():
    models = [ScriptedModel(n, fail_always=TransientError("HTTP 500")) for n in ("a", "b")]
    ensemble = make(*models, max_attempts=4, breaker_threshold=100)
    with pytest.raises(NoTeacherAvailableError, match="after 4 attempts"):
        await ensemble.complete(MESSAGES)
    assert sum(m.calls for m in models) == 4


async def test_breaker_cools_a_failing_teacher_down_and_brings_it_back():
    flaky = ScriptedModel("flaky", errors=[TransientError("HTTP 500")] * 2)
    backup = ScriptedModel("backup")
    ensemble = make(flaky, backup, breaker_threshold=2, breaker_cooldown=0.2)
    for _ in range(2):
        assert (await ensemble.complete(MESSAGES)).teacher == "backup"
    assert ensemble.status()[0]["state"] == "open"
    calls = flaky.calls
    assert (await ensemble.complete(MESSAGES)).teacher == "backup"
    assert flaky.calls == calls  # cooling down: not asked
    await asyncio.sleep(0.25)
    assert (await ensemble.complete(MESSAGES)).teacher == "flaky"  # half-open trial succeeds
    assert ensemble.status()[0]["state"] == "closed"


async def test_rate_limit_pauses_the_teacher_for_retry_after():
    limited = ScriptedModel("limited", errors=[RateLimitedError("429", retry_after=0.3)])
    ensemble = make(limited)
    started = asyncio.get_running_loop().time()
    reply = await ensemble.complete(MESSAGES)
    assert reply.teacher == "limited"
    assert asyncio.get_running_loop().time() - started >= 0.29
    assert ensemble.status()[0]["rate_limited"] == 1
    assert ensemble.status()[0]["state"] == "closed"  # a 429 is not a broken teacher


async def test_wait_budget_bounds_a_sample_when_all_teachers_cool_down():
    models = [ScriptedModel(n, fail_always=TransientError("HTTP 503")) for n in ("a", "b")]
    ensemble = make(*models, max_attempts=50, breaker_threshold=1, breaker_cooldown=5.0,
                    max_wait=0.2)
    with pytest.raises(NoTeacherAvailableError, match=r"within 0\.2s"):
        await ensemble.complete(MESSAGES)


async def test_usage_and_cost_are_counted_per_teacher():
    model = ScriptedModel("m")
    ensemble = make(model)
    for _ in range(3):
        await ensemble.complete(MESSAGES)
    row = ensemble.status()[0]
    assert row["successes"] == 3 and row["cost"] == pytest.approx(0.003)
    assert row["prompt_tokens"] == 3 * 3


def test_bad_configuration_is_rejected():
    with pytest.raises(AfsError, match="at least one teacher"):
        TeacherEnsemble([])
    with pytest.raises(AfsError, match="unknown strategy"):
        make(ScriptedModel("a"), strategy="fastest")
    with pytest.raises(AfsError, match="unique"):
        make(ScriptedModel("a"), ScriptedModel("a"))


def test_default_ensemble_names_the_variables_to_set():
    with pytest.raises(AfsError) as info:
        TeacherEnsemble.default_ensemble()
    message = str(info.value)
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "CLAUDE_API_KEY",
                "ANTHROPIC_API_KEY"):
        assert var in message


def test_default_ensemble_builds_the_configured_teachers(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "test-google-key-123456")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-anthropic-key-123456")
    ensemble = TeacherEnsemble.default_ensemble()
    assert ensemble.names == ["gemini", "anthropic"]
    assert [t.model_name for t in ensemble.teachers] == ["gemini-3-flash-preview",
                                                         "claude-opus-4.5"]
    text = repr(ensemble) + "".join(repr(t) for t in ensemble.teachers)
    assert "test-google-key" not in text and "test-anthropic-key" not in text


def test_provider_teachers_carry_the_spec_defaults():
    assert OpenAITeacher().model_name == "gpt-5.2"
    assert GeminiTeacher().model_name == "gemini-3-flash-preview"
    assert AnthropicTeacher(model="claude-opus-4-5-20251101").model_name == (
        "claude-opus-4-5-20251101")
    assert OpenAITeacher(base_url="http://127.0.0.1:9/v1").model.base_url == (
        "http://127.0.0.1:9/v1")
