"""Gated periodic retraining on the feedback the log has collected.

The schedule (`check_retrain_needed`) is true exactly when both hold:
- at least `min_new_samples` distinct records received feedback after the last successful
  job's watermark (the highest feedback id its dataset saw), and
- at least `retrain_interval_hours` have passed since that job *started* (no successful job
  yet counts as passed). Measuring from the start keeps a weekly cadence from drifting by the
  length of each training run.

A job is *successful* when its cycle completed: trained and then promoted, rejected by the
gate, or left unevaluated because no gate is configured. A failed job (an exception while
exporting, training or evaluating) is recorded with its error and does not reset the schedule.

The evaluation gate is a hook, `eval_fn(model_ref) -> float` (higher is better), run on the
new model and on the current one (the last promoted model, else `base_model`). The new model
is promoted only when its score is >= the current one's (and >= `min_eval_score` if set). With
no gate the model is trained but never promoted: an ungated promotion is how bad models ship.

One retrain runs at a time per log: a cycle holds an exclusive lock on `retrain.lock` beside
the database for its whole run, and the operating system drops that lock when the process
ends, however it ends. So a job still marked `running` while nobody holds the lock belongs to
a process that is gone (killed, crashed, machine restarted): the next check marks it failed.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import math
import os
import shlex
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from afs.errors import AfsError, InputError
from afs.feedback.collector import FeedbackCollector
from afs.feedback.logger import InferenceLogger
from afs.feedback.sampler import FORMATS, build_dataset
from afs.jsonl import write_jsonl

TrainFn = Callable[[Path, Path], str]
EvalFn = Callable[[str], float]

SUCCESS_STATUSES = ("promoted", "rejected", "unevaluated")
_ERROR_LIMIT = 2000
LOCK_NAME = "retrain.lock"


class RetrainBusyError(AfsError):
    """Another retrain cycle is running on this log."""


@dataclass
class RetrainConfig:
    """When to retrain, what data to train on, and how to judge the result."""

    min_new_samples: int = 100
    retrain_interval_hours: float = 168.0
    quality_threshold: float = 0.5  # min latest feedback score for an answer to be "accepted"
    dataset_format: str = "sft"
    base_model: str | None = None  # the model serving now; the gate's first baseline
    eval_fn: EvalFn | None = None
    min_eval_score: float | None = None
    dedupe: bool = True
    dedupe_threshold: float = 0.8
    balance_per_expert: bool = False
    max_samples: int | None = None
    recency_half_life_hours: float = 168.0
    work_dir: Path | None = None  # default: jobs/ beside the database

    def __post_init__(self) -> None:
        if isinstance(self.min_new_samples, bool) or not isinstance(self.min_new_samples, int) \
                or self.min_new_samples < 0:
            raise InputError(f"min_new_samples must be a non-negative integer, "
                             f"got {self.min_new_samples!r}")
        if not math.isfinite(self.retrain_interval_hours) or self.retrain_interval_hours < 0:
            raise InputError(f"retrain_interval_hours must be a non-negative number, "
                             f"got {self.retrain_interval_hours!r}")
        if not 0.0 <= self.quality_threshold <= 1.0:
            raise InputError(f"quality_threshold must be in [0, 1], got {self.quality_threshold}")
        if self.dataset_format not in FORMATS:
            raise InputError(f"dataset_format must be one of {', '.join(FORMATS)}, "
                             f"got {self.dataset_format!r}")
        if self.max_samples is not None and self.max_samples < 1:
            raise InputError(f"max_samples must be at least 1, got {self.max_samples}")


@dataclass(frozen=True)
class RetrainJob:
    """One row of the jobs table."""

    id: int
    started_at: float
    finished_at: float | None
    status: str  # running | promoted | rejected | unevaluated | failed
    reason: str | None
    feedback_watermark: int
    new_feedback_records: int
    dataset_format: str
    dataset_path: str | None
    dataset_size: int | None
    base_model: str | None
    new_model: str | None
    old_score: float | None
    new_score: float | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PeriodicRetrainer:
    """Decides when to retrain, runs a gated cycle, and keeps the jobs in the log database."""

    def __init__(
        self,
        logger: InferenceLogger,
        config: RetrainConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.logger = logger
        self.collector = FeedbackCollector(logger)
        self.config = config or RetrainConfig()
        self.clock = clock

    @property
    def lock_path(self) -> Path:
        return self.logger.db_path.parent / LOCK_NAME

    @contextlib.contextmanager
    def _lock(self) -> Iterator[bool]:
        """Try to take the retrain lock without waiting; yield whether it was taken."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _fail_stale_jobs(self) -> list[int]:
        """Mark failed the `running` jobs whose process is gone; needs the lock held."""
        stale = [job.id for job in self.jobs() if job.status == "running"]
        for job_id in stale:
            self._update(job_id, status="failed", finished_at=self.clock(),
                         error="stale: the process running this job is gone",
                         reason="the retrain process ended without finishing the job "
                                "(killed or crashed); the schedule is not reset")
        return stale

    def reap_stale_jobs(self) -> list[int]:
        """Mark failed any `running` job whose process is gone; return their ids.

        While a cycle runs (its lock is held) nothing is touched.
        """
        with self._lock() as taken:
            return self._fail_stale_jobs() if taken else []

    def jobs(self, limit: int | None = None) -> list[RetrainJob]:
        """Jobs, newest first."""
        sql = "SELECT * FROM jobs ORDER BY id DESC" + (" LIMIT ?" if limit else "")
        rows = self.logger.db.read(
            lambda conn: conn.execute(sql, (limit,) if limit else ()).fetchall()
        )
        return [RetrainJob(**dict(row)) for row in rows]

    def last_successful_job(self) -> RetrainJob | None:
        marks = ", ".join("?" for _ in SUCCESS_STATUSES)
        row = self.logger.db.read(lambda conn: conn.execute(
            f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY id DESC LIMIT 1",
            SUCCESS_STATUSES,
        ).fetchone())
        return None if row is None else RetrainJob(**dict(row))

    def current_model(self) -> str | None:
        """The last promoted model, else the configured `base_model`."""
        row = self.logger.db.read(lambda conn: conn.execute(
            "SELECT new_model FROM jobs WHERE status = 'promoted' ORDER BY id DESC LIMIT 1"
        ).fetchone())
        return row[0] if row is not None else self.config.base_model

    def check_retrain_needed(self) -> tuple[bool, str]:
        """(needed, reason); the reason gives both numbers against both thresholds."""
        self.reap_stale_jobs()
        last = self.last_successful_job()
        watermark = last.feedback_watermark if last else 0
        new = self.collector.records_rated_since(watermark)
        need_samples = self.config.min_new_samples
        interval_s = self.config.retrain_interval_hours * 3600.0
        since = "since the last successful job" if last else "so far (no successful job yet)"
        samples_ok = new >= need_samples
        if last is None:
            time_ok = True
            timing = "no previous job, so the interval has passed"
        else:
            elapsed = self.clock() - last.started_at
            time_ok = elapsed >= interval_s
            timing = (f"{elapsed / 3600:.2f} h since job {last.id} started "
                      f"(need {self.config.retrain_interval_hours:g} h)")
        reason = f"{new} records with new feedback {since} (need {need_samples}); {timing}"
        return samples_ok and time_ok, reason

    def _job_dir(self, job_id: int) -> Path:
        root = self.config.work_dir or self.logger.db_path.parent / "jobs"
        return Path(root) / f"job-{job_id:06d}"

    def _update(self, job_id: int, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.logger.db.write(lambda conn: conn.execute(
            f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), job_id)
        ))

    def _job(self, job_id: int) -> RetrainJob:
        row = self.logger.db.read(
            lambda conn: conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        )
        return RetrainJob(**dict(row))

    def run_retrain_cycle(self, train_fn: TrainFn, eval_fn: EvalFn | None = None) -> RetrainJob:
        """Export the dataset, train, gate, and record the job; return it.

        `train_fn(dataset_path, output_dir)` returns the new model's alias or path. Errors
        from any step are recorded as a failed job (returned, not raised); an interrupt
        (Ctrl-C) is recorded and re-raised. Raises `RetrainBusyError` when another cycle is
        running on this log.
        """
        with self._lock() as taken:
            if not taken:
                running = [job.id for job in self.jobs() if job.status == "running"]
                which = f"job {running[0]}" if running else "a job"
                raise RetrainBusyError(
                    f"another retrain ({which}) is running on {self.logger.db_path}; "
                    "wait for it to finish")
            self._fail_stale_jobs()
            return self._locked_cycle(train_fn, eval_fn)

    def _locked_cycle(self, train_fn: TrainFn, eval_fn: EvalFn | None) -> RetrainJob:
        config = self.config
        gate = eval_fn or config.eval_fn

        def start(conn: sqlite3.Connection) -> int:
            watermark = conn.execute("SELECT coalesce(max(id), 0) FROM feedback").fetchone()[0]
            previous = conn.execute(
                f"SELECT coalesce(max(feedback_watermark), 0) FROM jobs WHERE status IN "
                f"({', '.join('?' for _ in SUCCESS_STATUSES)})", SUCCESS_STATUSES,
            ).fetchone()[0]
            new = conn.execute(
                "SELECT count(DISTINCT record_id) FROM feedback WHERE id > ?", (previous,)
            ).fetchone()[0]
            cursor = conn.execute(
                "INSERT INTO jobs (started_at, status, feedback_watermark, new_feedback_records,"
                " dataset_format) VALUES (?, 'running', ?, ?, ?)",
                (self.clock(), watermark, new, config.dataset_format),
            )
            return int(cursor.lastrowid)

        job_id = self.logger.db.write(start)
        try:
            self._run(job_id, train_fn, gate)
        except Exception as exc:
            self._update(job_id, status="failed", finished_at=self.clock(),
                         error=f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT],
                         reason="the cycle raised an error; the schedule is not reset")
        except BaseException:
            self._update(job_id, status="failed", finished_at=self.clock(),
                         error="interrupted", reason="the cycle was interrupted")
            raise
        return self._job(job_id)

    def _run(self, job_id: int, train_fn: TrainFn, gate: EvalFn | None) -> None:
        config = self.config
        job = self._job(job_id)
        examples = self.collector.examples(include_unrated=config.dataset_format == "dpo",
                                           up_to=job.feedback_watermark)
        rows = build_dataset(
            examples, config.dataset_format, min_score=config.quality_threshold,
            dedupe=config.dedupe, dedupe_threshold=config.dedupe_threshold,
            balance=config.balance_per_expert, max_samples=config.max_samples,
            half_life_hours=config.recency_half_life_hours, now=self.clock(),
        )
        job_dir = self._job_dir(job_id)
        dataset_path = job_dir / f"{config.dataset_format}.jsonl"
        write_jsonl(dataset_path, rows)
        self._update(job_id, dataset_path=str(dataset_path), dataset_size=len(rows))
        if not rows:
            raise AfsError(f"the {config.dataset_format} dataset is empty: no feedback up to "
                           f"id {job.feedback_watermark} passes the sampler")
        output_dir = job_dir / "model"
        output_dir.mkdir(parents=True, exist_ok=True)
        new_model = train_fn(dataset_path, output_dir)
        if not isinstance(new_model, str | Path) or not str(new_model).strip():
            raise AfsError(f"train_fn must return the new model's alias or path, "
                           f"got {new_model!r}")
        new_model = str(new_model)
        baseline = self.current_model()
        self._update(job_id, new_model=new_model, base_model=baseline)
        status, reason, old_score, new_score = self._gate(gate, baseline, new_model)
        self._update(job_id, status=status, reason=reason, old_score=old_score,
                     new_score=new_score, finished_at=self.clock())

    def _gate(
        self, gate: EvalFn | None, baseline: str | None, new_model: str
    ) -> tuple[str, str, float | None, float | None]:
        if gate is None:
            return ("unevaluated", "no evaluation gate configured (pass eval_fn); the new "
                    "model was trained but not promoted", None, None)
        new_score = _score(gate, new_model)
        floor = self.config.min_eval_score
        if baseline is None and floor is None:
            return ("rejected", f"new score {new_score:.4f}, but there is no current model "
                    "(base_model) or min_eval_score to compare against; not promoted",
                    None, new_score)
        old_score = _score(gate, baseline) if baseline is not None else None
        failures = []
        if old_score is not None and new_score < old_score:
            failures.append(f"new score {new_score:.4f} < current {baseline} {old_score:.4f}")
        if floor is not None and new_score < floor:
            failures.append(f"new score {new_score:.4f} < min_eval_score {floor:.4f}")
        if failures:
            return "rejected", "; ".join(failures) + "; not promoted", old_score, new_score
        against = (f"current {baseline} {old_score:.4f}" if old_score is not None
                   else f"min_eval_score {floor:.4f}")
        return ("promoted", f"new score {new_score:.4f} >= {against}; promoted",
                old_score, new_score)


