"""Inference-log throughput and search latency (`python -m bench.run_all feedback`).

- `log()` per second, durable (`synchronous=FULL`: one fsync per call), and with `NORMAL`
  for comparison; both on one process, so the figure is bounded by the disk's fsync rate.
- Group commit: durable `log()` per second with 32 threads of one process logging at once
  (target >= 2,000/s), next to the same 32 threads each committing its own row (one
  transaction and one fsync per row, what `log()` did before group commit), in the same run.
- `log_many` rows per second (batches of 1,000, one transaction each).
- FTS5 search latency over 100,000 records (p50/p95, 20 hits each), for broad queries
  (common words) and selective ones (an address).
- The feedback join plus SFT dataset build over those records, 20,000 of them rated.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from afs.feedback import FeedbackCollector, InferenceLogger, build_dataset
from afs.feedback.logger import insert_records, validate_record

MNEMONICS = ["LDA", "STA", "STZ", "LDX", "LDY", "REP", "SEP", "JSL", "JSR", "RTL", "RTS",
             "BRA", "BNE", "BEQ", "INC", "DEC", "ADC", "SBC", "AND", "ORA", "PHB", "PLB", "MVN"]
WORDS = ["optimize", "sprite", "routine", "dma", "hdma", "palette", "vram", "oam", "link",
         "dungeon", "overworld", "ancilla", "bank", "register", "loop", "table", "pointer",
         "decompress", "tilemap", "nmi", "irq", "mode7", "window", "mosaic", "brightness"]
RECORDS = 100_000
BATCH = 1_000
CALLERS = 32
GROUP_TARGET_PER_S = 2000


def _text(rng: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        if rng.random() < 0.4:
            parts.append(f"{rng.choice(MNEMONICS)} ${rng.randrange(0x7E0000, 0x7F0000):06X}")
        else:
            parts.append(rng.choice(WORDS))
    return " ".join(parts)


def _rate(fn, seconds: float, cap: int) -> tuple[float, int]:
    count, started = 0, time.perf_counter()
    while count < cap and time.perf_counter() - started < seconds:
        fn(count)
        count += 1
    return count / (time.perf_counter() - started), count


def _threaded_rate(log_one, seconds: float) -> tuple[float, int]:
    """Logs per second with `CALLERS` threads calling `log_one(thread, i)` in a loop."""
    stop = time.perf_counter() + seconds
    counts = [0] * CALLERS

    def work(n: int) -> None:
        while time.perf_counter() < stop:
            log_one(n, counts[n])
            counts[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(CALLERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(counts)


def _group_commit(tmp: str) -> dict:
    logger = InferenceLogger(Path(tmp) / "group.db")
    group_per_s, group_calls = _threaded_rate(
        lambda n, i: logger.log(prompt=f"caller {n} prompt {i}", response="STZ $10",
                                model="din-v3"), seconds=8.0)
    stored = logger.count()
    logger.close()
    # Baseline: the same callers, each row in its own transaction (its own fsync).
    single = InferenceLogger(Path(tmp) / "per-call.db")

    def per_call(n: int, i: int) -> None:
        row = validate_record({"prompt": f"caller {n} prompt {i}", "response": "STZ $10",
                               "model": "din-v3"}, now=time.time())
        single.db.write(lambda conn: insert_records(conn, [row]))

    per_call_per_s, per_call_calls = _threaded_rate(per_call, seconds=8.0)
    single.close()
    return {
        "group_commit_callers": CALLERS,
        "group_commit_logs_per_s": round(group_per_s, 1),
        "group_commit_logs": group_calls,
        "group_commit_rows_stored": stored,
        "per_call_commit_logs_per_s": round(per_call_per_s, 1),
        "per_call_commit_logs": per_call_calls,
        "group_commit_speedup": round(group_per_s / per_call_per_s, 2),
        "group_commit_target_per_s": GROUP_TARGET_PER_S,
        "group_commit_meets_target": group_per_s >= GROUP_TARGET_PER_S,
    }


def run() -> dict:
    rng = random.Random(0)
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("FULL", "NORMAL"):
            logger = InferenceLogger(Path(tmp) / f"single-{mode}.db", synchronous=mode)
            per_s, calls = _rate(
                lambda i, logger=logger: logger.log(
                    prompt=f"bench prompt {i}", response="STZ $10", model="din-v3"),
                seconds=8.0, cap=20_000,
            )
            result[f"log_per_s_{mode.lower()}"] = round(per_s, 1)
            result[f"log_calls_{mode.lower()}"] = calls
            logger.close()
        result.update(_group_commit(tmp))

        logger = InferenceLogger(Path(tmp) / "bulk.db")
        batches = [
            [{"prompt": _text(rng, 12), "response": _text(rng, 20), "model": "din-v3",
              "expert": rng.choice(["din", "nayru", "veran"])} for _ in range(BATCH)]
            for _ in range(RECORDS // BATCH)
        ]
        started = time.perf_counter()
        for batch in batches:
            logger.log_many(batch)
        result["log_many_rows_per_s"] = round(RECORDS / (time.perf_counter() - started), 1)
        result["records"] = logger.count()
        result["db_mb"] = round(logger.db_path.stat().st_size / 2**20, 1)

        # Broad queries (1-3 common words, each in 10-50% of the records) rank every match,
        # so they cost the most; selective ones (an address that occurs a few times) are the
        # typical "find that answer again" lookup.
        broad = [" ".join(rng.choice(WORDS + MNEMONICS) for _ in range(rng.randint(1, 3)))
                 for _ in range(40)]
        selective = [f"${rng.randrange(0x7E0000, 0x7F0000):06X}" for _ in range(40)]
        for name, queries in (("broad", broad), ("selective", selective)):
            latencies, hits = [], []
            for query in queries:
                for _ in range(3):
                    started = time.perf_counter()
                    found = logger.search(query, limit=20)
                    latencies.append((time.perf_counter() - started) * 1000)
                hits.append(len(found))
            latencies.sort()
            result[f"fts_{name}_ms_p50"] = round(statistics.median(latencies), 2)
            result[f"fts_{name}_ms_p95"] = round(latencies[int(len(latencies) * 0.95) - 1], 2)
            result[f"fts_{name}_mean_hits"] = round(statistics.mean(hits), 1)
            result[f"fts_{name}_queries"] = len(latencies)

        ids = [record.id for record in logger.records()]
        collector = FeedbackCollector(logger)
        rated = rng.sample(ids, 20_000)

        def rate_all(conn) -> None:
            conn.executemany(
                "INSERT INTO feedback (record_id, timestamp, score, source) "
                "VALUES (?, ?, ?, 'bench')",
                [(rid, time.time(), rng.choice([1.0, 0.5, -1.0])) for rid in rated],
            )

        logger.db.write(rate_all)
        started = time.perf_counter()
        examples = collector.examples()
        rows = build_dataset(examples, "sft")
        result["sft_build_s_20k_rated"] = round(time.perf_counter() - started, 2)
        result["sft_rows"] = len(rows)
        logger.close()
    return result
