"""The result types are plain dataclasses (``records.py``), so the rules path and the
command-line check never import pydantic; their JSON, schema and checks stay what the
pydantic models gave. The snapshots in ``tests/snapshots`` were written by the pydantic
models before the change, for the constructed Feedback below."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import allyfeedback as af
from allyfeedback.models import Element, Feedback, Problem, Skipped, Usage
from allyfeedback.settings import load_settings
from allyfeedback.taxonomy import ELEMENT_IDS

SNAPSHOTS = Path(__file__).parent / "snapshots"
HEAVY = ("pydantic", "openai", "jinja2", "tenacity")

# A constructed draft: non-ASCII, an emoji, a tab, an escape sequence, quotes, a backslash.
DRAFT = (
    'Hi Sam,\n\nI’m sorry you felt hurt 😬\tby\x1b[2J what I said. "Quoted" \\ back.\n\nBest,\nAl'
)


def constructed() -> Feedback:
    """A constructed Feedback that uses every field (not an engine's output)."""
    quote = "sorry you felt hurt"
    start = DRAFT.index(quote)
    apology = DRAFT.index("I’m")
    return Feedback(
        draft=DRAFT,
        situation="A meeting\u2028went wrong.",
        problems=[
            Problem(
                category="non_apology",
                quote=quote,
                start=start,
                end=start + len(quote),
                severity="medium",
                message="Why “this” hurts.",
                suggestion="Say what you did.",
                rule_id="non_apology.felt",
                line=9,  # replaced by the line and column Feedback derives
                column=9,
            )
        ],
        elements=[
            Element(
                id=e,
                present=True,
                quote="I’m sorry",
                start=apology,
                end=apology + 9,
                rule_id="apology.direct",
                source="rules",
                disputed=True,
            )
            if e == "apology"
            else Element(id=e, present=False, tip=f"Add {e}.")
            for e in ELEMENT_IDS
        ],
        score=25,
        verdict="revise",
        summary="Summary é.",
        revision="Revision.",
        source="hybrid",
        warnings=["a warning", "\x00 nul"],
        model="m",
        prompt_version="v1",
        usage=Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5, attempts=1),
        skipped=[Skipped(kind="sign_off", start=DRAFT.index("Best"), end=len(DRAFT))],
    )


