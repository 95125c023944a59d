"""The prefilter only saves time: with it or without it, the engine finds the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allyfeedback.engine import analyze
from allyfeedback.prefilter import index_key, required_literals
from allyfeedback.ruleset import load_ruleset

RS = load_ruleset()


def _hits(text: str, use_prefilter: bool) -> list[tuple[str, int, int]]:
    return [
        (h.rule.id, h.start, h.end) for h in analyze(text, RS, use_prefilter=use_prefilter).hits
    ]


def test_same_hits_on_every_dev_draft(dev_rows: list[dict]) -> None:
    for row in dev_rows:
        assert _hits(row["text"], True) == _hits(row["text"], False), row["id"]


def test_same_hits_on_every_rule_example() -> None:
    for rule in RS:
        for text in rule.examples_match + rule.examples_no_match:
            assert _hits(text, True) == _hits(text, False), (rule.id, text)


WORDS = st.sampled_from(
    "i im sorry you your because assumed just joke real problem should have told feel "
    "terrible never meant what would like me to do next time from now on listening thank "
    "for telling team company culture everyone does it not big deal if but was wrong "
    "on , . ? ! \n".split(" ")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=40).map(" ".join))
def test_same_hits_on_generated_drafts(text: str) -> None:
    assert _hits(text, True) == _hits(text, False)


def test_required_literals() -> None:
    assert required_literals(r"(?:im|i am) (?:so )*(?:sorry|sry)") == {"sorry", "sry"}
    assert required_literals(r"because") == {"because"}
    assert required_literals(r"(?:a|b)+") is None  # nothing long enough to filter on
    assert required_literals(r"x?because|maybe") == {"because", "maybe"}
    assert index_key("sorry") == "sor"
    assert index_key("i was") is None or len(index_key("i was") or "") == 3
