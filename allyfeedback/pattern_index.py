"""Which patterns can match in a sentence, read from the sentence's words.

Each pattern comes with literal sets (see prefilter.py): every match contains one literal
of its first set and one of each extra set. A literal's word characters fall into whole
words of the text, so words say which literals a sentence may hold: ``"apologi"`` needs a
word containing it, ``" acknowledge"`` a word starting with it, and ``" a joke"`` the
word ``a`` followed by a word starting with ``joke`` (a two-word test). For each word the
index works out once, and caches (words repeat from draft to draft):

- the patterns whose first literal set it may complete alone (a set of numbers),
- a mask with one bit per extra literal set, and per rule's exception literals, that it
  may complete alone,
- masks of the two-word tests it may start and may end.

A sentence's two-word tests are the start mask of each word ANDed with the end mask of
the next; what a set of two-word tests may hold is cached as well. All of that is dict
lookups, unions and ANDs/ORs run in C through ``map`` and ``reduce``, so choosing a
sentence's patterns takes no Python loop over literals. The test is never stricter than
looking for the literals themselves (tests check this), so no match is lost; it is a
little looser, which costs about one regex scan in twenty that finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Generic, TypeVar

from .prefilter import COMMON_WORDS, Needles

# A condition on one word: (kind, token), where kind says where the token sits in it.
Condition = tuple[str, str]
WORD, PREFIX, SUFFIX, INSIDE = "word", "prefix", "suffix", "inside"
# (non-word character before the run, after it) -> where the run sits in a text word
_KIND = {(True, True): WORD, (True, False): PREFIX, (False, True): SUFFIX, (False, False): INSIDE}
_TOKEN = re.compile(r"\w+")
EMPTY: frozenset[int] = frozenset()
# Tokens are found by their first (or last) letters, up to this many.
KEY_LEN = 3
_SIZES = tuple(range(1, KEY_LEN + 1))
# A cache is emptied when it grows past this, so it cannot grow without bound.
CACHE_LIMIT = 100_000
# Words longer than this are looked at but not cached (a draft without spaces is one
# huge "word"; caching it would only waste memory).
_CACHE_WORD_LEN = 40


def _tokens(literal: str) -> list[Condition]:
    """The literal's runs of word characters, each with the condition a text word that
    holds it must meet: a run with a non-word character on both sides in the literal is
    a whole word of the text, one with such a character only before (after) it starts
    (ends) a word, and one with none is somewhere inside a word."""
    out = []
    last = len(literal)
    for m in _TOKEN.finditer(literal):
        start, end = m.span()
        out.append((_KIND[start > 0, end < last], literal[start:end]))
    return out


def _rank(cond: Condition) -> tuple[bool, bool, int]:
    """How few sentences a condition holds in: uncommon tokens, whole words, length."""
    kind, token = cond
    return (len(token) >= 3 and token not in COMMON_WORDS, kind == WORD, len(token))


def literal_test(literal: str) -> tuple[Condition, ...] | None:
    """The conditions on one word, or on two neighbouring words, that any text holding
    ``literal`` meets; ``None`` if the literal has no word character."""
    tokens = _tokens(literal)
    if len(tokens) < 2:
        return tuple(tokens) or None
    # The neighbouring pair whose rarer token is rarest, then whose other token is.
    best = max(
        range(len(tokens) - 1),
        key=lambda i: sorted((_rank(tokens[i]), _rank(tokens[i + 1])), reverse=True),
    )
    return tokens[best], tokens[best + 1]


def holds(cond: Condition, word: str) -> bool:
    """Whether ``word`` meets ``cond`` (the reference the index's lookups must agree with)."""
    kind, token = cond
    if kind == WORD:
        return word == token
    if kind == PREFIX:
        return word.startswith(token)
    if kind == SUFFIX:
        return word.endswith(token)
    return token in word


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Cache(dict[K, V], Generic[K, V]):
    """A dict that works out a missing value on first sight (so lookups can run in C
    through ``map``), emptied when it grows past ``CACHE_LIMIT``."""

    def __init__(self, compute: Callable[[K], V], keep: Callable[[K], bool]) -> None:
        super().__init__()
        self.compute, self.keep = compute, keep

    def __missing__(self, key: K) -> V:
        value = self.compute(key)
        if self.keep(key):
            if len(self) >= CACHE_LIMIT:
                self.clear()
            self[key] = value
        return value


def _short_word(word: str) -> bool:
    return len(word) <= _CACHE_WORD_LEN


Found = tuple[frozenset[int], int]  # (patterns whose first set may be present, mask)
NOTHING: Found = (EMPTY, 0)


# What a word tells: what it may hold alone, the bits of the two-word tests it may start,
# and the bits of those it may end. Two neighbouring words hold a two-word test where the
# first one's start bits meet the second one's end bits: an AND of two ints.
WordInfo = tuple[Found, int, int]


def _join(found: list[Found]) -> Found:
    # (Plain loops here and below: on Python 3.11 a comprehension is a function call,
    # and these run for every word the caches have not seen.)
    if not found:
        return NOTHING
    if len(found) == 1:
        return found[0]
    patterns: set[int] = set()
    mask = 0
    for more, bits in found:
        patterns |= more
        mask |= bits
    return frozenset(patterns), mask


@dataclass(frozen=True)
class PatternIndex:
    """Built once per rule set from its rules' literal sets (``RuleSet.index``)."""

    refs: tuple[tuple[int, int], ...]  # pattern number -> (rule, pattern of the rule)
    required: tuple[int, ...]  # pattern number -> bits of its extra literal sets
    always: tuple[int, ...]  # patterns with no usable literal set: run in every sentence
    exception_bits: tuple[int, ...]  # rule -> bit of its exception literals (0: none)
    _single: dict[Condition, Found] = field(repr=False)  # one-word tests
    _starts: dict[Condition, int] = field(repr=False)  # condition -> two-word tests it starts
    _ends: dict[Condition, int] = field(repr=False)  # condition -> two-word tests it ends
    _pair_found: tuple[Found, ...] = field(repr=False)  # two-word test -> what it may hold
    _whole: frozenset[str] = field(repr=False)  # tokens that must be a whole word
    # First (last) three letters, or all of a shorter token -> tokens a word must start
    # (end) with; first three letters -> tokens it must contain.
    _starting: dict[str, tuple[str, ...]] = field(repr=False)
    _ending: dict[str, tuple[str, ...]] = field(repr=False)
    _inside: dict[str, tuple[str, ...]] = field(repr=False)
    _key_sizes: tuple[int, ...] = field(repr=False)  # lengths of the keys of ``_inside``
    words: _Cache[str, WordInfo] = field(init=False, repr=False, compare=False)
    pairs: _Cache[int, Found] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "words", _Cache(self._for_word, _short_word))
        set_(self, "pairs", _Cache(self._for_pairs, _keep_all))

    def conditions(self, word: str) -> tuple[Condition, ...]:
        """The conditions ``word`` meets, found through tokens' first (or last) three
        letters: about one lookup per letter, so a word the caches have not seen costs a
        few microseconds."""
        found = [(WORD, word)] if word in self._whole else []
        starting, ending = self._starting.get, self._ending.get
        for size in _SIZES[: len(word)]:
            tokens = starting(word[:size])
            if tokens:
                for token in tokens:
                    if word.startswith(token):
                        found.append((PREFIX, token))
            tokens = ending(word[-size:])
            if tokens:
                for token in tokens:
                    if word.endswith(token):
                        found.append((SUFFIX, token))
        inside = self._inside.get
        seen: set[str] = set()
        for size in self._key_sizes:  # usually just KEY_LEN
            for i in range(len(word) - size + 1):
                tokens = inside(word[i : i + size])
                if tokens:
                    for token in tokens:
                        if token not in seen and word.startswith(token, i):
                            seen.add(token)
                            found.append((INSIDE, token))
        return tuple(found)

    def _for_word(self, word: str) -> WordInfo:
        single, starts, ends = self._single, self._starts, self._ends
        alone: list[Found] = []
        start = end = 0
        for cond in self.conditions(word):
            if cond in single:
                alone.append(single[cond])
            start |= starts.get(cond, 0)
            end |= ends.get(cond, 0)
        return _join(alone), start, end

    def _for_pairs(self, tests: int) -> Found:
        """What the two-word tests with these bits may hold (sentences share sets of
        tests far more often than they share words, so this is cached too)."""
        found = []
        while tests:
            low = tests & -tests
            found.append(self._pair_found[low.bit_length() - 1])
            tests ^= low
        return _join(found)


