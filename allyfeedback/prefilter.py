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
from functools import lru_cache
from typing import Any, NamedTuple

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
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
_WORD_CHAR = re.compile(r"\w")

# A literal this short is in almost every text: it filters nothing.
_MIN_USEFUL = 3
# Extra literal sets: how many per pattern, and how large. Checking them costs one bit
# each (pattern_index.py), so the limits only bound the index; past eight sets of 100
# literals, no fewer scans were left to spare (docs/performance.md).
_MAX_EXTRAS = 8
_MAX_EXTRA_LITERALS = 100

# A literal set: strings one of which every match of a pattern contains.
LiteralSet = frozenset[str]


@lru_cache(maxsize=8192)
def _longest_run(literal: str) -> int:
    return max((len(t) for t in re.findall(r"\w+", literal)), default=0)


@lru_cache(maxsize=8192)
def _distinctive(literal: str) -> bool:
    """Whether the literal holds a word of three letters or more that is not common."""
    return any(len(t) >= 3 and t not in COMMON_WORDS for t in _TOKEN.findall(literal))


@lru_cache(maxsize=8192)  # loading the rules asks about the same sets again and again
def _quality(literals: LiteralSet) -> tuple[bool, bool, bool, int, int]:
    """Prefer sets whose every literal has a run of three word characters, then sets
    long enough to filter anything, then sets whose every literal holds an uncommon word
    (they turn up in fewer sentences), then longer literals, then fewer of them."""
    shortest = min(len(n) for n in literals)
    return (
        all(_longest_run(n) >= 3 for n in literals),
        shortest >= _MIN_USEFUL,
        all(_distinctive(n) for n in literals),
        shortest,
        -len(literals),
    )


def _sequence(items: Iterable[tuple[Any, Any]]) -> LiteralSet | None:
    candidates = _candidates(items)
    if not candidates:
        return None
    return max(candidates, key=_quality)


def _candidates(items: Iterable[tuple[Any, Any]]) -> list[LiteralSet]:
    """Every literal set a match of this sequence must contain one member of."""
    candidates: list[LiteralSet] = []
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
            # "s" + "orry|ry"); put it back so the literals stay long enough to filter.
            prefix = "".join(run)
            leads = [_leading(b) for b in av[1]]
            candidates.append(frozenset(prefix + lead for lead in leads))
        flush()
        found: LiteralSet | None = None
        if op is _SUBPATTERN:
            # Under (?i:...) a literal also matches other cases than its own: no set.
            found = None if av[1] & re.IGNORECASE else _sequence(av[-1])
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


def _word_set(av: Any) -> bool:
    """Whether a character class holds only word characters."""
    for op, val in av:
        if op is _c.LITERAL:
            if not _WORD_CHAR.match(chr(val)):
                return False
        elif op is _c.RANGE:
            lo, hi = val
            if hi - lo > 500 or not all(_WORD_CHAR.match(chr(c)) for c in range(lo, hi + 1)):
                return False
        elif op is _c.CATEGORY:
            if val not in (_c.CATEGORY_WORD, _c.CATEGORY_DIGIT):
                return False
        else:  # NEGATE and anything else
            return False
    return True


def _starts_with_word(items: list[tuple[Any, Any]]) -> bool:
    """Whether every match of this sequence starts with a word character (``False``
    when unsure)."""
    for i, (op, av) in enumerate(items):
        rest = items[i + 1 :]
        if op in _ZERO_WIDTH:
            continue
        if op is _LITERAL:
            return bool(_WORD_CHAR.match(chr(av)))
        if op is _c.IN:
            return _word_set(av)
        if op is _BRANCH:
            return all(_starts_with_word(list(b.data) + rest) for b in av[1])
        if op is _SUBPATTERN:
            return _starts_with_word(list(av[-1].data) + rest)
        if op in _REPEATS:
            inner = list(av[2].data) + rest
            return _starts_with_word(inner) and (av[0] >= 1 or _starts_with_word(rest))
        return False
    return False  # may match the empty string


