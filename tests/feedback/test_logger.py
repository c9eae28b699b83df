from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from afs.errors import InputError
from afs.feedback import FeedbackCollector, InferenceLogger, PeriodicRetrainer, RetrainConfig
from afs.feedback.db import Database
from afs.feedback.logger import iso_timestamp, parse_timestamp
from afs.feedback.schema import SCHEMA_VERSION, SchemaError, migrate


def test_spec_snippet_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logger = InferenceLogger(log_dir=Path("inference_logs"))
    record_id = logger.log(prompt="...", response="...", model="din-v3")

    collector = FeedbackCollector(logger)
    collector.record_feedback(record_id, score=1.0, text="Good optimization")

    retrainer = PeriodicRetrainer(logger, config=RetrainConfig(
        min_new_samples=100,
        retrain_interval_hours=168,  # 1 week
    ))
    needed, reason = retrainer.check_retrain_needed()
    assert needed is False
    assert "1 records with new feedback" in reason and "need 100" in reason
    assert (tmp_path / "inference_logs" / "inference.db").is_file()
    assert collector.latest(record_id).text == "Good optimization"


def test_log_stores_every_field_and_get_returns_it(logger, clock):
    record_id = logger.log(
        prompt="Optimize LDA #$00 / STA $10", response="STZ $10", model="din-v3",
        system="You are Din.", expert="din", params={"temperature": 0.2},
        latency_ms=812.5, prompt_tokens=30, completion_tokens=4, trace_id="t1",
        parent_id="p0", metadata={"confidence": 0.9},
    )
    record = logger.get(record_id)
    assert record.id == record_id and len(record_id) == 32
    assert (record.prompt, record.response, record.model) == (
        "Optimize LDA #$00 / STA $10", "STZ $10", "din-v3")
    assert record.system == "You are Din." and record.expert == "din"
    assert record.params == {"temperature": 0.2} and record.metadata == {"confidence": 0.9}
    assert (record.latency_ms, record.prompt_tokens, record.completion_tokens) == (812.5, 30, 4)
    assert (record.trace_id, record.parent_id) == ("t1", "p0")
    assert record.timestamp == clock.now


def test_log_dir_or_db_file_or_default(tmp_path, monkeypatch):
    as_file = InferenceLogger(tmp_path / "custom.sqlite")
    assert as_file.db_path == tmp_path / "custom.sqlite"
    as_dir = InferenceLogger(tmp_path / "dir")
    assert as_dir.db_path == tmp_path / "dir" / "inference.db"
    home = tmp_path / "home"
    monkeypatch.setenv("AFS_HOME", str(home))
    assert InferenceLogger().db_path == home / "feedback" / "inference.db"
    # An existing file is the database even without a known suffix.
    existing = as_dir.db_path
    assert InferenceLogger(existing).db_path == existing


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt": None}, "'prompt' must be a string"),
        ({"response": 3}, "'response' must be a string"),
        ({"model": " "}, "'model' must be a non-empty string"),
        ({"latency_ms": -1}, "'latency_ms' must be a non-negative number"),
        ({"latency_ms": float("nan")}, "'latency_ms' must be a non-negative number"),
        ({"prompt_tokens": 1.5}, "'prompt_tokens' must be a non-negative integer"),
        ({"completion_tokens": True}, "'completion_tokens' must be a non-negative integer"),
        ({"metadata": {"x": object()}}, "'metadata' is not JSON-serialisable"),
        ({"params": {"x": float("inf")}}, "'params' is not JSON-serialisable"),
        ({"expert": 5}, "'expert' must be a string or null"),
        ({"timestamp": "yesterday"}, "is not ISO 8601"),
    ],
)
def test_log_rejects_bad_fields_and_stores_nothing(logger, kwargs, message):
    base = {"prompt": "p", "response": "r", "model": "m"}
    with pytest.raises(InputError, match=message):
        logger.log(**(base | kwargs))
    assert logger.count() == 0


def test_duplicate_record_id_is_an_error(logger):
    logger.log("p", "r", "m", record_id="fixed")
    with pytest.raises(InputError, match="already stored"):
        logger.log("p2", "r2", "m", record_id="fixed")
    assert logger.get("fixed").prompt == "p"


def test_get_unknown_id_is_an_input_error(logger):
    with pytest.raises(InputError, match="no inference record with id 'missing'"):
        logger.get("missing")


def test_log_many_is_all_or_nothing(logger):
    ids = logger.log_many([{"prompt": f"p{i}", "response": "r", "model": "m"} for i in range(5)])
    assert len(set(ids)) == 5 and logger.count() == 5
    with pytest.raises(InputError, match=r"record 2: unknown record field\(s\) respone"):
        logger.log_many([
            {"prompt": "a", "response": "r", "model": "m"},
            {"prompt": "b", "response": "r", "model": "m"},
            {"prompt": "c", "respone": "r", "model": "m"},
        ])
    assert logger.count() == 5
    with pytest.raises(InputError, match="already stored"):
        logger.log_many([{"prompt": "d", "response": "r", "model": "m"},
                         {"prompt": "e", "response": "r", "model": "m", "record_id": ids[0]}])
    assert logger.count() == 5
    assert [r.prompt for r in logger.records()] == [f"p{i}" for i in range(5)]