def _score(gate: EvalFn, model_ref: str) -> float:
    value = gate(model_ref)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AfsError(f"eval_fn({model_ref!r}) must return a finite number, got {value!r}")
    return float(value)


def load_callable(reference: str) -> Callable[..., Any]:
    """`package.module:function` -> the function (for `--train-fn` / `--eval-fn`)."""
    module_name, sep, attr = reference.partition(":")
    if not sep or not module_name or not attr:
        raise InputError(f"expected module:function, got {reference!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name!r} for {reference!r}: {exc}") from None
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise InputError(f"{module_name!r} has no attribute {attr!r}")
    if not callable(target):
        raise InputError(f"{reference!r} is not callable")
    return target


def _run_command(template: str, values: dict[str, str], what: str) -> str:
    try:
        args = [part.format(**values) for part in shlex.split(template)]
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(f"bad {what} command template {template!r}: {exc}; "
                         f"placeholders are {', '.join('{' + k + '}' for k in values)}") from None
    if not args:
        raise InputError(f"the {what} command is empty")
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-1000:]
        raise AfsError(f"{what} command exited with {done.returncode}: {tail}")
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def command_train_fn(template: str) -> TrainFn:
    """A `train_fn` that runs a command; `{dataset}` and `{output}` are substituted (no
    shell). The model reference is the last line it prints, or the output directory."""

    def train(dataset_path: Path, output_dir: Path) -> str:
        values = {"dataset": str(dataset_path), "output": str(output_dir)}
        return _run_command(template, values, "train") or str(output_dir)

    return train


def command_eval_fn(template: str) -> EvalFn:
    """An `eval_fn` that runs a command with `{model}` substituted; its last printed line
    must be the score."""

    def evaluate(model_ref: str) -> float:
        text = _run_command(template, {"model": model_ref}, "eval")
        try:
            return float(text)
        except ValueError:
            raise AfsError(f"eval command must print a score last, got {text!r:.80}") from None

    return evaluate
