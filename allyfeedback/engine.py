"""The rule engine: runs a ``RuleSet`` over a draft and returns grounded findings.

Matching happens on the normalised text; each match is vetoed if it sits inside quoted
speech or if one of the rule's exceptions matches in the same sentence, then mapped back
to exact offsets in the caller's string.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

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


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


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
        if start > 0 and _is_word(text[start - 1]) and start < len(text) and _is_word(text[start]):
            pos = start + 1
            continue
        yield m
        pos = m.end() if m.end() > start else start + 1


def _windows(
    text: str, sents: list[tuple[int, int]], ruleset: RuleSet
) -> dict[tuple[int, int], list[int]]:
    """For each pattern a draft can trigger, the sentences it must be run in.

    A pattern only runs in sentences holding one of its literals (and one of each of its
    extra literal sets): patterns never span sentences, and scanning one sentence is far
    cheaper than the whole draft. Literals are found through the keys of the sentence's
    words (see prefilter.py). Plain loops on purpose: ``in`` as an operator is cheaper
    than ``map``/``filter`` over ``str.__contains__`` (measured in docs/performance.md).
    """
    index = ruleset.index
    keyed, unlocks, extras_of = index.keyed, index.unlocks, index.extras
    word_keys = index.word_keys.__getitem__
    windows: dict[tuple[int, int], list[int]] = {}
    for i, (s, e) in enumerate(sents):
        chunk = text[s:e]
        keys: set[str] = set()
        for word in _WORD.findall(chunk):
            found = word_keys(word)
            if found:
                keys.update(found)
        candidates: set[tuple[int, int]] = set()
        for key in keys:
            for needle in keyed[key]:
                if needle in chunk:
                    candidates.update(unlocks[needle])
        touched: dict[frozenset[str], bool] = {}  # extra literal set -> found in this sentence
        for ref in candidates:
            for ex in extras_of[ref]:
                hit = touched.get(ex)
                if hit is None:
                    hit = False
                    for x in ex:
                        if x in chunk:
                            hit = True
                            break
                    touched[ex] = hit
                if not hit:
                    break
            else:
                marked = windows.get(ref)
                if marked is None:
                    windows[ref] = [i]
                else:
                    marked.append(i)
    if index.always:
        starts = [s for s, _ in sents]
        for ref in index.always:  # no key: find the literals themselves
            ri, mi = ref
            needles = ruleset.rules[ri].matchers[mi][0]
            where = set(range(len(sents))) if needles is None else set()
            for n in needles or ():
                pos = text.find(n)
                while pos != -1:
                    where.add(max(bisect_right(starts, pos) - 1, 0))
                    pos = text.find(n, pos + 1)
            if where:
                windows[ref] = sorted(where)
    return windows


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
        windows = _windows(text, sents, ruleset)
        n = len(text)
        for ri, mi in sorted(windows):  # rule order, so the first rule wins in _dedupe
            rule = rules[ri]
            search = rule.matchers[mi][1].compiled.search
            for i in windows[ri, mi]:  # in sentence order
                pos, end = sents[i]
                while (m := search(text, pos, end)) is not None:  # find(), inlined
                    start = m.start()
                    if (
                        start > 0
                        and start < n
                        and _is_word(text[start - 1])
                        and _is_word(text[start])
                    ):
                        pos = start + 1
                        continue
                    _consider(m, rule, ri, i, text, sents, norm, quotes, hits, vetoed)
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
) -> None:
    """Keep a match unless an exception in its sentence vetoes it or it is quoted."""
    start, end = m.span()
    if start == end:
        return
    s_start, s_end = sents[idx]
    if rule.exception_regex is not None:
        veto = vetoed.get((order, idx))
        if veto is None:
            veto = next(find(rule.exception_regex, text, s_start, s_end), None) is not None
            vetoed[order, idx] = veto
        if veto:
            return
    if rule.is_problem:
        end = _clause_end(text, end, s_end)
    o_start, o_end = norm.to_original(start, end)
    if quotes and _inside(quotes, o_start, o_end):
        return
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


def example_failures(ruleset: RuleSet) -> list[str]:
    """Each rule's own examples, run with the rule alone: one line per example that does
    not behave as the rule file says (empty when every example passes)."""
    failures = []
    for rule in ruleset:
        for text, should in [(t, True) for t in rule.examples_match] + [
            (t, False) for t in rule.examples_no_match
        ]:
            if fires(rule.id, text, ruleset) != should:
                verb = "should match" if should else "should not match"
                failures.append(f"{rule.id} ({rule.origin}): {verb} {text!r}")
    return failures
