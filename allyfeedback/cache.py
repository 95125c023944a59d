"""An optional on-disk cache of LLM critiques (stdlib sqlite3).

Keyed by everything that decides the answer: model, structured-output mode, prompt
version, the rules in force, the draft and the situation. Only successful LLM results are
stored; a fallback to the rules is never cached. Delete the file to clear it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from .models import Feedback

_SCHEMA = "CREATE TABLE IF NOT EXISTS critiques (key TEXT PRIMARY KEY, feedback TEXT NOT NULL)"


class Cache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    @staticmethod
    def key(**parts: object) -> str:
        blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Feedback | None:
        with self._lock:
            row = self._db.execute(
                "SELECT feedback FROM critiques WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        try:
            return Feedback.model_validate_json(row[0])
        except ValueError:  # an entry from an incompatible version: ignore it
            return None

    def put(self, key: str, feedback: Feedback) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO critiques (key, feedback) VALUES (?, ?)",
                (key, feedback.model_dump_json()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


_open: dict[str, Cache] = {}
_open_lock = threading.Lock()


def open_cache(path: str | Path) -> Cache:
    """One connection per file per process, shared across threads."""
    resolved = str(Path(path).expanduser().resolve())
    with _open_lock:
        cache = _open.get(resolved)
        if cache is None:
            cache = _open[resolved] = Cache(resolved)
        return cache
