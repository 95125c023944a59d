"""The rule engine: runs a ``RuleSet`` over a draft and returns grounded findings.

Matching happens on the normalised text; each match is vetoed if it sits inside quoted
speech or if one of the rule's exceptions matches in the same sentence, then mapped back
to exact offsets in the caller's string.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, itemgetter, or_
from typing import NamedTuple

from .compiled_rules import USER_PATTERN_BUDGET, LazyRegex, PatternTimeout, Rule, RuleSet, Search
from .errors import RuleFileError
from .pattern_index import Found, PatternIndex, WordInfo
from .text import NormalizedText, normalize, quoted_spans, sentence_spans


class Hit(NamedTuple):
    """One rule match, in the caller's offsets. (A tuple: the engine makes many.)"""

    rule: Rule
    start: int
    end: int
    sentence: int  # index of the sentence it was found in
    category: str
    order: int = 0  # the rule's position in the rule set
    pattern: int = -1  # which of the rule's patterns matched (-1: not a pattern's match)


class Analysis(NamedTuple):
    """Everything one pass over a draft found, before scoring."""

    norm: NormalizedText
    sentences: tuple[tuple[int, int], ...]  # in the caller's offsets
    hits: tuple[Hit, ...]
    quotes: tuple[tuple[int, int], ...] = ()  # quoted speech, in the caller's offsets

    def problems(self) -> list[Hit]:
        return [h for h in self.hits if h.rule.is_problem]

    def first_element_hit(self, element_id: str) -> Hit | None:
        for h in self.hits:
            if h.category == element_id:
                return h
        return None


