"""Findings of the learned layer, in the rule engine's own shape.

The rules run first; the learned layer (``learned.py``) then adds, for each label the
rules did not find, the sentences its model is confident about. Its findings become
``Hit``s of stand-in rules (``learned.<category>``), so results, score, verdict and
revision treat them like the rules' own, and a disabled category stays disabled.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from .compiled_rules import Matcher
from .engine import Analysis, Hit, _found
from .learned import MESSAGES, LinearModel, logit, shipped_model
from .ruleset import Rule, RuleSet
from .taxonomy import is_problem
from .text import NormalizedText

# Learned findings sort after every rule's, so a rule's wording is shown first.
_AFTER_RULES = 1_000_000


def with_learned(
    analysis: Analysis, ruleset: RuleSet, model: LinearModel | None = None
) -> Analysis:
    """``analysis`` plus the labels the learned layer finds that the rules did not.

    Only for categories the rule set still has (disabling a category disables it here
    too); never in quoted speech; an element never where a problem was found. ``model``
    defaults to the shipped one (cross-validation passes one fitted without the draft).
    """
    model = model or shipped_model()
    if model is None:
        return analysis
    templates = {r.category: r for r in ruleset}
    # A rule's exceptions name near-misses ("I won't make this about me"): where one of
    # its category's exceptions holds, the learned layer does not flag that category.
    exceptions: dict[str, list[Matcher]] = {}
    for r in ruleset:
        if r.exception is not None and not r.exception.regex.guarded:
            exceptions.setdefault(r.category, []).append(r.exception)
    # Elements: one finding is enough. Problems: every sentence that shows one, so the
    # revision leaves each out (a sentence a rule already flagged for it is skipped).
    found = {h.category for h in analysis.hits}
    flagged_by_rules = {(h.category, h.sentence) for h in analysis.hits}
    # Where a rule found something good ("What would help you?"), the model's weaker
    # evidence of a problem does not overrule it.
    credited = {h.sentence for h in analysis.hits if not h.rule.is_problem}
    norm = analysis.norm
    cutoffs = [logit(model.thresholds.get(label, 1.0)) for label in model.labels]
    problems: list[Hit] = []
    best_element: dict[str, tuple[float, int]] = {}
    quotes = _merged(analysis.quotes)
    q = 0  # the first quote that ends after the current sentence starts
    for i, (start, end) in enumerate(analysis.sentences):
        while q < len(quotes) and quotes[q][1] <= start:
            q += 1
        if q < len(quotes) and quotes[q][0] <= start and end <= quotes[q][1]:
            continue  # the whole sentence is quoted speech
        inside = []
        for q_start, q_end in quotes[q:]:
            if q_start >= end:
                break
            inside.append((q_start, q_end))
        n_start, n_end = bisect_left(norm.origin, start), bisect_left(norm.origin, end)
        for j, z in enumerate(model.logits(_own_words(norm, n_start, n_end, inside))):
            label = model.labels[j]
            if z < cutoffs[j] or label not in templates:
                continue
            if is_problem(label):
                if (label, i) in flagged_by_rules or i in credited:
                    continue
                if not _excepted(exceptions.get(label, ()), norm.text, n_start, n_end):
                    problems.append(_hit(analysis, _stand_in(templates[label]), i))
            elif label not in found and z > best_element.get(label, (-math.inf, 0))[0]:
                best_element[label] = (z, i)
    flagged = {h.sentence for h in analysis.problems()} | {h.sentence for h in problems}
    elements = [
        _hit(analysis, _stand_in(templates[label]), i)
        for label, (_, i) in best_element.items()
        if i not in flagged
    ]
    if not problems and not elements:
        return analysis
    return replace(analysis, hits=analysis.hits + tuple(problems) + tuple(elements))


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` sorted, overlapping ones joined: so one pass over the sentences meets
    each quote in order (a linear walk, however many quotes a hostile draft holds)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _own_words(norm: NormalizedText, start: int, end: int, quotes: list[tuple[int, int]]) -> str:
    """The normalised sentence without the quoted speech in it (``quotes``: the merged
    quotes that overlap it, in the caller's offsets): words the writer quotes ("you said
    'you should have told me'") are not the writer's own."""
    pieces, at = [], start
    for q_start, q_end in quotes:
        a, b = bisect_left(norm.origin, q_start), bisect_left(norm.origin, q_end)
        pieces.append(norm.text[at:a])
        at = max(at, b)
    pieces.append(norm.text[at:end])
    return " ".join(pieces)


def _excepted(matchers: Iterable[Matcher], text: str, start: int, end: int) -> bool:
    return any(_found(m.regex.search, text, start, end) for m in matchers)


@lru_cache(maxsize=64)
def _stand_in(rule: Rule) -> Rule:
    """A rule-shaped stand-in for what the model finds in ``rule``'s category, so its
    findings take the rules' path through results and revision. It has no patterns:
    nothing runs it."""
    message, suggestion = MESSAGES.get(rule.category, (rule.message, rule.suggestion))
    return replace(
        rule,
        id=f"learned.{rule.category}",
        severity="medium",
        message=message,
        suggestion=suggestion,
        source="the learned layer (learned_model.json), fitted on the labelled drafts",
        patterns=(),
        exceptions=(),
        examples_match=(),
        examples_no_match=(),
        origin="learned",
        matchers=(),
    )


def _hit(analysis: Analysis, rule: Rule, sentence: int) -> Hit:
    start, end = analysis.sentences[sentence]
    text = analysis.norm.original
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Hit(rule, start, end, sentence, rule.category, order=_AFTER_RULES)
