from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from afs.feedback import FeedbackCollector, InferenceLogger
from afs.gateway.app import ModelPool, create_app
from afs.models.base import ChatModel, Completion, FatalError, Usage

from .conftest import start_gateway


class Scripted(ChatModel):
    """Answers 'echo: <last user message>' in small chunks; fails on demand."""

    provider = "test"

    async def _complete(self, messages, params):
        if "FAIL" in messages[-1].content:
            raise FatalError("upstream said 401 unauthorized", provider="test", status=401)
        text = f"echo: {messages[-1].content}"
        return Completion(text=text, finish_reason="stop",
                          usage=Usage(len(messages[-1].content.split()), len(text.split())),
                          model=self.model, provider=self.provider, latency_ms=1.0)

    async def _stream(self, messages, params) -> AsyncIterator[str]:
        text = f"echo: {messages[-1].content}"
        for i in range(0, len(text), 3):
            await asyncio.sleep(0)
            yield text[i:i + 3]


class Pipeline:
    def __init__(self, logger):
        self.logger = logger

    async def run(self, prompt):
        from types import SimpleNamespace

        answer = f"pipeline: {prompt}"
        record_id = self.logger.log(prompt=prompt, response=answer, model="afs",
                                    metadata={"generalist_steps": []})
        return SimpleNamespace(answer=answer, record_id=record_id)


@pytest.fixture
def gateway(tmp_path):
    logger = InferenceLogger(tmp_path / "log")
    pool = ModelPool(lambda alias: Scripted(alias, alias=alias), ["din", "veran"])
    app = create_app(logger, models=pool, pipeline=Pipeline(logger), max_body_bytes=20_000)
    yield from start_gateway(app, logger)


def _client(gateway, key="unused"):
    return openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)


def test_models_lists_aliases_and_the_pipeline(gateway):
    ids = [m.id for m in _client(gateway).models.list()]
    assert ids == ["afs", "din", "veran"]


def test_completion_is_logged_and_returns_its_record_id(gateway):
    raw = _client(gateway).chat.completions.with_raw_response.create(
        model="din", messages=[{"role": "system", "content": "be brief"},
                               {"role": "user", "content": "LDA #$00"}],
        temperature=0.1, max_tokens=50)
    completion = raw.parse()
    record_id = raw.headers["X-AFS-Record-Id"]
    assert completion.choices[0].message.content == "echo: LDA #$00"
    assert completion.model_extra["record_id"] == record_id
    record = gateway.logger.get(record_id)
    assert (record.prompt, record.response, record.model, record.system) == (
        "LDA #$00", "echo: LDA #$00", "din", "be brief")
    assert record.params == {"temperature": 0.1, "max_tokens": 50}


def test_streaming_honours_stop_and_logs_the_streamed_text(gateway):
    stream = _client(gateway).chat.completions.create(
        model="veran", messages=[{"role": "user", "content": "explain STZ then stop here"}],
        stream=True, stop=["then"])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: explain STZ "
    record_id = chunks[-1].model_extra["record_id"]
    assert gateway.logger.get(record_id).response == text


