"""The gateway's stream coalescing: every piece, in order, joined only when it queued up."""

from __future__ import annotations

import asyncio

import pytest

from afs.gateway.app import _coalesced
from afs.models.base import TransientError


async def _burst_then_trickle():
    for piece in ("a", "b", "c"):  # arrive together: no await between them
        yield piece
    await asyncio.sleep(0.01)
    yield "d"


async def _failing():
    yield "x"
    await asyncio.sleep(0)
    raise TransientError("upstream reset", provider="test")


async def test_pieces_that_queue_up_go_out_together_and_nothing_is_lost():
    out = [piece async for piece in _coalesced(_burst_then_trickle())]
    assert "".join(out) == "abcd"
    assert out[-1] == "d" and len(out) < 4


async def test_an_upstream_error_reaches_the_consumer_after_what_came_before():
    seen = []
    with pytest.raises(TransientError, match="upstream reset"):
        async for piece in _coalesced(_failing()):
            seen.append(piece)
    assert seen == ["x"]


async def test_a_consumer_that_stops_closes_the_upstream_stream():
    closed = asyncio.Event()

    async def endless():
        try:
            while True:
                yield "p"
                await asyncio.sleep(0)
        finally:
            closed.set()

    stream = _coalesced(endless())
    assert (await anext(stream)).startswith("p")
    await stream.aclose()
    assert closed.is_set()
