"""The one JSONL reader and writer of AFS.

Reading reports the file and line of any malformed record. Appending is durable: each
record is flushed and fsynced before the call returns, and a torn last line left by a
crash can be detected and dropped on the next open.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from afs.errors import InputError


def iter_jsonl(path: str | Path, *, skip_torn_tail: bool = False) -> Iterator[dict[str, Any]]:
    """Yield each JSON object of a JSONL file; blank lines are ignored.

    A line that is not a JSON object raises `InputError` naming the file and line. With
    `skip_torn_tail`, an unterminated, unparsable *last* line (what a crash mid-write
    leaves) is dropped with a warning instead.
    """
    path = Path(path)
    with path.open("rb") as handle:
        lines = handle.read().split(b"\n")
    last_index = len(lines) - 1
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if skip_torn_tail and index == last_index:
                warnings.warn(
                    f"{path}:{index + 1}: dropped a torn last line ({len(raw)} bytes)",
                    stacklevel=2,
                )
                return
            raise InputError(
                f"expected a JSON object per line, got invalid JSON ({exc.msg})",
                path=path,
                line=index + 1,
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f"expected a JSON object per line, got {type(record).__name__}",
                path=path,
                line=index + 1,
            )
        yield record


def read_jsonl(path: str | Path, *, skip_torn_tail: bool = False) -> list[dict[str, Any]]:
    """Read a whole JSONL file into a list (see `iter_jsonl`)."""
    return list(iter_jsonl(path, skip_torn_tail=skip_torn_tail))


def truncate_torn_tail(path: str | Path) -> int:
    """Cut an unterminated last line off a JSONL file; return the bytes removed."""
    path = Path(path)
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return len(data) - keep


class JsonlAppender:
    """Append records durably: one write, flush and fsync per record."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        truncate_torn_tail(self.path)
        self._handle = self.path.open("ab")

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n"
        self._handle.write(line)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def extend(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self.append(record)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records to a new file atomically (temp file + rename); return the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return count
