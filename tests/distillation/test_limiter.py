"""The per-teacher limiter (sliding windows, concurrency, pauses) and the circuit breaker."""

from __future__ import annotations

import asyncio

import pytest

from afs.distillation.limiter import CircuitBreaker, SlidingWindow, TeacherLimiter


class FakeTime:
    """A clock that advances only when a waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_sliding_window_wait_time_is_exact():
    window = SlidingWindow(3, window=60.0)
    for t in (0.0, 10.0, 20.0):
        assert window.wait_time(1, t) == 0
        window.admit(1, t)
    assert window.wait_time(1, 30.0) == pytest.approx(30.0)  # the t=0 entry leaves at 60
    assert window.wait_time(1, 60.0) == 0


def test_oversized_request_is_admitted_into_an_empty_window():
    window = SlidingWindow(100)
    assert window.wait_time(500, 0.0) == 0
    window.admit(500, 0.0)
    assert window.wait_time(1, 1.0) == pytest.approx(59.0)


async def test_requests_per_minute_never_exceeded_in_any_window():
    fake = FakeTime()
    limiter = TeacherLimiter(requests_per_minute=5, clock=fake.clock, sleep=fake.sleep)
    admitted = []
    for _ in range(17):
        lease = await limiter.acquire()
        admitted.append(fake.now)
        lease.release()
    for start in admitted:
        in_window = [t for t in admitted if start <= t < start + 60.0]
        assert len(in_window) <= 5
    assert admitted[5] == pytest.approx(60.0)  # the sixth waits a full window
    assert admitted[-1] == pytest.approx(180.0)


async def test_tokens_per_minute_uses_actual_usage():
    fake = FakeTime()
    limiter = TeacherLimiter(tokens_per_minute=1000, clock=fake.clock, sleep=fake.sleep)
    lease = await limiter.acquire(900)
    lease.release(actual_tokens=100)  # the estimate was pessimistic
    await limiter.acquire(800)  # fits now: 100 + 800 <= 1000
    assert fake.now == 0.0
    await limiter.acquire(200)  # 1100 > 1000: waits for the first entry to leave
    assert fake.now == pytest.approx(60.0)


async def test_concurrency_cap_is_enforced():
    limiter = TeacherLimiter(max_concurrency=3)
    active = 0
    peak = 0

    async def job() -> None:
        nonlocal active, peak
        lease = await limiter.acquire()
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        lease.release()

    await asyncio.gather(*(job() for _ in range(20)))
    assert peak == 3


async def test_pause_delays_admission():
    fake = FakeTime()
    limiter = TeacherLimiter(clock=fake.clock, sleep=fake.sleep)
    limiter.pause(7.5)
    assert limiter.paused_for == pytest.approx(7.5)
    await limiter.acquire()
    assert fake.now == pytest.approx(7.5)


async def test_cancelled_waiter_gives_its_slot_back():
    limiter = TeacherLimiter(max_concurrency=1, requests_per_minute=1)
    first = await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    first.release()
    assert limiter._slots is not None and not limiter._slots.locked()


def test_breaker_opens_cools_down_and_closes():
    fake = FakeTime()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=10.0, clock=fake.clock)
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.available_in() == pytest.approx(10.0)
    fake.now = 10.0
    assert breaker.allow()  # the one half-open trial
    assert not breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_cooldown_doubles_after_failed_trial():
    fake = FakeTime()
    breaker = CircuitBreaker(failure_threshold=1, cooldown=5.0, max_cooldown=12.0,
                             clock=fake.clock)
    breaker.record_failure()
    fake.now = 5.0
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.available_in() == pytest.approx(10.0)
    fake.now = 15.0
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.available_in() == pytest.approx(12.0)  # capped
