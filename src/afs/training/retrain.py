"""The default `train_fn` of `PeriodicRetrainer`: LoRA SFT on the exported data, then merge.

It returns the merged model's folder, which the `transformers` provider can load, so the
retrainer's evaluation gate can benchmark the new model against the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from afs.training.config import TrainConfig
from afs.training.export import export_run
from afs.training.sft import train_sft


def make_train_fn(base: str, *, name: str = "afs-student",
                  **train_options: Any) -> Callable[[Path, Path], str]:
    """Build `train_fn(dataset_path, output_dir) -> merged model path` for a base model."""

    def train_fn(dataset_path: Path, output_dir: Path) -> str:
        output_dir = Path(output_dir)
        config = TrainConfig(base=base, data=Path(dataset_path), output_dir=output_dir / "run",
                             **train_options)
        train_sft(config)
        exported = export_run(config.output_dir, output_dir / "export", name=name)
        return str(exported.merged_dir)

    return train_fn
