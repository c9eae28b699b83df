"""`DistillationDataGenerator`: many concurrent teacher requests into a crash-safe checkpoint.

``await generate_batch(count)`` fills the checkpoint up to exactly `count` accepted samples:
it resumes what is there, never asks a prompt twice, keeps at most `concurrency` requests in
flight (never more than the samples still missing), filters every answer, drops near-duplicate
prompts and answers, and appends each accepted sample durably before counting it. When no
teacher can serve, it stops with `DistillationStopped`; everything accepted stays on disk.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from afs.neardup import NearDuplicateIndex
from afs.paths import state_path

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


class DistillationDataGenerator:
    """Generate filtered teacher samples into a checkpoint; see the module docstring.

    Without `output_dir` or `checkpoint`, the checkpoint is
    ``$AFS_HOME/distillation/checkpoint.jsonl``. `filter_executor` runs the (CPU-bound)
    filters off the event loop, e.g. in a `ProcessPoolExecutor`.
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
        self.stats = GenerationStats()

    # -- prompts ---------------------------------------------------------------------------
    def _fresh_prompts(self, checkpoint: Checkpoint, prompt_index: NearDuplicateIndex
                       ) -> Iterator[PromptSpec]:
        """Prompts never asked before, self-contained, outside the benchmark, not near-dups."""
        asked = checkpoint.ids | checkpoint.rejected_ids  # by earlier runs: skipped silently
        yielded: set[str] = set()
        skipped_in_a_row = 0
        for spec in self.prompts.stream():
            if spec.id in asked:
                continue
            reason = None
            if spec.id in yielded:
                reason = "duplicate_prompt"
            elif not is_self_contained(spec.user):
                reason = "not_self_contained"
            elif self.exclusion.excludes(spec.code):
                reason = "benchmark_item"
            elif prompt_index.check_and_add(spec.id, spec.user) is not None:
                reason = "near_duplicate_prompt"
            if reason is None:
                skipped_in_a_row = 0
                yielded.add(spec.id)
                yield spec
                continue
            self.stats.prompts_skipped[reason] += 1
            skipped_in_a_row += 1
            if skipped_in_a_row >= self.max_prompt_skips:
                raise PromptSpaceExhausted(
                    f"{skipped_in_a_row} prompts in a row were duplicates or excluded "
                    f"(domains {', '.join(self.prompts.domains)}); add domains or change "
                    "the seed")

    # -- one sample ------------------------------------------------------------------------
    async def _evaluate(self, spec: PromptSpec, reply: TeacherReply) -> FilterReport:
        item = FilterInput(domain=spec.domain, response=reply.completion.text,
                           finish_reason=reply.completion.finish_reason, family=spec.family,
                           code=spec.code, task=spec.task)
        if self.filter_executor is None:
            started = time.thread_time()
            report = self.filters.evaluate(item)
            self.stats.cpu_seconds += time.thread_time() - started
            return report
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.filter_executor, self.filters.evaluate, item)

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
        prompts = self._fresh_prompts(checkpoint, prompt_index)
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
                    spec = next(prompts, None)
                    if spec is None:  # another worker ended the prompt stream with an error
                        return
                    in_flight += 1
                    try:
                        reply = await self.ensemble.complete(
                            [{"role": "system", "content": spec.system},
                             {"role": "user", "content": spec.user}],
                            temperature=self.temperature, max_tokens=self.max_tokens)
                        report = await self._evaluate(spec, reply)
                        record, accepted = self._decide(answer_index, spec, reply, report)
                        decided += accepted
                    finally:
                        in_flight -= 1
                    # Shielded: a paid-for answer is written even if this worker is cancelled.
                    await asyncio.shield(loop.run_in_executor(
                        writer, self._write, checkpoint, record, accepted))
                    if on_progress:
                        on_progress(len(checkpoint), count, stats)
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
            writer.shutdown(wait=True)
        if failure is not None:
            raise DistillationStopped(
                f"generation stopped at {len(checkpoint)}/{count} samples: {failure}; "
                f"accepted samples are kept in {self.checkpoint_path}",
                accepted=len(checkpoint), requested=count,
            ) from failure

    def _decide(self, answer_index: NearDuplicateIndex, spec: PromptSpec, reply: TeacherReply,
                report: FilterReport) -> tuple[dict[str, Any], bool]:
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
            duplicate = answer_index.check_and_add(spec.id, reply.completion.text)
            if duplicate is not None:
                reasons = [f"near_duplicate_answer: like sample {duplicate}"]
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
