"""Feedback joined to the inference log: votes, comments and corrections per record.

Feedback lives in the same database as the records it rates (a foreign key ties them), so
"records with feedback" is a join, not a guess. Every vote is kept as history; the latest one
(highest id) is the one that counts for datasets and statistics.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.feedback.logger import InferenceLogger, LogRecord

FEEDBACK_FIELDS = ("record_id", "score", "text", "correction", "source", "timestamp")


@dataclass(frozen=True)
class Feedback:
    """One vote on a record. `score` is in [-1, 1]: -1 wrong, 0 neutral, 1 good."""

    id: int
    record_id: str
    timestamp: float
    score: float
    text: str | None
    correction: str | None
    source: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Feedback:
        return cls(
            id=row["id"], record_id=row["record_id"], timestamp=row["timestamp"],
            score=row["score"], text=row["text"], correction=row["correction"],
            source=row["source"],
        )


@dataclass(frozen=True)
class Example:
    """A record with its latest feedback (None when nobody rated it): what samplers read."""

    record: LogRecord
    feedback: Feedback | None = None

    @property
    def prompt(self) -> str:
        return self.record.prompt

    @property
    def expert(self) -> str | None:
        return self.record.expert

    @property
    def timestamp(self) -> float:
        return self.record.timestamp

    @property
    def score(self) -> float | None:
        return None if self.feedback is None else self.feedback.score

    @property
    def correction(self) -> str | None:
        """The user's corrected answer, if they gave a non-blank one."""
        if self.feedback is None or not (self.feedback.correction or "").strip():
            return None
        return self.feedback.correction

    @property
    def accepted_text(self) -> str:
        """The answer to learn from: the correction when there is one, else the response."""
        return self.correction if self.correction is not None else self.record.response


