"""The durable inference log: every prompt and answer an expert gives, one SQLite row each.

`InferenceLogger.log()` returns only after the row is committed and fsynced (see
`afs.feedback.db` for why WAL + `synchronous=FULL`), so a crash never loses a record whose id a
client has seen. Several processes may log to the same database at once. Prompts and responses
are indexed with FTS5 for `search`.

Group commit: one fsync costs milliseconds, so concurrent `log()`/`log_many()` calls of one
process (threads, and asyncio tasks through `alog()`) are written by one committer thread in a
shared transaction with one fsync. Each caller's rows sit in their own SAVEPOINT, so a bad
batch (a duplicate id) fails alone and `log_many` stays all or nothing; every caller returns
only once the transaction holding its rows has committed. Other processes commit their own
groups; SQLite serialises them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.feedback.db import Database, StoreBusyError
from afs.paths import state_path

DB_FILENAME = "inference.db"
_DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")

# Columns a caller may set, in table order (besides `seq`, which SQLite assigns).
RECORD_FIELDS = (
    "id", "timestamp", "prompt", "system", "response", "model", "expert", "params",
    "latency_ms", "prompt_tokens", "completion_tokens", "trace_id", "parent_id", "metadata",
)
_OPTIONAL_TEXT = ("system", "expert", "trace_id", "parent_id")
_JSON_FIELDS = ("params", "metadata")
# Hits are fetched with one bound parameter each; SQLite allows 32,766 per statement.
MAX_SEARCH_LIMIT = 10_000


@dataclass(frozen=True)
class LogRecord:
    """One logged inference. `timestamp` is Unix seconds (UTC)."""

    id: str
    timestamp: float
    prompt: str
    response: str
    model: str
    system: str | None = None
    expert: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    trace_id: str | None = None
    parent_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> LogRecord:
        values = {name: row[name] for name in RECORD_FIELDS}
        for name in _JSON_FIELDS:
            values[name] = json.loads(values[name])
        return cls(seq=row["seq"], **values)

    def to_dict(self) -> dict[str, Any]:
        """The JSONL form `afs logs export` writes and `afs logs import` reads."""
        data = {name: getattr(self, name) for name in RECORD_FIELDS}
        data["timestamp"] = iso_timestamp(self.timestamp)
        return data


@dataclass(frozen=True)
class SearchHit:
    record: LogRecord
    rank: float  # FTS5 bm25: lower is a better match
    snippet: str


def iso_timestamp(seconds: float) -> str:
    """Unix seconds as an ISO 8601 UTC string with microseconds."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def parse_timestamp(
    value: Any, *, path: str | Path | None = None, line: int | None = None
) -> float:
    """Unix seconds from a number or an ISO 8601 string (a naive time is taken as UTC)."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"timestamp must be ISO 8601 text or Unix seconds, got {value!r}",
                         path=path, line=line)
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise InputError(f"timestamp must be a non-negative number, got {value!r}",
                             path=path, line=line)
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"timestamp {value!r} is not ISO 8601", path=path, line=line) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    raise InputError(f"timestamp must be ISO 8601 text or Unix seconds, got {value!r}",
                     path=path, line=line)


def validate_record(
    data: Mapping[str, Any],
    *,
    now: float,
    path: str | Path | None = None,
    line: int | None = None,
) -> tuple[Any, ...]:
    """Check one record's fields and return the row to insert (in `RECORD_FIELDS` order).

    Raises `InputError` naming the field, the file and line when given. Unknown keys are
    errors: a typo such as `respone` must not silently drop the answer.
    """

    def bad(message: str) -> InputError:
        return InputError(message, path=path, line=line)

    unknown = sorted(set(data) - set(RECORD_FIELDS))
    if unknown:
        raise bad(f"unknown record field(s) {', '.join(unknown)}; "
                  f"expected some of {', '.join(RECORD_FIELDS)}")
    for name in ("prompt", "response"):
        if not isinstance(data.get(name), str):
            raise bad(f"record field {name!r} must be a string, got {data.get(name)!r:.60}")
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad(f"record field 'model' must be a non-empty string, got {model!r:.60}")
    record_id = data.get("id")
    if record_id is None:
        record_id = uuid.uuid4().hex
    elif isinstance(record_id, int) and not isinstance(record_id, bool):
        record_id = str(record_id)  # the original log format used numeric ids in places
    elif not isinstance(record_id, str) or not record_id.strip():
        raise bad(f"record field 'id' must be a non-empty string, got {record_id!r:.60}")
    for name in _OPTIONAL_TEXT:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise bad(f"record field {name!r} must be a string or null, got {data[name]!r:.60}")
    encoded = {}
    for name in _JSON_FIELDS:
        value = data.get(name)
        if not value and (value is None or isinstance(value, dict)):
            encoded[name] = "{}"
            continue
        if not isinstance(value, dict):
            raise bad(f"record field {name!r} must be a JSON object, got {value!r:.60}")
        try:
            encoded[name] = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise bad(f"record field {name!r} is not JSON-serialisable: {exc}") from None
    latency = data.get("latency_ms")
    if latency is not None and (
        isinstance(latency, bool) or not isinstance(latency, int | float)
        or not math.isfinite(latency) or latency < 0
    ):
        raise bad(f"record field 'latency_ms' must be a non-negative number, got {latency!r}")
    for name in ("prompt_tokens", "completion_tokens"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise bad(f"record field {name!r} must be a non-negative integer, got {value!r}")
    stamp = data.get("timestamp")
    timestamp = now if stamp is None else parse_timestamp(stamp, path=path, line=line)
    return (
        record_id, timestamp, data["prompt"], data.get("system"), data["response"], model,
        data.get("expert"), encoded["params"],
        None if latency is None else float(latency),
        data.get("prompt_tokens"), data.get("completion_tokens"), data.get("trace_id"),
        data.get("parent_id"), encoded["metadata"],
    )


_INSERT_SQL = (
    f"INSERT INTO records ({', '.join(RECORD_FIELDS)}) "
    f"VALUES ({', '.join('?' for _ in RECORD_FIELDS)})"
)


def insert_records(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert validated rows (inside the caller's transaction)."""
    conn.executemany(_INSERT_SQL, rows)


