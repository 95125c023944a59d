"""The rule engine's critique: turns an ``engine.analyze`` result into a ``Feedback``.

Kept apart from ``api.py`` (which checks input and picks the engine) so that the rule
engine's work has one home; the LLM engine merges its findings onto this result.
"""

from __future__ import annotations

import re

from .engine import Analysis, Hit, analyze
from .frame import Frame, find_frame, own_words
from .learned import LearnedLayer, LinearModel, shipped_model
from .learned_findings import with_learned
from .models import Element, Feedback, FindingSource, Problem, Skipped
from .revision import DEFAULT_MAX_CHARS, build_revision
from .ruleset import RuleSet
from .scoring import compute_score, compute_verdict, summarize
from .taxonomy import ELEMENT_IDS
from .text import lookalike_words, looks_english
from .wording import tips

_LETTER = re.compile(r"[^\W\d_]")


def draft_warnings(draft: str) -> list[str]:
    """Warnings about the draft itself, whichever engine runs."""
    out = []
    if not _LETTER.search(draft):
        out.append("The draft has no words to check; the feedback covers only what is missing.")
    elif not looks_english(draft):
        out.append(
            "The draft does not look like English. The rules are written for English, "
            "so problems may be missed."
        )
    lookalikes = lookalike_words(draft)
    if lookalikes:
        out.append(
            f"Some words mix in letters from another alphabet that look Latin "
            f"({', '.join(repr(w) for w in lookalikes[:3])}); they were read as Latin letters."
        )
    return out


def _source(hit: Hit) -> FindingSource:
    return "learned" if hit.rule.origin == "learned" else "rules"


def problems_from(analysis: Analysis) -> list[Problem]:
    return [
        Problem(
            category=h.rule.category,  # type: ignore[arg-type]
            quote=analysis.norm.original[h.start : h.end],
            start=h.start,
            end=h.end,
            severity=h.rule.severity,
            message=h.rule.message,
            suggestion=h.rule.suggestion,
            rule_id=h.rule.id,
            source=_source(h),
        )
        for h in analysis.problems()
    ]


def elements_from(analysis: Analysis, situation: str | None = None) -> list[Element]:
    """Each element, found or with a tip worded for the situation (or general)."""
    out = []
    tip = tips(situation)
    for element_id in ELEMENT_IDS:
        hit = analysis.first_element_hit(element_id)
        if hit is None:
            out.append(Element(id=element_id, present=False, tip=tip[element_id]))
        else:
            out.append(
                Element(
                    id=element_id,
                    present=True,
                    quote=analysis.norm.original[hit.start : hit.end],
                    start=hit.start,
                    end=hit.end,
                    rule_id=hit.rule.id,
                    source=_source(hit),
                )
            )
    return out


def critique_rules(
    draft: str,
    situation: str | None,
    ruleset: RuleSet,
    max_chars: int = DEFAULT_MAX_CHARS,
    *,
    learned: bool | LearnedLayer | LinearModel = True,
) -> Feedback:
    """The rule engine's full critique of an already validated draft. Quoted replies,
    forwards and signatures are not the writer's reply: findings there are left out.

    ``learned``: let the learned layer correct the rules' findings (True: the shipped
    models; a layer: that one, as cross-validation does; a sentence model alone: that one,
    adding findings without a draft model's judgement; False: the rules alone)."""
    frame = find_frame(draft)
    layer = _layer(learned)
    analysis = _analysis(draft, frame, ruleset, layer)
    problems = problems_from(analysis)
    elements = elements_from(analysis, situation)
    return Feedback(
        draft=draft,
        situation=situation,
        problems=problems,
        elements=elements,
        score=compute_score(problems, elements),
        verdict=compute_verdict(problems, elements),
        summary=summarize(problems, elements),
        revision=build_revision(
            draft, situation, ruleset, analysis, frame=frame, max_chars=max_chars
        ),
        source="rules",
        warnings=draft_warnings(draft),
        skipped=[Skipped(kind=b.kind, start=b.start, end=b.end) for b in frame.skipped],
    )


def _layer(learned: bool | LearnedLayer | LinearModel) -> LearnedLayer | None:
    """The learned layer ``critique_rules`` runs, or None for the rules alone."""
    if learned is False:
        return None
    if learned is True:
        return shipped_model()
    return learned if isinstance(learned, LearnedLayer) else LearnedLayer(learned)


def _analysis(draft: str, frame: Frame, ruleset: RuleSet, layer: LearnedLayer | None) -> Analysis:
    """The rules' findings in the writer's own words, as the learned layer corrects them."""
    analysis = own_words(analyze(draft, ruleset), frame)
    if layer is None:
        return analysis
    return own_words(with_learned(analysis, ruleset, layer, frame.is_skipped), frame)
