"""Findings of the learned layer, in the rule engine's own shape.

The rules run first; the learned layer (``learned.py``) then adds, for each label the
rules did not find, the sentences its model is confident about. Its findings become
``Hit``s of stand-in rules (``learned.<category>``), so results, score, verdict and
revision treat them like the rules' own, and a disabled category stays disabled.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import replace
from functools import lru_cache

from .engine import Analysis, Hit
from .learned import MESSAGES, LinearModel, logit, shipped_model
from .ruleset import Rule, RuleSet
from .taxonomy import is_problem

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
    found = {h.category for h in analysis.hits}
    norm = analysis.norm
    cutoffs = [logit(model.thresholds.get(label, 1.0)) for label in model.labels]
    problems: list[Hit] = []
    best_element: dict[str, tuple[float, int]] = {}
    for i, (start, end) in enumerate(analysis.sentences):
        if any(q_start <= start and end <= q_end for q_start, q_end in analysis.quotes):
            continue
        n_start, n_end = bisect_left(norm.origin, start), bisect_left(norm.origin, end)
        for j, z in enumerate(model.logits(norm.text[n_start:n_end])):
            label = model.labels[j]
            if z < cutoffs[j] or label in found or label not in templates:
                continue
            if is_problem(label):
                problems.append(_hit(analysis, _stand_in(templates[label]), i))
            elif z > best_element.get(label, (-math.inf, 0))[0]:
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