def fts_query(text: str) -> str:
    """Turn plain search words into an FTS5 query: every word must appear, punctuation is
    literal (so `$7E0010` or `LDA #$10` never hit FTS5 syntax errors)."""
    words = text.split()
    if not words:
        raise InputError("search text is empty; give at least one word")
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def resolve_db_path(log_dir: str | Path | None) -> Path:
    """The database file for `log_dir`: a directory gets `inference.db` inside it, a path
    ending in .db/.sqlite/.sqlite3 (or an existing file) is the database itself."""
    if log_dir is None:
        return state_path("feedback", DB_FILENAME)
    path = Path(log_dir).expanduser()
    if path.is_file() or (not path.is_dir() and path.suffix.lower() in _DB_SUFFIXES):
        return path
    return path / DB_FILENAME


class _Pending:
    """One caller's rows waiting for the group commit, and how to tell it the outcome."""

    __slots__ = ("_future", "_gate", "done", "error", "rows")

    def __init__(self, rows: list[tuple[Any, ...]],
                 future: asyncio.Future[None] | None = None) -> None:
        self.rows = rows
        self.error: BaseException | None = None
        self.done = False
        self._future = future
        # A lock held until the commit ends: cheaper than an Event, whose Condition costs
        # more than the insert itself when thousands of rows a second go through.
        self._gate: Any = None
        if future is None:
            self._gate = threading.Lock()
            self._gate.acquire()

    def finish(self) -> None:
        """Wake a blocked `log()` now; an awaiting task through `settle_all`."""
        self.done = True
        if self._gate is not None:
            self._gate.release()

    def settle(self) -> None:
        """Give the awaiting task its outcome (on its event loop's thread)."""
        future = self._future
        if future is None or future.done():  # cancelled while it waited: the rows are stored
            return
        if self.error is None:
            future.set_result(None)
        else:
            future.set_exception(self.error)

    @staticmethod
    def settle_all(batch: list[_Pending]) -> None:
        """One wake-up per event loop for the whole group (each costs the loop a syscall
        and a pass; a busy gateway commits dozens of its requests' rows at once)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for pending in batch:
            if pending._future is not None:
                by_loop.setdefault(pending._future.get_loop(), []).append(pending)
        for loop, waiting in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, waiting)

    def wait(self) -> None:
        assert self._gate is not None
        self._gate.acquire()
        if self.error is not None:
            raise self.error


def _settle(waiting: list[_Pending]) -> None:
    for pending in waiting:
        pending.settle()


class _GroupCommitter:
    """One thread per process and logger that writes every queued batch in one transaction.

    While a transaction (and its fsync) runs, new callers queue up; the next transaction takes
    them all. A lone caller pays one thread hand-off on top of its own commit.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pid = os.getpid()
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self.unfinished = 0  # rows submitted whose transaction has not ended yet
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, pending: _Pending) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the inference logger is closed")
            self._queue.append(pending)
            self.unfinished += len(pending.rows)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="afs-log-commit")
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            # `db.write` re-runs this whole function when the database is busy. The whole
            # group goes in one statement; only when some row is refused (a duplicate id)
            # is it redone caller by caller, each in a savepoint, to find whose it was.
            for pending in batch:
                pending.error = None
            conn.execute("SAVEPOINT afs_group")
            try:
                insert_records(conn, [row for pending in batch for row in pending.rows])
                conn.execute("RELEASE afs_group")
                return
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK TO afs_group")
                conn.execute("RELEASE afs_group")
            for pending in batch:
                conn.execute("SAVEPOINT afs_log")
                try:
                    insert_records(conn, pending.rows)
                except sqlite3.IntegrityError as exc:
                    conn.execute("ROLLBACK TO afs_log")
                    pending.error = InputError(f"record id already stored ({exc})")
                conn.execute("RELEASE afs_log")

        try:
            self.db.write(write)
        except (sqlite3.Error, StoreBusyError, OSError) as exc:
            for pending in batch:
                pending.error = exc
        except BaseException as exc:  # never leave a caller waiting forever
            for pending in batch:
                pending.error = exc
            raise
        finally:
            with self._cond:
                self.unfinished -= sum(len(p.rows) for p in batch)
            for pending in batch:
                pending.finish()
            _Pending.settle_all(batch)

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._cond:
            self._closed = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()


