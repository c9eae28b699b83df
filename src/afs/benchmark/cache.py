"""A response cache for benchmark runs (SQLite, WAL): reruns of the same model, prompt and
parameters cost nothing. Keyed by a hash of everything that shapes the answer."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from afs.paths import state_path


def cache_key(identity: dict[str, Any], messages: list[dict[str, str]],
              params: dict[str, Any]) -> str:
    payload = json.dumps({"model": identity, "messages": messages, "params": params},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    """`get(key)` / `put(key, answer)`; safe for threads and processes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else state_path("benchmark", "responses.db")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                     isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, "
                           "answer TEXT NOT NULL, meta TEXT NOT NULL)")

    def get(self, key: str) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            row = self._conn.execute("SELECT answer, meta FROM responses WHERE key = ?",
                                     (key,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def put(self, key: str, answer: str, meta: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?)",
                               (key, answer, json.dumps(meta)))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
