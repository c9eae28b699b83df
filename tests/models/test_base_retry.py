"""Stop-sequence handling in the base interface, and the one retry policy."""

from __future__ import annotations

import itertools
import os
import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from afs.errors import AfsError
from afs.models.base import (
    FatalError,
    ModelError,
    RateLimitedError,
    StopScanner,
    TransientError,
    truncate_at_stop,
)
from afs.models.retry import RetryPolicy, call_with_retry, stream_with_retry


def test_truncate_at_the_earliest_stop():
    assert truncate_at_stop("a;b|c", ["|", ";"]) == ("a", True)
    assert truncate_at_stop("abc", ["x", ""]) == ("abc", False)
    assert truncate_at_stop("abc", None) == ("abc", False)


def test_scanner_waits_for_an_earlier_overlapping_stop():
    # Found at random by Hypothesis: `a` completes first, but `;a;` starts earlier.
    scanner = StopScanner(["a", ";a;"])
    assert scanner.feed(";;a") == ";"
    assert scanner.feed(";") == ""
    assert scanner.stopped
    assert scanner.finish() == ""


def test_scanner_cuts_a_held_tail_at_the_stop_when_the_stream_ends():
    scanner = StopScanner(["ab", "bc"])
    assert scanner.feed("xa") == "x"
    assert scanner.finish() == "xa"[1:]


def test_property_tests_are_derandomised_in_ci():
    assert settings.default.derandomize or os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"


@example(text=";;a;", stops=["a", ";a;"], cuts=[3])
@given(text=st.text(alphabet="ab;|", max_size=30),
       stops=st.lists(st.text(alphabet="ab;|", min_size=1, max_size=4), max_size=3),
       cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=8))
def test_scanner_matches_truncation_however_the_text_is_chunked(text, stops, cuts):
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(chunk) for chunk in chunks) + scanner.finish()
    expected, hit = truncate_at_stop(text, stops)
    assert out == expected
    assert scanner.stopped == hit


def test_model_errors_are_afs_errors():
    assert issubclass(ModelError, AfsError)


def _policy(waits: list[float], **kwargs) -> RetryPolicy:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return RetryPolicy(sleep=sleep, **kwargs)


async def test_backoff_is_exponential_with_full_jitter():
    waits: list[float] = []
    failures = iter([TransientError("a"), TransientError("b"), TransientError("c")])

    async def attempt() -> str:
        error = next(failures, None)
        if error:
            raise error
        return "ok"

    policy = _policy(waits, base_delay=1.0, rng=random.Random(3))
    assert await call_with_retry(attempt, policy) == ("ok", 4)
    expected = random.Random(3)
    assert waits == [expected.uniform(0, 1.0), expected.uniform(0, 2.0), expected.uniform(0, 4.0)]


async def test_retry_after_is_honoured_beyond_max_delay_within_the_budget():
    waits: list[float] = []
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RateLimitedError("slow down", retry_after=45.0)
        return "ok"

    assert await call_with_retry(attempt, _policy(waits, max_delay=30.0)) == ("ok", 2)
    assert waits == [45.0]


async def test_fatal_is_raised_at_once():
    waits: list[float] = []
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        raise FatalError("bad request", status=400)

    with pytest.raises(FatalError):
        await call_with_retry(attempt, _policy(waits))
    assert (calls, waits) == (1, [])


async def test_attempts_are_bounded():
    waits: list[float] = []

    async def attempt() -> str:
        raise TransientError("down")

    with pytest.raises(TransientError):
        await call_with_retry(attempt, _policy(waits, max_attempts=3, jitter=False))
    assert waits == [0.5, 1.0]


async def test_stream_retry_closes_the_abandoned_attempt():
    closed = []

    async def chunks():
        try:
            yield "a"
            yield "b"
        finally:
            closed.append(True)

    stream = stream_with_retry(chunks, RetryPolicy())
    assert await anext(stream) == "a"
    await stream.aclose()
    assert closed == [True]
