"""The words a person reads besides the critique itself: the sentences the revision adds
and the tips for missing elements, fitted to the situation when one is given.

General wording names no scenario's details; a situation's own wording (in
``phrases.toml``) is used only when the caller's situation matches its keywords.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._toml import tomllib
from .taxonomy import TIPS


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    text = (Path(__file__).parent / "phrases.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return data


def _situation_entry(situation: str | None) -> dict[str, Any] | None:
    """The first ``[[situation]]`` entry whose keywords occur in ``situation``."""
    if not situation:
        return None
    low = situation.lower()
    for entry in phrases().get("situation", []):
        for kw in entry["keywords"]:
            if re.search(r"(?<!\w)" + re.escape(kw.lower()) + r"(?!\w)", low):
                return dict(entry)
    return None


def centers_question(situation: str | None) -> str:
    """The question that centers them, fitted to the situation when one is given."""
    entry = _situation_entry(situation)
    return str(entry["centers"] if entry else phrases()["centers"])


def tips(situation: str | None) -> dict[str, str]:
    """How to add each element, worded for the situation when it matches an entry
    with its own tips; otherwise the general tips, which borrow no scenario."""
    out = dict(TIPS)
    entry = _situation_entry(situation)
    if entry:
        out.update({k: str(v) for k, v in entry.get("tips", {}).items()})
    return out
