"""The rule engine: runs a ``RuleSet`` over a draft and returns grounded findings.

Matching happens on the normalised text; each match is vetoed if it sits inside quoted
speech or if one of the rule's exceptions matches in the same sentence, then mapped back
to exact offsets in the caller's string.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import and_, itemgetter, or_
from typing import NamedTuple

from .pattern_index import PatternIndex
from .ruleset import LazyRegex, Rule, RuleSet
from .text import NormalizedText, normalize, quoted_spans, sentence_spans


class Hit(NamedTuple):
    """One rule match, in the caller's offsets. (A tuple: the engine makes many.)"""

    rule: Rule
    start: int
    end: int
    sentence: int  # index of the sentence it was found in
    category: str
    order: int = 0  # the rule's position in the rule set


@dataclass(frozen=True)
class Analysis:
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


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


_WORD = re.compile(r"\w+")


Search = Callable[[str, int, int], "re.Match[str] | None"]


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _mid_word(text: str, start: int) -> bool:
    """Whether a match starting at ``start`` starts inside a word (and so is skipped)."""
    return 0 < start < len(text) and _is_word(text[start - 1]) and _is_word(text[start])


def find(
    regex: LazyRegex, text: str, pos: int = 0, endpos: int | None = None
) -> Iterator[re.Match[str]]:
    """``regex.finditer`` that also requires a match starting with a word character to
    start at a word boundary (the rule patterns leave that check to us, for speed)."""
    end = len(text) if endpos is None else endpos
    while pos <= end:
        m = regex.search(text, pos, end)
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
    while (m := search(text, pos, end)) is not None:
        if not _mid_word(text, m.start()):
            return True
        pos = m.start() + 1
    return False


_union = frozenset[int]().union


def _windows(
    text: str, sents: list[tuple[int, int]], index: PatternIndex
) -> tuple[dict[int, list[int]], list[int]]:
    """For each pattern a draft can trigger, the sentences it must be run in; and for
    each sentence, the bits of the literal sets its words may hold.

    A pattern only runs in sentences whose words may hold one of its literals and one of
    each of its extra literal sets: patterns never span sentences, and scanning one
    sentence is far cheaper than the whole draft. Every step here is a dict lookup, a
    set union or an OR run in C (see pattern_index.py for why this is safe).
    """
    words, pairs = index.words.__getitem__, index.pairs.__getitem__
    required, always = index.required, index.always
    windows: dict[int, list[int]] = {}
    present: list[int] = []
    first, second, third = itemgetter(0), itemgetter(1), itemgetter(2)
    for i, (s, e) in enumerate(sents):
        infos = list(map(words, _WORD.findall(text, s, e)))
        found = list(map(first, infos))
        # two-word tests: what each word may start, met by what the next may end
        both = reduce(or_, map(and_, map(second, infos), map(third, infos[1:])), 0)
        if both:
            found.append(pairs(both))
        patterns = _union(*map(first, found))
        if not patterns and not always:
            present.append(0)
            continue
        bits = reduce(or_, map(second, found), 0)
        present.append(bits)
        missing = ~bits
        for p in patterns:
            if not required[p] & missing:
                marked = windows.get(p)
                if marked is None:
                    windows[p] = [i]
                else:
                    marked.append(i)
        for p in always:
            windows.setdefault(p, []).append(i)
    return windows, present


def analyze(draft: str, ruleset: RuleSet, *, use_prefilter: bool = True) -> Analysis:
    """Run ``ruleset`` over ``draft``. ``use_prefilter=False`` runs every pattern on
    every draft; results are identical (a test checks), only slower."""
    norm = normalize(draft)
    text = norm.text
    sents = sentence_spans(text)
    quotes = quoted_spans(draft)
    hits: list[Hit] = []
    vetoed: dict[tuple[int, int], bool] = {}  # (rule, sentence) -> an exception matches there
    rules = ruleset.rules
    if use_prefilter:
        index = ruleset.index
        windows, present = _windows(text, sents, index)
        n = len(text)
        refs, exception_bits, searches = index.refs, index.exception_bits, ruleset.searches
        for p in sorted(windows):  # rule order, so the first rule wins in _dedupe
            ri, mi = refs[p]
            rule = rules[ri]
            search = searches[p]
            if search is None:
                search = searches[p] = rule.matchers[mi][1].compiled.search
            for i in windows[p]:  # in sentence order
                pos, end = sents[i]
                while (m := search(text, pos, end)) is not None:  # find(), inlined
                    start = m.start()
                    if 0 < start < n and _is_word(text[start - 1]) and _is_word(text[start]):
                        pos = start + 1  # _mid_word, inlined: this loop is the hot path
                        continue
                    # an exception can only veto where its literals may be
                    may_veto = not exception_bits[ri] or bool(exception_bits[ri] & present[i])
                    _consider(m, rule, ri, i, text, sents, norm, quotes, hits, vetoed, may_veto)
                    pos = m.end() if m.end() > start else start + 1
    else:
        sent_starts = [s for s, _ in sents]
        for ri, rule in enumerate(rules):
            for _, regex in rule.matchers:
                for m in find(regex, text):
                    idx = max(bisect_right(sent_starts, m.start()) - 1, 0)
                    _consider(m, rule, ri, idx, text, sents, norm, quotes, hits, vetoed)
    orig_sents = tuple(norm.to_original(s, e) for s, e in sents)
    return Analysis(norm, orig_sents, tuple(_dedupe(hits)), tuple(quotes))


def _consider(
    m: re.Match[str],
    rule: Rule,
    order: int,
    idx: int,  # the sentence the match starts in
    text: str,
    sents: list[tuple[int, int]],
    norm: NormalizedText,
    quotes: list[tuple[int, int]],
    hits: list[Hit],
    vetoed: dict[tuple[int, int], bool],
    may_veto: bool = True,  # False: the pattern index shows no exception can match here
) -> None:
    """Keep a match unless an exception in its sentence vetoes it or it is quoted."""
    start, end = m.span()
    if start == end:
        return
    s_start, s_end = sents[idx]
    if rule.exception_regex is not None:
        veto = vetoed.get((order, idx))
        if veto is None:
            veto = may_veto and _found(rule.exception_regex.compiled.search, text, s_start, s_end)
            vetoed[order, idx] = veto
        if veto:
            return
    o_start, o_end = norm.to_original(start, end)
    # Quoted speech is judged by the matched words, before the clause grows past the
    # closing quote (which normalising drops, for single quotes).
    if quotes and _inside(quotes, o_start, o_end):
        return
    if rule.is_problem:
        o_start, o_end = norm.to_original(start, _clause_end(text, end, s_end))
    hits.append(Hit(rule, o_start, o_end, idx, rule.category, order))


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
    by_category: dict[str, list[Hit]] = {}
    # the first rule wins; within one rule, the match that starts first and reads longest
    for h in sorted(hits, key=lambda h: (h.order, h.start, -h.end)):
        same = by_category.setdefault(h.category, [])
        if any(k.start < h.end and h.start < k.end for k in same):
            continue
        same.append(h)
        kept.append(h)
    kept.sort(key=lambda h: (h.start, h.end))
    return kept


def fires(rule_id: str, text: str, ruleset: RuleSet) -> bool:
    """Whether the rule ``rule_id`` of ``ruleset``, run alone, flags ``text``."""
    return any(h.rule.id == rule_id for h in analyze(text, ruleset.only(rule_id)).hits)
