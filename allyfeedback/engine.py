"""The rule engine: runs a ``RuleSet`` over a draft and returns grounded findings.

Matching happens on the normalised text; each match is vetoed if it sits inside quoted
speech or if one of the rule's exceptions matches in the same sentence, then mapped back
to exact offsets in the caller's string.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from .ruleset import Rule, RuleSet
from .text import NormalizedText, normalize, quoted_spans, sentence_spans


@dataclass(frozen=True)
class Hit:
    """One rule match, in the caller's offsets."""

    rule: Rule
    start: int
    end: int
    sentence: int  # index of the sentence it was found in

    @property
    def category(self) -> str:
        return self.rule.category


@dataclass(frozen=True)
class Analysis:
    """Everything one pass over a draft found, before scoring."""

    norm: NormalizedText
    sentences: tuple[tuple[int, int], ...]  # in the caller's offsets
    hits: tuple[Hit, ...]

    def problems(self) -> list[Hit]:
        return [h for h in self.hits if h.rule.is_problem]

    def first_element_hit(self, element_id: str) -> Hit | None:
        for h in self.hits:
            if h.category == element_id:
                return h
        return None


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def analyze(draft: str, ruleset: RuleSet) -> Analysis:
    norm = normalize(draft)
    text = norm.text
    sents = sentence_spans(text)
    sent_starts = [s for s, _ in sents]
    quotes = quoted_spans(draft)
    hits: list[Hit] = []
    for rule in ruleset.rules:
        for m in rule.regex.finditer(text):
            start, end = m.span()
            if start == end:
                continue
            idx = max(bisect_right(sent_starts, start) - 1, 0)
            s_start, s_end = sents[idx]
            if rule.exception_regex is not None and rule.exception_regex.search(
                text, s_start, s_end
            ):
                continue
            o_start, o_end = norm.to_original(start, end)
            if quotes and _inside(quotes, o_start, o_end):
                continue
            hits.append(Hit(rule, o_start, o_end, idx))
    orig_sents = tuple(norm.to_original(s, e) for s, e in sents)
    return Analysis(norm, orig_sents, tuple(_dedupe(hits)))


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Keep one hit per category per overlapping stretch of text (the first rule wins),
    so one phrase is never reported twice for the same reason."""
    kept: list[Hit] = []
    for h in hits:
        if any(
            k.category == h.category and k.start < h.end and h.start < k.end for k in kept
        ):
            continue
        kept.append(h)
    kept.sort(key=lambda h: (h.start, h.end))
    return kept
