"""The rules-mode revision: keeps good sentences, drops flagged ones, adds the
article's three steps, and critiqued again has no problems."""

from __future__ import annotations

import pytest

import allyfeedback as af
from allyfeedback import revision
from allyfeedback.engine import analyze
from allyfeedback.frame import find_frame
from allyfeedback.revision import build_revision, centers_question, phrases
from allyfeedback.ruleset import load_ruleset


def test_every_dev_revision_is_clean_and_complete(dev_rows: list[dict]) -> None:
    for row in dev_rows:
        fb = af.critique(row["text"], row["situation"])
        again = af.critique(fb.revision, row["situation"])
        assert again.problems == [], (row["id"], fb.revision, again.problems)
        for step in ("apology", "centers_impacted", "listens"):
            assert again.element(step).present, (row["id"], step, fb.revision)


QUOTED = [
    # Constructed: a quote in a dropped sentence, a quote in a kept one, a quote spanning
    # a dropped and a kept sentence, and a lone quote mark that pairs up once its
    # sentence's neighbour is gone.
    'I said "it was just a joke." I should not have said it. Calm down.',
    'When I said "you people", it was wrong. You are too sensitive. I am sorry.',
    '"Sorry. You are too sensitive." That is what I wrote. I was wrong.',
    'He said "fine. You are overreacting. Honestly." I am sorry.',
    'You are too sensitive, so I said "no. Calm down." I am sorry.',
]


def _forced(monkeypatch: pytest.MonkeyPatch, drafts: list[str]) -> list[str]:
    """Revisions built with the shortcut turned off: each is critiqued again and mended."""
    rs = load_ruleset()
    monkeypatch.setattr(revision, "_reads_as_built", lambda *_: False)
    return [build_revision(t, None, rs) for t in drafts]


@pytest.mark.parametrize("draft", QUOTED)
def test_quote_shortcut_gives_the_same_revision(
    draft: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = build_revision(draft, None, load_ruleset())
    assert _forced(monkeypatch, [draft]) == [fast]


def test_shortcut_is_not_taken_when_a_cut_meets_quoted_speech() -> None:
    rs = load_ruleset()
    draft = QUOTED[4]
    analysis = analyze(draft, rs)
    frame = find_frame(draft)
    pieces, _, dropped = revision._pieces(draft, analysis, frame, rs)
    assert dropped and analysis.quotes
    assert not revision._reads_as_built("", pieces, [], analysis, frame, dropped)


def test_shortcut_on_every_dev_draft(dev_rows: list[dict], monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping the second critique when the revision splits into the sentences it was
    built from gives the revision the second critique gives, on every labelled draft
    with a problem."""
    rs = load_ruleset()
    flagged = [r["text"] for r in dev_rows if af.critique(r["text"]).problems]
    assert len(flagged) > 100
    fast = [build_revision(t, None, rs) for t in flagged]
    assert _forced(monkeypatch, flagged) == fast


def test_keeps_good_sentences_and_frame() -> None:
    draft = (
        "Hi Priya,\n\nI'm sorry. I took credit for your analysis. I was swamped that week.\n\n"
        "Thanks,\nTom"
    )
    fb = af.critique(draft)
    assert fb.revision.startswith("Hi Priya,")
    assert fb.revision.rstrip().endswith("Thanks,\nTom")
    assert "I took credit for your analysis." in fb.revision
    assert "swamped" not in fb.revision
    assert fb.revision.count("I'm sorry") == 1


def test_fits_the_situation() -> None:
    fb = af.critique(
        "I was only kidding.", situation="I took credit for Priya's idea in the meeting."
    )
    assert "record straight" in fb.revision
    plain = af.critique("I was only kidding.")
    assert phrases()["centers"] in plain.revision


def test_phrases_are_clean_and_show_their_element() -> None:
    data = phrases()
    for key, element in (
        ("apology", "apology"),
        ("centers", "centers_impacted"),
        ("listens", "listens"),
    ):
        fb = af.critique(data[key])
        assert fb.problems == [] and fb.element(element).present, key
    for entry in data["situation"]:
        fb = af.critique(entry["centers"])
        assert fb.problems == [] and fb.element("centers_impacted").present, entry["centers"]
        assert centers_question(" ".join(entry["keywords"][:1])) == entry["centers"]


def test_good_draft_is_left_alone() -> None:
    draft = "I'm sorry. What would you like me to do next? I'm listening."
    assert af.critique(draft).revision == draft