def test_json_is_byte_for_byte_what_pydantic_wrote() -> None:
    pinned = json.loads((SNAPSHOTS / "constructed_feedback.json").read_text("utf-8"))
    fb = constructed()
    assert fb.model_dump_json() == pinned["model_dump_json"]
    assert fb.model_dump_json(indent=2) == pinned["model_dump_json_indent_2"]
    assert (
        json.dumps(fb.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
        == (pinned["model_dump_json"])
    )


def test_field_order_is_pinned() -> None:
    data = constructed().model_dump()
    assert list(data) == [
        "schema_version", "draft", "situation", "problems", "elements", "score", "verdict",
        "summary", "revision", "source", "warnings", "fallback_reason", "model",
        "prompt_version", "usage", "skipped",
    ]  # fmt: skip
    assert list(data["problems"][0]) == [
        "quote", "start", "end", "line", "column", "category", "severity", "message",
        "suggestion", "rule_id", "source", "disputed",
    ]  # fmt: skip
    assert list(data["elements"][0]) == [
        "quote", "start", "end", "line", "column", "id", "present", "tip", "rule_id", "source",
        "disputed",
    ]  # fmt: skip
    assert list(data["usage"]) == ["prompt_tokens", "completion_tokens", "total_tokens", "attempts"]
    assert list(data["skipped"][0]) == ["kind", "start", "end"]


def test_round_trip_through_json_and_dicts() -> None:
    fb = constructed()
    assert fb.problems[0].line == 3 and fb.problems[0].column == 5  # derived, not as given
    again = Feedback.model_validate_json(fb.model_dump_json())
    assert again == fb and again.model_dump_json() == fb.model_dump_json()
    assert Feedback.model_validate(fb.model_dump()) == fb
    assert Feedback.model_validate(fb) is fb
    assert isinstance(again.problems[0], Problem) and isinstance(again.usage, Usage)
    assert constructed().model_dump(include={"score", "verdict"}) == {
        "score": 25,
        "verdict": "revise",
    }
    assert "draft" not in fb.model_dump(exclude={"draft"})


def test_schema_is_what_pydantic_gave() -> None:
    pinned = json.loads((SNAPSHOTS / "feedback_schema.json").read_text("utf-8"))
    assert Feedback.model_json_schema() == pinned
    # Same key order too, so `allyfeedback schema` prints the same text.
    assert json.dumps(Feedback.model_json_schema(), indent=2) == json.dumps(pinned, indent=2)


def _tampered(change: Any) -> dict[str, Any]:
    data = constructed().model_dump()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(colour="red"), "unknown field(s) colour"),
        (lambda d: d.pop("draft"), "missing field(s) draft"),
        (lambda d: d.update(score=101), "Feedback.score must be an int from 0 to 100, not 101"),
        (lambda d: d.update(score="25"), "Feedback.score must be an int"),
        (lambda d: d.update(score=True), "Feedback.score must be an int"),
        (lambda d: d.update(verdict="great"), "Feedback.verdict must be one of 'ready'"),
        (lambda d: d["problems"][0].update(start=-1), "Problem.start must be an int >= 0"),
        (lambda d: d["problems"][0].update(category="rude"), "Problem.category must be one of"),
        (lambda d: d["problems"][0].update(end=14), "is not draft[13:14]"),
        (lambda d: d["problems"][0].pop("quote"), "Problem: missing field(s) quote"),
        (lambda d: d["elements"].reverse(), "elements must list"),
        (lambda d: d["elements"].pop(), "elements must list"),
        (lambda d: d["elements"][1].update(start=0), "a span without a quote"),
        (lambda d: d["skipped"][0].update(end=10_000), "is not a stretch of the draft"),
        (lambda d: d["skipped"][0].update(kind="footer"), "Skipped.kind must be one of"),
        (lambda d: d["usage"].update(attempts=None), "Usage.attempts must be an int"),
        (lambda d: d.update(warnings="one"), "Feedback.warnings must be a list of str"),
        (lambda d: d.update(problems=[1]), "Feedback.problems must be a list of Problem"),
    ],
)
def test_bad_data_is_refused_with_a_clear_value_error(change: Any, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        Feedback.model_validate(_tampered(change))


def test_bad_json_text_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Feedback: not valid JSON"):
        Feedback.model_validate_json('{"draft": ')
    with pytest.raises(ValueError, match="expected an object, not list"):
        Feedback.model_validate_json("[]")


def test_construction_checks_too() -> None:
    with pytest.raises(ValueError, match=r"Skipped\.start must be an int >= 0, not -1"):
        Skipped(kind="signature", start=-1, end=3)
    with pytest.raises(TypeError):  # no positional arguments: every field is named
        Usage(1, 2, 3, 4)  # type: ignore[misc]
    fb = constructed()
    with pytest.raises(ValueError, match="elements must list"):
        Feedback(
            draft=fb.draft,
            problems=[],
            elements=fb.elements[::-1],
            score=0,
            verdict="ready",
            summary="",
            revision="",
            source="rules",
        )


def test_copy_does_not_check_as_pydantic_did() -> None:
    fb = constructed()
    tampered = fb.model_copy(update={"draft": "x"})  # how tests build a poisoned cache entry
    assert tampered.draft == "x" and fb.draft == DRAFT
    assert tampered.problems is fb.problems  # shallow, as pydantic's default
    assert fb.model_copy(deep=True).problems is not fb.problems
    with pytest.raises(ValueError, match="unknown field"):
        fb.model_copy(update={"drafts": "x"})
    with pytest.raises(AttributeError):  # the parts stay frozen
        fb.problems[0].start = 0  # type: ignore[misc]
    assert len({fb.problems[0], fb.problems[0].model_copy()}) == 1  # hashable, equal


def test_rules_path_imports_no_pydantic_or_llm_libraries(tmp_path: Path) -> None:
    code = (
        "import sys, allyfeedback\n"
        "allyfeedback.critique('I am sorry.')\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    # The first call after an install (or a rule-file edit) compiles the rule files, and
    # checking those still uses pydantic (rule_files.py); every later call reads the
    # compiled rules from the disk cache (conftest gives the tests a cache folder).
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert warm.stdout.strip() in ("[]", "['pydantic']")
    assert out.stdout.strip() == "[]"
    # The command line, settings files included: -X importtime lists every module loaded.
    draft = tmp_path / "draft.txt"
    draft.write_text("I'm sorry you felt hurt. You should have told me.\n", "utf-8")
    (tmp_path / "allyfeedback.toml").write_text('disable = ["minimizing"]\ntimeout = 5\n', "utf-8")
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "allyfeedback", "check", str(draft)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 1, run.stderr[-500:]  # problems found: the check really ran
    assert "Victim blaming" in run.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "allyfeedback.settings" in loaded and "allyfeedback.models" in loaded
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


def test_settings_are_checked_without_pydantic(tmp_path: Path) -> None:
    path = tmp_path / "allyfeedback.toml"
    path.write_text('timeout = 5\nmax_retries = 0\ndisable = ["x"]\nbackend = "rules"\n', "utf-8")
    settings = load_settings(path)
    assert settings.timeout == 5.0 and isinstance(settings.timeout, float)
    assert settings.max_retries == 0 and settings.disable == ["x"]
    for line, words in [
        ("colour = 1", "colour: unknown setting"),
        ('backend = "gpt"', "backend: Input should be 'rules', 'llm' or 'auto'"),
        ('mode = "x"', "mode: Input should be 'auto', 'json_schema' or 'json_object'"),
        ("max_chars = 0", "max_chars: Input should be greater than 0"),
        ("max_chars = 1.5", "max_chars: Input should be a valid integer"),
        ("max_retries = -1", "max_retries: Input should be greater than or equal to 0"),
        ("timeout = 0", "timeout: Input should be greater than 0"),
        ('timeout = "soon"', "timeout: Input should be a valid number"),
        ('disable = "minimizing"', "disable: Input should be a valid list"),
        ("rules = [1]", "rules.0: Input should be a valid string"),
        ('fallback = "yes"', "fallback: Input should be a valid boolean"),
        ("model = 4", "model: Input should be a valid string"),
    ]:
        path.write_text(line + "\n", "utf-8")
        with pytest.raises(af.ConfigurationError) as err:
            load_settings(path)
        assert str(err.value) == f"{path}: {words}", line
