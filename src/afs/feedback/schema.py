"""The feedback store's schema: an ordered list of migrations, tracked by `PRAGMA user_version`.

Migration N (1-based) moves a database from version N-1 to N. Add a function to the end of
`MIGRATIONS` to change the schema; never edit one that has shipped. `migrate` runs inside the
caller's write transaction, so two processes opening a new database cannot both apply it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from afs.errors import AfsError


class SchemaError(AfsError):
    """The database cannot be opened by this AFS (too new, or SQLite lacks FTS5)."""


def _v1_tables(conn: sqlite3.Connection) -> None:
    # `seq` orders records and keys the FTS index; `id` is the public id handed to clients
    # (a UUID, so ids from different processes never collide). Timestamps are Unix seconds.
    conn.execute(
        """CREATE TABLE records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            timestamp REAL NOT NULL,
            prompt TEXT NOT NULL,
            system TEXT,
            response TEXT NOT NULL,
            model TEXT NOT NULL,
            expert TEXT,
            params TEXT NOT NULL DEFAULT '{}',
            latency_ms REAL,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            trace_id TEXT,
            parent_id TEXT,
            metadata TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    conn.execute("CREATE INDEX records_timestamp ON records(timestamp)")
    conn.execute("CREATE INDEX records_trace ON records(trace_id) WHERE trace_id IS NOT NULL")
    # Feedback is an append-only history; the vote with the highest id is the one that counts.
    conn.execute(
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            timestamp REAL NOT NULL,
            score REAL NOT NULL CHECK (score >= -1.0 AND score <= 1.0),
            text TEXT,
            correction TEXT,
            source TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX feedback_record ON feedback(record_id, id)")
    # `feedback_watermark` is the highest feedback id a job's dataset saw: feedback after it
    # is "new" for the next schedule check.
    conn.execute(
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at REAL NOT NULL,
            finished_at REAL,
            status TEXT NOT NULL,
            reason TEXT,
            feedback_watermark INTEGER NOT NULL,
            new_feedback_records INTEGER NOT NULL,
            dataset_format TEXT NOT NULL,
            dataset_path TEXT,
            dataset_size INTEGER,
            base_model TEXT,
            new_model TEXT,
            old_score REAL,
            new_score REAL,
            error TEXT
        )"""
    )


def _v2_full_text(conn: sqlite3.Connection) -> None:
    # External-content FTS5: the text lives once, in `records`; triggers keep the index in step.
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE records_fts USING fts5("
            "prompt, response, content='records', content_rowid='seq')"
        )
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        raise SchemaError(
            f"this Python's SQLite {sqlite3.sqlite_version} was built without FTS5, which the "
            "inference log needs for search; use a Python whose sqlite3 has FTS5 "
            "(python.org, pyenv and distro builds do)"
        ) from None
    conn.execute(
        """CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
            INSERT INTO records_fts(rowid, prompt, response)
            VALUES (new.seq, new.prompt, new.response);
        END"""
    )
    conn.execute(
        """CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
            INSERT INTO records_fts(records_fts, rowid, prompt, response)
            VALUES ('delete', old.seq, old.prompt, old.response);
        END"""
    )
    conn.execute(
        """CREATE TRIGGER records_fts_update AFTER UPDATE OF prompt, response ON records BEGIN
            INSERT INTO records_fts(records_fts, rowid, prompt, response)
            VALUES ('delete', old.seq, old.prompt, old.response);
            INSERT INTO records_fts(rowid, prompt, response)
            VALUES (new.seq, new.prompt, new.response);
        END"""
    )
    # Index whatever a version-1 database already holds.
    conn.execute("INSERT INTO records_fts(records_fts) VALUES ('rebuild')")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_tables, _v2_full_text]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version a database is at (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to `target` (inside the caller's transaction)."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema is version {current}, newer than this AFS knows "
            f"({SCHEMA_VERSION}); upgrade AFS to open it"
        )
    for version in range(current + 1, target + 1):
        MIGRATIONS[version - 1](conn)
        conn.execute(f"PRAGMA user_version = {version}")
    return max(current, target)
