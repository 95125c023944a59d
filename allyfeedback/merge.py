"""Merging the model's grounded judgement onto the rule engine's result.

The policy (also in docs/llm.md and docs/api.md), when the model answered usably:

- **Model problems** that are grounded are added, unless a rule finding of the same
  category already covers those words (then that finding is *confirmed*).
- **Rule problems** the model did not confirm (no model problem of the same category
  overlaps them) are kept, shown as ``disputed``, and not scored. Rule findings of
  ``high`` severity cannot be disputed: the rules are sure of those. Nor can a model
  dispute anything when one of its quotes was not in the draft (it did not read the
  draft faithfully, so its silence proves nothing), or when its answer grounds nothing
  at all (no problem, no element: a model talked into silence looks like that).
- **Elements** the model found count toward the score and verdict when the quote is
  grounded, ``evidence.can_carry`` says those words can express the element, and the
  quote does not overlap a scored problem. A rule element the model judged absent is
  kept, shown as disputed, and not scored.
- **Injection.** If ``injection.instruction_like`` finds text addressed to a reviewer or
  a model in the draft or the situation, nothing is disputed, no model element counts,
  and the rules' revision is used; model problems are still added (they can only lower
  the score), and a warning says so. So such a draft never scores higher than the rules
  alone would score it.

Score, verdict and summary are always computed here, from the merged findings; the
model's own summary is never shown.
"""

from __future__ import annotations

import logging

from .evidence import can_carry
from .injection import instruction_like, warning
from .llm import Outcome
from .models import Element, Feedback, Problem
from .redact import scrub
from .scoring import compute_score, compute_verdict, summarize
from .taxonomy import DEFAULT_SEVERITY, ELEMENT_IDS

log = logging.getLogger("allyfeedback")
_MAX_TEXT = 300
UNDISPUTABLE_SEVERITY = "high"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1].rstrip() + "…"


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _problems(
    rules: Feedback, outcome: Outcome, may_dispute: bool, secret: str | None
) -> list[Problem]:
    draft = rules.draft
    model_spans = [(p.category, (start, end)) for p, start, end in outcome.grounded_problems]
    problems: list[Problem] = []
    for rp in rules.problems:
        confirmed = any(
            cat == rp.category and _overlaps(span, (rp.start, rp.end)) for cat, span in model_spans
        )
        disputable = may_dispute and rp.severity != UNDISPUTABLE_SEVERITY
        problems.append(rp.model_copy(update={"disputed": disputable and not confirmed}))
    for p, start, end in outcome.grounded_problems:
        if any(
            q.category == p.category and _overlaps((q.start, q.end), (start, end)) for q in problems
        ):
            continue
        problems.append(
            Problem(
                category=p.category,
                quote=draft[start:end],
                start=start,
                end=end,
                severity=DEFAULT_SEVERITY[p.category],
                message=scrub(_clip(p.why), secret) or "The model flagged these words.",
                suggestion=scrub(_clip(p.instead), secret) or "Consider leaving these words out.",
                rule_id=f"llm.{p.category}",
                source="llm",
            )
        )
    problems.sort(key=lambda p: (p.start, p.end))
    return problems


def _elements(
    rules: Feedback, outcome: Outcome, problems: list[Problem], trusted: bool, may_dispute: bool
) -> tuple[list[Element], int]:
    """The merged checklist, and how many model elements did not count."""
    draft = rules.draft
    judged_absent = {e.id for e in outcome.critique.elements if not e.present}
    scored = [(p.start, p.end) for p in problems if not p.disputed]
    elements: list[Element] = []
    refused = 0
    for element_id in ELEMENT_IDS:
        ours = rules.element(element_id)
        span = outcome.grounded_elements.get(element_id)
        if ours.present:
            if may_dispute and span is None and element_id in judged_absent:
                ours = ours.model_copy(update={"disputed": True})
            elements.append(ours)
            continue
        if span is None:
            elements.append(ours)
            continue
        quote = draft[span[0] : span[1]]
        # Grounding trims end punctuation; a question mark right after the quote is
        # evidence too (a question to the person).
        evidence = quote + "?" if draft[span[1] : span[1] + 1] == "?" else quote
        if (
            not trusted
            or not can_carry(element_id, evidence)
            or any(_overlaps(span, s) for s in scored)
        ):
            refused += 1
            elements.append(ours)
            continue
        elements.append(
            Element(
                id=element_id,
                present=True,
                quote=quote,
                start=span[0],
                end=span[1],
                rule_id=f"llm.{element_id}",
                source="llm",
            )
        )
    return elements, refused


def merge(
    rules: Feedback, outcome: Outcome, prompt_version: str, secret: str | None = None
) -> Feedback:
    """The hybrid result: ``rules`` (the rule engine's Feedback for the draft) with the
    model's grounded ``outcome`` merged in by the policy above. ``secret`` (the API key)
    is scrubbed from every text the model wrote."""
    found = instruction_like(rules.draft) + instruction_like(rules.situation)
    trusted = not found
    # An answer that found nothing at all in the draft may be one talked into silence.
    engaged = bool(outcome.grounded_problems or outcome.grounded_elements)
    may_dispute = trusted and engaged and not outcome.dropped
    problems = _problems(rules, outcome, may_dispute, secret)
    elements, refused = _elements(rules, outcome, problems, trusted, may_dispute)
    warnings = list(rules.warnings)
    if found:
        warnings.append(warning(found))
        log.warning("allyfeedback: instruction-like text in the input; model judgement not counted")
    if outcome.dropped:
        warnings.append(
            f"{outcome.dropped} finding(s) from the model quoted words that are not in "
            "the draft and were left out."
        )
    if refused and trusted:
        warnings.append(
            f"{refused} element(s) the model reported were not counted: their words cannot "
            "carry that element, or they overlap a problem."
        )
    if outcome.truncated_lists:
        warnings.append(
            "The model's answer reached its list limit; more problems may be in the draft."
        )
    disputed = sum(p.disputed for p in problems) + sum(e.disputed for e in elements)
    if disputed:
        warnings.append(
            f"The model did not confirm {disputed} rule finding(s); they are marked as "
            "disputed and not scored."
        )
    contributed_rules = bool(rules.problems) or any(e.present for e in rules.elements)
    revision = outcome.revision if (outcome.revision and trusted) else rules.revision
    return Feedback(
        draft=rules.draft,
        situation=rules.situation,
        problems=problems,
        elements=elements,
        score=compute_score(problems, elements),
        verdict=compute_verdict(problems, elements),
        summary=summarize(problems, elements),
        revision=scrub(revision, secret),
        source="hybrid" if contributed_rules else "llm",
        warnings=warnings,
        model=outcome.model,
        prompt_version=prompt_version,
        usage=outcome.usage.model_copy(),
        skipped=list(rules.skipped),
    )
