"""The article's own examples, as TAXONOMY.md labels them, and its near-misses."""

from __future__ import annotations

import pytest

import allyfeedback as af

ARTICLE = [
    (
        "I care about you, so I wanted to protect you from any work pressure while you're on leave.",
        {"centering_self"},
    ),
    (
        "The real problem here is that our company doesn't offer enough paid parental leave. "
        "You deserve more time with your baby.",
        {"derailing"},
    ),
    (
        "You chose to have a baby this year, so of course your career is taking a hit.",
        {"victim_blaming"},
    ),
    ("I'm sorry. What would you like me to do next?", {"apology", "centers_impacted"}),
    ("How can I better support you?", {"centers_impacted"}),
]


@pytest.mark.parametrize(("draft", "labels"), ARTICLE)
def test_article_examples_get_exactly_their_labels(draft: str, labels: set[str]) -> None:
    fb = af.critique(draft, backend="rules")
    assert set(fb.problem_ids) | set(fb.element_ids) == labels


NEAR_MISSES = [
    "I'm not going to turn this into a conversation about my feelings.",
    "Whatever I intended, the effect on you is what matters.",
    "This wasn't minor.",
    "The problem was my assumption, not your choice.",
    "You don't owe me a response.",
]


@pytest.mark.parametrize("draft", NEAR_MISSES)
def test_near_misses_are_not_problems(draft: str) -> None:
    assert af.critique(draft, backend="rules").problems == []


def test_verdicts_follow_the_article() -> None:
    assert af.critique("I'm sorry. What would you like me to do next?").verdict == "ready"
    blaming = af.critique(
        "You chose to have a baby this year, so of course your career is taking a hit."
    )
    assert blaming.verdict == "rethink"
    assert blaming.problems[0].severity == "high"
