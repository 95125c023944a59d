"""The deterministic revision: keep the writer's good sentences, drop the flagged ones,
add what is missing of the article's three steps (apologise, center them, listen).

The writer's greeting, sign-off and line breaks are kept. The result is re-checked with
the same rules; sentences that still trip a rule are dropped until it is clean.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from .engine import Analysis, analyze
from .ruleset import RuleSet, tomllib
from .text import split_frame


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    text = (resources.files("allyfeedback") / "phrases.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return data


def centers_question(situation: str | None) -> str:
    """The question that centers them, fitted to the situation when one is given."""
    data = phrases()
    if situation:
        low = situation.lower()
        for entry in data.get("situation", []):
            for kw in entry["keywords"]:
                if re.search(r"(?<!\w)" + re.escape(kw.lower()) + r"(?!\w)", low):
                    return str(entry["centers"])
    return str(data["centers"])


def _flagged_sentences(analysis: Analysis) -> set[int]:
    return {h.sentence for h in analysis.problems()}


def _drop_sentences(draft: str, analysis: Analysis, lo: int, hi: int) -> str:
    """The text of ``draft[lo:hi]`` without the sentences that hold a problem."""
    flagged = _flagged_sentences(analysis)
    sents = analysis.sentences
    pieces: list[str] = []
    cursor = lo
    for i, (s, e) in enumerate(sents):
        if e <= lo or s >= hi or i not in flagged:
            continue
        nxt = sents[i + 1][0] if i + 1 < len(sents) else e
        cut_end = min(max(nxt, e), hi)
        pieces.append(draft[cursor:max(s, cursor)])
        cursor = max(cursor, cut_end)
    pieces.append(draft[cursor:hi])
    return "".join(pieces)


def _tidy(body: str) -> str:
    body = re.sub(r"[ \t]+\n", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body)
    body = re.sub(r"[ \t]{2,}", " ", body)
    return body.strip()


def _end_sentence(text: str) -> str:
    if text and text[-1].isalnum():
        return text + "."
    return text


def build_revision(draft: str, situation: str | None, ruleset: RuleSet) -> str:
    greeting, _, signoff = split_frame(draft)
    body_start = len(greeting)
    body_end = body_start + len(split_frame(draft)[1])
    analysis = analyze(draft, ruleset)
    body = _tidy(_drop_sentences(draft, analysis, body_start, body_end))
    for _ in range(3):  # dropping a sentence can change what its neighbours mean
        again = analyze(body, ruleset)
        if not again.problems():
            break
        body = _tidy(_drop_sentences(body, again, 0, len(body)))
    kept = analyze(body, ruleset) if body else None
    has = {h.category for h in kept.hits} if kept else set()
    data = phrases()
    parts: list[str] = []
    if "apology" not in has:
        parts.append(str(data["apology"]))
    if body:
        parts.append(_end_sentence(body))
    if "centers_impacted" not in has:
        parts.append(centers_question(situation))
    if "listens" not in has:
        parts.append(str(data["listens"]))
    text = " ".join(parts) if "\n" not in body else "\n\n".join(parts)
    if analyze(text, ruleset).problems():  # never hand back a revision that trips a rule
        text = " ".join([str(data["apology"]), centers_question(situation), str(data["listens"])])
    out = (greeting.rstrip() + "\n\n" if greeting else "") + text
    if signoff:
        out += "\n\n" + signoff
    return out