def validate_feedback(
    data: Mapping[str, Any],
    *,
    path: str | Path | None = None,
    line: int | None = None,
) -> tuple[str, float, str | None, str | None, str]:
    """Check one feedback entry; return (record_id, score, text, correction, source)."""

    def bad(message: str) -> InputError:
        return InputError(message, path=path, line=line)

    unknown = sorted(set(data) - set(FEEDBACK_FIELDS))
    if unknown:
        raise bad(f"unknown feedback field(s) {', '.join(unknown)}; "
                  f"expected some of {', '.join(FEEDBACK_FIELDS)}")
    record_id = data.get("record_id")
    if isinstance(record_id, int) and not isinstance(record_id, bool):
        record_id = str(record_id)
    if not isinstance(record_id, str) or not record_id.strip():
        raise bad(f"feedback 'record_id' must be a non-empty string, got {record_id!r:.60}")
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise bad(f"feedback 'score' must be a number in [-1, 1], got {score!r:.60}")
    if not -1.0 <= score <= 1.0:
        raise bad(f"feedback score {score} is out of range: expected a number in [-1, 1]")
    for name in ("text", "correction"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise bad(f"feedback {name!r} must be a string or null, got {data[name]!r:.60}")
    source = data.get("source", "user")
    if not isinstance(source, str) or not source.strip():
        raise bad(f"feedback 'source' must be a non-empty string, got {source!r:.60}")
    return record_id, float(score), data.get("text"), data.get("correction"), source


def insert_feedback(
    conn: sqlite3.Connection, entry: tuple[str, float, str | None, str | None, str], now: float
) -> int:
    """Insert one validated entry (inside the caller's transaction); return its id."""
    record_id, score, text, correction, source = entry
    cursor = conn.execute(
        "INSERT INTO feedback (record_id, timestamp, score, text, correction, source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (record_id, now, score, text, correction, source),
    )
    return int(cursor.lastrowid)


# The latest vote per record, optionally as of a feedback watermark (for reproducible jobs).
_LATEST_SQL = """
    SELECT {columns} FROM records r
    {join} (
        SELECT f.* FROM feedback f
        JOIN (SELECT record_id, max(id) AS id FROM feedback WHERE id <= ? GROUP BY record_id)
            latest ON latest.id = f.id
    ) fb ON fb.record_id = r.id
    ORDER BY r.seq
"""
_COLUMNS = (
    "r.*, fb.id AS fb_id, fb.timestamp AS fb_timestamp, fb.score AS fb_score, "
    "fb.text AS fb_text, fb.correction AS fb_correction, fb.source AS fb_source"
)


def _example(row: sqlite3.Row) -> Example:
    feedback = None
    if row["fb_id"] is not None:
        feedback = Feedback(
            id=row["fb_id"], record_id=row["id"], timestamp=row["fb_timestamp"],
            score=row["fb_score"], text=row["fb_text"], correction=row["fb_correction"],
            source=row["fb_source"],
        )
    return Example(LogRecord.from_row(row), feedback)


class FeedbackCollector:
    """Records feedback on logged inferences and reads records joined with their votes."""

    def __init__(self, logger: InferenceLogger) -> None:
        self.logger = logger
        self.db = logger.db

    def record_feedback(
        self,
        record_id: str,
        score: float,
        text: str | None = None,
        correction: str | None = None,
        source: str = "user",
    ) -> int:
        """Store a vote on `record_id` and return the feedback id.

        `score` must be in [-1, 1]; `correction` is the answer the user wanted instead.
        An unknown record id is an `InputError`; nothing is written then.
        """
        entry = validate_feedback({
            "record_id": record_id, "score": score, "text": text,
            "correction": correction, "source": source,
        })
        now = self.logger.clock()

        def write(conn: sqlite3.Connection) -> int:
            if conn.execute("SELECT 1 FROM records WHERE id = ?", (entry[0],)).fetchone() is None:
                raise InputError(
                    f"no inference record with id {entry[0]!r} in {self.logger.db_path}; "
                    "feedback must name a logged record"
                )
            return insert_feedback(conn, entry, now)

        return self.db.write(write)

    def history(self, record_id: str) -> list[Feedback]:
        """Every vote on a record, oldest first."""
        rows = self.db.read(lambda conn: conn.execute(
            "SELECT * FROM feedback WHERE record_id = ? ORDER BY id", (record_id,)
        ).fetchall())
        return [Feedback.from_row(row) for row in rows]

    def latest(self, record_id: str) -> Feedback | None:
        """The vote that counts for a record, or None."""
        votes = self.history(record_id)
        return votes[-1] if votes else None

    def watermark(self) -> int:
        """The highest feedback id so far (0 when there is none)."""
        return self.db.read(
            lambda conn: conn.execute("SELECT coalesce(max(id), 0) FROM feedback").fetchone()[0]
        )

    def examples(self, *, include_unrated: bool = False, up_to: int | None = None) -> list[Example]:
        """Records joined with their latest vote, in log order.

        `up_to` is a feedback id: votes after it are ignored (a retrain job uses it so its
        dataset is exactly what its watermark says).
        """
        join = "LEFT JOIN" if include_unrated else "JOIN"
        sql = _LATEST_SQL.format(columns=_COLUMNS, join=join)
        limit = up_to if up_to is not None else 2**63 - 1
        rows = self.db.read(lambda conn: conn.execute(sql, (limit,)).fetchall())
        return [_example(row) for row in rows]

    def records_rated_since(self, watermark: int) -> int:
        """How many distinct records got a vote with an id above `watermark`."""
        return self.db.read(lambda conn: conn.execute(
            "SELECT count(DISTINCT record_id) FROM feedback WHERE id > ?", (watermark,)
        ).fetchone()[0])

    def stats(self) -> dict[str, Any]:
        """Counts over the latest votes: rated, positive/negative/neutral, corrections,
        mean score, overall and per expert (records without an expert count as `-`)."""

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            total = conn.execute("SELECT count(*) FROM records").fetchone()[0]
            events = conn.execute("SELECT count(*) FROM feedback").fetchone()[0]
            per_expert = conn.execute(
                "SELECT coalesce(expert, '-') AS expert, count(*) AS records FROM records "
                "GROUP BY coalesce(expert, '-') ORDER BY 1"
            ).fetchall()
            return {"total": total, "events": events,
                    "experts": {row["expert"]: row["records"] for row in per_expert}}

        counts = self.db.read(read)
        rated = self.examples()
        summary = _summarise(rated)
        by_expert: dict[str, Any] = {}
        for expert, records in counts["experts"].items():
            mine = [ex for ex in rated if (ex.expert or "-") == expert]
            by_expert[expert] = {"records": records, **_summarise(mine)}
        return {
            "records": counts["total"],
            "feedback_events": counts["events"],
            **summary,
            "by_expert": by_expert,
        }


def _summarise(rated: list[Example]) -> dict[str, Any]:
    scores = [ex.feedback.score for ex in rated if ex.feedback is not None]
    return {
        "rated": len(scores),
        "positive": sum(1 for s in scores if s > 0),
        "negative": sum(1 for s in scores if s < 0),
        "neutral": sum(1 for s in scores if s == 0),
        "corrections": sum(1 for ex in rated if ex.correction is not None),
        "mean_score": round(sum(scores) / len(scores), 4) if scores else None,
    }