def _keep_all(_: object) -> bool:
    return True


def build_index(
    matchers: list[tuple[Needles | None, tuple[Needles, ...]]],
    refs: list[tuple[int, int]],
    exceptions: list[Needles | None],
) -> PatternIndex:
    """The index of patterns given as (first literal set, extra sets), with ``refs``
    naming each one's (rule, pattern), and each rule's exception literals (``None``:
    the exceptions have no literal set and are always searched)."""
    bit_of: dict[Needles, int] = {}
    unlocks: dict[str, set[int]] = {}
    required: list[int] = []
    always: list[int] = []
    tests: dict[str, tuple[Condition, ...] | None] = {}  # literal -> its test

    def testable(clause: Needles) -> bool:
        for lit in clause:
            if lit not in tests:
                tests[lit] = literal_test(lit)
            if tests[lit] is None:
                return False
        return True

    def bit(clause: Needles) -> int:
        if not testable(clause):
            return 0  # cannot be read from words: not checked (it only spares a scan)
        return 1 << bit_of.setdefault(clause, len(bit_of))

    for number, (first, extras) in enumerate(matchers):
        if first is None or not testable(first):
            always.append(number)
            required.append(0)
            continue
        for lit in first:
            unlocks.setdefault(lit, set()).add(number)
        mask = 0
        for clause in extras:
            mask |= bit(clause)
        required.append(mask)
    exception_bits = tuple(0 if lits is None else bit(lits) for lits in exceptions)
    bits: dict[str, int] = {}
    for clause, b in bit_of.items():
        for lit in clause:
            bits[lit] = bits.get(lit, 0) | (1 << b)
    word_literals: dict[Condition, set[str]] = {}
    pair_literals: dict[tuple[Condition, Condition], set[str]] = {}
    tokens: dict[str, set[str]] = {WORD: set(), PREFIX: set(), SUFFIX: set(), INSIDE: set()}
    for lit, test in tests.items():
        if test is None:  # its clause was left out above
            continue
        for kind, token in test:
            tokens[kind].add(token)
        if len(test) == 1:
            word_literals.setdefault(test[0], set()).add(lit)
        else:
            pair_literals.setdefault((test[0], test[1]), set()).add(lit)
    starting: dict[str, list[str]] = {}
    ending: dict[str, list[str]] = {}
    inside: dict[str, list[str]] = {}
    for token in sorted(tokens[PREFIX]):
        starting.setdefault(token[:KEY_LEN], []).append(token)
    for token in sorted(tokens[SUFFIX]):
        ending.setdefault(token[-KEY_LEN:], []).append(token)
    for token in sorted(tokens[INSIDE]):
        # (a token shorter than the key is keyed by itself: looked up at every letter)
        inside.setdefault(token[:KEY_LEN], []).append(token)
    frozen = {lit: frozenset(v) for lit, v in unlocks.items()}

    def found(literals: set[str]) -> Found:
        patterns = EMPTY.union(*[frozen.get(lit, EMPTY) for lit in literals])
        return patterns, reduce(or_, [bits.get(lit, 0) for lit in literals], 0)

    starts: dict[Condition, int] = {}
    ends: dict[Condition, int] = {}
    pair_found = []
    for number, ((head, tail), literals) in enumerate(sorted(pair_literals.items())):
        starts[head] = starts.get(head, 0) | (1 << number)
        ends[tail] = ends.get(tail, 0) | (1 << number)
        pair_found.append(found(literals))
    return PatternIndex(
        tuple(refs),
        tuple(required),
        tuple(always),
        exception_bits,
        {c: found(v) for c, v in word_literals.items()},
        starts,
        ends,
        tuple(pair_found),
        frozenset(tokens[WORD]),
        {key: tuple(v) for key, v in starting.items()},
        {key: tuple(v) for key, v in ending.items()},
        {key: tuple(v) for key, v in inside.items()},
        tuple(sorted({len(key) for key in inside})),
    )
