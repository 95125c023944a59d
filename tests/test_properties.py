"""Property tests: the engine never crashes on arbitrary Unicode, and every span it
reports points at exactly the words it quotes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allyfeedback as af

PHRASES = st.sampled_from(
    [
        "I'm sorry",
        "sorry if",
        "you should have",
        "I was only kidding",
        "the real problem",
        "I feel terrible",
        "What would you like me to do next?",
        "from now on",
        "I'm listening",
        "“",
        "”",
        "’",
        "\r\n",
        "\n\n",
        "😬",
        "🙏🏽",
        "e\u0301",
        "\u200d",
        " — ",
        "...",
        "!",
        "?",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=30), PHRASES), max_size=25).map("".join)


def _check(draft: str) -> None:
    try:
        fb = af.critique(draft)
    except af.InvalidDraftError:
        return
    assert [e.id for e in fb.elements] == list(af.ELEMENT_IDS)
    for p in fb.problems:
        assert draft[p.start : p.end] == p.quote
        assert p.quote.strip()
    for e in fb.elements:
        if e.present:
            assert draft[e.start : e.end] == e.quote  # type: ignore[index]
    assert 0 <= fb.score <= 100
    af.Feedback.model_validate_json(fb.model_dump_json())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_engine_never_crashes_and_spans_are_exact(draft: str) -> None:
    _check(draft)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_arbitrary_unicode(draft: str) -> None:
    _check(draft)


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_revision_never_has_problems(draft: str) -> None:
    try:
        fb = af.critique(draft)
    except af.InvalidDraftError:
        return
    assert af.critique(fb.revision).problems == []
