"""End to end over the real provider backends and loopback servers, with fault injection."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from afs.distillation import DistillationDataGenerator, DistillationStopped, TeacherEnsemble
from afs.jsonl import read_jsonl
from tests.distillation.conftest import TEST_KEYS, loopback_teacher
from tests.support.provider_servers import Fault, ProviderServer

PROVIDERS = ("openai", "gemini", "anthropic")
DOMAINS = ("generate", "explain", "alttp")


def ensemble_of(servers: dict[str, ProviderServer], *, strategy: str = "round_robin",
                providers=PROVIDERS, **options) -> TeacherEnsemble:
    timeout = options.pop("timeout", 5.0)
    teachers = [loopback_teacher(p, servers[p], timeout=timeout) for p in providers]
    options.setdefault("breaker_cooldown", 0.2)
    return TeacherEnsemble(teachers, strategy=strategy, **options)


async def generate(tmp_path: Path, ensemble: TeacherEnsemble, count: int,
                   concurrency: int = 6) -> list[dict]:
    generator = DistillationDataGenerator(ensemble, output_dir=tmp_path, domains=DOMAINS,
                                          concurrency=concurrency)
    try:
        return await generator.generate_batch(count=count)
    finally:
        await ensemble.aclose()


def assert_no_keys(root: Path, *texts: str) -> None:
    """No test key in any file under `root` nor in the given logs."""
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_text(errors="replace")
            for key in TEST_KEYS.values():
                assert key not in data, f"{key} leaked into {path}"
    for text in texts:
        for key in TEST_KEYS.values():
            assert key not in text


async def test_three_providers_share_the_work(tmp_path: Path, provider_servers,
                                             caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    samples = await generate(tmp_path, ensemble_of(provider_servers), 30)
    assert len(samples) == 30
    assert {s["provider"] for s in samples} == set(PROVIDERS)
    for provider, server in provider_servers.items():
        assert server.requests_for(provider), provider
        # the teacher saw the system prompt and the prompt itself
        request = server.requests[0]
        assert request.messages[0]["role"] == "system" and request.prompt
    assert all(s["usage"]["completion_tokens"] > 0 for s in samples)
    assert_no_keys(tmp_path, caplog.text)


async def test_429_storm_is_ridden_out(tmp_path: Path, provider_servers):
    server = provider_servers["openai"]
    server.fail_next(*[Fault.rate_limited(retry_after=0.05)] * 25)
    ensemble = ensemble_of(provider_servers, providers=("openai",), max_attempts=20)
    samples = await generate(tmp_path, ensemble, 12)
    assert len(samples) == 12
    assert sum(r.status == 429 for r in server.requests) == 25
    assert ensemble.status()[0]["state"] == "closed"


async def test_5xx_and_timeouts_fail_over(tmp_path: Path, provider_servers):
    provider_servers["openai"].fault = lambda r: Fault.http(503)
    provider_servers["gemini"].fault = lambda r: Fault.slow(3.0)
    ensemble = ensemble_of(provider_servers, strategy="failover", timeout=0.5)
    samples = await generate(tmp_path, ensemble, 15)
    assert len(samples) == 15 and {s["provider"] for s in samples} == {"anthropic"}
    states = {row["name"]: row for row in ensemble.status()}
    assert states["openai"]["failures"] > 0 and states["gemini"]["failures"] > 0


async def test_bad_key_disables_one_teacher_with_one_message(
        tmp_path: Path, provider_servers, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-wrong-key-for-the-test-0000")
    with caplog.at_level(logging.ERROR, logger="afs.distillation"):
        ensemble = ensemble_of(provider_servers)
        samples = await generate(tmp_path, ensemble, 20)
    assert len(samples) == 20 and "gemini" not in {s["provider"] for s in samples}
    errors = [r.getMessage() for r in caplog.records if r.name == "afs.distillation"]
    assert len(errors) == 1 and "gemini disabled" in errors[0] and "GEMINI_API_KEY" in errors[0]
    # only the requests already in flight when the first 401 came back reached it
    assert 1 <= len(provider_servers["gemini"].requests) <= 6
    assert_no_keys(tmp_path, caplog.text, "AIza-wrong-key-for-the-test-0000")


async def test_one_provider_down_everything_still_produced(tmp_path: Path, provider_servers):
    ensemble = ensemble_of(provider_servers)
    provider_servers["anthropic"].stop()  # connection refused from now on
    samples = await generate(tmp_path, ensemble, 24)
    assert len(samples) == 24
    assert {s["provider"] for s in samples} == {"openai", "gemini"}


async def test_all_down_stops_cleanly_and_loses_nothing(tmp_path: Path, provider_servers):
    first = await generate(tmp_path, ensemble_of(provider_servers), 10)
    for server in provider_servers.values():
        server.fault = lambda r: Fault.http(500)
    ensemble = ensemble_of(provider_servers, max_attempts=4, max_wait=5.0)
    with pytest.raises(DistillationStopped) as info:
        await generate(tmp_path, ensemble, 40)
    assert info.value.accepted == 10
    assert [r["id"] for r in read_jsonl(tmp_path / "checkpoint.jsonl")] == [
        s["id"] for s in first]
    assert all(row["failures"] > 0 for row in ensemble.status())
