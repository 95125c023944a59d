"""A bounded fuzz run with hypothesis over the command line (as a subprocess, few
examples: each one starts Python) and over the API and its renderers (in process).

Whatever the draft holds (controls, escapes, bidi overrides, markup, lone bytes, huge or
empty) there is no traceback, the exit code is 0, 1 or 2, every quote is exactly the
draft's words at its offsets and its line and column, and nothing a terminal would act
on reaches a person's screen.
"""

from __future__ import annotations

import json
import re

from cli_runner import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allyfeedback as af

PIECES = st.sampled_from(
    [
        "I'm sorry",
        "you took it the wrong way",
        "sorry if you were offended",
        "I was only joking",
        "What would help?",
        "\x1b[2J",
        "\x1b]0;title\x07",
        "\x9b31m",
        "\u202e",
        "\r\n",
        "\n\n",
        "\t",
        "\x00",
        "<img src=x onerror=alert(1)>",
        "::error::x",
        "**",
        "`",
        "😬",
        ".",
    ]
)
DRAFT = st.lists(st.one_of(st.text(max_size=20), PIECES), max_size=20).map("".join)
_OUR_SGR = re.compile(r"\x1b\[[0-9;]*m")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMATS = st.sampled_from(["text", "json", "markdown", "sarif", "github"])


def _exact(fb: af.Feedback) -> None:
    for span in [*fb.problems, *(e for e in fb.elements if e.present)]:
        assert span.quote is not None and span.start is not None and span.end is not None
        assert fb.draft[span.start : span.end] == span.quote
        before = fb.draft[: span.start]
        assert span.line == before.count("\n") + 1
        assert span.column == span.start - (before.rfind("\n") + 1) + 1


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft=DRAFT, fmt=FORMATS)
def test_cli_never_tracebacks(draft: str, fmt: str) -> None:
    # Lone surrogates cannot be sent through a UTF-8 pipe; they are the API's case below.
    draft = draft.encode("utf-8", "replace").decode("utf-8")
    out = run_cli("check", "--format", fmt, "--color", "always", stdin=draft, timeout=120)
    assert out.returncode in (0, 1, 2), out
    assert "Traceback" not in out.stderr
    if out.returncode == 2:
        assert len(out.stderr.strip().splitlines()) == 1
        return
    if fmt == "json":
        _exact(af.Feedback.model_validate_json(out.stdout))
    elif fmt in ("text", "markdown", "github"):
        assert not _CONTROL.search(_OUR_SGR.sub("", out.stdout))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft=DRAFT)
def test_api_and_renderers_hold(draft: str) -> None:
    try:
        fb = af.critique(draft, backend="rules")
    except af.InvalidDraftError:
        return
    _exact(fb)
    assert af.Feedback.model_validate_json(fb.model_dump_json()) == fb
    assert not _CONTROL.search(_OUR_SGR.sub("", fb.to_text(color=True)))
    markdown = fb.to_markdown()
    assert not _CONTROL.search(markdown)
    assert not re.search(r"(?<!\\)<(?!/?sup>)", markdown)  # only our own <sup> tags
    assert "<img" not in fb.to_html()
    from allyfeedback.formats import Checked, sarif_log

    log = sarif_log([Checked("d.txt", fb)])
    json.dumps(log)
    for result in log["runs"][0]["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
