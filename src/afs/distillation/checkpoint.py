"""The distillation checkpoint: append-only JSONL, one durable line per accepted sample.

Accepted samples go to ``checkpoint.jsonl``; rejected ones (with their filter reasons, tokens
and cost) to ``checkpoint.rejected.jsonl`` beside it, so a resumed run neither counts nor
re-asks them. Every line is flushed and fsynced before the sample counts (`afs.jsonl`); a
torn last line left by a crash is cut off with a warning on the next open. A line in the
middle that is not a valid record is an `InputError` naming the file and line.

No API key can reach these files: records are built from known fields only, and each line is
also scanned for the values of the provider key variables before it is written.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.jsonl import JsonlAppender, iter_jsonl, truncate_torn_tail

SCHEMA_VERSION = 1
REQUIRED_FIELDS = ("id", "domain", "system", "prompt", "response", "teacher", "provider",
                   "model", "usage", "quality", "filters")
KEY_VARIABLES = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "CLAUDE_API_KEY",
                 "ANTHROPIC_API_KEY", "AFS_GATEWAY_KEY")


def rejected_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejected{path.suffix or '.jsonl'}")


def _secrets() -> list[str]:
    return [v for v in (os.environ.get(k, "") for k in KEY_VARIABLES) if len(v) >= 8]


def redact(value: Any, secrets: list[str]) -> Any:
    """`value` with every occurrence of a secret replaced (strings inside dicts/lists too)."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "[redacted]")
        return value
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    return value


def _load(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    removed = truncate_torn_tail(path)
    if removed:
        warnings.warn(f"{path}: dropped a torn last line ({removed} bytes) left by an "
                      "interrupted write", stacklevel=3)
    records = []
    for line, record in enumerate(iter_jsonl(path), start=1):
        missing = [name for name in required if name not in record]
        if missing:
            raise InputError(f"expected a distillation record, missing {', '.join(missing)}",
                             path=path, line=line)
        records.append(record)
    return records


class Checkpoint:
    """Accepted and rejected samples of one generation run (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rejected_path = rejected_path(self.path)
        self.records = _load(self.path, REQUIRED_FIELDS)
        self.rejected = _load(self.rejected_path, ("id", "domain", "reasons"))
        self.ids = {r["id"] for r in self.records}
        if len(self.ids) != len(self.records):
            raise InputError("duplicate sample ids; the checkpoint was edited or merged",
                             path=self.path)
        self.rejected_ids = {r["id"] for r in self.rejected}
        self._accepted: JsonlAppender | None = None
        self._rejects: JsonlAppender | None = None
        self._secrets = _secrets()

    def __len__(self) -> int:
        return len(self.records)

    def accept(self, record: dict[str, Any]) -> None:
        """Append one accepted sample durably; a repeated id is a programming error."""
        if record["id"] in self.ids:
            raise ValueError(f"sample {record['id']} is already in {self.path}")
        if self._accepted is None:
            self._accepted = JsonlAppender(self.path)
        record = redact(record, self._secrets) if self._secrets else record
        self._accepted.append(record)
        self.records.append(record)
        self.ids.add(record["id"])

    def reject(self, record: dict[str, Any]) -> None:
        if self._rejects is None:
            self._rejects = JsonlAppender(self.rejected_path)
        record = redact(record, self._secrets) if self._secrets else record
        self._rejects.append(record)
        self.rejected.append(record)
        self.rejected_ids.add(record["id"])

    def close(self) -> None:
        for appender in (self._accepted, self._rejects):
            if appender is not None:
                appender.close()
        self._accepted = self._rejects = None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """Accepted records of a checkpoint (read-only: a torn tail is skipped, not cut)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such checkpoint file", path=path)
    records = []
    for line, record in enumerate(iter_jsonl(path, skip_torn_tail=True), start=1):
        missing = [name for name in REQUIRED_FIELDS if name not in record]
        if missing:
            raise InputError(f"expected a distillation record, missing {', '.join(missing)}",
                             path=path, line=line)
        records.append(record)
    return records


def _quality_bucket(quality: float) -> str:
    low = min(int(quality * 4), 3) / 4
    return f"{low:.2f}-{low + 0.25:.2f}"


def summarize(path: str | Path) -> dict[str, Any]:
    """What `afs distill status` shows: counts by teacher, domain and quality, tokens, cost,
    rate, and rejection reasons (from the rejected file beside the checkpoint)."""
    from collections import Counter
    from datetime import datetime

    path = Path(path)
    records = load_records(path)
    rejected_file = rejected_path(path)
    rejected = (list(iter_jsonl(rejected_file, skip_torn_tail=True))
                if rejected_file.exists() else [])
    reasons: Counter[str] = Counter()
    for record in rejected:
        reasons.update(str(r).split(":", 1)[0] for r in record.get("reasons", []))
    everything = [*records, *rejected]
    times = sorted(datetime.fromisoformat(r["created_at"]) for r in records if "created_at" in r)
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    return {
        "checkpoint": str(path),
        "samples": len(records),
        "rejected": len(rejected),
        "by_teacher": dict(Counter(r["teacher"] for r in records)),
        "by_domain": dict(Counter(r["domain"] for r in records)),
        "by_quality": dict(sorted(Counter(_quality_bucket(float(r["quality"]))
                                          for r in records).items())),
        "prompt_tokens": sum(r.get("usage", {}).get("prompt_tokens", 0) for r in everything),
        "completion_tokens": sum(r.get("usage", {}).get("completion_tokens", 0)
                                 for r in everything),
        "cost": round(sum(r.get("cost") or 0.0 for r in everything), 6),
        "samples_per_min": round(60 * (len(times) - 1) / span, 2) if span > 0 else None,
        "rejection_reasons": dict(reasons.most_common()),
    }
