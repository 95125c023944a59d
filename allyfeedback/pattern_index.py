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
little looser, which costs a few regex scans that find nothing (docs/performance.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Generic, NamedTuple, TypeVar

from .prefilter import COMMON_WORDS, LiteralSet

# A test on one word: (kind, token), where kind says where the token sits in it.
WordTest = tuple[str, str]
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


def _tokens(literal: str) -> list[WordTest]:
    """The literal's runs of word characters, each with the test a text word that
    holds it must meet: a run with a non-word character on both sides in the literal is
    a whole word of the text, one with such a character only before (after) it starts
    (ends) a word, and one with none is somewhere inside a word."""
    out = []
    last = len(literal)
    for m in _TOKEN.finditer(literal):
        start, end = m.span()
        out.append((_KIND[start > 0, end < last], literal[start:end]))
    return out


def _rank(test: WordTest) -> tuple[bool, bool, int]:
    """How few sentences a word test holds in: uncommon tokens, whole words, length."""
    kind, token = test
    return (len(token) >= 3 and token not in COMMON_WORDS, kind == WORD, len(token))


def literal_test(literal: str) -> tuple[WordTest, ...] | None:
    """The tests on one word, or on two neighbouring words, that any text holding
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


def holds(test: WordTest, word: str) -> bool:
    """Whether ``word`` meets ``test`` (the reference the index's lookups must agree with)."""
    kind, token = test
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


class Found(NamedTuple):
    """What some words may hold: the patterns whose first literal set may be there, and
    the bits of the extra literal sets (and exception literal sets) that may be."""

    patterns: frozenset[int]
    bits: int


NOTHING = Found(EMPTY, 0)


class WordInfo(NamedTuple):
    """What a word tells, worked out once per word: what it may hold alone, and the bits
    of the two-word tests it may start and may end. Two neighbouring words hold a
    two-word test where the first one's ``starts`` meet the second one's ``ends``."""

    alone: Found
    starts: int
    ends: int


class PatternRef(NamedTuple):
    """Where a pattern number of the index comes from: its rule, and which of the rule's
    matchers it is (both positions in the rule set)."""

    rule: int
    matcher: int


class PatternLiterals(NamedTuple):
    """What the index needs of one pattern: its first literal set (``None``: none
    usable, run it everywhere) and its extra literal sets."""

    first: LiteralSet | None
    extras: tuple[LiteralSet, ...]


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
    return Found(frozenset(patterns), mask)


@dataclass(frozen=True)
class PatternIndex:
    """Built once per rule set from its rules' literal sets (``ruleset.index_rules``),
    or read back from the rule cache (``rule_cache.py``)."""

    refs: tuple[PatternRef, ...]  # pattern number -> its rule and matcher
    required: tuple[int, ...]  # pattern number -> bits of its extra literal sets
    always: tuple[int, ...]  # patterns with no usable literal set: run in every sentence
    exception_bits: tuple[int, ...]  # rule -> bit of its exception literals (0: none)
    single: dict[WordTest, Found] = field(repr=False)  # one-word tests
    starts: dict[WordTest, int] = field(repr=False)  # word test -> two-word tests it starts
    ends: dict[WordTest, int] = field(repr=False)  # word test -> two-word tests it ends
    pair_found: tuple[Found, ...] = field(repr=False)  # two-word test -> what it may hold
    whole: frozenset[str] = field(repr=False)  # tokens that must be a whole word
    # First (last) three letters, or all of a shorter token -> tokens a word must start
    # (end) with; first three letters -> tokens it must contain.
    starting: dict[str, tuple[str, ...]] = field(repr=False)
    ending: dict[str, tuple[str, ...]] = field(repr=False)
    inside: dict[str, tuple[str, ...]] = field(repr=False)
    key_sizes: tuple[int, ...] = field(repr=False)  # lengths of the keys of ``inside``
    # Per-word and per-set-of-two-word-tests results, worked out on first sight.
    words: _Cache[str, WordInfo] = field(init=False, repr=False, compare=False)
    pairs: _Cache[int, Found] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "words", _Cache(self._for_word, _short_word))
        set_(self, "pairs", _Cache(self._for_pairs, _keep_all))

    def word_tests(self, word: str) -> tuple[WordTest, ...]:
        """The word tests ``word`` meets, found through tokens' first (or last) three
        letters: about one lookup per letter, so a word the caches have not seen is cheap
        (docs/performance.md)."""
        found = [(WORD, word)] if word in self.whole else []
        starting, ending = self.starting.get, self.ending.get
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
        inside = self.inside.get
        seen: set[str] = set()
        for size in self.key_sizes:  # usually just KEY_LEN
            for i in range(len(word) - size + 1):
                tokens = inside(word[i : i + size])
                if tokens:
                    for token in tokens:
                        if token not in seen and word.startswith(token, i):
                            seen.add(token)
                            found.append((INSIDE, token))
        return tuple(found)

    def _for_word(self, word: str) -> WordInfo:
        single, starts, ends = self.single, self.starts, self.ends
        alone: list[Found] = []
        start = end = 0
        for test in self.word_tests(word):
            if test in single:
                alone.append(single[test])
            start |= starts.get(test, 0)
            end |= ends.get(test, 0)
        return WordInfo(_join(alone), start, end)

    def _for_pairs(self, tests: int) -> Found:
        """What the two-word tests with these bits may hold (sentences share sets of
        tests far more often than they share words, so this is cached too)."""
        found = []
        while tests:
            low = tests & -tests
            found.append(self.pair_found[low.bit_length() - 1])
            tests ^= low
        return _join(found)


def _keep_all(_: object) -> bool:
    return True


class _Bits:
    """Step 1 of building: which patterns run everywhere, and one bit per distinct
    extra (or exception) literal set that words can show. A literal set can be read
    from words only if each of its literals has a word test."""

    def __init__(self) -> None:
        self.of_set: dict[LiteralSet, int] = {}
        self.tests: dict[str, tuple[WordTest, ...] | None] = {}  # literal -> its test

    def testable(self, literals: LiteralSet) -> bool:
        for literal in literals:
            if literal not in self.tests:
                self.tests[literal] = literal_test(literal)
            if self.tests[literal] is None:
                return False
        return True

    def bit(self, literals: LiteralSet) -> int:
        if not self.testable(literals):
            return 0  # cannot be read from words: not checked (it only spares a scan)
        return 1 << self.of_set.setdefault(literals, len(self.of_set))

    def per_literal(self) -> dict[str, int]:
        """Each literal -> the bits of the sets it belongs to."""
        bits: dict[str, int] = {}
        for literals, b in self.of_set.items():
            for literal in literals:
                bits[literal] = bits.get(literal, 0) | (1 << b)
        return bits


_Keyed = dict[str, tuple[str, ...]]


def _token_tables(
    tests: dict[str, tuple[WordTest, ...] | None],
) -> tuple[frozenset[str], _Keyed, _Keyed, _Keyed]:
    """Step 3: the tables ``word_tests`` looks tokens up in: whole-word tokens, and
    tokens by their first (prefixes, insides) or last (suffixes) ``KEY_LEN`` letters."""
    tokens: dict[str, set[str]] = {WORD: set(), PREFIX: set(), SUFFIX: set(), INSIDE: set()}
    for test in tests.values():
        for kind, token in test or ():
            tokens[kind].add(token)
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
    return (
        frozenset(tokens[WORD]),
        {key: tuple(v) for key, v in starting.items()},
        {key: tuple(v) for key, v in ending.items()},
        {key: tuple(v) for key, v in inside.items()},
    )


def build_index(
    patterns: list[PatternLiterals],
    refs: list[PatternRef],
    exceptions: list[LiteralSet | None],
) -> PatternIndex:
    """The index of ``patterns`` (numbered in order; ``refs`` names each one's rule and
    matcher), given each rule's exception literals (``None``: the exceptions have no
    literal set and are always searched)."""
    # 1. Patterns to run everywhere; bits for extra and exception literal sets.
    bits = _Bits()
    unlocks: dict[str, set[int]] = {}  # literal of a first set -> patterns it unlocks
    required: list[int] = []
    always: list[int] = []
    for number, (first, extras) in enumerate(patterns):
        if first is None or not bits.testable(first):
            always.append(number)
            required.append(0)
            continue
        for literal in first:
            unlocks.setdefault(literal, set()).add(number)
        required.append(reduce(or_, map(bits.bit, extras), 0))
    exception_bits = tuple(0 if lits is None else bits.bit(lits) for lits in exceptions)

    # 2. What each literal, and so each word test, may show: patterns and bits.
    frozen = {literal: frozenset(v) for literal, v in unlocks.items()}
    literal_bits = bits.per_literal()

    def found(literals: set[str]) -> Found:
        return Found(
            EMPTY.union(*[frozen.get(lit, EMPTY) for lit in literals]),
            reduce(or_, [literal_bits.get(lit, 0) for lit in literals], 0),
        )

    on_one_word: dict[WordTest, set[str]] = {}
    on_two_words: dict[tuple[WordTest, WordTest], set[str]] = {}
    for literal, test in bits.tests.items():
        if test is None:  # its literal set was left out above
            continue
        if len(test) == 1:
            on_one_word.setdefault(test[0], set()).add(literal)
        else:
            on_two_words.setdefault((test[0], test[1]), set()).add(literal)

    # 3. Two-word tests as bits: each word test's bits of the tests it starts or ends.
    starts: dict[WordTest, int] = {}
    ends: dict[WordTest, int] = {}
    pair_found = []
    for number, ((head, tail), literals) in enumerate(sorted(on_two_words.items())):
        starts[head] = starts.get(head, 0) | (1 << number)
        ends[tail] = ends.get(tail, 0) | (1 << number)
        pair_found.append(found(literals))

    # 4. The tables that find a word's tests by a few lookups.
    whole, starting, ending, inside = _token_tables(bits.tests)
    return PatternIndex(
        refs=tuple(refs),
        required=tuple(required),
        always=tuple(always),
        exception_bits=exception_bits,
        single={test: found(v) for test, v in on_one_word.items()},
        starts=starts,
        ends=ends,
        pair_found=tuple(pair_found),
        whole=whole,
        starting=starting,
        ending=ending,
        inside=inside,
        key_sizes=tuple(sorted({len(key) for key in inside})),
    )
