"""Turn checkpoint records into training files: chatml, alpaca or sharegpt, with a split.

Every format keeps the system prompt. ``chatml`` is the shape the student trainer reads:
``{"messages": [system, user, assistant], "metadata": {...}}``. The train/validation split is
by a hash of the sample id, so a sample stays on the same side when the data set grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.jsonl import write_jsonl

FORMATS = ("chatml", "alpaca", "sharegpt")
_METADATA_FIELDS = ("id", "domain", "family", "expert", "teacher", "provider", "model",
                    "quality")


@dataclass(frozen=True)
class ExportResult:
    train_path: Path
    validation_path: Path | None
    train_count: int
    validation_count: int
    skipped_low_quality: int


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in _METADATA_FIELDS if k in record}


def to_format(record: dict[str, Any], fmt: str) -> dict[str, Any]:
    """One record in one training format."""
    system, user, answer = record["system"], record["prompt"], record["response"]
    if fmt == "chatml":
        return {"messages": [{"role": "system", "content": system},
                             {"role": "user", "content": user},
                             {"role": "assistant", "content": answer}],
                "metadata": _metadata(record)}
    if fmt == "alpaca":
        return {"system": system, "instruction": user, "input": "", "output": answer,
                "metadata": _metadata(record)}
    if fmt == "sharegpt":
        return {"system": system,
                "conversations": [{"from": "system", "value": system},
                                  {"from": "human", "value": user},
                                  {"from": "gpt", "value": answer}],
                "metadata": _metadata(record)}
    raise InputError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


def is_validation(sample_id: str, fraction: float) -> bool:
    """Stable split: the id's hash decides, independent of order and data-set size."""
    digest = int.from_bytes(hashlib.sha256(sample_id.encode()).digest()[:8], "big")
    return digest / 2**64 < fraction


def validation_path_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}.validation{path.suffix or '.jsonl'}")


def export_records(
    records: Iterable[dict[str, Any]],
    path: str | Path,
    *,
    format: str = "chatml",
    min_quality: float = 0.0,
    split: float = 0.05,
) -> ExportResult:
    """Write `path` (train) and, when `split` > 0, `<stem>.validation<suffix>` beside it."""
    if format not in FORMATS:
        raise InputError(f"unknown export format {format!r}; expected one of {', '.join(FORMATS)}")
    if not 0.0 <= split < 1.0:
        raise InputError(f"split must be in [0, 1), got {split}")
    path = Path(path)
    train: list[dict[str, Any]] = []
    validation: list[dict[str, Any]] = []
    skipped = 0
    for record in records:
        if float(record.get("quality", 0.0)) < min_quality:
            skipped += 1
            continue
        row = to_format(record, format)
        (validation if split and is_validation(record["id"], split) else train).append(row)
    write_jsonl(path, train)
    val_path = None
    if split:
        val_path = validation_path_for(path)
        write_jsonl(val_path, validation)
    return ExportResult(path, val_path, len(train), len(validation), skipped)
