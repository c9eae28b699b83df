"""The fake provider server itself: wire formats over raw HTTP, faults, concurrency."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from tests.support.load_harness import OverlapGate
from tests.support.provider_servers import Fault, ProviderServer, Reply


def _openai(server: ProviderServer, **extra) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": "two words"}], **extra}
    return httpx.post(f"{server.openai_base_url}/chat/completions", json=body, timeout=5)


def test_openai_json_reply_and_usage(provider_server: ProviderServer) -> None:
    provider_server.reply = Reply("a b c", prompt_tokens=7)
    data = _openai(provider_server).json()
    assert data["choices"][0]["message"]["content"] == "a b c"
    assert data["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    assert provider_server.requests[0].prompt == "two words"


def test_reply_list_is_consumed_in_order_and_last_repeats(provider_server: ProviderServer) -> None:
    provider_server.reply = ["one", "two"]
    texts = [_openai(provider_server).json()["choices"][0]["message"]["content"] for _ in range(3)]
    assert texts == ["one", "two", "two"]


def test_callable_reply_sees_the_request(provider_server: ProviderServer) -> None:
    provider_server.reply = lambda request: request.prompt.upper()
    assert _openai(provider_server).json()["choices"][0]["message"]["content"] == "TWO WORDS"


def test_openai_stream_has_chunks_usage_and_done(provider_server: ProviderServer) -> None:
    provider_server.reply = "abcdefg"
    response = _openai(provider_server, stream=True, stream_options={"include_usage": True})
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    payloads = [json.loads(e) for e in events[:-1]]
    text = "".join(p["choices"][0]["delta"].get("content") or "" for p in payloads if p["choices"])
    assert text == "abcdefg"
    assert payloads[-1]["usage"]["completion_tokens"] == 1


def test_anthropic_stream_event_sequence(provider_server: ProviderServer) -> None:
    body = {"model": "c", "max_tokens": 5, "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(f"{provider_server.anthropic_base_url}/v1/messages", json=body)
    kinds = [line[7:] for line in response.text.splitlines() if line.startswith("event: ")]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds and "message_delta" in kinds


def test_gemini_generate_and_stream(provider_server: ProviderServer) -> None:
    provider_server.reply = "xyz uvw"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    url = f"{provider_server.gemini_base_url}/v1beta/models/g-1"
    data = httpx.post(f"{url}:generateContent", json=body).json()
    assert data["candidates"][0]["content"]["parts"][0]["text"] == "xyz uvw"
    assert data["usageMetadata"]["candidatesTokenCount"] == 2
    streamed = httpx.post(f"{url}:streamGenerateContent?alt=sse", json=body).text
    chunks = [json.loads(line[6:]) for line in streamed.splitlines() if line.startswith("data: ")]
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == "xyz uvw"
    assert provider_server.requests[-1].model == "g-1"


def test_faults_are_consumed_in_order(provider_server: ProviderServer) -> None:
    provider_server.fail_next(Fault.rate_limited(retry_after=2.5), Fault.http(503))
    first, second, third = (_openai(provider_server) for _ in range(3))
    assert (first.status_code, first.headers["retry-after"]) == (429, "2.5")
    assert second.status_code == 503
    assert third.status_code == 200
    assert [r.status for r in provider_server.requests] == [429, 503, 200]


def test_malformed_and_truncated_bodies(provider_server: ProviderServer) -> None:
    provider_server.fail_next(Fault.malformed())
    with pytest.raises(json.JSONDecodeError):
        _openai(provider_server).json()
    provider_server.fail_next(Fault.truncated())
    with pytest.raises(httpx.RemoteProtocolError):
        _openai(provider_server)


def test_api_key_checked_per_provider() -> None:
    with ProviderServer(api_key="sk-right") as server:
        good = httpx.post(f"{server.openai_base_url}/chat/completions",
                          headers={"Authorization": "Bearer sk-right"},
                          json={"model": "m", "messages": []})
        bad = httpx.post(f"{server.anthropic_base_url}/v1/messages",
                         headers={"x-api-key": "sk-wrong"}, json={"model": "m", "messages": []})
        gemini = httpx.post(f"{server.gemini_base_url}/v1beta/models/g:generateContent",
                            params={"key": "sk-right"}, json={"contents": []})
    assert (good.status_code, bad.status_code, gemini.status_code) == (200, 401, 200)
    assert bad.json()["error"]["type"] == "authentication_error"


def test_slow_fault_trips_a_client_timeout(provider_server: ProviderServer) -> None:
    provider_server.fail_next(Fault.slow(2.0))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{provider_server.openai_base_url}/chat/completions",
                   json={"model": "m", "messages": []}, timeout=0.2)


def test_concurrent_requests_are_not_serialised() -> None:
    # Every answer is held back until two requests are in the server at once (an event, not
    # a deadline): served one at a time, the gate would never open. No clock is involved, so
    # a loaded machine only makes the test slower.
    gate = OverlapGate(2)
    with ProviderServer(latency=gate) as server:
        statuses: list[int] = []

        def call() -> None:
            body = {"model": "m", "messages": [{"role": "user", "content": "two words"}]}
            statuses.append(httpx.post(f"{server.openai_base_url}/chat/completions",
                                       json=body, timeout=None).status_code)

        threads = [threading.Thread(target=call) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert gate.opened
    assert statuses == [200] * 32


def test_overlap_gate_stays_shut_for_a_serial_client() -> None:
    # What the test above rules out: one request at a time never opens the gate (the short
    # timeout only lets each held request go; it is no figure being measured).
    gate = OverlapGate(2, timeout=0.05)
    with ProviderServer(latency=gate) as server:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        for _ in range(3):
            assert httpx.post(f"{server.openai_base_url}/chat/completions", json=body,
                              timeout=None).status_code == 200
    assert not gate.opened
