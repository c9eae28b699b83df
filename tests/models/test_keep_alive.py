"""The OpenAI backend keeps its connections alive: a second burst of concurrent requests
reuses the sockets the first one opened instead of connecting anew."""

from __future__ import annotations

import asyncio

from tests.support.load_harness import OverlapGate

BURST = 16


async def test_a_second_burst_reuses_the_first_bursts_connections(provider_server, make_model):
    provider_server.latency = OverlapGate(BURST)    # all in flight at once: one socket each
    provider_server.reply = lambda request: request.prompt
    model = make_model("openai", timeout=900.0)
    first = await asyncio.gather(*(model.complete(f"n{i}") for i in range(BURST)))
    assert [r.text for r in first] == [f"n{i}" for i in range(BURST)]
    assert provider_server.connections_accepted == BURST
    provider_server.latency = OverlapGate(BURST)
    again = await asyncio.gather(*(model.complete(f"m{i}") for i in range(BURST)))
    assert [r.text for r in again] == [f"m{i}" for i in range(BURST)]
    assert provider_server.connections_accepted == BURST    # kept alive, none opened anew
    await model.aclose()
