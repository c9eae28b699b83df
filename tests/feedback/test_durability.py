"""Proof that the log is safe with several writer processes and survives kill -9."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from afs.feedback import InferenceLogger

# A writer that logs in a loop with one log() per record.
LOOP_WRITER = """
import sys
from afs.feedback import InferenceLogger
logger = InferenceLogger(sys.argv[1], synchronous=sys.argv[2])
tag, count = sys.argv[3], int(sys.argv[4])
ids = [logger.log(prompt=f"{tag} {i}", response="STZ $10", model="din-v3") for i in range(count)]
sys.stdout.write("\\n".join(ids) + "\\n")
"""

# A writer that runs until killed, printing (and flushing) every id once log() or log_many()
# has returned; every 5th step is a 10-record log_many batch tagged by its trace id.
ENDLESS_WRITER = """
import sys
from afs.feedback import InferenceLogger
logger = InferenceLogger(sys.argv[1])
tag = sys.argv[2]
i = 0
while True:
    if i % 5 == 4:
        trace = f"{tag}-{i}"
        ids = logger.log_many([{"prompt": f"{tag} batch {i} {k}", "response": "r" * 300,
                                "model": "m", "trace_id": trace} for k in range(10)])
        print("B", trace, *ids, flush=True)
    else:
        print("L", logger.log(prompt=f"{tag} {i}", response="r" * 300, model="m"), flush=True)
    i += 1
"""


def _writer(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=os.environ.copy(),
    )


def _run_concurrently(db: Path, processes: int, per_process: int, synchronous: str, *,
                      create_first: bool = True) -> list[str]:
    if create_first:
        InferenceLogger(db).close()
    writers = [_writer(LOOP_WRITER, str(db), synchronous, f"w{n}", str(per_process))
               for n in range(processes)]
    ids = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        ids += out.split()
    return ids


# The 4 x 10,000 proof runs with synchronous=NORMAL by default: locking, retries and id
# generation are identical in both modes; only the per-commit fsync differs, and with FULL the
# run takes 15-100 s on a 2-core CI box depending on disk load. Set
# AFS_FEEDBACK_CONCURRENCY_SYNC=FULL to run it in the default durable mode.
PROOF_SYNC = os.environ.get("AFS_FEEDBACK_CONCURRENCY_SYNC", "NORMAL")


@pytest.mark.slow
def test_four_processes_times_ten_thousand_logs(tmp_path):
    db = tmp_path / "concurrent.db"
    started = time.perf_counter()
    ids = _run_concurrently(db, 4, 10_000, PROOF_SYNC)
    elapsed = time.perf_counter() - started
    assert len(ids) == 40_000 and len(set(ids)) == 40_000
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), count(DISTINCT id) FROM records").fetchone() == (
        40_000, 40_000)
    stored = {row[0] for row in conn.execute("SELECT id FROM records")}
    assert stored == set(ids)
    for n in range(4):
        assert conn.execute(
            "SELECT count(*) FROM records WHERE prompt LIKE ?", (f"w{n} %",)
        ).fetchone()[0] == 10_000
    print(f"4 x 10,000 log() with synchronous={PROOF_SYNC}: {elapsed:.1f} s")


def test_concurrent_writers_in_durable_mode_racing_to_create_the_database(tmp_path):
    db = tmp_path / "new" / "durable.db"
    ids = _run_concurrently(db, 4, 300, "FULL", create_first=False)
    assert len(ids) == 1200 and len(set(ids)) == 1200
    assert InferenceLogger(db).count() == 1200


class _Reader(threading.Thread):
    """Collects a writer's complete output lines (a kill can leave a torn last one)."""

    def __init__(self, writer: subprocess.Popen[str]) -> None:
        super().__init__(daemon=True)
        self.writer = writer
        self.lines: list[str] = []

    def run(self) -> None:
        for line in self.writer.stdout:
            if line.endswith("\n"):
                self.lines.append(line)


