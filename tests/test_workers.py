"""`afs.workers.ProcessPool`: results, exceptions, crashes, several event loops, no threads."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from afs.errors import AfsError
from afs.workers import ProcessPool, WorkerCrashed


def _pid_after(value: int) -> tuple[int, int]:
    return value, os.getpid()


def _fail(message: str) -> None:
    raise ValueError(message)


def _die() -> None:
    os._exit(3)


def test_results_come_back_from_other_processes_in_order_of_the_calls():
    with ProcessPool(2) as pool:
        async def main() -> list[tuple[int, int]]:
            return await asyncio.gather(*(pool.run(_pid_after, i) for i in range(50)))

        threads_before = threading.active_count()
        results = asyncio.run(main())
        # Driven by the event loop itself: no manager or feeder thread in this process.
        assert threading.active_count() == threads_before
    assert [value for value, _ in results] == list(range(50))
    assert os.getpid() not in {pid for _, pid in results}
    assert len({pid for _, pid in results}) <= 2


def test_an_exception_reaches_the_caller_and_the_pool_keeps_working():
    with ProcessPool(1) as pool:
        async def main() -> int:
            with pytest.raises(ValueError, match="bad input 7"):
                await pool.run(_fail, "bad input 7")
            return (await pool.run(_pid_after, 5))[0]

        assert asyncio.run(main()) == 5


def test_a_dead_worker_fails_its_job_and_is_replaced():
    with ProcessPool(1) as pool:
        async def main() -> int:
            with pytest.raises(WorkerCrashed, match="exit code 3"):
                await pool.run(_die)
            return (await pool.run(_pid_after, 9))[0]

        assert asyncio.run(main()) == 9


def test_one_pool_serves_one_event_loop_after_another_and_refuses_work_once_closed():
    pool = ProcessPool(1)
    first = asyncio.run(pool.run(_pid_after, 1))
    second = asyncio.run(pool.run(_pid_after, 2))
    assert (first[0], second[0]) == (1, 2) and first[1] == second[1]  # same worker
    pool.close()
    with pytest.raises(AfsError, match="closed"):
        asyncio.run(pool.run(_pid_after, 3))


def test_cancelled_waiters_do_not_block_the_others():
    with ProcessPool(1, per_worker=1) as pool:
        async def main() -> list[int]:
            doomed = [asyncio.ensure_future(pool.run(_pid_after, i)) for i in range(5)]
            await asyncio.sleep(0)
            for task in doomed[1:]:
                task.cancel()
            kept = await asyncio.gather(*(pool.run(_pid_after, i) for i in range(10, 13)))
            return [(await doomed[0])[0], *(value for value, _ in kept)]

        assert asyncio.run(main()) == [0, 10, 11, 12]
