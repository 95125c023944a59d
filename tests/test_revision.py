"""The rules-mode revision: keeps good sentences, drops flagged ones, adds the
article's three steps, and critiqued again has no problems."""

from __future__ import annotations

import pytest

import allyfeedback as af
from allyfeedback import revision
from allyfeedback.engine import analyze
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


@pytest.mark.parametrize("draft", QUOTED)
def test_quote_shortcut_gives_the_same_revision(
    draft: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rs = load_ruleset()
    fast = build_revision(draft, None, rs)
    monkeypatch.setattr(revision, "_needs_recheck", lambda *_: True)
    assert build_revision(draft, None, rs) == fast


def test_quote_shortcut_is_taken_only_when_safe() -> None:
    rs = load_ruleset()

    def needs(draft: str) -> bool:
        analysis = analyze(draft, rs)
        kept = revision._drop_sentences(draft, analysis, 0, len(draft))
        return revision._needs_recheck(analysis, 0, len(draft), kept, revision._tidy(kept))

    assert not needs(QUOTED[1])  # the quote sits whole in a kept sentence
    assert needs(QUOTED[4])  # the cut goes through the quote


def test_quote_shortcut_on_every_dev_draft(
    dev_rows: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Skipping the second pass when quotes cannot have changed gives the revision the
    second pass gives, on every labelled draft with quoted speech."""
    rs = load_ruleset()
    quoted = [
        t
        for t in (r["text"] for r in dev_rows)
        if any(q in t for q in "\"'\u201c\u2018") and af.critique(t).problems
    ]
    assert len(quoted) > 50
    fast = [build_revision(t, None, rs) for t in quoted]
    monkeypatch.setattr(revision, "_needs_recheck", lambda *_: True)
    assert [build_revision(t, None, rs) for t in quoted] == fast


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
