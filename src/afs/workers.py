"""`ProcessPool`: CPU-bound work (filters, scoring, offline experts) off the event loop.

`await pool.run(fn, *args)` runs a module-level function in a worker process and returns its
result (or raises its exception). Unlike `loop.run_in_executor(ProcessPoolExecutor(), ...)`,
no thread of the calling process takes part: jobs go down a pipe per worker and results are
read by the event loop itself (`add_reader`). With a `concurrent.futures` pool, every job
wakes a manager thread and a feeder thread, whose GIL hand-offs cost the event loop
milliseconds per job under load. Workers are forked where the OS can (they start at once and
share the parent's imported modules; `forkserver` and `spawn` re-import the main script in
every worker, seconds on a loaded 2-core machine) and all at once on first use, by
default one per CPU this process may use, each running `initializer` once; at most
`per_worker` jobs wait at a worker, the rest in the pool's own queue. A worker that dies fails
its jobs with `WorkerCrashed` and is replaced. One pool serves any number of event loops one
after another (`asyncio.run` twice); `close()` stops the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import signal
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from afs.errors import AfsError

# A job larger than this waits for an idle worker, so a full pipe can never block the loop.
_LARGE_JOB = 32 * 1024


class WorkerCrashed(AfsError):
    """A worker process died while it held the job."""


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _worker_main(conn: Any, initializer: Callable[[], None] | None,
                 inherited: list[Any]) -> None:
    # Ctrl-C goes to the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker holds copies of the parent's ends of every worker's pipe: closed, the
    # pipes reach EOF when the parent dies, even by kill -9, and the workers exit with it
    # (rather than keeping the parent's stdout open for whoever waits on it).
    for other in inherited:
        with contextlib.suppress(OSError):
            other.close()
    parent = os.getppid()
    if initializer is not None:
        initializer()
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != parent:  # orphaned
                    return
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not message:
            return
        job, fn, args = pickle.loads(message)
        try:
            reply = (job, True, fn(*args))
        except BaseException as exc:  # the caller gets it, like a local call
            reply = (job, False, exc)
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception
            data = pickle.dumps((job, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        conn.send_bytes(data)


def _stop_workers(workers: list[_Worker]) -> None:
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.conn.send_bytes(b"")
    for worker in workers:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        with contextlib.suppress(OSError):
            worker.conn.close()
    workers.clear()


@dataclass
class _Worker:
    process: Any
    conn: Any
    jobs: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None


class ProcessPool:
    """Worker processes driven from the event loop; see the module docstring."""

    def __init__(self, workers: int | None = None, *,
                 initializer: Callable[[], None] | None = None, per_worker: int = 2) -> None:
        self.size = available_cpus() if workers is None else workers
        if self.size < 1:
            raise AfsError(f"a process pool needs at least one worker, got {workers}")
        self.initializer = initializer
        self.per_worker = max(1, per_worker)
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._workers: list[_Worker] = []
        self._waiting: deque[tuple[bytes, asyncio.Future[Any], int]] = deque()
        self._next_job = 0
        self._closed = False
        # Workers of a pool nobody closed stop when it is collected, not at interpreter exit.
        weakref.finalize(self, _stop_workers, self._workers)

    def __repr__(self) -> str:
        return f"ProcessPool(workers={self.size})"

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        forked = self._context.get_start_method() == "fork"
        inherited = [parent, *(w.conn for w in self._workers)] if forked else []
        process = self._context.Process(target=_worker_main,
                                        args=(child, self.initializer, inherited),
                                        daemon=True, name="afs-worker")
        process.start()
        child.close()
        return _Worker(process, parent)

    def _attach(self, worker: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        if worker.loop is loop:
            return
        if worker.loop is not None and not worker.loop.is_closed():
            worker.loop.remove_reader(worker.conn.fileno())
        loop.add_reader(worker.conn.fileno(), self._on_readable, worker)
        worker.loop = loop

    def start(self) -> None:
        """Start the workers now rather than on the first job (before this process starts
        threads of its own, say)."""
        if self._closed:
            raise AfsError("the process pool is closed")
        if not self._workers:
            self._workers.extend(self._start_worker() for _ in range(self.size))

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` in a worker; `fn` and the arguments must pickle (module-level)."""
        if self._closed:
            raise AfsError("the process pool is closed")
        loop = asyncio.get_running_loop()
        self.start()
        for worker in self._workers:
            self._attach(worker, loop)
        self._next_job += 1
        job = self._next_job
        data = pickle.dumps((job, fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((data, future, job))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        while self._waiting:
            data, future, job = self._waiting[0]
            if future.done():  # cancelled while it waited
                self._waiting.popleft()
                continue
            limit = 1 if len(data) > _LARGE_JOB else self.per_worker
            worker = min(self._workers, key=lambda w: len(w.jobs))
            if len(worker.jobs) >= limit:
                return
            self._waiting.popleft()
            try:
                worker.conn.send_bytes(data)
            except OSError:
                self._replace(worker, future_first=future)
                continue
            worker.jobs[job] = future

    def _on_readable(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll(0):
                job, ok, value = pickle.loads(worker.conn.recv_bytes())
                future = worker.jobs.pop(job, None)
                if future is None or future.done() or future.get_loop().is_closed():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (EOFError, OSError):
            self._replace(worker)
        self._dispatch()

    def _replace(self, worker: _Worker, future_first: asyncio.Future[Any] | None = None) -> None:
        """A worker died: fail its jobs and start another in its place."""
        worker.process.join(timeout=1)  # its pipe closed: it is exiting, reap it
        code = worker.process.exitcode
        error = WorkerCrashed(f"a worker process died (exit code {code}) while running a job")
        for future in [*([future_first] if future_first else []), *worker.jobs.values()]:
            if not future.done() and not future.get_loop().is_closed():
                future.set_exception(error)
        worker.jobs.clear()
        if worker.loop is not None and not worker.loop.is_closed():
            worker.loop.remove_reader(worker.conn.fileno())
        with contextlib.suppress(OSError):
            worker.conn.close()
        index = self._workers.index(worker)
        if self._closed:
            self._workers.pop(index)
            return
        fresh = self._start_worker()
        if worker.loop is not None and not worker.loop.is_closed():
            self._attach(fresh, worker.loop)
        self._workers[index] = fresh

    def close(self) -> None:
        """Stop the workers (jobs still running are abandoned); a closed pool stays closed."""
        self._closed = True
        for worker in self._workers:
            if worker.loop is not None and not worker.loop.is_closed():
                with contextlib.suppress(Exception):
                    worker.loop.remove_reader(worker.conn.fileno())
        _stop_workers(self._workers)
        for _, future, _ in self._waiting:
            if not future.done() and not future.get_loop().is_closed():
                future.set_exception(AfsError("the process pool was closed"))
        self._waiting.clear()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
