"""The OpenAI backend's connections: kept alive (a second burst of concurrent requests reuses
the sockets the first one opened), and closed when their event loop ends even if the model
never is."""

from __future__ import annotations

import asyncio
import time

from afs.models.registry import ModelSpec, create_model
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


def test_a_client_never_closed_is_closed_when_its_event_loop_ends(provider_server):
    spec = ModelSpec(provider="openai", model="m", base_url=provider_server.openai_base_url)
    model = create_model(spec, alias="never-closed")
    for prompt in ("first loop", "second loop"):    # a new client (and socket) per loop
        assert asyncio.run(model.complete(prompt)).text
    assert provider_server.connections_accepted == 2
    deadline = time.monotonic() + 30
    while provider_server.connections_closed < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert provider_server.connections_closed == 2
