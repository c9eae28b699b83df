"""Per-teacher admission control: request/token rate limits, concurrency, and a circuit breaker.

This sits *above* the one retry policy (`afs.models.retry`): the retry loop handles a single
call's transient failures, while the limiter keeps a whole teacher inside its provider quota
and the breaker stops sending work to a teacher that keeps failing until it has cooled down.

Rate limits are sliding windows (exactly "at most N per window", as providers count them),
not token buckets, so a test can check the bound over any window. Clock and sleep are
injectable so the tests drive time by hand.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Entry:
    at: float
    amount: int


class SlidingWindow:
    """At most `limit` units admitted in any `window` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit <= 0:
            raise ValueError(f"a rate limit must be positive, got {limit}")
        self.limit = limit
        self.window = window
        self._entries: deque[_Entry] = deque()
        self._used = 0

    def _trim(self, now: float) -> None:
        while self._entries and self._entries[0].at <= now - self.window:
            self._used -= self._entries.popleft().amount

    def wait_time(self, amount: int, now: float) -> float:
        """Seconds until `amount` more units fit (0 when they fit now)."""
        self._trim(now)
        # A single request larger than the whole window is admitted once the window is
        # empty; refusing it forever would deadlock the caller.
        amount = min(amount, self.limit)
        excess = self._used + amount - self.limit
        if excess <= 0:
            return 0.0
        freed = 0
        for entry in self._entries:
            freed += entry.amount
            if freed >= excess:
                return max(entry.at + self.window - now, 0.0)
        return self.window  # unreachable in practice; the loop frees everything

    def admit(self, amount: int, now: float) -> _Entry:
        entry = _Entry(now, amount)
        self._entries.append(entry)
        self._used += amount
        return entry

    def adjust(self, entry: _Entry, amount: int) -> None:
        """Replace an admitted estimate by the real amount (if still inside the window)."""
        if entry in self._entries:
            self._used += amount - entry.amount
            entry.amount = amount

    @property
    def used(self) -> int:
        return self._used


class Lease:
    """One admitted request; call `release(actual_tokens)` when it finishes."""

    def __init__(self, limiter: TeacherLimiter, token_entry: _Entry | None) -> None:
        self._limiter = limiter
        self._token_entry = token_entry
        self._released = False

    def release(self, actual_tokens: int | None = None) -> None:
        if self._released:
            return
        self._released = True
        tokens = self._limiter.tokens
        if tokens is not None and self._token_entry is not None and actual_tokens is not None:
            tokens.adjust(self._token_entry, actual_tokens)
        if self._limiter._slots is not None:
            self._limiter._slots.release()


class TeacherLimiter:
    """Requests/min, tokens/min and concurrency for one teacher, plus Retry-After pauses.

    `acquire` is FIFO: waiters queue on one lock, so a large request is not starved by a
    stream of small ones.
    """

    def __init__(
        self,
        *,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        max_concurrency: int | None = None,
        window: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.requests = SlidingWindow(requests_per_minute, window) if requests_per_minute else None
        self.tokens = SlidingWindow(tokens_per_minute, window) if tokens_per_minute else None
        self.max_concurrency = max_concurrency
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._clock = clock
        self._sleep = sleep

    def pause(self, seconds: float) -> None:
        """Admit nothing for `seconds` (a server's Retry-After applies to the whole key)."""
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    @property
    def paused_for(self) -> float:
        return max(self._paused_until - self._clock(), 0.0)

    async def acquire(self, estimated_tokens: int = 0) -> Lease:
        if self._slots is not None:
            await self._slots.acquire()
        try:
            async with self._lock:
                while True:
                    now = self._clock()
                    wait = max(
                        self._paused_until - now,
                        self.requests.wait_time(1, now) if self.requests else 0.0,
                        self.tokens.wait_time(estimated_tokens, now) if self.tokens else 0.0,
                    )
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                if self.requests:
                    self.requests.admit(1, now)
                entry = self.tokens.admit(estimated_tokens, now) if self.tokens else None
        except BaseException:
            if self._slots is not None:
                self._slots.release()
            raise
        return Lease(self, entry)


@dataclass
class CircuitBreaker:
    """Closed -> open after `failure_threshold` consecutive failures -> half-open after the
    cooldown (one trial call) -> closed on success, or open again with a doubled cooldown."""

    failure_threshold: int = 5
    cooldown: float = 10.0
    max_cooldown: float = 300.0
    clock: Clock = field(default=time.monotonic, repr=False)
    failures: int = 0
    state: str = "closed"
    _reopen_at: float = 0.0
    _current_cooldown: float = 0.0
    _trial_in_flight: bool = False

    def allow(self) -> bool:
        """May a call start now? In half-open state only one trial call is let through."""
        if self.state == "closed":
            return True
        if self.state == "open" and self.clock() >= self._reopen_at:
            self.state = "half_open"
            self._trial_in_flight = False
        if self.state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def available_in(self) -> float:
        """Seconds until `allow()` can succeed again (0 if it can now)."""
        if self.state == "open":
            return max(self._reopen_at - self.clock(), 0.0)
        if self.state == "half_open" and self._trial_in_flight:
            return min(self.cooldown, 0.5)  # poll again soon for the trial's outcome
        return 0.0

    def record_success(self) -> None:
        self.state = "closed"
        self.failures = 0
        self._current_cooldown = 0.0
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.failure_threshold:
            if self.state == "half_open":
                self._current_cooldown = min(self._current_cooldown * 2, self.max_cooldown)
            else:
                self._current_cooldown = self.cooldown
            self.state = "open"
            self._reopen_at = self.clock() + self._current_cooldown
            self._trial_in_flight = False

    def release_trial(self) -> None:
        """A half-open trial was abandoned (cancelled) without an outcome."""
        self._trial_in_flight = False
