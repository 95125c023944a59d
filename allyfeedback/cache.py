"""An optional on-disk cache of LLM critiques (stdlib sqlite3).

Keyed by everything that decides the answer: model, server, structured-output mode,
prompt version, the rules in force (their content, not only their ids), the draft and
the situation. Only successful LLM results are stored; a fallback to the rules is never
cached. A row is used only if its draft and situation are the ones asked about.

The cache never fails a critique: a corrupt, read-only or unreachable file, or a folder
where the file should be, means "no cache" for that call, with a warning on the result
and on the ``allyfeedback`` logger. Each operation opens and closes its own connection.
Clear it with ``allyfeedback cache clear`` (or delete the file).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import weakref
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigurationError
from .models import Feedback

if TYPE_CHECKING:
    from .config import LLMConfig
    from .ruleset import RuleSet

log = logging.getLogger("allyfeedback")
_SCHEMA = "CREATE TABLE IF NOT EXISTS critiques (key TEXT PRIMARY KEY, feedback TEXT NOT NULL)"


_FINGERPRINTS: dict[int, tuple[weakref.ref[RuleSet], str]] = {}


def rules_fingerprint(ruleset: RuleSet) -> str:
    """A hash of every rule's content, so an edited rule file gives new keys (computed
    once per rule set object: rule sets are immutable)."""
    known = _FINGERPRINTS.get(id(ruleset))
    if known is not None and known[0]() is ruleset:
        return known[1]
    digest = hashlib.sha256()
    for r in ruleset:
        digest.update(
            repr(
                (r.id, r.category, r.severity, r.message, r.suggestion, r.patterns, r.exceptions)
            ).encode("utf-8")
        )
    value = digest.hexdigest()
    _FINGERPRINTS[id(ruleset)] = (weakref.ref(ruleset), value)
    return value


def cache_key(
    config: LLMConfig, prompt_version: str, ruleset: RuleSet, draft: str, situation: str | None
) -> str:
    from .models import SCHEMA_VERSION

    parts = {
        "model": config.model,
        "base_url": config.base_url,
        "mode": config.structured_mode,
        "max_tokens": config.answer_budget(draft),
        "prompt_version": prompt_version,
        "rules": rules_fingerprint(ruleset),
        "schema": SCHEMA_VERSION,
        "draft": draft,
        "situation": situation,
    }
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Cache:
    """One cache file. ``warning`` holds why it could not be used, after a failure."""

    path: Path
    warning: str | None = None

    def _connect(self, create: bool = True) -> sqlite3.Connection:
        """A new connection; with ``create``, the file and its table are made first."""
        if self.path.is_dir():
            raise sqlite3.OperationalError("it is a folder")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=5)
        try:
            if create:
                with db:
                    db.execute(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _failed(self, action: str, exc: Exception) -> None:
        reason = str(exc) or exc.__class__.__name__
        self.warning = f"The cache {self.path} could not be {action} ({reason}); no cache was used."
        log.warning("allyfeedback: %s", self.warning)

    def get(self, key: str, draft: str, situation: str | None) -> Feedback | None:
        if not self.path.exists():
            return None  # nothing stored yet; ``put`` creates the file
        try:
            with closing(self._connect(create=False)) as db:
                row = db.execute("SELECT feedback FROM critiques WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            self._failed("read", exc)
            return None
        except (sqlite3.Error, OSError) as exc:
            self._failed("read", exc)
            return None
        if row is None:
            return None
        try:
            fb = Feedback.model_validate_json(row[0])
        except ValueError:  # an entry from an incompatible version: ignore it
            return None
        if fb.draft != draft or fb.situation != situation:
            return None
        log.info("allyfeedback: cache hit")
        return fb

    def put(self, key: str, feedback: Feedback) -> str | None:
        """Store ``feedback``; the warning if that failed, else ``None``."""
        try:
            with closing(self._connect()) as db, db:
                db.execute(
                    "INSERT OR REPLACE INTO critiques (key, feedback) VALUES (?, ?)",
                    (key, feedback.model_dump_json()),
                )
        except (sqlite3.Error, OSError) as exc:
            self._failed("written", exc)
            return self.warning
        return None

    def info(self) -> dict[str, object]:
        """The file, whether it exists, its size and how many critiques it holds."""
        if not self.path.is_file():
            return {"path": str(self.path), "exists": False, "entries": 0, "bytes": 0}
        entries = self._admin("SELECT COUNT(*) FROM critiques")
        return {
            "path": str(self.path),
            "exists": True,
            "entries": entries,
            "bytes": self.path.stat().st_size,
        }

    def clear(self) -> int:
        """Delete every stored critique; the number deleted."""
        if not self.path.is_file():
            return 0
        return self._admin("DELETE FROM critiques")

    def _admin(self, sql: str) -> int:
        """Run one ``cache info`` or ``cache clear`` statement; a file that is not a
        cache is a ``ConfigurationError`` naming it."""
        try:
            with closing(self._connect()) as db:
                with db:
                    cur = db.execute(sql)
                    count = cur.fetchone()[0] if sql.startswith("SELECT") else cur.rowcount
                if sql.startswith("DELETE"):
                    db.execute("VACUUM")
        except (sqlite3.Error, OSError) as exc:
            raise ConfigurationError(f"{self.path}: not a usable cache file ({exc})") from None
        return int(count)


def open_cache(path: str | Path) -> Cache:
    """The cache at ``path`` (nothing is opened until it is used)."""
    return Cache(Path(path).expanduser())
