"""Literal prefilters for regular expressions.

Python's ``re`` tries every alternative of a pattern at every position of the text, so
a few hundred rule patterns over a 100-word draft cost milliseconds. Most patterns can
only match if the text contains one of a few literal words ("because", "assumed",
"figured"...). ``required_literals`` reads a pattern's parse tree and returns such a set
(any match contains at least one member), or ``None`` when no useful set exists; the
engine then skips a pattern whose literals are all absent. This is the idea behind RE2's
and Hyperscan's prefilters, kept deliberately conservative: when in doubt, ``None``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any

if sys.version_info >= (3, 11):
    from re import _constants as _c
    from re import _parser as _sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _sre_parse

_LITERAL = _c.LITERAL
_SUBPATTERN = _c.SUBPATTERN
_BRANCH = _c.BRANCH
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | (
    {_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set()
)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)

# A literal this short is in almost every text: it filters nothing.
_MIN_USEFUL = 3

Needles = frozenset[str]


def _longest_run(needle: str) -> int:
    return max((len(t) for t in re.findall(r"\w+", needle)), default=0)


def _quality(needles: Needles) -> tuple[bool, int, int]:
    """Prefer sets the word index can use (every needle has a 3-letter run), then
    longer needles, then fewer of them."""
    return (
        all(_longest_run(n) >= 3 for n in needles),
        min(len(n) for n in needles),
        -len(needles),
    )


def _sequence(items: Iterable[tuple[Any, Any]]) -> Needles | None:
    candidates = _candidates(items)
    if not candidates:
        return None
    return max(candidates, key=_quality)


def _candidates(items: Iterable[tuple[Any, Any]]) -> list[Needles]:
    """Every literal set a match of this sequence must contain one member of."""
    candidates: list[Needles] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        if op is _BRANCH and run:
            # The parser factors a shared prefix out of alternatives ("sorry|sry" becomes
            # "s" + "orry|ry"); put it back so the needles stay long enough to filter.
            prefix = "".join(run)
            leads = [_leading(b) for b in av[1]]
            candidates.append(frozenset(prefix + lead for lead in leads))
        flush()
        found: Needles | None = None
        if op is _SUBPATTERN:
            found = _sequence(av[-1])
        elif op is _BRANCH:
            branches = [_sequence(b) for b in av[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in _REPEATS:
            if av[0] >= 1:
                found = _sequence(av[2])
        elif _ATOMIC is not None and op is _ATOMIC:
            found = _sequence(av)
        if found is not None:
            candidates.append(found)
    flush()
    return candidates


def _leading(items: Iterable[tuple[Any, Any]]) -> str:
    """The literal characters an alternative starts with."""
    out = []
    for op, av in items:
        if op is not _LITERAL:
            break
        out.append(chr(av))
    return "".join(out)


def check_syntax(pattern: str) -> None:
    """Raise ``re.error`` if ``pattern`` does not parse (cheaper than compiling it)."""
    _sre_parse.parse(pattern)


def required_literals(pattern: str) -> Needles | None:
    """Literal strings of which every match of ``pattern`` contains at least one, or
    ``None`` if the pattern gives no useful set (then it must always be run). Raises
    ``re.error`` if the pattern does not parse."""
    return analyse(pattern)[0]


def analyse(pattern: str) -> tuple[Needles | None, tuple[Needles, ...]]:
    """The best literal set of ``pattern`` (as ``required_literals``) and up to two more
    sets a match must also contain one member of: cheap extra checks that spare a
    regex scan when the first literal is there but the rest of the pattern is not."""
    tree = _sre_parse.parse(pattern)
    try:
        candidates = _candidates(tree.data)  # the (opcode, argument) pairs
    except Exception:  # an opcode this analysis does not know: no prefilter, no wrong skip
        return None, ()
    if not candidates:
        return None, ()
    best = max(candidates, key=_quality)
    if _quality(best)[1] < _MIN_USEFUL:
        return None, ()
    extras = [
        c for c in candidates if c is not best and min(map(len, c)) >= _MIN_USEFUL and len(c) <= 12
    ]
    extras.sort(key=_quality, reverse=True)
    return best, tuple(extras[:2])


_TOKEN = re.compile(r"\w+")
KEY_LEN = 3
# Letter triples found in most drafts (from the commonest words of apologies): a key
# made of one of these would filter nothing, so a rarer triple is chosen when there is one.
_COMMON_WORDS = (
    "the you your that this what with have was were would could should they them their "
    "there then than will about just only really sorry feel know think want like said "
    "say because and for not are but all any can did does from had has her him his how "
    "its more now one our out some thing things time very when who why work been being "
    "into over team meeting"
)
_COMMON = frozenset(
    w[i : i + KEY_LEN] for w in _COMMON_WORDS.split() for i in range(len(w) - KEY_LEN + 1)
)


def index_key(needle: str) -> str | None:
    """Three letters that must appear inside one word of any text containing ``needle``.

    Every letter triple of a word-character run of the needle qualifies; the first one
    that is not common is chosen. The engine indexes a draft's words by letter triples
    once, instead of searching for every literal.
    """
    triples: list[str] = [
        t[i : i + KEY_LEN] for t in _TOKEN.findall(needle) for i in range(len(t) - KEY_LEN + 1)
    ]
    if not triples:
        return None
    return next((t for t in triples if t not in _COMMON), triples[0])


def pattern_keys(needles: Needles | None) -> dict[str, tuple[str, ...]] | None:
    """Each key of a pattern with the needles it stands for, or ``None`` if any needle
    has no key (the pattern then runs on every draft)."""
    if needles is None:
        return None
    keys: dict[str, list[str]] = {}
    for n in sorted(needles):
        k = index_key(n)
        if k is None:
            return None
        keys.setdefault(k, []).append(n)
    return {k: tuple(v) for k, v in keys.items()}
