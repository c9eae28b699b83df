"""Trainer callbacks: a rich progress bar and a metrics file written as training goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from transformers import TrainerCallback

from afs.jsonl import JsonlAppender


class MetricsCallback(TrainerCallback):
    """Append every logged value to `metrics.jsonl`, durably, with its global step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.history: list[dict[str, Any]] = []

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any):
        if not logs or not state.is_world_process_zero:
            return
        entry = {"step": state.global_step, **logs}
        self.history.append(entry)
        # One appender per entry: logs are rare, and a resumed run reopens cleanly.
        with JsonlAppender(self.path) as out:
            out.append(entry)


class RichProgressCallback(TrainerCallback):
    """One progress bar for the optimiser steps, showing the latest loss."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any):
        if not state.is_world_process_zero:
            return
        # stderr, so `--json` output on stdout stays parseable.
        self._progress = Progress(
            TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"), TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "train", total=state.max_steps, completed=state.global_step, loss=""
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any):
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any):
        if self._progress is not None and logs and "loss" in logs:
            self._progress.update(self._task, loss=f"loss {logs['loss']:.4f}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
