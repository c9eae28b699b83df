"""The one retry policy of AFS: exponential backoff with full jitter.

Provider SDKs have their own retries switched off, so this is the only loop. It honours a
server's `Retry-After`, bounds both the attempts and the total time, and never retries a
`FatalError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
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
            return await attempt_fn(), attempt
        except FatalError:
            raise
        except (RateLimitedError, TransientError) as error:
            delay = policy.delay_for(attempt, error)
            elapsed = time.monotonic() - started
            if attempt >= policy.max_attempts or elapsed + delay > policy.total_timeout:
                raise
            if on_retry:
                on_retry(RetryEvent(attempt, error, delay))
            await policy.sleep(delay)


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
            return
        except FatalError:
            raise
        except (RateLimitedError, TransientError) as error:
            delay = policy.delay_for(attempt, error)
            elapsed = time.monotonic() - started
            if yielded or attempt >= policy.max_attempts or elapsed + delay > policy.total_timeout:
                raise
            if on_retry:
                on_retry(RetryEvent(attempt, error, delay))
            await policy.sleep(delay)
