"""Property tests: the engine never crashes on arbitrary Unicode, and every span it
reports points at exactly the words it quotes."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allyfeedback as af
from allyfeedback.text import _QUOTED, _SENTENCE_END

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


# The plain forms of two regexes that text.py writes differently so that ``re`` can skip
# ahead to their first character; the fast forms must split text exactly the same way.
PLAIN_SENTENCE_END = re.compile(r'[.!?]+(?:"|\))?(?=\s|$)|\n')
PLAIN_SINGLE_QUOTE = re.compile(r"(?<![\w'])'(?=\w)[^'\n]{1,400}?(?<=[\w.,!?])'(?![\w])")


def _spans(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in rx.finditer(text)]


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\"')\n\r\t'x1_é’")), max_size=40))
def test_fast_regexes_match_their_plain_forms(text: str) -> None:
    assert _spans(_SENTENCE_END, text) == _spans(PLAIN_SENTENCE_END, text)
    assert _spans(_QUOTED[3], text) == _spans(PLAIN_SINGLE_QUOTE, text)


def test_fast_regexes_match_their_plain_forms_on_dev_drafts(dev_rows: list[dict]) -> None:
    for row in dev_rows:
        assert _spans(_SENTENCE_END, row["text"]) == _spans(PLAIN_SENTENCE_END, row["text"])
        assert _spans(_QUOTED[3], row["text"]) == _spans(PLAIN_SINGLE_QUOTE, row["text"])