class InferenceLogger:
    """Append-only, crash-safe log of inferences in one SQLite database.

    `log_dir` is a directory holding `inference.db`, or the database file itself; the
    default is `$AFS_HOME/feedback/inference.db`. `synchronous="FULL"` makes every `log()`
    survive power loss; `"NORMAL"` only a crashed process, at several times the rate (see
    `afs.feedback.db`). `clock` (Unix seconds) is injectable for tests.
    """

    def __init__(
        self,
        log_dir: str | Path | None = None,
        *,
        busy_timeout_s: float = 30.0,
        synchronous: str = "FULL",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db_path = resolve_db_path(log_dir)
        self.db = Database(self.db_path, busy_timeout_s=busy_timeout_s, synchronous=synchronous)
        self.clock = clock
        self._committer_lock = threading.Lock()
        self._committer: _GroupCommitter | None = None
        self.db.connection()  # create and migrate now, so a bad path fails here

    def __repr__(self) -> str:
        return f"InferenceLogger({str(self.db_path)!r})"

    def log(
        self,
        prompt: str,
        response: str,
        model: str,
        *,
        system: str | None = None,
        expert: str | None = None,
        params: Mapping[str, Any] | None = None,
        latency_ms: float | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        trace_id: str | None = None,
        parent_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        timestamp: float | str | None = None,
        record_id: str | None = None,
    ) -> str:
        """Store one inference and return its id; durable when this returns.

        `parent_id` links a record to the one it revises (a critic loop's drafts);
        `trace_id` groups the records of one request. Neither is checked against stored ids,
        because concurrent workers may log a trace's records in any order. Concurrent calls
        share one transaction and one fsync (see the module docstring).
        """
        row = self._row(prompt, response, model, system=system, expert=expert, params=params,
                        latency_ms=latency_ms, prompt_tokens=prompt_tokens,
                        completion_tokens=completion_tokens, trace_id=trace_id,
                        parent_id=parent_id, metadata=metadata, timestamp=timestamp,
                        record_id=record_id)
        self._insert([row])
        return row[0]

    async def alog(self, prompt: str, response: str, model: str, **fields: Any) -> str:
        """`log()` for asyncio code: the same durable row, awaited without blocking the loop
        (and without a thread per call: the group committer settles the future)."""
        row = self._row(prompt, response, model, **fields)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._group().submit(_Pending([row], future))
        await future
        return row[0]

    def _row(self, prompt: str, response: str, model: str, *, system: str | None = None,
             expert: str | None = None, params: Mapping[str, Any] | None = None,
             latency_ms: float | None = None, prompt_tokens: int | None = None,
             completion_tokens: int | None = None, trace_id: str | None = None,
             parent_id: str | None = None, metadata: Mapping[str, Any] | None = None,
             timestamp: float | str | None = None, record_id: str | None = None,
             ) -> tuple[Any, ...]:
        data = {
            "id": record_id, "timestamp": timestamp, "prompt": prompt, "system": system,
            "response": response, "model": model, "expert": expert,
            "params": dict(params) if params is not None else None,
            "latency_ms": latency_ms, "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens, "trace_id": trace_id,
            "parent_id": parent_id,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        return validate_record(data, now=self.clock())

    def log_many(self, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store many records in one transaction (all or none); return their ids in order.

        Each mapping takes the keyword names of `log()` (`id` for `record_id`).
        """
        rows = self._rows(records)
        self._insert(rows)
        return [row[0] for row in rows]

    def _rows(self, records: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        now = self.clock()
        rows = []
        for index, record in enumerate(records):
            data = dict(record)
            if "record_id" in data:
                data["id"] = data.pop("record_id")
            try:
                rows.append(validate_record(data, now=now))
            except InputError as exc:
                raise InputError(f"record {index}: {exc.message}") from None
        return rows

    async def alog_many(self, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """`log_many()` for asyncio code: one transaction (all or none), awaited without
        blocking the loop."""
        rows = self._rows(records)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._group().submit(_Pending(rows, future))
        await future
        return [row[0] for row in rows]

    def _group(self) -> _GroupCommitter:
        """This process's committer (a forked child must not use its parent's thread)."""
        with self._committer_lock:
            if self._committer is None or self._committer.pid != os.getpid():
                self._committer = _GroupCommitter(self.db)
            return self._committer

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        pending = _Pending(rows)
        self._group().submit(pending)
        pending.wait()

    def get(self, record_id: str) -> LogRecord:
        """The record with this id; `InputError` if there is none."""
        row = self.db.read(
            lambda conn: conn.execute("SELECT * FROM records WHERE id = ?", (record_id,))
            .fetchone()
        )
        if row is None:
            raise InputError(f"no inference record with id {record_id!r} in {self.db_path}")
        return LogRecord.from_row(row)

    def exists(self, record_id: str) -> bool:
        return self.db.read(
            lambda conn: conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,))
            .fetchone()
        ) is not None

    def count(self) -> int:
        return self.db.read(lambda conn: conn.execute("SELECT count(*) FROM records").fetchone()[0])

    def records(
        self,
        *,
        since: float | None = None,
        model: str | None = None,
        expert: str | None = None,
        batch: int = 1000,
    ) -> Iterator[LogRecord]:
        """Every record in log order, optionally only newer than `since` or one model/expert.

        Read in keyset-paginated batches, so a large log is never held in memory at once.
        """
        clauses, args = ["seq > ?"], []
        if since is not None:
            clauses.append("timestamp >= ?")
            args.append(since)
        if model is not None:
            clauses.append("model = ?")
            args.append(model)
        if expert is not None:
            clauses.append("expert = ?")
            args.append(expert)
        sql = f"SELECT * FROM records WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?"
        last = 0
        while True:
            rows = self.db.read(
                lambda conn, last=last: conn.execute(sql, (last, *args, batch)).fetchall()
            )
            for row in rows:
                yield LogRecord.from_row(row)
            if len(rows) < batch:
                return
            last = rows[-1]["seq"]

    def recent(self, limit: int = 50) -> list[LogRecord]:
        """The `limit` newest records, newest first (what the gateway's rating page lists)."""
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
        rows = self.db.read(lambda conn: conn.execute(
            "SELECT * FROM records ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall())
        return [LogRecord.from_row(row) for row in rows]

    def search(self, text: str, *, limit: int = 20, raw: bool = False) -> list[SearchHit]:
        """Full-text search over prompts and responses, best match first.

        Plain words must all appear; with `raw=True`, `text` is FTS5 query syntax
        (`OR`, `NEAR`, `prompt:` column filters, `"phrases"`, `prefix*`).
        """
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise InputError(f"search limit must be from 1 to {MAX_SEARCH_LIMIT}, got {limit}")
        query = text if raw else fts_query(text)
        if not query.strip():
            raise InputError("search text is empty; give at least one word")

        def find(conn: sqlite3.Connection) -> list[SearchHit]:
            # Rank first, then fetch rows and snippets for the top hits only: joining or
            # snippeting every match before the sort costs 1.5-2x on broad queries.
            top = conn.execute(
                "SELECT rowid, bm25(records_fts) AS rank FROM records_fts "
                "WHERE records_fts MATCH ? ORDER BY rank LIMIT ?", (query, limit),
            ).fetchall()
            if not top:
                return []
            seqs = [row[0] for row in top]
            marks = ", ".join("?" for _ in seqs)
            rows = {row["seq"]: row for row in conn.execute(
                f"SELECT * FROM records WHERE seq IN ({marks})", seqs)}
            snippets = dict(conn.execute(
                "SELECT rowid, snippet(records_fts, -1, '[', ']', '…', 16) FROM records_fts "
                f"WHERE records_fts MATCH ? AND rowid IN ({marks})", (query, *seqs),
            ).fetchall())
            return [SearchHit(LogRecord.from_row(rows[seq]), rank, snippets.get(seq, ""))
                    for seq, rank in top]

        try:
            return self.db.read(find)
        except sqlite3.OperationalError as exc:
            raise InputError(f"bad search query {text!r}: {exc}") from None

    def close(self) -> None:
        """Commit what other threads queued, then close the connection."""
        with self._committer_lock:
            committer, self._committer = self._committer, None
        if committer is not None and committer.pid == os.getpid():
            committer.close()
        self.db.close()

    def __enter__(self) -> InferenceLogger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
