"""Bad input gets a clear error; odd but valid input works with exact spans."""

from __future__ import annotations

import pytest

import allyfeedback as af


@pytest.mark.parametrize("draft", ["", "   ", "\n\t \r\n", "\u00a0\u2003"])
def test_empty_drafts(draft: str) -> None:
    with pytest.raises(af.InvalidDraftError, match="empty"):
        af.critique(draft)


def test_invalid_draft_error_is_a_value_error() -> None:
    assert issubclass(af.InvalidDraftError, ValueError)
    assert issubclass(af.DraftTooLongError, af.InvalidDraftError)


@pytest.mark.parametrize("draft", [None, 42, b"I'm sorry", ["I'm sorry"]])
def test_non_strings(draft: object) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        af.critique(draft)  # type: ignore[arg-type]


def test_situation_must_be_text() -> None:
    with pytest.raises(TypeError, match="situation"):
        af.critique("I'm sorry.", situation=3)  # type: ignore[arg-type]


def test_too_long_default_and_configurable() -> None:
    long = "I'm sorry. " * 1000  # 11,000 characters
    with pytest.raises(af.DraftTooLongError, match="limit is 10,000"):
        af.critique(long)
    assert af.critique(long, max_chars=20_000).element("apology").present


def test_lone_surrogates_are_refused_clearly() -> None:
    with pytest.raises(af.InvalidDraftError, match="surrogate"):
        af.critique("I'm sorry \ud800")


def test_non_english_gets_a_warning_not_an_error() -> None:
    fb = af.critique("Lo siento mucho, no debí hablar por ti. ¿Qué necesitas de mí?")
    assert any("English" in w for w in fb.warnings)
    assert af.critique("I'm sorry, I was wrong.").warnings == []


def test_emoji_only_draft_warns() -> None:
    fb = af.critique("🙏🙏🙏")
    assert fb.warnings and fb.problems == []


@pytest.mark.parametrize(
    "draft",
    [
        "I’m sorry if that came across badly 😬🙏🏽",
        "Hi Sam,\r\n\r\nI'm sorry if that came across badly.\r\n\r\nBest,\r\nAl",
        "I\u2019m sorry if that came acrosse\u0301 badly",  # combining accent
        "I\u200d'm sorry if that came across badly",  # zero-width joiner
        "👩‍👩‍👧 im sorry if that came across badly",
        "“I’m sorry if that came across badly” is what I said. I'm sorry if that came across badly.",
    ],
)
def test_spans_are_exact_on_odd_unicode(draft: str) -> None:
    fb = af.critique(draft)
    assert fb.problems, draft
    for p in fb.problems:
        assert draft[p.start : p.end] == p.quote
    for e in fb.elements:
        if e.present:
            assert draft[e.start : e.end] == e.quote  # type: ignore[index]


def test_chat_style_without_apostrophes() -> None:
    fb = af.critique("im sorry. i shouldnt have said that, u were right. what do u need from me")
    assert {"apology", "owns_mistake", "centers_impacted"} <= set(fb.element_ids)
    assert fb.problems == []
