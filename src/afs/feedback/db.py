"""The SQLite connection the feedback store runs on: WAL, FULL sync, retried writes.

Why these settings:
- WAL lets readers (search, export) run while writers append, and lets several processes
  (gateway workers, the CLI) write the same file; SQLite serialises the writers.
- `synchronous=FULL` (the default): in WAL mode every commit fsyncs the log, so a `log()` that
  returned survives an OS crash or power loss, not only a killed process. `NORMAL` skips that
  fsync (the WAL is synced at checkpoints): a commit still survives `kill -9` of the writer,
  because it is in the OS page cache, but the last commits can vanish on power loss. FULL
  costs one fsync per commit (0.2-4 ms here, depending on disk load); `log_many` amortises it.
- Writes open with `BEGIN IMMEDIATE`, so the write lock is taken before anything is read; a
  deferred transaction that upgrades to a write can fail with SQLITE_BUSY_SNAPSHOT, which no
  amount of waiting fixes without restarting the transaction.
- Busy waiting is ours, not SQLite's: its built-in busy handler sleeps in steps of 1, 2, 5,
  10 ... 100 ms, so a waiting writer oversleeps while others commit (4 writers got 1.6x less
  throughput with it). Every operation instead retries SQLITE_BUSY/SQLITE_LOCKED with jittered
  backoff from 0.1 ms, capped at 2 ms, until `busy_timeout_s`, then raises `StoreBusyError`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from afs.errors import AfsError, InputError
from afs.feedback.schema import migrate

T = TypeVar("T")

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
SYNCHRONOUS_MODES = ("FULL", "NORMAL")


class StoreBusyError(AfsError):
    """The database stayed locked by other writers past the deadline."""


def is_busy(exc: sqlite3.Error) -> bool:
    """True when `exc` is SQLITE_BUSY or SQLITE_LOCKED (any extended code)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


class Database:
    """One SQLite file shared by threads of this process and by other processes.

    A connection is opened lazily per process (a connection must not cross `fork`) and used
    under a lock, so one `Database` may be shared by threads.
    """

    def __init__(
        self, path: Path, *, busy_timeout_s: float = 30.0, synchronous: str = "FULL"
    ) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise InputError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, "
                             f"got {synchronous!r}")
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.synchronous = synchronous
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        # Connections inherited over fork are kept referenced, never closed: closing one in
        # the child could touch the parent's WAL locks. A child opens its own.
        self._inherited: list[sqlite3.Connection] = []

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path,
            timeout=0,  # busy waits are retried by `_retry` (see the module docstring)
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        try:
            self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone())
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._retry(lambda: self._in_write(conn, migrate))
        except BaseException:
            conn.close()
            raise
        return conn

    def connection(self) -> sqlite3.Connection:
        """This process's connection, opened (and migrated) on first use."""
        with self._lock:
            if self._conn is not None and self._pid != os.getpid():
                self._inherited.append(self._conn)
                self._conn = None
            if self._conn is None:
                self._conn = self._connect()
                self._pid = os.getpid()
            return self._conn

    @staticmethod
    def _in_write(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _retry(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.0001
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{self.path}: database stayed locked for {self.busy_timeout_s:.0f} s"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.002)

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in one write transaction; re-run it whole if the DB is busy."""
        with self._lock:
            conn = self.connection()
            return self._retry(lambda: self._in_write(conn, fn))


    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in one read transaction (a consistent snapshot)."""
        with self._lock:
            conn = self.connection()

            def attempt() -> T:
                conn.execute("BEGIN")
                try:
                    return fn(conn)
                finally:
                    conn.execute("COMMIT")

            return self._retry(attempt)

    def close(self) -> None:
        """Close this process's connection (a later call reopens it)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
