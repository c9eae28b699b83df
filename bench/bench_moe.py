"""The critic loop's effect and the pipeline's own cost, with the offline experts.

1. On the din benchmark items: Din (classical) answers, Farore (tool-grounded critic, told
   the item's live-out) critiques, Din revises; the benchmark scorer judges the output
   standing after iteration 0, 1 and 2 — the spec's "quality improvement over iterations".
2. Pipeline overhead per request: `Orchestrator.run` wall time minus the time spent inside
   the expert handlers and the critic (what is left is AFS's own orchestration).
"""

from __future__ import annotations

import asyncio
import statistics
import time

ITEMS = 40
ITERATIONS = 3


async def _critic_curve() -> dict:
    from afs.benchmark.items import default_dataset_dir, load_items
    from afs.benchmark.prompts import build_messages
    from afs.benchmark.scoring import score_answer
    from afs.models.registry import get_model
    from afs.moe.critic_loop import CriticConfig, CriticLoop
    from afs.moe.farore import FaroreCritic

    din = get_model("din")
    items = load_items(default_dataset_dir(), "din")[:ITEMS]
    passed_after = [0] * ITERATIONS
    score_after = [0.0] * ITERATIONS
    for item in items:
        prompt = build_messages(item)[1]["content"] + f"\nlive out: {item.live_out}"

        async def generate(request: str, feedback: str | None) -> str:
            text = request if feedback is None else f"{request}\n\n{feedback}"
            return (await din.complete(text)).text

        loop = CriticLoop(generate, FaroreCritic(live_out=item.live_out or "mem"),
                          CriticConfig(max_iterations=ITERATIONS, pass_threshold=0.9))
        _, history = await loop.run(prompt)
        best = None
        for k in range(ITERATIONS):
            if k < len(history) and (best is None or history[k].score > best.score):
                best = history[k]
            if best is not None:
                verdict = score_answer(item, best.output)
                passed_after[k] += verdict.passed
                score_after[k] += verdict.score
    return ({f"pass_rate_after_iteration_{k}": round(n / len(items), 3)
             for k, n in enumerate(passed_after)}
            | {f"mean_score_after_iteration_{k}": round(v / len(items), 3)
               for k, v in enumerate(score_after)}
            | {"items": len(items)})


async def _overhead() -> dict:
    from afs.models.registry import get_model
    from afs.moe.farore import FaroreCritic
    from afs.moe.generalist import GeneralistModel
    from afs.moe.orchestrator import Orchestrator

    spent = {"experts": 0.0}

    def timed(alias: str):
        model = get_model(alias)

        async def handler(query: str, context: dict) -> str:
            started = time.perf_counter()
            try:
                return (await model.complete(query)).text
            finally:
                spent["experts"] += time.perf_counter() - started
        return handler

    critic = FaroreCritic()

    async def timed_critic(prompt: str, output: str):
        started = time.perf_counter()
        try:
            return await critic(prompt, output)
        finally:
            spent["experts"] += time.perf_counter() - started

    generalist = GeneralistModel()
    for name in ("din", "farore", "nayru", "veran"):
        generalist.register_expert(name, timed(name))
    pipeline = Orchestrator(generalist=generalist, critic=timed_critic)
    await pipeline.run("warm up: explain this", code="LDA #$00\nSTA $10")
    overheads, totals = [], []
    for _ in range(10):
        spent["experts"] = 0.0
        started = time.perf_counter()
        await pipeline.run("Optimize this code and explain", code="LDA #$00\nSTA $10\nRTS")
        total = time.perf_counter() - started
        totals.append(total)
        overheads.append(total - spent["experts"])
    return {"pipeline_total_ms_median": round(statistics.median(totals) * 1000, 2),
            "pipeline_overhead_ms_median": round(statistics.median(overheads) * 1000, 2)}


def run() -> dict:
    return {**asyncio.run(_critic_curve()), **asyncio.run(_overhead())}
