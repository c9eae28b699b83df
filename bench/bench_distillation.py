"""Distillation throughput against a loopback teacher with realistic answers.

The teacher is `tests.support.load_harness.LoadServer`: the OpenAI wire format, 200 ms latency,
answers a good teacher would give (fenced 65816 code that assembles and, for optimisation
prompts, passes the equivalence filter), in its own process. In the same run, a bare
`AsyncOpenAI` client sends the same prompts at the same concurrency: the ratio of the
generator's request rate (answers handled, accepted or rejected, per second) to the bare
client's is the figure (target >= 0.8). Also reported: CPU per sample of the main process
and of the whole process tree (filter workers included; robust to the machine's load, unlike
wall time) next to the bare client's CPU per request, the acceptance mix, and a short run
under a 20% 429/500/503 storm whose per-teacher counts are compared with what the server sent.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

COUNT = 600
CONCURRENCY = 32
LATENCY = 0.2
STORM_COUNT = 150
STORM_RATE = 0.2
TARGET_RATIO = 0.8
KEY_ENV = "AFS_BENCH_TEACHER_KEY"


def _ensemble(base_url: str, **options: Any) -> Any:
    from afs.distillation import Teacher, TeacherEnsemble
    from afs.models.registry import ModelSpec, create_model
    from afs.models.retry import RetryPolicy

    spec = ModelSpec(provider="openai", model="bench-teacher", base_url=base_url,
                     api_key_env=(KEY_ENV,), timeout=30.0)
    retry = RetryPolicy(base_delay=0.05, max_delay=0.5)
    return TeacherEnsemble([Teacher(create_model(spec, alias="bench", retry=retry),
                                    name="bench")], **options)


def _prompts(count: int) -> list[list[dict[str, str]]]:
    from afs.distillation.prompts import DOMAINS, PromptGenerator, alttp_entities

    generator = PromptGenerator(0, domains=DOMAINS, entities=alttp_entities())
    return [[{"role": "system", "content": spec.system}, {"role": "user", "content": spec.user}]
            for spec in (generator.prompt(i) for i in range(count))]


async def _generate(base_url: str, directory: Path, count: int, server_pid: int
                    ) -> dict[str, Any]:
    from tests.support.load_harness import cpu_seconds

    from afs.distillation import DistillationDataGenerator

    ensemble = _ensemble(base_url)
    generator = DistillationDataGenerator(ensemble, output_dir=directory,
                                          concurrency=CONCURRENCY, benchmark_root=None)
    try:
        # Warm-up outside the timed part: SDK client, connections, the filter worker pool.
        await generator.generate_batch(count=CONCURRENCY)
        cpu0, tree0, wall0 = time.process_time(), cpu_seconds(exclude=[server_pid]), \
            time.perf_counter()
        await generator.generate_batch(count=count + CONCURRENCY)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        tree = cpu_seconds(exclude=[server_pid]) - tree0
    finally:
        generator.close()
        await ensemble.aclose()
    stats = generator.stats
    handled = stats.accepted + stats.rejected
    return {
        "accepted": stats.accepted, "rejected": stats.rejected, "wall_s": round(wall, 3),
        "requests_per_s": round(handled / wall, 2),
        "accepted_per_s": round(stats.accepted / wall, 2),
        "main_process_cpu_ms_per_sample": round(1000 * cpu / max(handled, 1), 3),
        # With the filter workers: what the machine pays per answer.
        "cpu_ms_per_sample": round(1000 * tree / max(handled, 1), 3),
        "rejection_reasons": dict(stats.rejection_reasons),
    }


async def _storm(base_url: str, directory: Path) -> dict[str, Any]:
    from afs.distillation import DistillationDataGenerator

    ensemble = _ensemble(base_url, default_pause=0.05)
    generator = DistillationDataGenerator(ensemble, output_dir=directory,
                                          concurrency=CONCURRENCY, benchmark_root=None)
    try:
        await generator.generate_batch(count=STORM_COUNT)
    finally:
        generator.close()
        await ensemble.aclose()
    (status,) = ensemble.status()
    return {key: status[key] for key in ("attempts", "successes", "retries", "rate_limited",
                                         "server_errors", "failures")}


def run() -> dict[str, Any]:
    from tests.support.load_harness import LoadServer, bare_client_rate

    os.environ[KEY_ENV] = "unused"
    result: dict[str, Any] = {"count": COUNT, "concurrency": CONCURRENCY,
                              "latency_s": LATENCY}
    try:
        with LoadServer(latency=LATENCY) as server:
            os.environ[KEY_ENV] = server.api_key
            with tempfile.TemporaryDirectory() as tmp:
                result["afs"] = asyncio.run(_generate(server.openai_base_url, Path(tmp), COUNT,
                                                      server.pid))
            bare = asyncio.run(bare_client_rate(server.openai_base_url, server.api_key,
                                                _prompts(COUNT), CONCURRENCY,
                                                exclude=[server.pid]))
        result["bare_sdk_requests_per_s"] = round(bare.requests_per_s, 2)
        result["bare_sdk_cpu_ms_per_request"] = round(bare.cpu_ms_per_request, 3)
        result["ratio_to_bare_sdk"] = round(result["afs"]["requests_per_s"]
                                            / bare.requests_per_s, 3)
        result["target_ratio"] = TARGET_RATIO
        with LoadServer(latency=LATENCY, failure_rate=STORM_RATE, seed=1) as server:
            os.environ[KEY_ENV] = server.api_key
            with tempfile.TemporaryDirectory() as tmp:
                counted = asyncio.run(_storm(server.openai_base_url, Path(tmp)))
            sent = server.counts()
        result["storm"] = {"failure_rate": STORM_RATE, "teacher_status": counted,
                           "server_sent": sent}
    finally:
        os.environ.pop(KEY_ENV, None)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


if __name__ == "__main__":
    print(run())
