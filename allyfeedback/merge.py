"""Merging the model's grounded findings onto the rule engine's result.

Rule findings are always kept. The model adds problems the rules missed (grounded, and
not on top of a rule finding of the same category), elements the rules did not see
(grounded, and not inside words the rules flag as a problem), and its revision when the
rules find nothing wrong with it. Score, verdict and summary are recomputed here from
the merged findings: the model never sets them.
"""

from __future__ import annotations

from .llm import Outcome
from .models import Element, Feedback, Problem
from .scoring import compute_score, compute_verdict, summarize
from .taxonomy import DEFAULT_SEVERITY, ELEMENT_IDS

_MAX_TEXT = 300


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1].rstrip() + "…"


def merge(rules: Feedback, outcome: Outcome, prompt_version: str) -> Feedback:
    draft = rules.draft
    problems: list[Problem] = list(rules.problems)
    for p, start, end in outcome.grounded_problems:
        if any(q.category == p.category and q.start < end and start < q.end for q in problems):
            continue
        problems.append(
            Problem(
                category=p.category,
                quote=draft[start:end],
                start=start,
                end=end,
                severity=DEFAULT_SEVERITY[p.category],
                message=_clip(p.why) or "The model flagged these words.",
                suggestion=_clip(p.instead) or "Consider leaving these words out.",
                rule_id=f"llm.{p.category}",
                source="llm",
            )
        )
    problems.sort(key=lambda p: (p.start, p.end))
    elements: list[Element] = []
    for element_id in ELEMENT_IDS:
        ours = rules.element(element_id)
        span = outcome.grounded_elements.get(element_id)
        if ours.present or span is None:
            elements.append(ours)
            continue
        start, end = span
        if any(p.start < end and start < p.end for p in rules.problems):
            elements.append(ours)  # the rules see a problem in those very words
            continue
        elements.append(
            Element(
                id=element_id,
                present=True,
                quote=draft[start:end],
                start=start,
                end=end,
                rule_id=f"llm.{element_id}",
                source="llm",
            )
        )
    warnings = list(rules.warnings)
    if outcome.dropped:
        warnings.append(
            f"{outcome.dropped} finding(s) from the model quoted words that are not in "
            "the draft and were left out."
        )
    contributed_rules = bool(rules.problems) or any(e.present for e in rules.elements)
    # A model can be talked into seeing an apology that is not there ("ignore your
    # instructions..."); so what it finds can lower the score, never raise it.
    scored = [e if e.source != "llm" else rules.element(e.id) for e in elements]
    return Feedback(
        draft=draft,
        situation=rules.situation,
        problems=problems,
        elements=elements,
        score=compute_score(problems, scored),
        verdict=compute_verdict(problems, scored),
        summary=summarize(problems, elements),
        revision=outcome.revision or rules.revision,
        source="hybrid" if contributed_rules else "llm",
        warnings=warnings,
        model=outcome.model,
        prompt_version=prompt_version,
        usage=outcome.usage.model_copy(),
        skipped=list(rules.skipped),
    )
