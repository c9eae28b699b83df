"""The one retry policy of AFS: exponential backoff with full jitter.

Provider SDKs have their own retries switched off, so this is the only loop. It honours a
server's `Retry-After`, bounds both the attempts and the total time, and never retries a
`FatalError`.

What the loop did is observable: inside `with observe_retries(stats):` every attempt, retry,
429 and 5xx of the calls made by that task (and the tasks it starts) is counted into the
`RetryStats` given, so a caller such as the distillation ensemble can account per teacher for
what the one loop hid.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from afs.models.errors import FatalError, ModelError, RateLimitedError, TransientError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    total_timeout: float = 300.0
    jitter: bool = True
    rng: random.Random = field(default_factory=random.Random, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def delay_for(self, attempt: int, error: ModelError) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            # Not capped by max_delay: retrying before the server allows only earns another
            # 429. A wait past the total budget ends the loop instead (see call_with_retry).
            return max(error.retry_after, 0.0)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(0, ceiling) if self.jitter else ceiling


@dataclass
class RetryStats:
    """Counts of what the retry loop did: every attempt (the first try included), every
    retry, every 429, every 5xx, other transient errors (timeouts, resets, bad bodies) and
    fatal errors."""

    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    transient_errors: int = 0
    fatal_errors: int = 0

    def record(self, error: ModelError) -> None:
        if isinstance(error, RateLimitedError):
            self.rate_limited += 1
        elif isinstance(error, FatalError):
            self.fatal_errors += 1
        elif error.status is not None and error.status >= 500:
            self.server_errors += 1
        else:
            self.transient_errors += 1


_observer: contextvars.ContextVar[RetryStats | None] = contextvars.ContextVar(
    "afs_retry_observer", default=None)


@contextlib.contextmanager
def observe_retries(stats: RetryStats) -> Iterator[RetryStats]:
    """Count into `stats` what the retry loop does for calls made inside the block."""
    token = _observer.set(stats)
    try:
        yield stats
    finally:
        _observer.reset(token)


def _count(error: ModelError | None, retrying: bool) -> None:
    stats = _observer.get()
    if stats is None:
        return
    stats.attempts += 1
    if error is not None:
        stats.record(error)
    if retrying:
        stats.retries += 1


@dataclass
class RetryEvent:
    attempt: int
    error: ModelError
    delay: float


async def call_with_retry(
    attempt_fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[RetryEvent], None] | None = None,
) -> tuple[T, int]:
    """Run `attempt_fn` until it succeeds; return `(result, attempts_used)`."""
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            result = await attempt_fn()
        except FatalError as error:
            _count(error, retrying=False)
            raise
        except (RateLimitedError, TransientError) as error:
            delay = policy.delay_for(attempt, error)
            elapsed = time.monotonic() - started
            if attempt >= policy.max_attempts or elapsed + delay > policy.total_timeout:
                _count(error, retrying=False)
                raise
            _count(error, retrying=True)
            if on_retry:
                on_retry(RetryEvent(attempt, error, delay))
            await policy.sleep(delay)
            continue
        _count(None, retrying=False)
        return result, attempt


async def stream_with_retry(
    stream_fn: Callable[[], AsyncIterator[str]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[RetryEvent], None] | None = None,
) -> AsyncIterator[str]:
    """Stream chunks, retrying a failed attempt only while nothing has been yielded."""
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        yielded = False
        try:
            # aclosing: a consumer that stops early closes the attempt (and its connection).
            async with contextlib.aclosing(stream_fn()) as chunks:
                async for chunk in chunks:
                    yielded = True
                    yield chunk
            _count(None, retrying=False)
            return
        except FatalError as error:
            _count(error, retrying=False)
            raise
        except (RateLimitedError, TransientError) as error:
            delay = policy.delay_for(attempt, error)
            elapsed = time.monotonic() - started
            if yielded or attempt >= policy.max_attempts or elapsed + delay > policy.total_timeout:
                _count(error, retrying=False)
                raise
            _count(error, retrying=True)
            if on_retry:
                on_retry(RetryEvent(attempt, error, delay))
            await policy.sleep(delay)