def test_kill_minus_nine_mid_stream_loses_nothing_returned(tmp_path):
    db = tmp_path / "crash.db"
    InferenceLogger(db).close()
    rng = random.Random(7)
    returned: set[str] = set()
    batches: set[str] = set()
    for round_number in range(4):
        writers = [_writer(ENDLESS_WRITER, str(db), f"r{round_number}w{n}") for n in range(2)]
        readers = [_Reader(w) for w in writers]
        for reader in readers:
            reader.start()
        for writer, reader in zip(writers, readers, strict=True):
            target = rng.randint(5, 150)
            deadline = time.monotonic() + 60
            while len(reader.lines) < target and writer.poll() is None:
                assert time.monotonic() < deadline, "writer produced too little output"
                time.sleep(0.005)
            assert writer.poll() is None, writer.stderr.read()
            os.kill(writer.pid, signal.SIGKILL)
        for writer, reader in zip(writers, readers, strict=True):
            writer.wait(timeout=30)
            assert writer.returncode == -signal.SIGKILL
            reader.join(timeout=30)
            writer.stderr.close()
            for line in reader.lines:
                kind, *rest = line.split()
                if kind == "B":
                    batches.add(rest[0])
                    returned.update(rest[1:])
                else:
                    returned.update(rest)

        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO records_fts(records_fts) VALUES ('integrity-check')")
        stored = {row[0] for row in conn.execute("SELECT id FROM records")}
        assert returned <= stored, f"{len(returned - stored)} returned ids lost"
        # log_many is all or nothing: every batch in the database is whole.
        sizes = dict(conn.execute(
            "SELECT trace_id, count(*) FROM records WHERE trace_id IS NOT NULL GROUP BY trace_id"
        ).fetchall())
        assert set(sizes.values()) <= {10}
        assert batches <= set(sizes)
        conn.close()
    assert len(returned) > 40
    # The database is still writable by a fresh process after all the kills.
    logger = InferenceLogger(db)
    new = logger.log("after the crashes", "still fine", "m")
    assert logger.get(new).response == "still fine"


# Many threads of one process logging through the group committer; each prints its id once
# log() has returned. With "exit" it logs exactly COUNT rows per thread, says "done" and waits
# to be killed; otherwise it logs until killed.
THREADED_WRITER = """
import sys, threading, time
from afs.feedback import InferenceLogger
logger = InferenceLogger(sys.argv[1])
tag, threads, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = threading.Lock()

def work(n):
    i = 0
    while count == 0 or i < count:
        record_id = logger.log(prompt=f"{tag} t{n} {i}", response="r" * 200, model="m")
        with out:
            sys.stdout.write(f"L {record_id}\\n")
            sys.stdout.flush()
        i += 1

workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("done", flush=True)
time.sleep(600)
"""


def _stored(db: Path, tag: str) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in conn.execute(
            "SELECT id FROM records WHERE prompt LIKE ?", (f"{tag} %",))}
    finally:
        conn.close()


def test_kill_minus_nine_during_group_commits_loses_no_returned_row(tmp_path):
    db = tmp_path / "group.db"
    InferenceLogger(db).close()
    threads = 16
    for round_number, target in enumerate((40, 400)):
        tag = f"g{round_number}"
        writer = _writer(THREADED_WRITER, str(db), tag, str(threads), "0")
        reader = _Reader(writer)
        reader.start()
        deadline = time.monotonic() + 120
        while len(reader.lines) < target and writer.poll() is None:
            assert time.monotonic() < deadline, "writer produced too little output"
            time.sleep(0.002)
        assert writer.poll() is None, writer.stderr.read()
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
        reader.join(timeout=30)
        writer.stderr.close()
        returned = {line.split()[1] for line in reader.lines}
        stored = _stored(db, tag)
        assert len(returned) >= target
        assert returned <= stored, f"{len(returned - stored)} returned ids lost"
        # Rows committed but not yet printed: at most one per thread (its log() in flight),
        # plus ids whose line the kill cut off.
        assert len(stored - returned) <= threads


def test_kill_minus_nine_after_the_last_return_keeps_exactly_every_row(tmp_path):
    db = tmp_path / "exact.db"
    threads, per_thread = 32, 40
    writer = _writer(THREADED_WRITER, str(db), "x", str(threads), str(per_thread))
    reader = _Reader(writer)
    reader.start()
    deadline = time.monotonic() + 240
    while not (reader.lines and reader.lines[-1] == "done\n"):
        assert writer.poll() is None, writer.stderr.read()
        assert time.monotonic() < deadline, "writer did not finish"
        time.sleep(0.005)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    reader.join(timeout=30)
    writer.stderr.close()
    returned = {line.split()[1] for line in reader.lines if line.startswith("L ")}
    assert len(returned) == threads * per_thread
    assert _stored(db, "x") == returned
    assert InferenceLogger(db).count() == threads * per_thread
