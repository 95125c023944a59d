"""The public API contract other issues and outside users build on."""

from __future__ import annotations

import subprocess
import sys

import pytest

import allyfeedback as af
from allyfeedback.taxonomy import ELEMENT_IDS


def test_feedback_shape() -> None:
    draft = "I'm sorry, but I was swamped. What would you like me to do next?"
    fb = af.critique(draft, situation="I forgot to credit Priya.", backend="rules")
    assert isinstance(fb, af.Feedback)
    assert fb.source == "rules"
    assert [e.id for e in fb.elements] == list(ELEMENT_IDS)
    for p in fb.problems:
        assert p.category in af.PROBLEM_IDS
        assert draft[p.start : p.end] == p.quote
        assert p.message and p.suggestion and p.rule_id and p.severity
    for e in fb.elements:
        if e.present:
            assert e.quote is not None and draft[e.start : e.end] == e.quote  # type: ignore[index]
        else:
            assert e.tip and e.quote is None
    assert 0 <= fb.score <= 100
    assert fb.verdict in {"ready", "revise", "rethink"}
    assert fb.summary and fb.revision
    assert fb.schema_version == af.SCHEMA_VERSION


def test_json_round_trip_keeps_everything() -> None:
    fb = af.critique(
        "Hi Sam,\r\n\r\nI’m sorry if you were offended 😬 — I was only kidding.\r\n\r\nBest,\r\nAl"
    )
    again = af.Feedback.model_validate_json(fb.model_dump_json())
    assert again == fb
    assert again.problems and again.model_dump() == fb.model_dump()


def test_round_trip_rejects_a_tampered_span() -> None:
    fb = af.critique("I'm sorry if that came across badly.")
    data = fb.model_dump()
    data["problems"][0]["start"] += 1
    with pytest.raises(ValueError, match="is not draft"):
        af.Feedback.model_validate(data)


def test_auto_resolves_to_rules_without_configuration(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert af.critique("I'm sorry.", backend="auto").source == "rules"


def test_unknown_backend_is_a_configuration_error() -> None:
    with pytest.raises(af.ConfigurationError, match="unknown backend"):
        af.critique("I'm sorry.", backend="magic")  # type: ignore[arg-type]


def test_same_input_same_output() -> None:
    draft = "I feel terrible. You should have told me. I'm sorry."
    assert af.critique(draft) == af.critique(draft)


def test_critique_many_keeps_order_and_count() -> None:
    drafts = ["I'm sorry.", "You took it the wrong way.", "How can I better support you?"]
    out = af.critique_many(drafts, backend="rules")
    assert [fb.draft for fb in out] == drafts
    assert out[1].problem_ids == ["victim_blaming"]


def test_rule_engine_does_not_import_openai() -> None:
    code = (
        "import sys, allyfeedback as af; af.critique(\"I'm sorry.\", backend='rules');"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_is_lazy() -> None:
    code = "import sys, allyfeedback; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_quoted_speech_is_not_a_repeat() -> None:
    draft = 'When I told Dana "she has other priorities right now," I was wrong. I\'m sorry.'
    said_again = "She has other priorities right now, I only said that because I figured so."
    assert af.critique(draft).problems == []
    assert af.critique(said_again).problem_ids == ["defending"]


def test_quoted_words_are_skipped_but_own_words_count() -> None:
    fb = af.critique('You said "you should have told me" was unfair. You should have told me.')
    assert len(fb.problems) == 1
    assert fb.problems[0].start > fb.draft.index("unfair")


def test_score_formula() -> None:
    # apology 25 + centers 20, no problems
    assert af.critique("I'm sorry. What would you like me to do next?").score == 45
    # apology 25 - defending 15
    assert af.critique("I'm sorry. I was swamped.").score == 10
    # victim blaming costs 30 and the score does not go below 0
    assert af.critique("You chose this.").score == 0


def test_summary_names_the_words_to_change() -> None:
    fb = af.critique("I'm sorry. It was just a joke.")
    assert "just a joke" in fb.summary
    assert fb.summary.count(".") <= 3


def test_public_names_resolve() -> None:
    import allyfeedback

    for name in allyfeedback.__all__:
        assert getattr(allyfeedback, name) is not None
    assert set(allyfeedback.__all__) == set(allyfeedback._EXPORTS) | {"__version__"}
