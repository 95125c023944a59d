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

from ._toml import tomllib
from .engine import Analysis, analyze
from .ruleset import RuleSet
from .text import quoted_spans, split_frame


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


def _dropped(analysis: Analysis, lo: int, hi: int) -> list[tuple[int, int]]:
    """The stretches of ``[lo, hi)`` cut out: each flagged sentence up to the next one."""
    flagged = _flagged_sentences(analysis)
    sents = analysis.sentences
    cuts = []
    for i, (s, e) in enumerate(sents):
        if e <= lo or s >= hi or i not in flagged:
            continue
        nxt = sents[i + 1][0] if i + 1 < len(sents) else e
        cuts.append((max(s, lo), min(max(nxt, e), hi)))
    return cuts


def _drop_sentences(draft: str, analysis: Analysis, lo: int, hi: int) -> str:
    """The text of ``draft[lo:hi]`` without the sentences that hold a problem."""
    pieces: list[str] = []
    cursor = lo
    for s, e in _dropped(analysis, lo, hi):
        pieces.append(draft[cursor : max(s, cursor)])
        cursor = max(cursor, e)
    pieces.append(draft[cursor:hi])
    return "".join(pieces)


def _needs_recheck(analysis: Analysis, lo: int, hi: int, kept: str, body: str) -> bool:
    """Whether dropping sentences may have changed what is quoted speech in the body.

    ``kept`` is ``draft[lo:hi]`` less the cut sentences, ``body`` the same tidied. Not
    if every quote that touched the body was either cut out whole or left whole, and
    the kept text quotes exactly those (nothing newly paired): then every kept sentence
    is quoted as it was, and shows exactly what it showed in the draft."""
    cuts = _dropped(analysis, lo, hi)
    expected = []  # the quotes left whole, in offsets of ``kept``
    for qs, qe in analysis.quotes:
        if qe <= lo or qs >= hi or any(s <= qs and qe <= e for s, e in cuts):
            continue
        if qs < lo or qe > hi or any(s < qe and qs < e for s, e in cuts):
            return True  # a cut or the greeting/sign-off boundary goes through it
        shift = lo + sum(e - s for s, e in cuts if e <= qs)
        expected.append((qs - shift, qe - shift))
    if quoted_spans(kept) != expected:
        return True
    # Tidying only changes runs of white space; check that it paired nothing new.
    return [" ".join(body[s:e].split()) for s, e in quoted_spans(body)] != [
        " ".join(kept[s:e].split()) for s, e in expected
    ]


def _tidy(body: str) -> str:
    body = re.sub(r"[ \t]+\n", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body)
    body = re.sub(r"[ \t]{2,}", " ", body)
    return body.strip()


_ENDS_SENTENCE = re.compile(r"[.!?][\"')\u201d\u2019]?$")


def _end_sentence(text: str) -> str:
    """Close the last sentence, so what is added after it starts a sentence of its own."""
    return text if _ENDS_SENTENCE.search(text) else text + "."


def build_revision(
    draft: str, situation: str | None, ruleset: RuleSet, analysis: Analysis | None = None
) -> str:
    """``analysis`` is the draft's own analysis, when the caller already has it."""
    greeting, body, signoff = split_frame(draft)
    lo, hi = len(greeting), len(greeting) + len(body)
    analysis = analysis or analyze(draft, ruleset)
    flagged = _flagged_sentences(analysis)
    # Rules and their exceptions work within one sentence, so what the kept sentences
    # show is what they showed in the draft: no second pass over the body is needed.
    has = {
        h.category
        for h in analysis.hits
        if h.sentence not in flagged and lo <= h.start and h.end <= hi
    }
    kept_text = _drop_sentences(draft, analysis, lo, hi) if flagged else body
    body = _tidy(kept_text)
    if flagged and analysis.quotes and _needs_recheck(analysis, lo, hi, kept_text, body):
        # Quoted speech can span sentences; dropping one may unquote words. Re-check.
        for _ in range(3):
            kept = analyze(body, ruleset) if body else None
            if kept is None or not kept.problems():
                break
            body = _tidy(_drop_sentences(body, kept, 0, len(body)))
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
    # Every part ends a sentence, rules and their exceptions work within a sentence, the
    # kept body was checked on its own and the added phrases are checked by the tests:
    # so the joined text is as clean as its parts, with no second pass needed.
    text = " ".join(parts) if "\n" not in body else "\n\n".join(parts)
    out = (greeting.rstrip() + "\n\n" if greeting else "") + text
    if signoff:
        out += "\n\n" + signoff
    return out
