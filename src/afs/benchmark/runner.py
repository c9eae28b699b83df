"""Running a model on benchmark items: ask, cache, score by execution, resume.

Answers are cached by model + prompt + parameters, so a rerun costs nothing; every scored
sample is appended (fsynced) to `samples.jsonl` in the run folder, so an interrupted run
resumes where it stopped (`--resume`). Scoring runs code, in worker processes driven by the
event loop (`afs.workers.ProcessPool`), so model calls and execution checks overlap; cache
writes and sample appends (each an fsync) run on one writer thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from afs.benchmark.cache import ResponseCache, cache_key
from afs.benchmark.items import BenchmarkItem, default_dataset_dir, load_items
from afs.benchmark.prompts import build_messages
from afs.benchmark.scoring import apply_veran_judge, score_answer
from afs.benchmark.splits import dataset_split
from afs.errors import InputError
from afs.jsonl import JsonlAppender, read_jsonl
from afs.models.base import ChatModel, FatalError, ModelError
from afs.paths import state_path
from afs.workers import ProcessPool

SAMPLES_FILE = "samples.jsonl"
CONFIG_FILE = "run.json"


@dataclass
class RunConfig:
    model: str
    domains: list[str]
    dataset: Path = field(default_factory=default_dataset_dir)
    output: Path | None = None
    samples: int = 1
    concurrency: int = 4
    limit: int | None = None
    seed: int = 0
    resume: bool = False
    temperature: float | None = None
    max_tokens: int | None = 1024
    use_cache: bool = True
    knowledge_context: bool = True
    workers: int | None = None
    #: an alias that also grades veran answers (0-10 against the reference), off by default
    judge: str | None = None

    def run_dir(self) -> Path:
        if self.output is not None:
            return Path(self.output)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return state_path("benchmark", "runs", f"{stamp}-{self.model}", "x").parent

    def identity(self) -> dict[str, Any]:
        """What a resumed run must share with the run it continues."""
        return {"model": self.model, "domains": sorted(self.domains),
                "dataset": str(Path(self.dataset).resolve()), "samples": self.samples,
                "limit": self.limit, "seed": self.seed, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "judge": self.judge}


def select_items(config: RunConfig) -> list[BenchmarkItem]:
    items: list[BenchmarkItem] = []
    for domain in config.domains:
        chosen = load_items(config.dataset, domain)
        items.extend(chosen[: config.limit] if config.limit else chosen)
    return items


def _model_identity(model: ChatModel) -> dict[str, Any]:
    return {"provider": model.provider, "model": model.model,
            "base_url": getattr(model, "base_url", None)}


# What the scoring workers share with the parent: set before they fork (so a job names an item
# by its index rather than pickling it, and the graph is built once), or by the initializer
# where workers are spawned.
_graph: Any = None
_items: list[BenchmarkItem] = []
# Items whose KG context one worker job computes: 400 single-item round trips cost the event
# loop more than the retrieval itself.
CONTEXT_BATCH = 16


def _share(items: list[BenchmarkItem]) -> None:
    global _items
    _items = items


def _contexts_for(indices: list[int]) -> list[str]:
    """KG context for items by index (runs in a scoring worker: retrieval costs
    milliseconds of CPU the event loop does not have)."""
    global _graph
    if _graph is None:
        from afs.knowledge.adapters import ALTTPKnowledgeGraph

        _graph = ALTTPKnowledgeGraph()
    return [_graph.get_context_for_prompt(f"{_items[i].metadata.request or ''}\n{_items[i].code}",
                                          max_entities=6) for i in indices]


def _score_item(index: int, answer: str) -> dict[str, Any]:
    """Score one answer to item `index` (runs in a scoring worker)."""
    return score_answer(_items[index], answer).to_dict()


class _KnowledgeContext:
    """KG context per item, from a graph built once per run, asked in batches of items."""

    def __init__(self, enabled: bool) -> None:
        self.graph: Any = None
        if enabled:
            from afs.knowledge.adapters import ALTTPKnowledgeGraph

            self.graph = ALTTPKnowledgeGraph()
        self._batches: dict[int, asyncio.Future[list[str]]] = {}

    async def for_item(self, index: int, pool: ProcessPool) -> str:
        if self.graph is None:
            return ""
        first = index - index % CONTEXT_BATCH
        if first not in self._batches:
            indices = list(range(first, min(first + CONTEXT_BATCH, len(_items))))
            self._batches[first] = asyncio.ensure_future(pool.run(_contexts_for, indices))
        return (await asyncio.shield(self._batches[first]))[index - first]


def _load_done(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Samples already scored; one that failed for a model error is asked again."""
    if not path.exists():
        return {}
    return {(r["item_id"], r["sample"]): r for r in read_jsonl(path, skip_torn_tail=True)
            if not r.get("model_error")}


def _check_resume(run_dir: Path, config: RunConfig) -> None:
    config_path = run_dir / CONFIG_FILE
    if (run_dir / SAMPLES_FILE).exists() and not config.resume:
        raise InputError(f"{run_dir} already holds a run; pass --resume to continue it or "
                         "choose another --output")
    if config.resume and config_path.exists():
        previous = json.loads(config_path.read_text())["identity"]
        if previous != config.identity():
            changed = sorted(k for k in previous if previous[k] != config.identity().get(k))
            raise InputError(f"cannot resume {run_dir}: the run used other settings "
                             f"({', '.join(changed)})")


