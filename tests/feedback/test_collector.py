from __future__ import annotations

import sqlite3

import pytest

from afs.errors import InputError
from afs.feedback import FeedbackCollector


@pytest.fixture
def collector(logger):
    return FeedbackCollector(logger)


def _feedback_rows(logger):
    conn = sqlite3.connect(logger.db_path)
    try:
        return conn.execute("SELECT * FROM feedback ORDER BY id").fetchall()
    finally:
        conn.close()


def test_feedback_is_joined_to_its_record(logger, collector, clock):
    rid = logger.log("Optimize LDA #$00 / STA $10", "STZ $10", "din-v3", expert="din")
    clock.advance(5)
    fid = collector.record_feedback(rid, 1.0, text="Good optimization")
    [example] = collector.examples()
    assert example.record.id == rid and example.feedback.id == fid
    assert example.feedback.score == 1.0 and example.feedback.text == "Good optimization"
    assert example.feedback.source == "user" and example.feedback.timestamp == clock.now


def test_history_is_kept_and_the_latest_vote_counts(logger, collector):
    rid = logger.log("p", "r", "m")
    collector.record_feedback(rid, 1.0, text="first")
    collector.record_feedback(rid, -0.5, text="changed my mind", source="reviewer")
    collector.record_feedback(rid, 0.25, correction="better r")
    assert [v.score for v in collector.history(rid)] == [1.0, -0.5, 0.25]
    latest = collector.latest(rid)
    assert latest.score == 0.25 and latest.correction == "better r"
    [example] = collector.examples()
    assert example.score == 0.25 and example.accepted_text == "better r"
    stats = collector.stats()
    assert stats["feedback_events"] == 3 and stats["rated"] == 1
    assert (stats["positive"], stats["negative"], stats["corrections"]) == (1, 0, 1)


@pytest.mark.parametrize("score", [-1.0, -1, 0, 0.5, 1, 1.0])
def test_scores_at_and_inside_the_bounds_are_accepted(logger, collector, score):
    rid = logger.log("p", "r", "m")
    collector.record_feedback(rid, score)
    assert collector.latest(rid).score == float(score)


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (1.0001, r"score 1.0001 is out of range: expected a number in \[-1, 1\]"),
        (-1.5, r"score -1.5 is out of range"),
        (float("nan"), r"'score' must be a number in \[-1, 1\]"),
        (float("inf"), r"'score' must be a number"),
        (True, r"'score' must be a number"),
        ("1", r"'score' must be a number"),
    ],
)
def test_bad_scores_are_rejected_and_nothing_is_written(logger, collector, score, message):
    rid = logger.log("p", "r", "m")
    collector.record_feedback(rid, 1.0)
    with pytest.raises(InputError, match=message):
        collector.record_feedback(rid, score)
    assert len(_feedback_rows(logger)) == 1


def test_unknown_record_id_is_a_clear_error(logger, collector):
    logger.log("p", "r", "m")
    with pytest.raises(InputError, match="no inference record with id 'nope'"):
        collector.record_feedback("nope", 1.0)
    assert _feedback_rows(logger) == []


def test_other_bad_fields(logger, collector):
    rid = logger.log("p", "r", "m")
    with pytest.raises(InputError, match="'source' must be a non-empty string"):
        collector.record_feedback(rid, 1.0, source="")
    with pytest.raises(InputError, match="'correction' must be a string or null"):
        collector.record_feedback(rid, 1.0, correction=42)
    assert _feedback_rows(logger) == []


def test_the_database_itself_refuses_orphans_and_bad_scores(logger):
    # The constraints hold even for writers that bypass the collector.
    conn = sqlite3.connect(logger.db_path, isolation_level=None)  # autocommit: hold no lock
    conn.execute("PRAGMA foreign_keys=ON")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO feedback (record_id, timestamp, score, source) "
                     "VALUES ('ghost', 0, 1, 'user')")
    rid = logger.log("p", "r", "m")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO feedback (record_id, timestamp, score, source) "
                     "VALUES (?, 0, 2, 'user')", (rid,))


def test_examples_watermark_and_rated_since(logger, collector):
    a = logger.log("a", "ra", "m")
    b = logger.log("b", "rb", "m")
    logger.log("c", "rc", "m")
    f1 = collector.record_feedback(a, 1.0)
    f2 = collector.record_feedback(b, -1.0)
    collector.record_feedback(a, -1.0)
    assert collector.watermark() == f2 + 1
    # As of f1 only a was rated, positively.
    assert [(e.record.id, e.score) for e in collector.examples(up_to=f1)] == [(a, 1.0)]
    assert [(e.record.id, e.score) for e in collector.examples()] == [(a, -1.0), (b, -1.0)]
    assert [e.score for e in collector.examples(include_unrated=True)] == [-1.0, -1.0, None]
    assert collector.records_rated_since(0) == 2
    assert collector.records_rated_since(f1) == 2  # b, and a again
    assert collector.records_rated_since(f2) == 1
    assert collector.records_rated_since(collector.watermark()) == 0


def test_stats_per_expert(logger, collector):
    d1 = logger.log("p1", "r", "din-v3", expert="din")
    d2 = logger.log("p2", "r", "din-v3", expert="din")
    n1 = logger.log("p3", "r", "nayru-v1", expert="nayru")
    logger.log("p4", "r", "base")
    collector.record_feedback(d1, 1.0)
    collector.record_feedback(d2, -0.5, correction="fixed")
    collector.record_feedback(n1, 0.0)
    stats = collector.stats()
    assert stats["records"] == 4 and stats["rated"] == 3
    assert (stats["positive"], stats["negative"], stats["neutral"]) == (1, 1, 1)
    assert stats["mean_score"] == pytest.approx(0.1667, abs=1e-4)
    assert stats["by_expert"]["din"] == {
        "records": 2, "rated": 2, "positive": 1, "negative": 1, "neutral": 0,
        "corrections": 1, "mean_score": 0.25,
    }
    assert stats["by_expert"]["nayru"]["neutral"] == 1
    assert stats["by_expert"]["-"] == {
        "records": 1, "rated": 0, "positive": 0, "negative": 0, "neutral": 0,
        "corrections": 0, "mean_score": None,
    }