async def test_alog_many_is_all_or_nothing_without_blocking(logger):
    ids = await logger.alog_many([{"prompt": f"p{i}", "response": "r", "model": "m"}
                                  for i in range(3)])
    assert [logger.get(i).prompt for i in ids] == ["p0", "p1", "p2"]
    with pytest.raises(InputError, match="already stored"):
        await logger.alog_many([{"prompt": "d", "response": "r", "model": "m"},
                                {"prompt": "e", "response": "r", "model": "m",
                                 "record_id": ids[0]}])
    assert logger.count() == 3


def test_records_filters_and_pages(logger, clock):
    for i in range(7):
        clock.advance(10)
        odd = i % 2 == 1
        logger.log(f"p{i}", "r", "din-v3" if odd else "nayru-v1", expert="din" if odd else None)
    assert [r.prompt for r in logger.records(batch=3)] == [f"p{i}" for i in range(7)]
    assert [r.prompt for r in logger.records(model="din-v3", batch=2)] == ["p1", "p3", "p5"]
    assert [r.prompt for r in logger.records(expert="din")] == ["p1", "p3", "p5"]
    assert [r.prompt for r in logger.recent(3)] == ["p6", "p5", "p4"]
    assert len(logger.recent()) == 7
    with pytest.raises(InputError, match="limit must be at least 1"):
        logger.recent(0)
    since = clock.now - 10  # p6 at now, p5 ten seconds before: `since` is inclusive
    assert [r.prompt for r in logger.records(since=since)] == ["p5", "p6"]


def test_search_plain_words_punctuation_and_raw(logger):
    a = logger.log("How do I clear $7E0010?", "Use STZ $10 in direct page.", "din-v3")
    b = logger.log("Write a DMA routine", "LDA #$01 : STA $420B ; start DMA channel 0", "nayru")
    logger.log("Explain the PPU", "It draws the picture.", "veran")
    assert [h.record.id for h in logger.search("$7E0010")] == [a]
    assert [h.record.id for h in logger.search("DMA STA")] == [b]
    assert "[" in logger.search("dma")[0].snippet
    assert logger.search("dma picture") == []  # every word must appear
    raw = {h.record.id for h in logger.search("dma OR stz", raw=True)}
    assert raw == {a, b}
    assert [h.record.id for h in logger.search("response:routine", raw=True)] == []
    assert [h.record.id for h in logger.search("prompt:routine", raw=True)] == [b]
    with pytest.raises(InputError, match="bad search query"):
        logger.search('"unterminated', raw=True)
    with pytest.raises(InputError, match="search text is empty"):
        logger.search("   ")
    with pytest.raises(InputError, match="search limit must be from 1 to 10000"):
        logger.search("dma", limit=0)


def test_threads_share_one_logger(logger):
    ids: list[str] = []

    def work(n: int) -> None:
        ids.extend(logger.log(f"t{n} {i}", "r", "m") for i in range(100))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 400 and logger.count() == 400


