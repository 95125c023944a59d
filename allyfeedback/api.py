"""The public entry points: ``critique`` and friends.

Input checks live here so every engine sees the same, valid input, and the rules
result is built here so both engines share it (the LLM engine merges onto it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

from .engine import Analysis, analyze
from .errors import ConfigurationError, DraftTooLongError, InvalidDraftError
from .models import Element, Feedback, Problem
from .revision import build_revision
from .ruleset import RuleSet, load_ruleset
from .scoring import compute_score, compute_verdict, summarize
from .taxonomy import ELEMENT_IDS, TIPS
from .text import looks_english

Backend = Literal["rules", "llm", "auto"]
BACKENDS: tuple[str, ...] = ("rules", "llm", "auto")
DEFAULT_MAX_CHARS = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_LETTER = re.compile(r"[^\W\d_]")


def validate_draft(draft: object, max_chars: int = DEFAULT_MAX_CHARS, what: str = "draft") -> str:
    """Return ``draft`` unchanged if it can be critiqued, else raise a clear error."""
    if not isinstance(draft, str):
        raise TypeError(f"{what} must be a str, not {type(draft).__name__}")
    if _SURROGATE.search(draft):
        raise InvalidDraftError(
            f"{what} contains an unpaired surrogate code point; pass valid Unicode text"
        )
    if not draft.strip():
        raise InvalidDraftError(f"{what} is empty; write the message you want feedback on")
    if len(draft) > max_chars:
        raise DraftTooLongError(
            f"{what} is {len(draft):,} characters; the limit is {max_chars:,} "
            "(raise it with max_chars=...)"
        )
    return draft


def _check_situation(situation: object, max_chars: int) -> str | None:
    if situation is None:
        return None
    if not isinstance(situation, str):
        raise TypeError(f"situation must be a str or None, not {type(situation).__name__}")
    if not situation.strip():
        return None
    return validate_draft(situation, max_chars, what="situation")


def resolve_ruleset(
    ruleset: RuleSet | None = None,
    disable: Iterable[str] = (),
    rules: Iterable[str] = (),
) -> RuleSet:
    if isinstance(disable, str) or isinstance(rules, str):
        raise TypeError("disable and rules take a list of strings, not a single string")
    if ruleset is not None:
        return ruleset.without(disable) if disable else ruleset
    return load_ruleset(tuple(str(r) for r in rules), tuple(sorted(set(disable))))


def _warnings(draft: str) -> list[str]:
    out = []
    if not _LETTER.search(draft):
        out.append("The draft has no words to check; the feedback covers only what is missing.")
    elif not looks_english(draft):
        out.append(
            "The draft does not look like English. The rules are written for English, "
            "so problems may be missed."
        )
    return out


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
            source="rules",
        )
        for h in analysis.problems()
    ]


def elements_from(analysis: Analysis) -> list[Element]:
    out = []
    for element_id in ELEMENT_IDS:
        hit = analysis.first_element_hit(element_id)
        if hit is None:
            out.append(Element(id=element_id, present=False, tip=TIPS[element_id]))
        else:
            out.append(
                Element(
                    id=element_id,
                    present=True,
                    quote=analysis.norm.original[hit.start : hit.end],
                    start=hit.start,
                    end=hit.end,
                    rule_id=hit.rule.id,
                    source="rules",
                )
            )
    return out


def critique_rules(draft: str, situation: str | None, ruleset: RuleSet) -> Feedback:
    """The rule engine's full critique of an already validated draft."""
    analysis = analyze(draft, ruleset)
    problems = problems_from(analysis)
    elements = elements_from(analysis)
    return Feedback(
        draft=draft,
        situation=situation,
        problems=problems,
        elements=elements,
        score=compute_score(problems, elements),
        verdict=compute_verdict(problems, elements),
        summary=summarize(problems, elements),
        revision=build_revision(draft, situation, ruleset, analysis),
        source="rules",
        warnings=_warnings(draft),
    )


def critique(
    draft: str,
    situation: str | None = None,
    backend: Backend = "auto",
    *,
    disable: Sequence[str] = (),
    rules: Sequence[str] = (),
    ruleset: RuleSet | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Feedback:
    """Critique ``draft``, the reply to the colleague who was hurt.

    ``situation`` (optional) says what happened; it fits the suggested revision.
    ``backend`` is ``"rules"`` (offline, deterministic), ``"llm"`` or ``"auto"``.
    ``disable`` switches rules off by id or category; ``rules`` adds rule files.
    Raises ``InvalidDraftError`` (a ValueError) for empty or oversized drafts and
    ``TypeError`` for non-strings.
    """
    if backend not in BACKENDS:
        raise ConfigurationError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    draft = validate_draft(draft, max_chars)
    situation = _check_situation(situation, max_chars)
    rs = resolve_ruleset(ruleset, disable, rules)
    if backend == "llm":
        raise ConfigurationError(
            "the LLM backend is not available in this version; use backend='rules'"
        )
    return critique_rules(draft, situation, rs)


def critique_many(
    drafts: Iterable[str],
    situation: str | None = None,
    backend: Backend = "auto",
    **options: object,
) -> list[Feedback]:
    """Critique several drafts; one result per input, in input order."""
    return [critique(d, situation, backend, **options) for d in drafts]  # type: ignore[arg-type]
