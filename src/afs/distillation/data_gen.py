"""`DistillationDataGenerator`: many concurrent teacher requests into a crash-safe checkpoint.

``await generate_batch(count)`` fills the checkpoint up to exactly `count` accepted samples:
it resumes what is there, never asks a prompt twice, keeps at most `concurrency` requests in
flight (never more than the samples still missing), filters every answer, drops near-duplicate
prompts and answers, and appends each accepted sample durably before counting it. When no
teacher can serve, it stops with `DistillationStopped`; everything accepted stays on disk.

The event loop only talks to teachers: the CPU-bound work on an answer (every filter, which
share one extraction and assembly, and the answer's MinHash signature for the near-duplicate
check) runs in a pool of worker processes, one per CPU by default, kept until `close()`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from afs.asm.extract import normalize_code
from afs.distillation.checkpoint import SCHEMA_VERSION, Checkpoint
from afs.distillation.ensemble import NoTeacherAvailableError, TeacherEnsemble, TeacherReply
from afs.distillation.export import ExportResult, export_records
from afs.distillation.filters import FilterInput, FilterPipeline, FilterReport
from afs.distillation.prompts import (
    DOMAINS,
    BenchmarkExclusion,
    PromptGenerator,
    PromptSpec,
    alttp_entities,
    is_self_contained,
)
from afs.errors import AfsError
from afs.neardup import MinHasher, NearDuplicateIndex
from afs.paths import state_path
from afs.workers import ProcessPool, available_cpus

log = logging.getLogger("afs.distillation")


class DistillationStopped(AfsError):
    """Generation stopped before `count`; `accepted` samples are safely in the checkpoint."""

    def __init__(self, message: str, *, accepted: int, requested: int) -> None:
        super().__init__(message)
        self.accepted = accepted
        self.requested = requested


class PromptSpaceExhausted(AfsError):
    """The prompt generator keeps producing prompts that were already used or excluded."""


class TooManyRejections(AfsError):
    """Every recent answer failed the filters: the teachers or the filters are misconfigured."""


@dataclass
class GenerationStats:
    """Counters of one `generate_batch` call; `rate` counts only samples new in this call."""

    requested: int = 0
    existing: int = 0
    accepted: int = 0
    rejected: int = 0
    rejection_reasons: Counter[str] = field(default_factory=Counter)
    prompts_skipped: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cpu_seconds: float = 0.0
    checkpoint_cpu_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """New accepted samples per second."""
        return self.accepted / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested, "existing": self.existing, "accepted": self.accepted,
            "rejected": self.rejected, "rejection_reasons": dict(self.rejection_reasons),
            "prompts_skipped": dict(self.prompts_skipped),
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6), "elapsed_s": round(self.elapsed, 3),
            "samples_per_s": round(self.rate, 3),
            "cpu_ms_per_sample": round(1000 * (self.cpu_seconds + self.checkpoint_cpu_seconds)
                                       / max(self.accepted + self.rejected, 1), 3),
        }


ProgressCallback = Callable[[int, int, GenerationStats], None]


@functools.cache
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def evaluate_answer(filters: FilterPipeline, item: FilterInput, num_perm: int
                    ) -> tuple[FilterReport, np.ndarray]:
    """Filter one answer and compute its MinHash signature (runs in a worker process)."""
    return filters.evaluate(item), _hasher(num_perm).signature(item.response)


# A prepared prompt: the spec, whether it is self-contained, its normalised code (None: no
# code) and the MinHash signature of its text.
PreparedPrompt = tuple[PromptSpec, bool, "str | None", np.ndarray]
PROMPT_BATCH = 64


def prepare_prompt(spec: PromptSpec, num_perm: int) -> PreparedPrompt:
    """What the prompt checks need, computed once (in a worker when there is a pool)."""
    return (spec, is_self_contained(spec.user),
            None if spec.code is None else normalize_code(spec.code),
            _hasher(num_perm).signature(spec.user))


def prepare_prompts(prompts: PromptGenerator, start: int, count: int, num_perm: int
                    ) -> list[PreparedPrompt]:
    """Prompts `start` .. `start + count - 1`, prepared (runs in a worker process)."""
    return [prepare_prompt(prompts.prompt(index), num_perm)
            for index in range(start, start + count)]


class _PromptFeed:
    """Prompts never asked before, self-contained, outside the benchmark, not near-dups, in
    index order. Generating and MinHashing a prompt costs about a millisecond the event loop
    does not have, so with a worker pool they are prepared there, a batch ahead of use.
    Taking a prepared prompt never suspends, so no other worker interleaves with a take."""

    def __init__(self, owner: DistillationDataGenerator, checkpoint: Checkpoint,
                 prompt_index: NearDuplicateIndex, pool: ProcessPool | None) -> None:
        self.owner = owner
        self.index = prompt_index
        self.pool = pool
        self.num_perm = prompt_index.hasher.num_perm
        self.asked = checkpoint.ids | checkpoint.rejected_ids  # earlier runs: skipped silently
        self.yielded: set[str] = set()
        self.skipped_in_a_row = 0
        self.ready: deque[PreparedPrompt] = deque()
        self.next_index = 0
        self.stream = None if pool is not None else owner.prompts.stream()
        self.ahead: asyncio.Future[list[PreparedPrompt]] | None = None

    async def next(self) -> PromptSpec:
        while True:
            spec = self._take()
            if spec is not None:
                return spec
            await self._refill()

    def _take(self) -> PromptSpec | None:
        stats = self.owner.stats
        while self.ready:
            spec, self_contained, normalized, signature = self.ready.popleft()
            if spec.id in self.asked:
                continue
            reason = None
            if spec.id in self.yielded:
                reason = "duplicate_prompt"
            elif not self_contained:
                reason = "not_self_contained"
            elif normalized is not None and normalized in self.owner.exclusion.codes:
                reason = "benchmark_item"
            elif self.index.find(spec.user, signature) is not None:
                reason = "near_duplicate_prompt"
            if reason is None:
                self.index.add(spec.id, spec.user, signature)
                self.skipped_in_a_row = 0
                self.yielded.add(spec.id)
                return spec
            stats.prompts_skipped[reason] += 1
            self.skipped_in_a_row += 1
            if self.skipped_in_a_row >= self.owner.max_prompt_skips:
                raise PromptSpaceExhausted(
                    f"{self.skipped_in_a_row} prompts in a row were duplicates or excluded "
                    f"(domains {', '.join(self.owner.prompts.domains)}); add domains or "
                    "change the seed")
        return None

    def _request(self) -> asyncio.Future[list[PreparedPrompt]]:
        assert self.pool is not None
        start, self.next_index = self.next_index, self.next_index + PROMPT_BATCH
        return asyncio.ensure_future(self.pool.run(
            prepare_prompts, self.owner.prompts, start, PROMPT_BATCH, self.num_perm))

    async def _refill(self) -> None:
        if self.stream is not None:
            self.ready.extend(prepare_prompt(next(self.stream), self.num_perm)
                              for _ in range(PROMPT_BATCH))
            return
        if self.ahead is None:
            self.ahead = self._request()
        waited = self.ahead
        batch = await waited
        if self.ahead is waited:  # the first waiter to wake stores it; the others just take
            self.ready.extend(batch)
            self.ahead = self._request()

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.cancel()
            self.ahead = None


@functools.cache
def _warm_worker() -> None:
    """Import and build what the filters use (the knowledge graph) once per process: called
    in the parent before the workers fork, they share it."""
    from afs.distillation import filters

    filters.FilterPipeline().evaluate(FilterInput(
        domain="optimize", response="```asm\nSTZ $10\nRTS\n```", code="LDA #$00\nSTA $10\nRTS",
        task={"expects_code": True, "check_equivalence": True, "live_out": ["mem"]}))


class DistillationDataGenerator:
    """Generate filtered teacher samples into a checkpoint; see the module docstring.

    Without `output_dir` or `checkpoint`, the checkpoint is
    ``$AFS_HOME/distillation/checkpoint.jsonl``. The (CPU-bound) filters run in a pool of
    `filter_workers` processes (default: one per CPU; 0 runs them on the event loop), or in
    the given `filter_executor`, which the caller then owns. Call `close()` (or use the
    generator as a context manager) to stop the pool it made.
    """

    def __init__(
        self,
        ensemble: TeacherEnsemble,
        *,
        output_dir: str | Path | None = None,
        checkpoint: str | Path | None = None,
        concurrency: int = 8,
        domains: Iterable[str] = DOMAINS,
        seed: int = 0,
        temperature: float = 0.7,
        max_tokens: int = 1500,
        filters: FilterPipeline | None = None,
        prompts: PromptGenerator | None = None,
        benchmark_root: str | Path | None = "benchmarks",
        prompt_dedup_threshold: float = 0.9,
        answer_dedup_threshold: float = 0.85,
        max_prompt_skips: int = 20_000,
        max_rejections_in_a_row: int = 200,
        filter_executor: Executor | None = None,
        filter_workers: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise AfsError(f"concurrency must be at least 1, got {concurrency}")
        self.ensemble = ensemble
        if checkpoint is not None:
            self.checkpoint_path = Path(checkpoint)
        elif output_dir is not None:
            self.checkpoint_path = Path(output_dir) / "checkpoint.jsonl"
        else:
            self.checkpoint_path = state_path("distillation", "checkpoint.jsonl")
        self.concurrency = concurrency
        self.seed = seed
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.filters = filters or FilterPipeline()
        domains = tuple(domains)
        self.prompts = prompts or PromptGenerator(
            seed, domains=domains, entities=alttp_entities() if "alttp" in domains else None)
        self.exclusion = BenchmarkExclusion(Path(benchmark_root) if benchmark_root else None)
        self.prompt_dedup_threshold = prompt_dedup_threshold
        self.answer_dedup_threshold = answer_dedup_threshold
        self.max_prompt_skips = max_prompt_skips
        self.max_rejections_in_a_row = max_rejections_in_a_row
        self._rejections_in_a_row = 0
        self.filter_executor = filter_executor
        self.filter_workers = available_cpus() if filter_workers is None else filter_workers
        if self.filter_workers < 0:
            raise AfsError(f"filter_workers must not be negative, got {filter_workers}")
        self._pool: ProcessPool | None = None
        self.stats = GenerationStats()

    def _workers(self) -> ProcessPool:
        if self._pool is None:
            _warm_worker()
            self._pool = ProcessPool(self.filter_workers, initializer=_warm_worker)
        return self._pool

    def close(self) -> None:
        """Stop the filter worker processes this generator started (a later batch starts
        new ones)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> DistillationDataGenerator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- prompts ---------------------------------------------------------------------------
    def _prompt_feed(self, checkpoint: Checkpoint, prompt_index: NearDuplicateIndex
                     ) -> _PromptFeed:
        pooled = self.filter_workers > 0 and self.filter_executor is None \
            and type(self.prompts) is PromptGenerator
        return _PromptFeed(self, checkpoint, prompt_index, self._workers() if pooled else None)

    # -- one sample ------------------------------------------------------------------------
    async def _evaluate(self, spec: PromptSpec, reply: TeacherReply, num_perm: int
                        ) -> tuple[FilterReport, np.ndarray]:
        item = FilterInput(domain=spec.domain, response=reply.completion.text,
                           finish_reason=reply.completion.finish_reason, family=spec.family,
                           code=spec.code, task=spec.task)
        if self.filter_executor is not None:
            return await asyncio.get_running_loop().run_in_executor(
                self.filter_executor, evaluate_answer, self.filters, item, num_perm)
        if self.filter_workers == 0:
            started = time.thread_time()
            result = evaluate_answer(self.filters, item, num_perm)
            self.stats.cpu_seconds += time.thread_time() - started
            return result
        return await self._workers().run(evaluate_answer, self.filters, item, num_perm)

    def _record(self, spec: PromptSpec, reply: TeacherReply, report: FilterReport
                ) -> dict[str, Any]:
        completion = reply.completion
        return {
            "schema": SCHEMA_VERSION,
            "id": spec.id,
            "index": spec.index,
            "seed": self.seed,
            "domain": spec.domain,
            "family": spec.family,
            "expert": spec.expert,
            "system": spec.system,
            "prompt": spec.user,
            "input_code": spec.code,
            "task": spec.task,
            "response": completion.text,
            "extracted_code": report.extracted_code,
            "teacher": reply.teacher,
            "provider": completion.provider,
            "model": completion.model,
            "usage": {"prompt_tokens": completion.usage.prompt_tokens,
                      "completion_tokens": completion.usage.completion_tokens},
            "cost": completion.cost,
            "latency_ms": round(completion.latency_ms, 1),
            "attempts": completion.attempts,
            "finish_reason": completion.finish_reason,
            "quality": report.quality,
            "filters": [c.to_dict() for c in report.checks],
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    # -- the batch -------------------------------------------------------------------------
    async def generate_batch(
        self, count: int, *, on_progress: ProgressCallback | None = None
    ) -> list[dict[str, Any]]:
        """Fill the checkpoint to `count` accepted samples and return them (oldest first)."""
        if count < 0:
            raise AfsError(f"count must not be negative, got {count}")
        checkpoint = Checkpoint(self.checkpoint_path)
        self.stats = stats = GenerationStats(requested=count, existing=len(checkpoint))
        self._rejections_in_a_row = 0
        log.info("distillation checkpoint: %s (%d samples already)", self.checkpoint_path,
                 len(checkpoint))
        try:
            if len(checkpoint) < count:
                await self._run(checkpoint, count, on_progress)
        finally:
            checkpoint.close()
        if on_progress:
            on_progress(min(len(checkpoint), count), count, stats)
        return checkpoint.records[:count]

    async def _run(self, checkpoint: Checkpoint, count: int,
                   on_progress: ProgressCallback | None) -> None:
        stats = self.stats
        prompt_index = NearDuplicateIndex(self.prompt_dedup_threshold)
        answer_index = NearDuplicateIndex(self.answer_dedup_threshold)
        for record in [*checkpoint.records, *checkpoint.rejected]:
            if "prompt" in record:
                prompt_index.add(record["id"], record["prompt"])
        for record in checkpoint.records:
            answer_index.add(record["id"], record["response"])
        prompts = self._prompt_feed(checkpoint, prompt_index)

        # Accepted samples, written or being written: the count test must not wait for the
        # disk, or two workers could both take the last slot.
        decided = len(checkpoint)
        in_flight = 0
        stopped = False
        # fsync takes milliseconds; one writer thread keeps it off the event loop while
        # keeping appends in order. A sample counts only once its write has returned.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="afs-checkpoint")
        loop = asyncio.get_running_loop()

        async def worker() -> None:
            nonlocal decided, in_flight, stopped
            try:
                while not stopped and decided + in_flight < count:
                    in_flight += 1  # the slot is taken before the wait for a prompt
                    try:
                        spec = await prompts.next()
                        if stopped:  # another worker failed while this one waited
                            return
                        reply = await self.ensemble.complete(
                            [{"role": "system", "content": spec.system},
                             {"role": "user", "content": spec.user}],
                            temperature=self.temperature, max_tokens=self.max_tokens)
                        report, signature = await self._evaluate(
                            spec, reply, answer_index.hasher.num_perm)
                        if stopped:  # the rejections that stop the run were counted meanwhile
                            return
                        record, accepted = self._decide(answer_index, spec, reply, report,
                                                        signature)
                        decided += accepted
                        # Decided here, not after the write: another worker's answer must not
                        # be counted past the limit while this one is being written.
                        too_many = self._rejections_in_a_row >= self.max_rejections_in_a_row
                        stopped = stopped or too_many
                    finally:
                        in_flight -= 1
                    # Shielded: a paid-for answer is written even if this worker is cancelled.
                    await asyncio.shield(loop.run_in_executor(
                        writer, self._write, checkpoint, record, accepted))
                    if on_progress:
                        on_progress(len(checkpoint), count, stats)
                    if too_many:
                        self._check_rejections()
            except Exception:
                stopped = True  # the others finish nothing more and start nothing new
                raise

        tasks = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        failure: Exception | None = None
        try:
            await asyncio.gather(*tasks)
        except (NoTeacherAvailableError, PromptSpaceExhausted, TooManyRejections) as error:
            failure = error
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            prompts.close()
            writer.shutdown(wait=True)
        if failure is not None:
            raise DistillationStopped(
                f"generation stopped at {len(checkpoint)}/{count} samples: {failure}; "
                f"accepted samples are kept in {self.checkpoint_path}",
                accepted=len(checkpoint), requested=count,
            ) from failure

    def _decide(self, answer_index: NearDuplicateIndex, spec: PromptSpec, reply: TeacherReply,
                report: FilterReport, signature: np.ndarray) -> tuple[dict[str, Any], bool]:
        """Accept or reject one answered prompt (synchronous: no other worker interleaves)."""
        stats = self.stats
        started = time.thread_time()
        usage = reply.completion.usage
        stats.prompt_tokens += usage.prompt_tokens
        stats.completion_tokens += usage.completion_tokens
        stats.cost += reply.completion.cost or 0.0
        record = self._record(spec, reply, report)
        reasons = report.reasons
        if not reasons:
            text = reply.completion.text
            duplicate = answer_index.find(text, signature)
            if duplicate is not None:
                reasons = [f"near_duplicate_answer: like sample {duplicate}"]
            else:
                answer_index.add(spec.id, text, signature)
        if reasons:
            record["reasons"] = reasons
            stats.rejected += 1
            stats.rejection_reasons.update(r.split(":", 1)[0] for r in reasons)
            self._rejections_in_a_row += 1
        else:
            self._rejections_in_a_row = 0
        stats.cpu_seconds += time.thread_time() - started
        return record, not reasons

    def _write(self, checkpoint: Checkpoint, record: dict[str, Any], accepted: bool) -> None:
        """Runs on the writer thread, which alone updates `accepted` and the write CPU time."""
        started = time.thread_time()
        if accepted:
            checkpoint.accept(record)
            self.stats.accepted += 1
        else:
            checkpoint.reject(record)
        self.stats.checkpoint_cpu_seconds += time.thread_time() - started

    def _check_rejections(self) -> None:
        if self._rejections_in_a_row >= self.max_rejections_in_a_row:
            reasons = self.stats.rejection_reasons.most_common(3)
            raise TooManyRejections(
                f"the last {self._rejections_in_a_row} answers were all rejected "
                f"(most common reasons: {', '.join(f'{k} ({v})' for k, v in reasons)})")

    def export_training_data(
        self,
        path: str | Path,
        format: str = "chatml",
        *,
        min_quality: float = 0.0,
        split: float = 0.05,
    ) -> ExportResult:
        """Export the checkpoint's accepted samples (see `afs.distillation.export`)."""
        checkpoint = Checkpoint(self.checkpoint_path)
        checkpoint.close()
        return export_records(checkpoint.records, path, format=format,
                              min_quality=min_quality, split=split)