def test_a_forked_child_opens_its_own_connection(logger):
    parent_id = logger.log("before fork", "r", "m")
    pid = os.fork()
    if pid == 0:  # the child: log through the inherited logger, report by exit status
        try:
            logger.log("from the child", "r", "m")
            os._exit(0 if logger.get(parent_id).prompt == "before fork" else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    logger.log("after fork", "r", "m")
    assert [r.prompt for r in logger.records()] == ["before fork", "from the child", "after fork"]


def test_database_settings(logger):
    conn = sqlite3.connect(logger.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    live = logger.db.connection()
    assert live.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert live.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(InputError, match="synchronous must be one of"):
        InferenceLogger(logger.db_path, synchronous="OFF")


def test_migration_from_version_1_indexes_old_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO records (id, timestamp, prompt, response, model) "
        "VALUES ('old-1', 1.0, 'ancient question about HDMA', 'old answer', 'din-v1')"
    )
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()

    logger = InferenceLogger(path)
    assert [h.record.id for h in logger.search("HDMA")] == ["old-1"]
    new = logger.log("new question about HDMA", "new answer", "din-v3")
    assert {h.record.id for h in logger.search("hdma")} == {"old-1", new}
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert check.execute("INSERT INTO records_fts(records_fts) VALUES ('integrity-check')")


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    InferenceLogger(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="newer than this AFS knows"):
        Database(path).connection()


def test_timestamps_round_trip():
    assert parse_timestamp("2024-05-01T12:00:00Z") == 1714564800.0
    assert parse_timestamp("2024-05-01T12:00:00") == 1714564800.0  # naive is UTC
    assert parse_timestamp("2024-05-01T14:00:00+02:00") == 1714564800.0
    assert parse_timestamp(5) == 5.0
    assert iso_timestamp(1714564800.25) == "2024-05-01T12:00:00.250000+00:00"
    for bad in (True, None, -1, "soon", [1]):
        with pytest.raises(InputError):
            parse_timestamp(bad)


class _CommitCounter:
    """Counts the COMMITs the logger's own connection runs (reads end with one too)."""

    def __init__(self, logger: InferenceLogger) -> None:
        self.commits = 0
        logger.db.connection().set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        if statement.strip().upper() == "COMMIT":
            self.commits += 1


def _queued(logger: InferenceLogger) -> int:
    """Rows handed to the committer whose transaction has not ended."""
    committer = logger._group()
    with committer._cond:
        return committer.unfinished


def _wait_for(condition, what: str) -> None:
    import time

    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def test_concurrent_logs_share_one_transaction_and_return_only_once_durable(logger):
    logger.log("warm-up", "r", "m")  # starts the committer thread
    counter = _CommitCounter(logger)
    returned: list[str] = []
    # Holding the database lock stalls the committer, the way a slow fsync does: the callers
    # must queue up behind it and must not return before their transaction commits.
    with logger.db._lock:
        threads = [threading.Thread(target=lambda n=n: returned.append(
            logger.log(f"caller {n}", "r", "m"))) for n in range(32)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: _queued(logger) == 32, "32 queued rows")
        assert returned == [] and all(t.is_alive() for t in threads)
    for thread in threads:
        thread.join()
    # The committer may have taken the first caller alone before it stalled on the lock.
    assert counter.commits <= 2
    assert len(set(returned)) == 32 and logger.count() == 33


def test_a_duplicate_in_a_group_fails_alone_and_log_many_stays_whole(logger):
    taken = logger.log("first", "r", "m")
    outcomes: dict[str, object] = {}

    def attempt(name: str, fn) -> None:
        try:
            outcomes[name] = fn()
        except InputError as exc:
            outcomes[name] = exc

    calls = {
        "dup": lambda: logger.log("again", "r", "m", record_id=taken),
        "batch_with_dup": lambda: logger.log_many([
            {"prompt": "b1", "response": "r", "model": "m"},
            {"prompt": "b2", "response": "r", "model": "m", "id": taken}]),
        "good": lambda: logger.log("good", "r", "m"),
        "good_batch": lambda: logger.log_many([
            {"prompt": f"g{i}", "response": "r", "model": "m"} for i in range(3)]),
    }
    with logger.db._lock:
        threads = [threading.Thread(target=attempt, args=item) for item in calls.items()]
        for thread in threads:
            thread.start()
        _wait_for(lambda: _queued(logger) == 7, "all four calls queued")
    for thread in threads:
        thread.join()
    assert isinstance(outcomes["dup"], InputError)
    assert "already stored" in str(outcomes["dup"])
    assert isinstance(outcomes["batch_with_dup"], InputError)
    assert isinstance(outcomes["good"], str) and logger.exists(outcomes["good"])
    assert len(outcomes["good_batch"]) == 3
    assert sorted(r.prompt for r in logger.records()) == ["first", "g0", "g1", "g2", "good"]


def test_alog_groups_tasks_without_blocking_the_event_loop(logger):
    import asyncio

    async def main() -> tuple[list[str], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        tick_task = asyncio.create_task(ticker())
        with logger.db._lock:  # the committer is stalled; the loop must keep running
            tasks = [asyncio.create_task(logger.alog(f"task {n}", "r", "m", expert="din",
                                                     metadata={"n": n}))
                     for n in range(50)]
            while _queued(logger) < 50:
                await asyncio.sleep(0.001)
            before = ticks
            await asyncio.sleep(0.01)
            assert ticks > before and not any(t.done() for t in tasks)
        ids = await asyncio.gather(*tasks)
        tick_task.cancel()
        return ids, ticks

    counter = _CommitCounter(logger)
    ids, _ = asyncio.run(main())
    assert counter.commits <= 2  # (before any read: reads end with COMMIT too)
    assert len(set(ids)) == 50 and logger.count() == 50
    assert logger.get(ids[7]).metadata == {"n": 7} and logger.get(ids[7]).expert == "din"


def test_alog_reports_a_bad_row_to_its_own_caller(logger):
    import asyncio

    taken = logger.log("first", "r", "m")

    async def main() -> None:
        with pytest.raises(InputError, match="already stored"):
            await logger.alog("again", "r", "m", record_id=taken)
        with pytest.raises(InputError, match="'model' must be a non-empty string"):
            await logger.alog("p", "r", "")
        assert await logger.alog("fine", "r", "m")

    asyncio.run(main())
    assert logger.count() == 2


def test_close_commits_queued_rows_and_a_later_log_reopens(tmp_path):
    log = InferenceLogger(tmp_path / "close")
    log.log("one", "r", "m")
    log.close()
    log.log("two", "r", "m")
    assert log.count() == 2
    log.close()