class _Quotes:
    """Quoted speech, for asking whether a span lies inside some quote: one bisection,
    so a draft of many quotes and many matches stays linear (the spans are sorted by
    start and may overlap, so the furthest end reached so far is kept per span)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]
        self.reach: list[int] = []
        furthest = -1
        for _, e in spans:
            furthest = max(furthest, e)
            self.reach.append(furthest)

    def contain(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)  # quotes that start at or before ``start``
        return i > 0 and self.reach[i - 1] >= end


_WORD = re.compile(r"\w+")


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _mid_word(text: str, start: int) -> bool:
    """Whether a match starting at ``start`` starts inside a word (and so is skipped)."""
    return 0 < start < len(text) and _is_word(text[start - 1]) and _is_word(text[start])


def find(
    search: Search, text: str, pos: int = 0, endpos: int | None = None
) -> Iterator[re.Match[str]]:
    """``finditer`` for a regex's ``search`` that also requires a match starting with a
    word character to start at a word boundary (the rule patterns leave that check to
    us, for speed)."""
    end = len(text) if endpos is None else endpos
    while pos <= end:
        m = search(text, pos, end)
        if m is None:
            return
        start = m.start()
        if _mid_word(text, start):
            pos = start + 1
            continue
        yield m
        pos = m.end() if m.end() > start else start + 1


def _found(search: Search, text: str, pos: int, end: int) -> bool:
    """Whether ``find`` would yield anything (without making a generator)."""
    while pos <= end and (m := search(text, pos, end)) is not None:
        if not _mid_word(text, m.start()):
            return True
        pos = m.start() + 1
    return False


_union = frozenset[int]().union


# Field getters run in C over every word (``itemgetter`` by field position: faster than
# ``attrgetter`` on a NamedTuple, and this is the hot path).
def _field(cls: type[tuple[object, ...]], name: str) -> itemgetter[object]:
    return itemgetter(cls._fields.index(name))  # type: ignore[attr-defined]


_alone, _starts, _ends = (_field(WordInfo, f) for f in ("alone", "starts", "ends"))
_patterns, _bits = (_field(Found, f) for f in ("patterns", "bits"))


class Windows(NamedTuple):
    """Where a draft's patterns must run: for each pattern number the draft can
    trigger, its sentences in order; and for each sentence, the bits of the extra (and
    exception) literal sets its words may hold."""

    sentences_of: dict[int, list[int]]
    bits_of: list[int]


def _windows(text: str, sents: list[tuple[int, int]], index: PatternIndex) -> Windows:
    """A pattern only runs in sentences whose words may hold one of its first literals
    and one of each of its extra literal sets: patterns never span sentences, and
    scanning one sentence is far cheaper than the whole draft. Every step here is a dict
    lookup, a set union or an OR run in C (see pattern_index.py for why this is safe)."""
    words, pairs = index.words.__getitem__, index.pairs.__getitem__
    required, always = index.required, index.always
    sentences_of: dict[int, list[int]] = {}
    bits_of: list[int] = []
    for i, (s, e) in enumerate(sents):
        infos = list(map(words, _WORD.findall(text, s, e)))
        found = list(map(_alone, infos))
        # two-word tests: what each word may start, met by what the next may end
        both = reduce(or_, map(and_, map(_starts, infos), map(_ends, infos[1:])), 0)
        if both:
            found.append(pairs(both))
        patterns = _union(*map(_patterns, found))
        if not patterns and not always:
            bits_of.append(0)
            continue
        bits = reduce(or_, map(_bits, found), 0)
        bits_of.append(bits)
        missing = ~bits
        for p in patterns:
            if not required[p] & missing:
                marked = sentences_of.get(p)
                if marked is None:
                    sentences_of[p] = [i]
                else:
                    marked.append(i)
        for p in always:
            sentences_of.setdefault(p, []).append(i)
    return Windows(sentences_of, bits_of)


@dataclass
class _Scan:
    """One pass of the rules over one draft: the normalised text, its sentences and
    quoted speech, the hits kept so far, and which (rule, sentence) pairs an exception
    vetoes (worked out once per pair)."""

    norm: NormalizedText
    sents: list[tuple[int, int]]
    quotes: _Quotes
    hits: list[Hit] = field(default_factory=list)
    vetoed: dict[tuple[int, int], bool] = field(default_factory=dict)
    deadline: float | None = None  # for a user's patterns, set at the first one

    def search(self, regex: LazyRegex) -> Search:
        """``regex``'s search; for a user's pattern, one bounded by the time all of this
        draft's user patterns may take (``ruleset.USER_PATTERN_BUDGET``)."""
        if not regex.guarded:
            return regex.search
        if self.deadline is None:
            self.deadline = time.monotonic() + USER_PATTERN_BUDGET
        return regex.bounded_search(self.deadline)

    def consider(
        self,
        m: re.Match[str],
        rule: Rule,
        order: int,
        pattern: int,
        sentence: int,
        may_veto: bool = True,
    ) -> None:
        """Keep a match of ``rule``'s ``pattern``-th pattern (the rule is the ``order``-th
        of the set) found in sentence ``sentence``, unless an exception in its sentence
        vetoes it or it is quoted. ``may_veto=False``: the pattern index shows no
        exception can match there."""
        start, end = m.span()
        if start == end:
            return
        text = self.norm.text
        s_start, s_end = self.sents[sentence]
        if rule.exception is not None:
            veto = self.vetoed.get((order, sentence))
            if veto is None:
                veto = may_veto and _found(self.search(rule.exception.regex), text, s_start, s_end)
                self.vetoed[order, sentence] = veto
            if veto:
                return
        o_start, o_end = self.norm.to_original(start, end)
        # Quoted speech is judged by the matched words, before the clause grows past the
        # closing quote (which normalising drops, for single quotes).
        if self.quotes.spans and self.quotes.contain(o_start, o_end):
            return
        if rule.is_problem:
            o_start, o_end = self.norm.to_original(start, _clause_end(text, end, s_end))
        self.hits.append(Hit(rule, o_start, o_end, sentence, rule.category, order, pattern))


