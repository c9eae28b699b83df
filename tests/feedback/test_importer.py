from __future__ import annotations

import json
import sqlite3

import pytest

from afs.errors import InputError
from afs.feedback import FeedbackCollector, InferenceLogger, export_lines, import_jsonl
from afs.jsonl import write_jsonl

# The original AFS inference-log line format, and its separate feedback lines.
ORIGINAL = [
    {"id": "rec-1", "timestamp": "2025-01-10T09:30:00", "prompt": "Optimize LDA #$00 / STA $10",
     "response": "STZ $10", "model": "din-v3", "expert": "din", "latency_ms": 812.0,
     "metadata": {"session": "a"}},
    {"id": "rec-2", "timestamp": "2025-01-10T09:31:00Z", "prompt": "Write a DMA routine",
     "response": "LDA #$01 : STA $420B", "model": "nayru-v1", "expert": "nayru",
     "latency_ms": 1500, "metadata": {}},
    {"record_id": "rec-1", "score": 1.0, "text": "Good optimization"},
    {"record_id": "rec-2", "score": -0.5, "text": "Missing the channel setup"},
]


def _snapshot(db):
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT * FROM records ORDER BY seq").fetchall(),
                conn.execute("SELECT * FROM feedback ORDER BY id").fetchall())
    finally:
        conn.close()


def test_import_the_original_format(logger, tmp_path):
    path = tmp_path / "old.jsonl"
    write_jsonl(path, ORIGINAL)
    result = import_jsonl(logger, path)
    assert (result.records_added, result.feedback_added) == (2, 2)
    record = logger.get("rec-1")
    assert record.timestamp == 1736501400.0  # naive ISO time is UTC
    assert (record.expert, record.latency_ms, record.metadata) == ("din", 812.0, {"session": "a"})
    collector = FeedbackCollector(logger)
    assert collector.latest("rec-2").text == "Missing the channel setup"
    assert [h.record.id for h in logger.search("DMA")] == ["rec-2"]


def test_reimport_adds_nothing(logger, tmp_path):
    path = tmp_path / "old.jsonl"
    write_jsonl(path, ORIGINAL)
    import_jsonl(logger, path)
    before = _snapshot(logger.db_path)
    again = import_jsonl(logger, path)
    assert (again.records_added, again.records_skipped) == (0, 2)
    assert (again.feedback_added, again.feedback_skipped) == (0, 2)
    assert _snapshot(logger.db_path) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"bad\.jsonl:3: expected a JSON object per line, got invalid JSON"),
        ("[1, 2]", r"bad\.jsonl:3: expected a JSON object per line, got list"),
        ('{"prompt": "p", "response": "r"}', r"bad\.jsonl:3: record field 'model' must be"),
        ('{"prompt": "p", "response": "r", "model": "m", "when": 1}',
         r"bad\.jsonl:3: unknown record field\(s\) when"),
        ('{"record_id": "rec-1", "score": 3}', r"bad\.jsonl:3: feedback score 3 is out of range"),
        ('{"record_id": "ghost", "score": 1}',
         r"bad\.jsonl:3: feedback names record id 'ghost', which is neither stored"),
        ('{"id": "rec-1", "prompt": "changed", "response": "r", "model": "m"}',
         r"bad\.jsonl:3: record id 'rec-1' is already stored with different content"),
        ('{"hello": "world"}',
         r"bad\.jsonl:3: expected a record \(with prompt, response, model\)"),
    ],
)
def test_a_corrupt_line_is_located_and_changes_nothing(logger, tmp_path, line, message):
    good = tmp_path / "good.jsonl"
    write_jsonl(good, ORIGINAL)
    import_jsonl(logger, good)
    before = _snapshot(logger.db_path)
    bad = tmp_path / "bad.jsonl"
    fresh = {"prompt": "new", "response": "new", "model": "m"}
    bad.write_text(json.dumps(fresh) + "\n\n" + line + "\n"
                   + json.dumps({"record_id": "rec-1", "score": -1}) + "\n")
    with pytest.raises(InputError, match=message):
        import_jsonl(logger, bad)
    assert _snapshot(logger.db_path) == before


def test_reimport_without_timestamps_adds_nothing(logger, tmp_path, clock):
    path = tmp_path / "untimed.jsonl"
    write_jsonl(path, [{"id": "u1", "prompt": "p", "response": "r", "model": "m"},
                       {"id": "u1", "prompt": "p", "response": "r", "model": "m"},
                       {"record_id": "u1", "score": 1}])
    first = import_jsonl(logger, path)
    assert (first.records_added, first.records_skipped, first.feedback_added) == (1, 1, 1)
    clock.advance(60)
    again = import_jsonl(logger, path)
    assert (again.records_added, again.records_skipped, again.feedback_skipped) == (0, 2, 1)
    assert logger.get("u1").timestamp == clock.now - 60


def test_feedback_may_name_a_record_earlier_in_the_same_file(logger, tmp_path):
    path = tmp_path / "mixed.jsonl"
    write_jsonl(path, [{"id": 7, "prompt": "p", "response": "r", "model": "m"},
                       {"record_id": 7, "score": 0.5, "correction": "better",
                        "timestamp": 1_700_000_000}])
    result = import_jsonl(logger, path)
    assert (result.records_added, result.feedback_added) == (1, 1)
    vote = FeedbackCollector(logger).latest("7")
    assert (vote.correction, vote.timestamp) == ("better", 1_700_000_000.0)


def test_missing_file(logger, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_jsonl(logger, tmp_path / "absent.jsonl")


def test_export_then_import_round_trips(logger, tmp_path, clock):
    collector = FeedbackCollector(logger)
    a = logger.log("p1", "r1", "din-v3", system="sys", expert="din", params={"t": 0.2},
                   prompt_tokens=3, completion_tokens=2, trace_id="t", metadata={"k": [1]})
    clock.advance(0.123456)
    b = logger.log("p2", "r2", "nayru")
    collector.record_feedback(a, 1.0, text="nice", source="reviewer")
    collector.record_feedback(b, -1.0, correction="fixed")
    path = tmp_path / "export.jsonl"
    assert write_jsonl(path, export_lines(logger)) == 4

    other = InferenceLogger(tmp_path / "other")
    result = import_jsonl(other, path)
    assert (result.records_added, result.feedback_added) == (2, 2)
    for rid in (a, b):
        original, copy = logger.get(rid), other.get(rid)
        assert copy.timestamp == pytest.approx(original.timestamp, abs=1e-6)
        assert {k: v for k, v in vars(copy).items() if k not in ("timestamp", "seq")} == {
            k: v for k, v in vars(original).items() if k not in ("timestamp", "seq")}
    copied = FeedbackCollector(other)
    assert [(v.score, v.text, v.correction, v.source) for v in copied.history(a)] == [
        (1.0, "nice", None, "reviewer")]
    # Exported files re-import into the source database as a no-op.
    again = import_jsonl(logger, path)
    assert (again.records_skipped, again.feedback_skipped) == (2, 2)
    # `since` limits the records and their votes.
    assert [line.get("id", line.get("record_id")) for line in
            export_lines(logger, since=clock.now)] == [b, b]
