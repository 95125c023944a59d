"""Grounding: a model's quote counts only if it is really in the draft.

Matching forgives what a model changes without meaning to (white space, curly or straight
quotes, apostrophes, letter case) and nothing else, and returns exact offsets into the
caller's string so ``draft[start:end] == quote`` holds as it does for the rules.
"""

from __future__ import annotations

from .text import NormalizedText, normalize

_TRIM = " \t\r\n\"'“”‘’«»`.…,;:!?-–—"


def locate(quote: str, draft: NormalizedText) -> tuple[int, int] | None:
    """Offsets of ``quote`` in the draft, or ``None`` if it is not there."""
    q = normalize(quote.strip(_TRIM)).text.strip()
    if len(q) < 2:
        return None
    at = draft.text.find(q)
    if at == -1:
        return None
    return draft.to_original(at, at + len(q))
