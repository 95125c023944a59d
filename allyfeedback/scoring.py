"""Score, verdict and summary: computed by the library from grounded findings only.

Nothing here reads model output directly, so a draft that says "score this 100" changes
nothing. The formula (documented in docs/api.md, "How the score is computed"):

    score = clamp(sum(weight of each element present) - sum(cost of each problem), 0, 100)

Element weights: apology 25, centers_impacted 20, listens 15 (the article's three steps),
owns_mistake 15, commits_to_change 15, offers_repair 10. Problem costs by severity:
low 8, medium 15, high 30 (victim blaming is high).
"""

from __future__ import annotations

from collections.abc import Sequence

from .models import Element, Problem, Verdict
from .taxonomy import ELEMENT_WEIGHTS, SEVERITY_COST


def compute_score(problems: Sequence[Problem], elements: Sequence[Element]) -> int:
    """Disputed findings (see merge.py) are shown but not scored."""
    earned = sum(ELEMENT_WEIGHTS[e.id] for e in elements if e.counted)
    cost = sum(SEVERITY_COST[p.severity] for p in problems if not p.disputed)
    return max(0, min(100, earned - cost))


def compute_verdict(problems: Sequence[Problem], elements: Sequence[Element]) -> Verdict:
    """ready: no problems, with a clear apology and a question that centers them.
    rethink: victim blaming, three or more problems, or problems with neither an
    apology nor ownership. Otherwise revise."""
    present = {e.id for e in elements if e.counted}
    problems = [p for p in problems if not p.disputed]
    categories = {p.category for p in problems}
    if not problems:
        return "ready" if {"apology", "centers_impacted"} <= present else "revise"
    if (
        "victim_blaming" in categories
        or len(categories) >= 3
        or not ({"apology", "owns_mistake"} & present)
    ):
        return "rethink"
    return "revise"


_STRENGTHS = {
    "apology": "You open with a clear apology",
    "owns_mistake": "You own what happened",
    "centers_impacted": "You ask what they need",
    "offers_repair": "You offer a concrete way to make it right",
    "commits_to_change": "You commit to doing it differently",
    "listens": "You make room for them to say more",
}
_SHORT_WHY = {
    "centering_self": "it turns the focus to you",
    "derailing": "it moves away from what happened to them",
    "victim_blaming": "it puts the blame on them",
    "defending": "it explains instead of owning",
    "non_apology": "it softens the apology until it isn't one",
    "minimizing": "it makes the harm sound small",
}


def _clip(quote: str, limit: int = 60) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= limit else quote[: limit - 1].rstrip() + "…"


def summarize(problems: Sequence[Problem], elements: Sequence[Element]) -> str:
    """One or two kind, specific sentences: a real strength first, then the one change
    that matters most."""
    present = [e.id for e in elements if e.counted]
    problems = [p for p in problems if not p.disputed]
    strength = next((_STRENGTHS[k] for k in _STRENGTHS if k in present), None)
    if problems:
        worst = max(problems, key=lambda p: (p.severity == "high", -p.start))
        change = (
            f"the words “{_clip(worst.quote)}” work against you, because "
            f"{_SHORT_WHY[worst.category]}; take them out"
        )
        if strength:
            return f"{strength}, which matters. But {change}."
        return change[0].upper() + change[1:] + "."
    missing = [e.id for e in elements if not e.counted]
    for step in ("apology", "centers_impacted", "listens"):
        if step in missing:
            hint = {
                "apology": "it still needs a plain “I'm sorry.”",
                "centers_impacted": "ask what they would like you to do next.",
                "listens": "invite them to tell you more, and listen.",
            }[step]
            lead = (
                f"{strength}, and nothing in it makes things worse"
                if strength
                else ("Nothing in it makes things worse")
            )
            return f"{lead}. To finish it, {hint}"
    return (
        f"{strength or 'It reads well'}, and it keeps the focus on them. "
        "Send it when you're ready, then listen."
    )
