"""`TeacherEnsemble`: pick a teacher per request, keep each inside its limits, survive outages.

Strategies: ``failover`` (list order is priority: the first healthy teacher serves),
``round_robin`` and ``weighted`` (random, proportional to `Teacher.weight`, seeded).

Each call is one *sample*: it may try several teachers, but at most `max_attempts` calls in
all (each call already includes the one retry loop of `afs.models.retry`). A teacher whose
calls keep failing opens its circuit breaker and comes back after a cooldown; a fatal error
(bad key, unknown model) disables it with one clear message; a 429 pauses the whole teacher
for the server's Retry-After. When no teacher can serve, `NoTeacherAvailableError` says why.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from afs.distillation.limiter import CircuitBreaker, Clock, Sleep, TeacherLimiter
from afs.distillation.teacher import PROVIDER_TEACHERS, Teacher
from afs.errors import AfsError
from afs.models.base import Completion, FatalError, MessageLike, ModelError, RateLimitedError
from afs.models.retry import RetryStats, observe_retries

log = logging.getLogger("afs.distillation")

STRATEGIES = ("failover", "round_robin", "weighted")


class NoTeacherAvailableError(AfsError):
    """No teacher could answer within the attempt and wait budget."""


@dataclass
class TeacherStats:
    """Per-teacher counters. `requests` are the ensemble's calls (`successes` + `failures`
    + the ones a 429 ended); `attempts`, `retries`, `rate_limited` (every 429 response),
    `server_errors` (every 5xx) and `transient_errors` (timeouts, resets, bad bodies) count
    what the retry loop of `afs.models.retry` did inside those calls."""

    requests: int = 0
    successes: int = 0
    failures: int = 0
    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    transient_errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    last_error: str = ""


@dataclass
class _TeacherState:
    teacher: Teacher
    limiter: TeacherLimiter
    breaker: CircuitBreaker
    stats: TeacherStats = field(default_factory=TeacherStats)
    disabled: str = ""

    def wait_time(self) -> float:
        return max(self.breaker.available_in(), self.limiter.paused_for)


@dataclass(frozen=True)
class TeacherReply:
    """A teacher's answer and which teacher gave it."""

    completion: Completion
    teacher: str


def _merge(stats: TeacherStats, seen: RetryStats, error: ModelError | None) -> None:
    """Add one call's retry-loop counts to the teacher's; a model that bypasses the loop
    still counts as one attempt with its outcome."""
    if seen.attempts == 0:
        seen.attempts = 1
        if error is not None:
            seen.record(error)
    stats.attempts += seen.attempts
    stats.retries += seen.retries
    stats.rate_limited += seen.rate_limited
    stats.server_errors += seen.server_errors
    stats.transient_errors += seen.transient_errors


def estimate_tokens(messages: Sequence[MessageLike], max_tokens: int | None) -> int:
    """Rough token count for the tokens/min limit: ~4 characters a token, plus the budget."""
    chars = sum(len(m.content if hasattr(m, "content") else str(m.get("content", "")))
                for m in messages)
    return chars // 4 + (max_tokens or 0)


