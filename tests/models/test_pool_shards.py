"""The OpenAI backend's connection pools: requests go round POOL_SHARDS pools (short pool
walks per request) and connections are kept alive and reused."""

from __future__ import annotations

import asyncio

from afs.models.http_provider import POOL_SHARDS
from tests.support.load_harness import OverlapGate


def _connections(model) -> list[int]:
    transport = model.client._client._transport
    return [len(pool._pool.connections) for pool in transport.pools]


async def test_requests_spread_over_every_pool_and_reuse_connections(provider_server,
                                                                     make_model):
    count = 2 * POOL_SHARDS
    provider_server.latency = OverlapGate(count)    # all in flight at once: one socket each
    provider_server.reply = lambda request: request.prompt
    model = make_model("openai", timeout=900.0)
    first = await asyncio.gather(*(model.complete(f"n{i}") for i in range(count)))
    assert [r.text for r in first] == [f"n{i}" for i in range(count)]
    assert _connections(model) == [2] * POOL_SHARDS
    provider_server.latency = OverlapGate(count)
    again = await asyncio.gather(*(model.complete(f"m{i}") for i in range(count)))
    assert [r.text for r in again] == [f"m{i}" for i in range(count)]
    assert _connections(model) == [2] * POOL_SHARDS     # kept alive, none opened anew