def _skips_ahead(items: list[tuple[Any, Any]]) -> bool:
    """Whether ``re`` can skip to a pattern's possible first characters (it can when the
    pattern starts with a literal, a character class, or alternatives that each start
    with a literal), as CPython's compiler does."""
    while items and items[0][0] is _SUBPATTERN:
        items = list(items[0][1][-1].data)
    if not items:
        return False
    op, av = items[0]
    if op is _LITERAL or op is _c.IN:
        return True
    if op is _BRANCH:
        return all(len(b.data) and b.data[0][0] is _LITERAL for b in av[1])
    return False


Tree = list[tuple[Any, Any]]  # a parsed pattern: its (opcode, argument) pairs


class Parsed(NamedTuple):
    """A pattern's parse tree, and whether some match of it can be empty."""

    tree: Tree
    can_be_empty: bool


def parse(pattern: str) -> Parsed:
    """The parse tree of ``pattern`` (raises ``re.error`` if it does not parse). Parsing
    is the slow part of loading rules, so the loader parses each pattern once and hands
    the tree to ``analyse_tree`` and ``lead_for``."""
    parsed = _sre_parse.parse(pattern)
    # The shortest match's length, by the parser's own reckoning (assertions count as 0).
    can_be_empty = parsed.getwidth()[0] == 0
    if parsed.state.flags & re.IGNORECASE:  # as a scoped (?i:...), which the analysis knows
        return Parsed([(_SUBPATTERN, (None, re.IGNORECASE, 0, parsed))], can_be_empty)
    return Parsed(list(parsed.data), can_be_empty)


def lead_for(alternatives: list[Tree]) -> str:
    """``\\b`` when it is worth putting in front of the alternation of ``alternatives``,
    else ``""``.

    The engine only keeps matches that start at a word boundary. When every match
    starts with a word character, a leading ``\\b`` asks for the same thing, and lets
    ``re`` reject a position inside a word at once instead of trying every alternative
    there. It is only worth it where ``re`` cannot skip ahead anyway: in front of a
    literal it would stop the fast search for that literal.
    """
    if len(alternatives) == 1:
        skips = _skips_ahead(alternatives[0])
    else:  # re skips ahead in an alternation only if every branch starts with a literal
        skips = all(alt and alt[0][0] is _LITERAL for alt in alternatives)
    if skips or not all(_starts_with_word(alt) for alt in alternatives):
        return ""
    return r"\b"


def word_start_lead(pattern: str) -> str:
    """``lead_for`` one pattern given as text."""
    return lead_for([parse(pattern).tree])


def required_literals(pattern: str) -> LiteralSet | None:
    """Literal strings of which every match of ``pattern`` contains at least one, or
    ``None`` if the pattern gives no useful set (then it must always be run). Raises
    ``re.error`` if the pattern does not parse."""
    return analyse(pattern)[0]


def analyse(pattern: str) -> tuple[LiteralSet | None, tuple[LiteralSet, ...]]:
    """The best literal set of ``pattern`` (as ``required_literals``) and up to eight more
    sets a match must also contain one member of: cheap extra checks that spare a
    regex scan when the first literal is there but the rest of the pattern is not."""
    return analyse_tree(parse(pattern).tree)


def analyse_tree(tree: Tree) -> tuple[LiteralSet | None, tuple[LiteralSet, ...]]:
    """``analyse`` for an already parsed pattern."""
    try:
        candidates = _candidates(tree)
    except Exception:  # an opcode this analysis does not know: no prefilter, no wrong skip
        return None, ()
    if not candidates:
        return None, ()
    best = max(candidates, key=_quality)
    if not _quality(best)[1]:
        return None, ()
    extras = [
        c
        for c in candidates
        if c is not best and min(map(len, c)) >= _MIN_USEFUL and len(c) <= _MAX_EXTRA_LITERALS
    ]
    extras.sort(key=_quality, reverse=True)
    return best, tuple(extras[:_MAX_EXTRAS])


_TOKEN = re.compile(r"\w+")
# The commonest words of apologies: a literal set whose every literal holds a rarer word
# is preferred (see _quality), and the pattern index prefers rarer words (pattern_index.py).
_COMMON_WORDS = (
    "the you your that this what with have was were would could should they them their "
    "there then than will about just only really sorry feel know think want like said "
    "say because and for not are but all any can did does from had has her him his how "
    "its more now one our out some thing things time very when who why work been being "
    "into over team meeting"
)
COMMON_WORDS = frozenset(_COMMON_WORDS.split())