class TeacherEnsemble:
    """Several teachers behind one `complete()`; see the module docstring."""

    def __init__(
        self,
        teachers: Sequence[Teacher],
        *,
        strategy: str = "failover",
        max_attempts: int = 6,
        max_wait: float = 300.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 10.0,
        default_pause: float = 5.0,
        seed: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not teachers:
            raise AfsError("a TeacherEnsemble needs at least one teacher")
        if strategy not in STRATEGIES:
            raise AfsError(
                f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}"
            )
        names = [t.name for t in teachers]
        if len(set(names)) != len(names):
            raise AfsError(f"teacher names must be unique, got {names}")
        self.strategy = strategy
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.default_pause = default_pause
        self._clock = clock
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._next = 0
        self._states = [
            _TeacherState(
                teacher=t,
                limiter=TeacherLimiter(
                    requests_per_minute=t.requests_per_minute,
                    tokens_per_minute=t.tokens_per_minute,
                    max_concurrency=t.max_concurrency,
                    clock=clock,
                    sleep=sleep,
                ),
                breaker=CircuitBreaker(
                    failure_threshold=breaker_threshold, cooldown=breaker_cooldown, clock=clock
                ),
            )
            for t in teachers
        ]

    def __repr__(self) -> str:
        return f"TeacherEnsemble(strategy={self.strategy!r}, teachers={self.names!r})"

    @property
    def teachers(self) -> list[Teacher]:
        return [s.teacher for s in self._states]

    @property
    def names(self) -> list[str]:
        return [s.teacher.name for s in self._states]

    @classmethod
    def default_ensemble(cls, *, strategy: str = "failover", **options: Any) -> TeacherEnsemble:
        """Every cloud teacher whose key variable is set, in the spec's order."""
        teachers = [kind() for kind in PROVIDER_TEACHERS if kind.configured()]
        if not teachers:
            wanted = "; ".join(
                f"{kind.__name__}: {' or '.join(kind.env_vars)}" for kind in PROVIDER_TEACHERS
            )
            raise AfsError(
                f"no teacher is configured; set at least one API key variable ({wanted})"
            )
        return cls(teachers, strategy=strategy, **options)

    def status(self) -> list[dict[str, Any]]:
        """Per-teacher health and counters (no secrets)."""
        rows = []
        for s in self._states:
            rows.append({
                "name": s.teacher.name,
                "provider": s.teacher.provider,
                "model": s.teacher.model_name,
                "state": "disabled" if s.disabled else s.breaker.state,
                "disabled_reason": s.disabled,
                **vars(s.stats),
            })
        return rows

    def _order(self, candidates: list[_TeacherState]) -> list[_TeacherState]:
        if self.strategy == "failover" or not candidates:
            return candidates
        if self.strategy == "round_robin":
            start = self._next % len(candidates)
            self._next += 1
            return candidates[start:] + candidates[:start]
        remaining = list(candidates)
        ordered = []
        while remaining:
            pick = self._rng.choices(remaining, weights=[s.teacher.weight for s in remaining])[0]
            ordered.append(pick)
            remaining.remove(pick)
        return ordered

    def _pick(self, tried: set[str]) -> _TeacherState | None:
        """The next teacher to try, preferring ones not yet tried for this sample."""
        ready = [s for s in self._states if not s.disabled and s.wait_time() <= 0]
        fresh = [s for s in ready if s.teacher.name not in tried]
        for state in self._order(fresh or ready):
            if state.breaker.allow():
                return state
        return None

    def _disable(self, state: _TeacherState, error: ModelError) -> None:
        if state.disabled:
            return
        names = state.teacher.key_env
        hint = ""
        if names and not any(name in str(error) for name in names):
            hint = f" (check {' or '.join(names)})"
        state.disabled = f"{error}{hint}"
        log.error("teacher %s disabled: %s", state.teacher.name, state.disabled)

    async def complete(
        self,
        messages: Sequence[MessageLike],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> TeacherReply:
        """Answer one request through some teacher, within the attempt and wait budgets."""
        tried: set[str] = set()
        errors: list[str] = []
        attempts = 0
        waited = 0.0
        estimate = estimate_tokens(messages, max_tokens)
        while attempts < self.max_attempts:
            state = self._pick(tried)
            if state is None:
                live = [s for s in self._states if not s.disabled]
                if not live:
                    reasons = "; ".join(f"{s.teacher.name}: {s.disabled}" for s in self._states)
                    raise NoTeacherAvailableError(f"every teacher is disabled ({reasons})")
                delay = max(min(s.wait_time() for s in live), 0.01)
                if waited + delay > self.max_wait:
                    raise NoTeacherAvailableError(
                        f"no teacher became available within {self.max_wait:g}s "
                        f"(last errors: {'; '.join(errors[-3:]) or 'none'})"
                    )
                waited += delay
                await self._sleep(delay)
                continue
            attempts += 1
            tried.add(state.teacher.name)
            reply = await self._attempt(state, messages, estimate, errors,
                                        temperature=temperature, max_tokens=max_tokens, seed=seed)
            if reply is not None:
                return reply
        raise NoTeacherAvailableError(
            f"no teacher answered after {attempts} attempts ({'; '.join(errors[-3:])})"
        )

    async def _attempt(
        self, state: _TeacherState, messages: Sequence[MessageLike], estimate: int,
        errors: list[str], **params: Any,
    ) -> TeacherReply | None:
        """One call to one teacher; records the outcome and returns None on failure."""
        stats = state.stats
        lease = await state.limiter.acquire(estimate)
        actual: int | None = None
        outcome = False
        seen = RetryStats()
        try:
            stats.requests += 1
            try:
                with observe_retries(seen):
                    completion = await state.teacher.complete(messages, **params)
            except ModelError as error:
                _merge(stats, seen, error)
                raise
            _merge(stats, seen, None)
            outcome = True
        except FatalError as error:
            self._disable(state, error)
            errors.append(f"{state.teacher.name}: {error}")
            stats.failures += 1
            stats.last_error = str(error)
            return None
        except RateLimitedError as error:
            # The retry loop already waited out what it could; pause the whole teacher so
            # the other workers stop hammering it, without counting it as broken.
            state.limiter.pause(error.retry_after if error.retry_after else self.default_pause)
            stats.last_error = str(error)
            errors.append(f"{state.teacher.name}: {error}")
            return None
        except ModelError as error:
            state.breaker.record_failure()
            stats.failures += 1
            stats.last_error = str(error)
            errors.append(f"{state.teacher.name}: {error}")
            return None
        finally:
            # A half-open trial that ended without a verdict (429, bad key, cancellation)
            # must not block the teacher forever.
            if not outcome and state.breaker.state == "half_open":
                state.breaker.release_trial()
            if outcome:
                actual = completion.usage.total_tokens or None
            lease.release(actual)
        state.breaker.record_success()
        stats.successes += 1
        stats.prompt_tokens += completion.usage.prompt_tokens
        stats.completion_tokens += completion.usage.completion_tokens
        stats.cost += completion.cost or 0.0
        return TeacherReply(completion, state.teacher.name)

    async def aclose(self) -> None:
        for state in self._states:
            await state.teacher.aclose()
