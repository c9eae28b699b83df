"""Distillation throughput: 1,000 samples from a loopback teacher with 200 ms latency.

The teacher is the real OpenAI backend (official SDK) talking to the loopback provider server
of the tests, run in its own process so the server's threads do not compete with ours for
the GIL. Ideal throughput at concurrency 32 and 200 ms per request is 160 samples/s; the
target is at least 0.8 of that. Also reported: CPU time per sample spent in our own code
(filters, dedup, checkpoint appends) and the whole process's CPU per sample (including the
SDK and HTTP client).
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from typing import Any

COUNT = 1000
CONCURRENCY = 32
LATENCY = 0.2
DOMAINS = ("generate", "explain", "alttp")
BENCH_KEY = "sk-bench-loopback-only-0000"
ROUTINE = "SetValue:\n    SEP #$20\n    LDA #$01\n    STA $12\n    RTS"


def _reply(request: Any) -> str:
    """A unique, filter-passing answer per prompt (code when the prompt asks for code)."""
    digest = hashlib.sha256(request.prompt.encode()).hexdigest()
    tail = " ".join(digest[i:i + 6] for i in range(0, 60, 6))
    if request.prompt.startswith("Write"):
        return f"Here is the routine.\n\n```asm\n{ROUTINE}\n```\n\nIt returns with 8-bit A. {tail}"
    return f"The routine loads the value and stores it; N and Z follow the value. {tail}"


def _serve(ports: Any, stop: Any) -> None:
    from tests.support.provider_servers import ProviderServer

    with ProviderServer(reply=_reply, latency=LATENCY, api_key=BENCH_KEY) as server:
        ports.put(server.openai_base_url)
        stop.wait()


async def _raw_ceiling(base_url: str) -> float:
    """Requests/s of the bare SDK against the same server at the same concurrency: what the
    test harness itself allows on this machine, with none of our code in the loop."""
    from afs.models.registry import ModelSpec, create_model

    spec = ModelSpec(provider="openai", model="bench-teacher", base_url=base_url,
                     api_key_env=("AFS_BENCH_TEACHER_KEY",), timeout=30.0)
    model = create_model(spec, alias="raw")
    remaining = COUNT

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await model.complete([{"role": "user", "content": f"Explain request {remaining}."}])

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))  # warm-up connections
    remaining = COUNT
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    await model.aclose()
    return COUNT / elapsed


async def _generate(base_url: str, directory: Path) -> dict[str, Any]:
    from afs.distillation import DistillationDataGenerator, Teacher, TeacherEnsemble
    from afs.models.registry import ModelSpec, create_model

    spec = ModelSpec(provider="openai", model="bench-teacher", base_url=base_url,
                     api_key_env=("AFS_BENCH_TEACHER_KEY",), timeout=30.0)
    ensemble = TeacherEnsemble([Teacher(create_model(spec, alias="bench"), name="bench")])
    generator = DistillationDataGenerator(ensemble, output_dir=directory, domains=DOMAINS,
                                          concurrency=CONCURRENCY)
    # Warm-up outside the timed part: SDK client, assembler and knowledge-graph imports.
    await generator.generate_batch(count=CONCURRENCY)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await generator.generate_batch(count=COUNT + CONCURRENCY)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    await ensemble.aclose()
    stats = generator.stats
    samples = stats.accepted
    handled = stats.accepted + stats.rejected
    return {
        "samples": samples,
        "rejected": stats.rejected,
        "wall_s": round(wall, 3),
        "samples_per_s": round(samples / wall, 2),
        "ideal_samples_per_s": CONCURRENCY / LATENCY,
        "ratio_to_ideal": round(samples / wall / (CONCURRENCY / LATENCY), 3),
        "own_cpu_ms_per_sample": stats.to_dict()["cpu_ms_per_sample"],
        "process_cpu_ms_per_sample": round(1000 * cpu / max(handled, 1), 3),
        "rejection_reasons": dict(stats.rejection_reasons),
    }


def run() -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ports, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(ports, stop), daemon=True)
    server.start()
    os.environ["AFS_BENCH_TEACHER_KEY"] = BENCH_KEY
    try:
        base_url = ports.get(timeout=60)
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(_generate(base_url, Path(tmp)))
        ceiling = asyncio.run(_raw_ceiling(base_url))
    finally:
        stop.set()
        server.join(timeout=10)
        os.environ.pop("AFS_BENCH_TEACHER_KEY", None)
    return {"count": COUNT, "concurrency": CONCURRENCY, "latency_s": LATENCY,
            "domains": list(DOMAINS), **result,
            "raw_sdk_requests_per_s": round(ceiling, 2),
            "ratio_to_raw_sdk": round(result["samples_per_s"] / ceiling, 3),
            "load_average_1m": round(os.getloadavg()[0], 2)}


if __name__ == "__main__":
    print(run())
