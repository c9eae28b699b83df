"""OpenAI, Anthropic and Gemini backends against the fake wire-format server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from afs.models.base import FatalError, ModelUnavailableError, RateLimitedError, TransientError
from tests.models.conftest import HTTP_PROVIDERS, TEST_KEY_ENV
from tests.support.load_harness import OverlapGate
from tests.support.provider_servers import Fault, Reply

pytestmark = pytest.mark.parametrize("provider", HTTP_PROVIDERS)


async def test_complete_returns_exact_text_and_usage(provider, provider_server, make_model):
    provider_server.reply = Reply("LDA #$00\nSTA $10", prompt_tokens=11, completion_tokens=5)
    model = make_model(provider, system_prompt="You are din.")
    completion = await model.complete("Optimise STZ", temperature=0.5, max_tokens=64)
    assert completion.text == "LDA #$00\nSTA $10"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 5)
    assert completion.provider == provider
    assert completion.finish_reason == "stop"
    assert completion.attempts == 1
    assert completion.latency_ms > 0
    (request,) = provider_server.requests
    assert request.provider == provider
    assert request.model == f"{provider}-test-model"
    assert request.messages == [{"role": "system", "content": "You are din."},
                                {"role": "user", "content": "Optimise STZ"}]
    assert request.params["temperature"] == 0.5
    assert 64 in request.params.values()


async def test_spec_params_are_defaults_and_call_arguments_win(provider, provider_server,
                                                               make_model):
    model = make_model(provider, params={"temperature": 0.1, "max_tokens": 32})
    await model.complete("hi")
    await model.complete("hi", temperature=0.9)
    first, second = provider_server.requests
    assert first.params["temperature"] == 0.1 and 32 in first.params.values()
    assert second.params["temperature"] == 0.9


async def test_stream_yields_the_text_in_chunks(provider, provider_server, make_model):
    provider_server.reply = "REP #$20 ; 16-bit A"
    chunks = [chunk async for chunk in make_model(provider).stream("explain")]
    assert "".join(chunks) == "REP #$20 ; 16-bit A"
    assert len(chunks) > 3
    assert provider_server.requests[0].stream


async def test_stop_sequence_honoured_when_the_server_ignores_it(provider, provider_server,
                                                                 make_model):
    provider_server.reply = "STA $10\nRTS\nBRK"
    model = make_model(provider)
    completion = await model.complete("go", stop=["RTS"])
    assert completion.text == "STA $10\n"
    assert completion.finish_reason == "stop"
    assert provider_server.requests[0].stop == ["RTS"]
    streamed = [chunk async for chunk in model.stream("go", stop=["RTS"])]
    assert "".join(streamed) == "STA $10\n"


async def test_stop_split_across_stream_chunks(provider, provider_server, make_model):
    provider_server.reply = Reply("ab<END>cd", chunks=["ab<", "E", "ND", ">cd"])
    model = make_model(provider)
    assert "".join([c async for c in model.stream("go", stop=["<END>", "zz"])]) == "ab"
    # A partial match that does not complete is released, not swallowed.
    provider_server.reply = Reply("ab<ENcd", chunks=["ab<", "EN", "cd"])
    assert "".join([c async for c in model.stream("go", stop=["<END>"])]) == "ab<ENcd"


async def test_retries_with_recorded_waits_and_retry_after(provider, provider_server,
                                                           make_model, waits):
    provider_server.reply = "done"
    provider_server.fail_next(Fault.rate_limited(retry_after=1.5), Fault.http(500),
                              Fault.http(503))
    completion = await make_model(provider).complete("x")
    assert completion.text == "done"
    assert completion.attempts == 4
    assert len(provider_server.requests) == 4
    # Retry-After first, then exponential backoff (jitter off): 0.25 * 2**(n-1).
    assert waits == [1.5, 0.5, 1.0]


async def test_retry_after_longer_than_the_budget_gives_up(provider, provider_server,
                                                           make_model, waits):
    provider_server.fail_next(Fault.rate_limited(retry_after=120))
    model = make_model(provider, retry=waits.policy(total_timeout=60))
    with pytest.raises(RateLimitedError) as caught:
        await model.complete("x")
    assert caught.value.retry_after == 120
    assert waits == []
    assert len(provider_server.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_fatal_errors_are_not_retried(provider, status, provider_server, make_model,
                                            waits):
    provider_server.fail_next(Fault.http(status))
    with pytest.raises(FatalError) as caught:
        await make_model(provider).complete("x")
    assert caught.value.status == status
    assert len(provider_server.requests) == 1
    assert waits == []


async def test_exhausted_retries_raise_the_transient_error(provider, provider_server,
                                                           make_model, waits):
    provider_server.fail_next(Fault.http(503), Fault.http(503))
    model = make_model(provider, retry=waits.policy(max_attempts=2))
    with pytest.raises(TransientError) as caught:
        await model.complete("x")
    assert caught.value.status == 503
    assert len(provider_server.requests) == 2
    assert waits == [0.25]


async def test_timeout_is_transient_and_retried(provider, provider_server, make_model, waits):
    provider_server.reply = "late but fine"
    provider_server.fail_next(Fault.slow(3.0))
    model = make_model(provider, timeout=0.3)
    completion = await model.complete("x")
    assert completion.text == "late but fine"
    assert completion.attempts == 2
    provider_server.fail_next(Fault.slow(3.0))
    model = make_model(provider, timeout=0.3, retry=waits.policy(max_attempts=1))
    with pytest.raises(TransientError, match=r"within 0\.3 s"):
        await model.complete("x")


@pytest.mark.parametrize("fault", [Fault.malformed(), Fault.truncated()], ids=["malformed",
                                                                               "truncated"])
async def test_bad_bodies_are_transient_and_retried(provider, fault, provider_server,
                                                    make_model, waits):
    provider_server.reply = "ok"
    provider_server.fail_next(fault)
    completion = await make_model(provider).complete("x")
    assert (completion.text, completion.attempts) == ("ok", 2)
    provider_server.fail_next(fault)
    model = make_model(provider, retry=waits.policy(max_attempts=1))
    with pytest.raises(TransientError):
        await model.complete("x")


@pytest.mark.parametrize("fault", [Fault.malformed(), Fault.cut_stream(0), Fault.http(503)],
                         ids=["malformed", "cut", "503"])
async def test_stream_retried_before_the_first_chunk(provider, fault, provider_server,
                                                     make_model):
    provider_server.reply = "streamed"
    provider_server.fail_next(fault)
    chunks = [c async for c in make_model(provider).stream("x")]
    assert "".join(chunks) == "streamed"
    assert len(provider_server.requests) == 2


async def test_stream_cut_after_chunks_raises_without_retry(provider, provider_server,
                                                            make_model):
    provider_server.reply = "a long enough answer"
    provider_server.fail_next(Fault.cut_stream(after_chunks=4))
    received = []
    with pytest.raises(TransientError):
        async for chunk in make_model(provider).stream("x"):
            received.append(chunk)
    assert received  # some text arrived, so a retry would duplicate it
    assert len(provider_server.requests) == 1


async def test_api_key_never_leaks(provider, provider_server, make_model, monkeypatch, caplog):
    secret = "sk-SECRET-do-not-print-4242"
    monkeypatch.setenv(TEST_KEY_ENV, secret)
    caplog.set_level(logging.DEBUG)
    provider_server.api_key = "sk-the-server-wants-another"
    model = make_model(provider, api_key_env=TEST_KEY_ENV)
    with pytest.raises(FatalError) as caught:
        await model.complete("x")
    assert caught.value.status == 401
    assert TEST_KEY_ENV in str(caught.value)  # says which variable to check...
    provider_server.api_key = secret
    completion = await model.complete("x")
    chunks = [c async for c in model.stream("x")]
    # ...and the key was really sent, yet appears nowhere we produce.
    assert any(secret in " ".join(r.headers.values()) + str(r.query)
               for r in provider_server.requests)
    produced = [str(caught.value), repr(caught.value), repr(caught.value.args), repr(model),
                str(vars(caught.value)), repr(completion), "".join(chunks)]
    produced += [record.getMessage() for record in caplog.records]
    produced += [str(record.args) for record in caplog.records]
    assert caplog.records  # the SDKs did log at DEBUG; none of it may hold the key
    for text in produced:
        assert secret not in text


async def test_missing_key_is_unavailable_without_a_request(provider, provider_server,
                                                            make_model, waits):
    model = make_model(provider, api_key_env=(TEST_KEY_ENV, "AFS_TEST_OTHER_KEY"))
    with pytest.raises(ModelUnavailableError, match=f"{TEST_KEY_ENV} or AFS_TEST_OTHER_KEY"):
        await model.complete("x")
    assert provider_server.requests == []
    assert waits == []


async def test_closed_port_is_one_actionable_line(provider, make_model, waits):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}" + ("/v1" if provider == "openai" else "")
    model = make_model(provider, base_url=url, retry=waits.policy(max_attempts=1))
    with pytest.raises(TransientError) as caught:
        await model.complete("x")
    assert str(caught.value) == (f"cannot reach {url}: connection refused — is the server "
                                 "running and the URL right?")


async def test_cost_comes_from_the_price(provider, provider_server, make_model):
    provider_server.reply = Reply("x", prompt_tokens=1_000, completion_tokens=500)
    model = make_model(provider, price={"input": 3.0, "output": 15.0})
    completion = await model.complete("x")
    assert completion.cost == pytest.approx((1_000 * 3.0 + 500 * 15.0) / 1e6)


async def test_concurrent_calls_overlap(provider, provider_server, make_model):
    # Answers are held back until two calls are in the server at once (an event, not a
    # deadline): serialised, the gate would never open. No wall-clock figure is involved.
    gate = OverlapGate(2)
    provider_server.latency = gate
    provider_server.reply = lambda request: request.prompt
    model = make_model(provider, timeout=900.0)
    results = await asyncio.gather(*(model.complete(f"n{i}") for i in range(16)))
    assert gate.opened
    assert [r.text for r in results] == [f"n{i}" for i in range(16)]


async def test_many_stop_sequences_are_all_enforced(provider, provider_server, make_model):
    provider_server.reply = "a1b2c3d4e5f6g"
    stops = ["z1", "z2", "z3", "z4", "z5", "z6", "f"]
    completion = await make_model(provider).complete("x", stop=stops)
    assert completion.text == "a1b2c3d4e5"
    assert len(provider_server.requests[0].stop) <= len(stops)
