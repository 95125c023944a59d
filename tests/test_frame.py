"""Quoted replies, forwards, signatures and sign-offs are recognised, left out of the
critique and reported in ``Feedback.skipped`` with exact offsets; the greeting and
sign-off stay in the revision. Every draft here is constructed for the test."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import allyfeedback as af
from allyfeedback import frame
from allyfeedback.frame import find_frame

BOTTOM_QUOTED = (
    "Hi Priya,\n\n"
    "I'm sorry I presented your analysis as mine. That was wrong.\n\n"
    "Best,\nTom\n\n"
    "On Tue, 3 Dec 2026 at 10:14, Priya Shah <priya@example.com>\nwrote:\n"
    "> I'm sorry if this sounds harsh, but you are too sensitive about credit.\n"
    ">\n"
    "> What would you like me to do next?\n"
)
OUTLOOK = (
    "Priya, I'm sorry. I took credit for your work and it was wrong.\n\n"
    "From: Priya Shah <priya@example.com>\n"
    "Sent: Tuesday, 3 December 2026 10:14\n"
    "To: Tom\n"
    "Subject: the review\n\n"
    "Honestly I think you overreacted, calm down.\n"
)
FORWARDED = (
    "Sharing so you see what I sent.\n\n"
    "---------- Forwarded message ---------\n"
    "From: Tom <tom@example.com>\n"
    "Date: Tue, 3 Dec 2026\n\n"
    "You are too sensitive. It was just a joke.\n"
)
SIGNATURE = (
    "I'm sorry I talked over you in the meeting. I'm listening.\n\n"
    "-- \n"
    "Tom Jones\n"
    "Senior Engineer | Platform\n"
    "Sent from my phone, you are too sensitive\n"
)
INLINE = (
    "> Why did you say that in front of everyone?\n"
    "I have no excuse. I'm sorry. It was wrong of me to say it.\n"
    "> Do you understand why it hurt?\n"
    "I think I do, and I want to hear more from you if you're willing.\n"
)


def _kinds(draft: str) -> list[str]:
    return [b.kind for b in find_frame(draft).skipped]


def test_recognises_each_kind() -> None:
    assert _kinds(BOTTOM_QUOTED) == ["sign_off", "quoted_reply"]
    assert _kinds(OUTLOOK) == ["quoted_reply"]
    assert _kinds(FORWARDED) == ["forwarded"]
    assert _kinds(SIGNATURE) == ["signature"]
    assert _kinds(INLINE) == ["quoted_reply", "quoted_reply"]


def test_someone_elses_words_are_not_critiqued() -> None:
    for draft in (BOTTOM_QUOTED, OUTLOOK, FORWARDED, SIGNATURE, INLINE):
        fb = af.critique(draft)
        assert fb.problems == [], (draft, fb.problems)
        for k in fb.skipped:
            for p in fb.problems:
                assert not (k.start < p.end and p.start < k.end)
    # What the other person wrote does not count as the writer's elements either.
    fb = af.critique("I read your note today.\n\nOn Tue, Priya wrote:\n> I'm sorry, I'm listening.")
    assert not fb.element("apology").present and not fb.element("listens").present


def test_skipped_offsets_are_exact_and_round_trip() -> None:
    fb = af.critique(BOTTOM_QUOTED)
    quoted = next(k for k in fb.skipped if k.kind == "quoted_reply")
    assert BOTTOM_QUOTED[quoted.start : quoted.end].startswith("On Tue, 3 Dec 2026")
    assert BOTTOM_QUOTED[quoted.start : quoted.end].endswith("What would you like me to do next?")
    sign_off = next(k for k in fb.skipped if k.kind == "sign_off")
    assert BOTTOM_QUOTED[sign_off.start : sign_off.end] == "Best,\nTom"
    data = json.loads(fb.model_dump_json())
    assert data["skipped"][0] == {"kind": "sign_off", "start": sign_off.start, "end": sign_off.end}
    assert af.Feedback.model_validate_json(fb.model_dump_json()) == fb


def test_skipped_out_of_range_is_refused() -> None:
    fb = af.critique(BOTTOM_QUOTED)
    data = json.loads(fb.model_dump_json())
    data["skipped"][0]["end"] = len(BOTTOM_QUOTED) + 1
    try:
        af.Feedback.model_validate(data)
    except ValueError as exc:
        assert "skipped" in str(exc)
    else:
        raise AssertionError("an out-of-range skipped span was accepted")


def test_revision_keeps_greeting_and_sign_off_and_drops_the_quote() -> None:
    fb = af.critique(BOTTOM_QUOTED)
    assert fb.revision.startswith("Hi Priya,\n\n")
    assert fb.revision.endswith("\n\nBest,\nTom")
    assert "wrote:" not in fb.revision and ">" not in fb.revision
    fb = af.critique(SIGNATURE)
    assert fb.revision.endswith(
        "-- \nTom Jones\nSenior Engineer | Platform\nSent from my phone, you are too sensitive"
    )
    assert af.critique(fb.revision).problems == []


def test_a_name_after_two_dashes_is_a_sign_off() -> None:
    for name in ("-- Tom", "- Tom", "\u2014 Tom"):
        draft = f"Hi Sam,\n\nI'm sorry I talked over you.\n\n{name}"
        fb = af.critique(draft)
        assert [k.kind for k in fb.skipped] == ["sign_off"], name
        assert fb.revision.endswith(f"\n\n{name}"), name  # what is added goes above it


def test_a_sign_off_word_followed_by_a_sentence_is_not_a_sign_off() -> None:
    draft = "I'm sorry.\n\nThanks,\nyou are too sensitive though"
    fb = af.critique(draft)
    assert "victim_blaming" in fb.problem_ids
    assert "too sensitive" not in fb.revision


def test_greeting_is_only_the_salutation() -> None:
    assert find_frame("Hey, you are too sensitive\nI'm sorry.").greeting_end == len("Hey, ")
    assert find_frame("Hi Priya,\n\nI'm sorry.").greeting_end == len("Hi Priya,\n")
    assert find_frame("Hey you are too sensitive").greeting_end == 0


def test_skipped_is_rendered_briefly() -> None:
    fb = af.critique(BOTTOM_QUOTED)
    assert "Not critiqued: sign-off (lines 5–6), quoted reply (lines 8–12)." in fb.to_text()
    assert "Not critiqued: sign-off (lines 5–6), quoted reply (lines 8–12)." in fb.to_markdown()


ONE_LINE_PIECES = [
    *["Hi Priya,", "Hey, ", "Thanks,", " Tom", "> ", "-- ", "—", "__", "Sent from my ", "x"],
    *["---------- Forwarded message ---------", "-----Original Message-----", " "],
]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(ONE_LINE_PIECES),
        max_size=8,
    ).map("".join)
)
def test_one_line_shortcut_agrees_with_the_line_by_line_reading(draft: str) -> None:
    assert find_frame(draft) == frame._line_by_line(draft)