JUDGE_PROMPT = """Grade this explanation of SNES 65816 code against the reference.
Question: {question}
Code:
{code}
Reference explanation: {reference}
Answer to grade: {answer}
Reply with one line: SCORE: <0-10>, where 10 means as correct and complete as the reference."""
_JUDGE_SCORE = re.compile(r"score\W{0,3}(\d+(?:\.\d+)?)", re.I)


async def _apply_judge(judge: ChatModel, item: BenchmarkItem, answer: str,
                       score: dict[str, Any]) -> dict[str, Any]:
    """Average the rubric score with an LLM judge's grade (veran only, opt-in); the
    predictions still decide a pass."""
    prompt = JUDGE_PROMPT.format(question=item.metadata.request, code=item.code,
                                 reference=item.expected_output, answer=answer)
    try:
        reply = (await judge.complete(prompt, temperature=0.0, max_tokens=20)).text
    except ModelError as exc:
        score["details"]["judge_error"] = str(exc)
        return score
    match = _JUDGE_SCORE.search(reply)
    if not match:
        score["details"]["judge_error"] = f"unparsable judge reply: {reply[:80]!r}"
        return score
    grade = min(1.0, max(0.0, float(match.group(1)) / 10))
    return apply_veran_judge(score, grade)


async def run_benchmark(
    config: RunConfig,
    *,
    model: ChatModel | None = None,
    on_sample: Callable[[dict[str, Any]], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> Path:
    """Run (or resume) a benchmark; returns the run folder with `samples.jsonl`.

    `on_start(total, already_done)` and `on_sample(record)` drive a progress display.
    """
    if model is None:
        from afs.models.registry import get_model

        model = get_model(config.model)
    items = select_items(config)
    run_dir = config.run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_resume(run_dir, config)
    (run_dir / CONFIG_FILE).write_text(json.dumps(
        {"identity": config.identity(), "split": dataset_split(config.dataset),
         "config": {k: str(v) for k, v in asdict(config).items()}}, indent=2))
    done = _load_done(run_dir / SAMPLES_FILE)
    todo = [(item, s) for item in items for s in range(config.samples)
            if (item.id, s) not in done]
    if on_start:
        on_start(len(items) * config.samples, len(items) * config.samples - len(todo))
    if not todo:
        return run_dir

    knowledge = _KnowledgeContext(config.knowledge_context)
    cache = ResponseCache() if config.use_cache else None
    identity = _model_identity(model)
    limiter = asyncio.Semaphore(config.concurrency)
    loop = asyncio.get_running_loop()
    workers = config.workers or max(1, min(4, os.cpu_count() or 1))
    global _graph
    _graph = knowledge.graph or _graph
    _share(items)
    pool = ProcessPool(workers, initializer=functools.partial(_share, items))
    pool.start()  # forked before this run starts threads of its own
    index = {item.id: i for i, item in enumerate(items)}
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="afs-benchmark-writer")
    judge = None
    if config.judge:
        from afs.models.registry import get_model

        judge = get_model(config.judge)
    temperature = config.temperature
    if temperature is None:
        temperature = 0.0 if config.samples == 1 else 0.8

    async def one(item: BenchmarkItem, sample: int, out: JsonlAppender) -> None:
        messages = build_messages(item, await knowledge.for_item(index[item.id], pool))
        params = {"temperature": temperature, "max_tokens": config.max_tokens,
                  "seed": config.seed + sample}
        key = cache_key(identity, messages, {**params, "sample": sample})
        cached = cache.get(key) if cache else None
        started = time.perf_counter()
        error = None
        if cached is not None:
            answer, meta = cached
        else:
            async with limiter:
                try:
                    completion = await model.complete(messages, **params)
                    answer = completion.text
                    meta = {"usage": [completion.usage.prompt_tokens,
                                      completion.usage.completion_tokens],
                            "latency_ms": completion.latency_ms}
                except FatalError:
                    raise  # a bad key or unknown model: stop; what is scored is kept
                except ModelError as exc:
                    answer, meta, error = "", {}, f"{type(exc).__name__}: {exc}"
            if cache is not None and error is None:
                await loop.run_in_executor(writer, cache.put, key, answer, meta)
        score = await pool.run(_score_item, index[item.id], answer)
        if judge is not None and item.domain == "veran" and not error:
            score = await _apply_judge(judge, item, answer, score)
        record = {
            "item_id": item.id, "domain": item.domain, "category": item.category,
            "difficulty": item.difficulty, "sample": sample, "answer": answer,
            "cached": cached is not None, "model_error": error,
            "seconds": round(time.perf_counter() - started, 4), **meta, **score,
        }
        await loop.run_in_executor(writer, out.append, record)
        if on_sample:
            on_sample(record)

    try:
        with JsonlAppender(run_dir / SAMPLES_FILE) as out:
            await asyncio.gather(*(one(item, s, out) for item, s in todo))
    finally:
        writer.shutdown(wait=True)
        pool.close()
        if cache is not None:
            cache.close()
    return run_dir