def test_pipeline_model_streams_and_is_logged(gateway):
    stream = _client(gateway).chat.completions.create(
        model="afs", messages=[{"role": "user", "content": "optimize this"}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "pipeline: optimize this"
    assert gateway.logger.get(chunks[-1].model_extra["record_id"]).model == "afs"


def test_feedback_is_joined_to_the_record(gateway):
    completion = _client(gateway).chat.completions.create(
        model="din", messages=[{"role": "user", "content": "x"}])
    record_id = completion.model_extra["record_id"]
    response = httpx.post(f"{gateway.url}/v1/feedback",
                          json={"record_id": record_id, "score": -1, "correction": "STZ $10"})
    assert response.status_code == 200
    vote = FeedbackCollector(gateway.logger).latest(record_id)
    assert (vote.score, vote.correction) == (-1.0, "STZ $10")
    bad = httpx.post(f"{gateway.url}/v1/feedback", json={"record_id": "nope", "score": 1})
    assert bad.status_code == 400 and "no inference record" in bad.json()["error"]["message"]
    out_of_range = httpx.post(f"{gateway.url}/v1/feedback",
                              json={"record_id": record_id, "score": 3})
    assert out_of_range.status_code == 400


def test_errors_are_openai_shaped(gateway):
    client = _client(gateway)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert missing.value.body["code"] == "model_not_found"
    with pytest.raises(openai.APIStatusError) as upstream:
        client.chat.completions.create(model="din", messages=[{"role": "user", "content": "FAIL"}])
    assert upstream.value.status_code == 502
    assert upstream.value.body["type"] == "upstream_error"
    too_big = httpx.post(f"{gateway.base_url}/chat/completions",
                         json={"model": "din", "messages": [{"role": "user",
                                                              "content": "x" * 30_000}]})
    assert too_big.status_code == 413


def test_health_reports_the_log(gateway):
    assert httpx.get(f"{gateway.url}/health").json() == {"status": "ok", "records": 0}
    _client(gateway).chat.completions.create(model="din",
                                             messages=[{"role": "user", "content": "x"}])
    assert httpx.get(f"{gateway.url}/health").json()["records"] == 1


def test_key_required_when_configured(tmp_path):
    logger = InferenceLogger(tmp_path / "log")
    pool = ModelPool(lambda alias: Scripted(alias, alias=alias), ["din"])
    app = create_app(logger, api_key="s3cret-key", models=pool)
    for running in start_gateway(app, logger):
        with pytest.raises(openai.AuthenticationError) as denied:
            _client(running, key="wrong").models.list()
        assert "s3cret" not in json.dumps(denied.value.body)
        assert [m.id for m in _client(running, key="s3cret-key").models.list()] == ["afs", "din"]
        assert httpx.get(f"{running.url}/ui").status_code == 200  # the page asks for the key
        assert httpx.get(f"{running.url}/ui/api/records").status_code == 401


def test_non_loopback_bind_needs_a_key(monkeypatch):
    from afs.errors import InputError
    from afs.gateway.server import gateway_key

    assert gateway_key("127.0.0.1") is None
    with pytest.raises(InputError, match="AFS_GATEWAY_KEY"):
        gateway_key("0.0.0.0")
    monkeypatch.setenv("AFS_GATEWAY_KEY", "k")
    assert gateway_key("0.0.0.0") == "k"


def test_two_hundred_concurrent_streams(gateway):
    async def one(client, i):
        stream = await client.chat.completions.create(
            model="din", messages=[{"role": "user", "content": f"request {i}"}], stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def main():
        client = openai.AsyncOpenAI(base_url=gateway.base_url, api_key="x", max_retries=0,
                                    timeout=60)
        try:
            return await asyncio.gather(*(one(client, i) for i in range(200)))
        finally:
            await client.close()

    before = gateway.logger.count()
    texts = asyncio.run(main())
    assert sorted(texts) == sorted(f"echo: request {i}" for i in range(200))
    assert gateway.logger.count() - before == 200


def test_offline_experts_answer_from_worker_processes(tmp_path):
    from afs.models.registry import get_model

    logger = InferenceLogger(tmp_path / "log")
    pool = ModelPool(lambda alias: get_model(alias), ["din", "veran"])
    for running in start_gateway(create_app(logger, models=pool), logger):
        client = _client(running)
        prompts = [f"Optimize this code:\n```asm\nLDA #$00\nSTA ${0x10 + i:02X}\n```"
                   for i in range(12)]

        async def burst(base_url: str, prompts: list[str]) -> list[str]:
            client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0,
                                        timeout=300)
            try:
                replies = await asyncio.gather(*(client.chat.completions.create(
                    model="din", messages=[{"role": "user", "content": p}]) for p in prompts))
                return [r.choices[0].message.content for r in replies]
            finally:
                await client.close()

        texts = asyncio.run(burst(running.base_url, prompts))
        assert all(f"STZ ${0x10 + i:02X}" in t.upper() for i, t in enumerate(texts))
        workers = pool.workers
        assert workers is not None and pool.get("din").offload == workers.run
        assert all(w.process.is_alive() for w in workers._workers)
        veran = client.chat.completions.create(
            model="veran", messages=[{"role": "user", "content": "Explain: LDA #$01"}])
        assert veran.choices[0].message.content
    assert logger.count() == 13


def test_offline_experts_and_the_real_pipeline_behind_the_openai_client(tmp_path):
    """The default gateway: registry aliases (the classical experts) and `afs` = Orchestrator."""
    logger = InferenceLogger(tmp_path / "log")
    for running in start_gateway(create_app(logger), logger):
        client = _client(running)
        ids = [m.id for m in client.models.list()]
        assert {"afs", "din", "farore", "nayru", "veran", "classical"} <= set(ids)
        din = client.chat.completions.create(
            model="din", messages=[{"role": "user", "content":
                                    "Optimize this code:\n```asm\nLDA #$00\nSTA $10\n```"}])
        assert "STZ $10" in din.choices[0].message.content.upper()
        stream = client.chat.completions.create(
            model="afs", stream=True, messages=[{"role": "user", "content":
                                                 "Explain this code:\nLDA.l $7EF36C\n"
                                                 "STA.l $7EF36D"}])
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        record = logger.get(chunks[-1].model_extra["record_id"])
        assert record.model == "afs" and record.response == text
        assert [s["expert"] for s in record.metadata["generalist_steps"]
                if s["kind"] == "invocation"] == ["veran"]
        assert "maximum" in text.lower()
