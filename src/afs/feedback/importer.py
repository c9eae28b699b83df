"""`afs logs import` / `export`: the inference log as JSONL.

A file mixes two kinds of line (the original AFS log format, which `export` also writes):

- records: `{"id", "timestamp", "prompt", "response", "model", "expert", "latency_ms",
  "metadata", ...}` (any field of `RECORD_FIELDS`; `id` and `timestamp` may be omitted);
- feedback: `{"record_id", "score", "text", "correction", "source", "timestamp"}`, naming a
  record already stored or one earlier in the file.

An import is all or nothing: every line is validated first, then everything is written in one
transaction, so a corrupt line (reported as file:line) leaves the database as it was. Importing
the same file twice adds nothing: a record whose id is stored with the same content, or a vote
identical to a stored one, is skipped; an id stored with *different* content is an error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.feedback.collector import FEEDBACK_FIELDS, insert_feedback, validate_feedback
from afs.feedback.logger import (
    RECORD_FIELDS,
    InferenceLogger,
    insert_records,
    iso_timestamp,
    parse_timestamp,
    validate_record,
)
from afs.jsonl import iter_jsonl

# Timestamps go through ISO text with microseconds on export, so a re-import compares them
# with this tolerance (seconds).
_TIME_TOLERANCE = 1e-3


@dataclass
class ImportResult:
    records_added: int = 0
    records_skipped: int = 0
    feedback_added: int = 0
    feedback_skipped: int = 0


def _same_record(stored: sqlite3.Row | tuple[Any, ...], row: tuple[Any, ...],
                 timed: bool) -> bool:
    """Equal content; a line without a timestamp matches any stored time."""
    for index, (name, value) in enumerate(zip(RECORD_FIELDS, row, strict=True)):
        old = stored[index]
        if name == "timestamp":
            if timed and abs(old - value) > _TIME_TOLERANCE:
                return False
        elif old != value:
            return False
    return True


def import_jsonl(logger: InferenceLogger, path: str | Path) -> ImportResult:
    """Import records and feedback from a JSONL file (see the module docstring)."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a directory, expected a file", path=path)
    if not path.is_file():
        raise InputError("no such file", path=path)
    now = logger.clock()
    records: list[tuple[int, tuple[Any, ...], bool]] = []
    votes: list[tuple[int, tuple[str, float, str | None, str | None, str], float | None]] = []
    for number, data in _numbered(path):
        if "prompt" in data or "response" in data:
            row = validate_record(data, now=now, path=path, line=number)
            records.append((number, row, data.get("timestamp") is not None))
        elif "record_id" in data:
            entry = validate_feedback(data, path=path, line=number)
            stamp = data.get("timestamp")
            when = None if stamp is None else parse_timestamp(stamp, path=path, line=number)
            votes.append((number, entry, when))
        else:
            raise InputError(
                "expected a record (with prompt, response, model) or a feedback line "
                f"(with record_id, score); got keys {', '.join(sorted(data)) or 'none'}",
                path=path, line=number,
            )

    def write(conn: sqlite3.Connection) -> ImportResult:
        result = ImportResult()
        pending: dict[str, tuple[Any, ...]] = {}
        columns = ", ".join(RECORD_FIELDS)
        for number, row, timed in records:
            previous = pending.get(row[0]) or conn.execute(
                f"SELECT {columns} FROM records WHERE id = ?", (row[0],)
            ).fetchone()
            if previous is None:
                pending[row[0]] = row
                continue
            if not _same_record(previous, row, timed):
                raise InputError(
                    f"record id {row[0]!r} is already stored with different content",
                    path=path, line=number,
                )
            result.records_skipped += 1
        insert_records(conn, list(pending.values()))
        result.records_added = len(pending)
        for number, entry, when in votes:
            record_id = entry[0]
            if conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone() is None:
                raise InputError(
                    f"feedback names record id {record_id!r}, which is neither stored nor "
                    "earlier in this file", path=path, line=number,
                )
            if _vote_stored(conn, entry, when):
                result.feedback_skipped += 1
                continue
            insert_feedback(conn, entry, now if when is None else when)
            result.feedback_added += 1
        return result

    return logger.db.write(write)


def _vote_stored(
    conn: sqlite3.Connection,
    entry: tuple[str, float, str | None, str | None, str],
    when: float | None,
) -> bool:
    sql = ("SELECT 1 FROM feedback WHERE record_id = ? AND score = ? AND text IS ? "
           "AND correction IS ? AND source = ?")
    args: list[Any] = list(entry)
    if when is not None:
        sql += " AND abs(timestamp - ?) <= ?"
        args += [when, _TIME_TOLERANCE]
    return conn.execute(sql, args).fetchone() is not None


def _numbered(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; `iter_jsonl` skips blank lines, so the
    numbers are recovered from the raw file."""
    with path.open("rb") as handle:
        numbers = [n for n, raw in enumerate(handle, start=1) if raw.strip()]
    yield from zip(numbers, iter_jsonl(path), strict=True)


def export_lines(logger: InferenceLogger, *, since: float | None = None) -> Iterator[dict]:
    """Every record (optionally from `since` on), then every vote on those records, in the
    format `import_jsonl` reads."""
    ids = set()
    for record in logger.records(since=since):
        ids.add(record.id)
        yield record.to_dict()
    rows = logger.db.read(
        lambda conn: conn.execute("SELECT * FROM feedback ORDER BY id").fetchall()
    )
    for row in rows:
        if row["record_id"] in ids:
            data = {name: row[name] for name in FEEDBACK_FIELDS}
            data["timestamp"] = iso_timestamp(row["timestamp"])
            yield data
