"""The words a person reads besides the critique itself: the sentences the revision adds
and the tips for missing elements, fitted to the situation when one is given.

General wording names no scenario's details; a situation's own wording (in
``phrases.toml``) is used only when the caller's situation matches its keywords. That
file is read only when a situation is given, so a call without one does not import a
TOML reader (docs/performance.md).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .taxonomy import TIPS

# The sentences the revision adds when a draft lacks one of the article's three steps.
# Each is checked by the test suite: critiqued alone it has no problems and shows the
# element it is meant to add.
GENERAL: dict[str, str] = {
    "apology": "I'm sorry.",
    "centers": "What would you like me to do next?",
    "listens": "I'm listening, and I want to hear anything else you'd like to tell me.",
}


@lru_cache(maxsize=1)
def situations() -> list[dict[str, Any]]:
    """The ``[[situation]]`` entries of ``phrases.toml``."""
    from ._toml import tomllib

    text = (Path(__file__).parent / "phrases.toml").read_text(encoding="utf-8")
    entries: list[dict[str, Any]] = tomllib.loads(text)["situation"]
    return entries


def _situation_entry(situation: str | None) -> dict[str, Any] | None:
    """The first ``[[situation]]`` entry whose keywords occur in ``situation``."""
    if not situation:
        return None
    low = situation.lower()
    for entry in situations():
        for kw in entry["keywords"]:
            if re.search(r"(?<!\w)" + re.escape(kw.lower()) + r"(?!\w)", low):
                return dict(entry)
    return None


def centers_question(situation: str | None) -> str:
    """The question that centers them, fitted to the situation when one is given."""
    entry = _situation_entry(situation)
    return str(entry["centers"] if entry else GENERAL["centers"])


def tips(situation: str | None) -> dict[str, str]:
    """How to add each element, worded for the situation when it matches an entry
    with its own tips; otherwise the general tips, which borrow no scenario."""
    out = dict(TIPS)
    entry = _situation_entry(situation)
    if entry:
        out.update({k: str(v) for k, v in entry.get("tips", {}).items()})
    return out
