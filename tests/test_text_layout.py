"""Segmentation of text as people write it: hard-wrapped email, lists, chat, emoji,
ellipses, Markdown; linear time on runs of punctuation; look-alike letters; quoted speech.
Every draft here is constructed for the test."""

from __future__ import annotations

import subprocess
import sys

import pytest
from constructed_drafts import WRAPPED

import allyfeedback as af
from allyfeedback.text import lookalike_words, normalize, sentence_spans, soft_wraps


def sentences(draft: str) -> list[str]:
    norm = normalize(draft).text
    return [" ".join(norm[s:e].split()) for s, e in sentence_spans(norm)]


def test_a_wrapped_line_does_not_end_a_sentence() -> None:
    got = sentences(WRAPPED)
    assert "im sorry." in got
    assert (
        "i know the last few months have been hard with a newborn, and i should not have "
        "assumed you would not want the project." in got
    )
    assert "to be honest i was only trying to help." in got


def test_a_wrapped_quote_reads_whole_and_stays_exact() -> None:
    fb = af.critique(WRAPPED)
    quotes = {p.quote for p in fb.problems}
    assert "I was only\ntrying to help" in quotes  # the whole clause, across the wrap
    for p in fb.problems:
        assert WRAPPED[p.start : p.end] == p.quote


def test_crlf_wraps_too() -> None:
    crlf = WRAPPED.replace("\n", "\r\n")
    assert sentences(crlf) == sentences(WRAPPED)


def test_chat_is_a_message_a_line() -> None:
    chat = "hey\nsorry about earlier\nyou are too sensitive tho\nit was a joke"
    assert sentences(chat) == [
        "hey",
        "sorry about earlier",
        "you are too sensitive tho",
        "it was a joke",
    ]
    assert soft_wraps(chat) == frozenset()


def test_long_chat_lines_without_punctuation_stay_messages() -> None:
    chat = (
        "i didnt mean it like that honestly everyone was laughing at the time too\nsorry i guess\n"
    )
    assert len(sentences(chat)) == 2


def test_lists_and_headings_are_items() -> None:
    draft = (
        "# What I will do\n"
        "1. Correct the record with the team before Friday's review meeting starts\n"
        "2. Ask you first next time\n"
        "- Credit you in the notes that go out to the whole department each week\n"
        "* and listen"
    )
    got = sentences(draft)
    assert got == [
        "# what i will do",
        "1. correct the record with the team before fridays review meeting starts",
        "2. ask you first next time",
        "- credit you in the notes that go out to the whole department each week",
        "* and listen",
    ]


def test_emoji_ellipsis_markdown_and_abbreviations() -> None:
    assert sentences("I'm so sorry 🙏 I was wrong") == ["im so sorry 🙏", "i was wrong"]
    assert sentences("I'm so sorry 🙏\nit won't happen again") == [
        "im so sorry 🙏",
        "it wont happen again",
    ]
    assert sentences("I was wrong... I'm sorry.") == ["i was wrong...", "im sorry."]
    assert sentences("I was wrong\u2026 I'm sorry.") == ["i was wrong...", "im sorry."]
    # Markdown emphasis marks are dropped, so rules read "*you* should have" as words.
    assert sentences("**I'm sorry.** I was wrong.") == ["im sorry.", "i was wrong."]
    assert sentences("*You* should have asked. my_var stays.") == [
        "you should have asked.",
        "my_var stays.",
    ]
    assert sentences("I told Dr. Lee and Mr. Shah, e.g. in the review.") == [
        "i told dr. lee and mr. shah, e.g. in the review."
    ]
    assert sentences("It happened in 2019. Then again.") == ["it happened in 2019.", "then again."]


@pytest.mark.parametrize(
    "draft",
    [
        "." * 9999 + "a",
        "!" * 9999 + "a",
        "?" * 9999 + "a",
        "!?" * 4999 + "a",
        ". " * 4999 + "a",
        "a." * 4999 + "a",
        "\n".join(["x" * 70 + ","] * 130),
        ("I'm sorry " + "🙏" * 50 + " ") * 60,
    ],
    ids=["dots", "bangs", "questions", "mixed", "spaced", "abbrev-like", "wrapped", "emoji"],
)
def test_splitting_is_linear(draft: str) -> None:
    """Each of these took seconds with a quadratic splitter; linear, the whole critique
    (which also critiques the revision's structure) finishes far inside the timeout."""
    code = (
        "import sys, allyfeedback as af; "
        "fb = af.critique(sys.stdin.read()); af.critique(fb.revision[:10000])"
    )
    subprocess.run([sys.executable, "-c", code], input=draft, text=True, check=True, timeout=20)


def test_lookalike_letters_are_read_as_latin_and_warned() -> None:
    draft = (
        "I'm s\u043erry you were \u043eff\u0435nded. You are too s\u0435nsitive."  # Cyrillic о, е
    )
    fb = af.critique(draft)
    assert "non_apology" in fb.problem_ids
    assert "victim_blaming" in fb.problem_ids
    assert any("another alphabet" in w for w in fb.warnings)
    for p in fb.problems:
        assert draft[p.start : p.end] == p.quote
    assert lookalike_words("Привет, как дела") == []  # all Cyrillic: not a disguise
    assert af.critique("Привет, как дела у тебя сегодня?").problems == []


def test_full_width_and_mathematical_letters_are_read_as_latin() -> None:
    assert normalize("\uff53\uff4f\uff52\uff52\uff59").text == "sorry"
    assert normalize("\U0001d42c\U0001d428\U0001d42b\U0001d42b\U0001d432").text == "sorry"


def test_single_quoted_speech_is_not_flagged_when_the_clause_runs_on() -> None:
    assert af.critique("When I told you 'it was just a joke' that was wrong.").problems == []
    assert af.critique("When I told you 'it was just a joke', that was wrong.").problems == []
    # Unquoted, the same words are still flagged.
    assert af.critique("It was just a joke and that was wrong.").problems


def test_markdown_emphasis_does_not_hide_a_problem() -> None:
    for draft in ("I'm sorry. *You* should have told me earlier.", "You **should** have told me."):
        fb = af.critique(draft)
        assert fb.problem_ids == ["victim_blaming"], draft
        assert all(fb.draft[p.start : p.end] == p.quote for p in fb.problems)
