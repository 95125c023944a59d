"""The rules-mode revision: keeps good sentences, drops flagged ones, adds the
article's three steps, and critiqued again has no problems."""

from __future__ import annotations

import allyfeedback as af
from allyfeedback.revision import centers_question, phrases


def test_every_dev_revision_is_clean_and_complete(dev_rows: list[dict]) -> None:
    for row in dev_rows:
        fb = af.critique(row["text"], row["situation"])
        again = af.critique(fb.revision, row["situation"])
        assert again.problems == [], (row["id"], fb.revision, again.problems)
        for step in ("apology", "centers_impacted", "listens"):
            assert again.element(step).present, (row["id"], step, fb.revision)


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