def analyze(draft: str, ruleset: RuleSet, *, use_prefilter: bool = True) -> Analysis:
    """Run ``ruleset`` over ``draft``. ``use_prefilter=False`` runs every pattern on
    every draft; results are identical (a test checks), only slower. A user's pattern
    that runs past its time limit raises ``RuleFileError`` naming its rule."""
    norm = normalize(draft)
    sents = sentence_spans(norm.text)
    scan = _Scan(norm, sents, _Quotes(quoted_spans(draft)))
    rule: Rule | None = None
    try:
        if use_prefilter:
            index = ruleset.index
            windows = _windows(norm.text, sents, index)
            for p in sorted(windows.sentences_of):  # rule order: the first rule wins in _dedupe
                order, m_number = index.refs[p]
                rule = ruleset.rules[order]
                regex = rule.matchers[m_number].regex
                candidate = _Candidate(
                    rule,
                    order,
                    m_number,
                    scan.search(regex) if regex.guarded else regex.search,
                    windows.sentences_of[p],
                    index.exception_bits[order],
                )
                _run(scan, candidate, windows.bits_of)
        else:
            sent_starts = [s for s, _ in sents]
            for order, rule in enumerate(ruleset.rules):
                for number, matcher in enumerate(rule.matchers):
                    for m in find(scan.search(matcher.regex), norm.text):
                        i = max(bisect_right(sent_starts, m.start()) - 1, 0)
                        scan.consider(m, rule, order, number, i)
    except PatternTimeout as exc:
        assert rule is not None
        raise RuleFileError(f"{rule.origin}: rule {rule.id}: {exc}") from None
    orig_sents = tuple(norm.to_original(s, e) for s, e in sents)
    return Analysis(norm, orig_sents, tuple(_dedupe(scan.hits)), tuple(scan.quotes.spans))


class _Candidate(NamedTuple):
    """A pattern the pattern index chose for a draft, and what running it needs."""

    rule: Rule
    order: int  # the rule's position in the set
    pattern: int  # which of the rule's patterns
    search: Search
    sentences: list[int]  # where to run it, in order
    exception_bit: int  # the bit of the rule's exception literals (0: none)


def _run(scan: _Scan, candidate: _Candidate, bits_of: list[int]) -> None:
    """Run one pattern in the sentences chosen for it. This loop is the hot path, so
    ``find`` and ``_mid_word`` are written out in it."""
    text, sents, consider = scan.norm.text, scan.sents, scan.consider
    rule, order, pattern, search, sentences, exception_bit = candidate
    n = len(text)
    for i in sentences:
        pos, end = sents[i]
        while pos <= end and (m := search(text, pos, end)) is not None:
            start = m.start()
            if 0 < start < n and _is_word(text[start - 1]) and _is_word(text[start]):
                pos = start + 1
                continue
            # an exception can only veto where its literals may be
            may_veto = not exception_bit or bool(exception_bit & bits_of[i])
            consider(m, rule, order, pattern, i, may_veto)
            pos = m.end() if m.end() > start else start + 1


_CLAUSE_END = re.compile(r'[,;:.!?()"\n]| - ')
_MAX_EXTEND = 100


def _clause_end(text: str, end: int, limit: int) -> int:
    """Grow a problem's span to the end of its clause, so the quote reads as words a
    person can recognise ("I only said that because I figured travel would be hard")
    rather than a fragment ending in "because I"."""
    m = _CLAUSE_END.search(text, end, min(limit, end + _MAX_EXTEND))
    stop = m.start() if m else min(limit, end + _MAX_EXTEND)
    if not m and stop < limit:  # no clause mark close by: keep the exact match
        return end
    while stop > end and text[stop - 1] == " ":
        stop -= 1
    return max(stop, end)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Keep one hit per category per overlapping stretch of text (the first rule wins),
    so one phrase is never reported twice for the same reason."""
    kept: list[Hit] = []
    # per category, the kept spans in order: they never overlap, so their ends are in
    # order too, and the one kept span a new hit could overlap is found by bisection
    spans: dict[str, list[tuple[int, int]]] = {}
    # the first rule wins; within one rule, the match that starts first and reads longest
    for h in sorted(hits, key=lambda h: (h.order, h.start, -h.end)):
        same = spans.setdefault(h.category, [])
        before = bisect_left(same, (h.end,))  # kept spans starting before h ends
        if before and same[before - 1][1] > h.start:
            continue
        insort(same, (h.start, h.end))
        kept.append(h)
    kept.sort(key=lambda h: (h.start, h.end))
    return kept


def fires(rule_id: str, text: str, ruleset: RuleSet) -> bool:
    """Whether the rule ``rule_id`` of ``ruleset``, run alone, flags ``text``."""
    return any(h.rule.id == rule_id for h in analyze(text, ruleset.only(rule_id)).hits)
