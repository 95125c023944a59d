"""Keeping the API key out of everything a person or a log can see.

The configured key itself is removed wherever it appears, with or without its ``sk-``
style prefix and in pieces of eight characters or more (providers echo a key's start and
end around asterisks); anything else key-shaped is removed too.
"""

from __future__ import annotations

import re
from typing import Any

_KEYLIKE = re.compile(r"(?:sk|pk|rk)-[A-Za-z0-9_\-*]{6,}|Bearer\s+\S+", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,}")
_PREFIX = re.compile(r"^(?:sk|pk|rk)-(?:proj-|svcacct-|admin-)?", re.IGNORECASE)
REDACTED = "[redacted]"


def _pieces(secret: str) -> list[str]:
    bare = _PREFIX.sub("", secret)
    return sorted({secret, bare} - {""}, key=len, reverse=True)


def scrub(text: str, secret: str | None = None) -> str:
    """``text`` without ``secret`` (whole, bare of its prefix, or a run of 8+ of its
    characters) and without anything key-like."""
    if secret:
        for piece in _pieces(secret):
            text = text.replace(piece, REDACTED)
        if len(secret) >= 8:
            text = _TOKEN.sub(lambda m: REDACTED if m.group(0) in secret else m.group(0), text)
    return _KEYLIKE.sub(REDACTED, text)


def scrub_strings(value: Any, secret: str | None) -> Any:
    """``value`` (nested dicts, lists and strings) with every string scrubbed."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, dict):
        return {k: scrub_strings(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_strings(v, secret) for v in value]
    return value
