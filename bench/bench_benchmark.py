"""Benchmark-suite timings: generation + proof of every item, a full offline run of
`afs benchmark all --model classical` (no cache), as a user would start them, and the
runner's request rate against an HTTP model at concurrency 32 (loopback OpenAI-compatible
server with 200 ms latency, `tests.support.load_harness`) next to a bare `AsyncOpenAI` client
sending the same prompts at the same concurrency in the same run (target ratio >= 0.8)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 32
LATENCY = 0.2
PER_DOMAIN = 100
TARGET_RATIO = 0.8
KEY_ENV = "AFS_BENCH_RUNNER_KEY"


def _timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done


def _runner_rate() -> dict[str, Any]:
    """Samples/s of `run_benchmark` against an HTTP model, and of the bare SDK."""
    from tests.support.load_harness import LoadServer, bare_client_rate, cpu_seconds

    from afs.benchmark.items import DOMAINS
    from afs.benchmark.prompts import build_messages
    from afs.benchmark.runner import RunConfig, run_benchmark, select_items
    from afs.models.registry import ModelSpec, create_model

    with LoadServer(latency=LATENCY) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ[KEY_ENV] = server.api_key
        try:
            spec = ModelSpec(provider="openai", model="bench-http", base_url=server.openai_base_url,
                             api_key_env=(KEY_ENV,), timeout=60.0)

            cpu_ms: dict[str, float] = {}

            async def runner(output: Path, limit: int) -> tuple[float, int]:
                model = create_model(spec, alias="bench-http")
                config = RunConfig(model="bench-http", domains=list(DOMAINS), output=output,
                                   concurrency=CONCURRENCY, limit=limit, use_cache=False)
                done = 0

                def count(_record: dict[str, Any]) -> None:
                    nonlocal done
                    done += 1

                cpu, started = cpu_seconds(exclude=[server.pid]), time.perf_counter()
                try:
                    await run_benchmark(config, model=model, on_sample=count)
                finally:
                    await model.aclose()
                cpu_ms[output.name] = 1000 * (cpu_seconds(exclude=[server.pid]) - cpu) / done
                return time.perf_counter() - started, done

            asyncio.run(runner(Path(tmp) / "warm-up", 4))
            wall, samples = asyncio.run(runner(Path(tmp) / "run", PER_DOMAIN))
            items = select_items(RunConfig(model="bench-http", domains=list(DOMAINS),
                                           limit=PER_DOMAIN))
            bare = asyncio.run(bare_client_rate(
                server.openai_base_url, server.api_key,
                [build_messages(item) for item in items], CONCURRENCY, exclude=[server.pid]))
        finally:
            os.environ.pop(KEY_ENV, None)
    rate = samples / wall
    return {"runner_samples": samples, "runner_wall_s": round(wall, 3),
            "runner_samples_per_s": round(rate, 2),
            # The runner's process with its scoring workers, per sample.
            "runner_cpu_ms_per_sample": round(cpu_ms["run"], 3),
            "bare_sdk_requests_per_s": round(bare.requests_per_s, 2),
            "bare_sdk_cpu_ms_per_request": round(bare.cpu_ms_per_request, 3),
            "runner_ratio_to_bare_sdk": round(rate / bare.requests_per_s, 3),
            "runner_target_ratio": TARGET_RATIO, "runner_concurrency": CONCURRENCY,
            "upstream_latency_s": LATENCY}


def run() -> dict:
    result = _runner_rate()
    result.update(_suite_timings())
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


def _suite_timings() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        generate_s, _ = _timed([sys.executable, "scripts/generate_benchmarks.py", "--output",
                                f"{tmp}/datasets"])
        run_s, done = _timed([sys.executable, "-m", "afs", "benchmark", "all", "--model",
                              "classical", "--dataset", f"{tmp}/datasets", "--output",
                              f"{tmp}/run", "--no-cache", "--json"])
    summary = json.loads(done.stdout)["summary"]
    return {
        "generate_and_prove_s": round(generate_s, 1),
        "classical_run_s": round(run_s, 1),
        "items": summary["overall"]["items"],
        "classical_pass_rate": {d: round(e["pass_rate"], 3)
                                for d, e in summary["domains"].items()},
        "targets": {"classical_run_s": 120, "generate_and_prove_s": 300},
    }
