"""Writing ``check`` results, one or many files, in each output format of the command line.

``text`` and ``markdown`` are for people; ``json`` is the ``Feedback`` model; ``sarif``
(SARIF 2.1.0) is for code-review tools; ``github`` is GitHub Actions workflow commands,
which show as annotations on the changed lines. Positions are 1-based lines and columns in
characters (Unicode code points), from the ``line`` and ``column`` of each finding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TextIO

from . import __version__
from .render import DISPUTED, markdown_escape, terminal_safe
from .taxonomy import TITLES

if TYPE_CHECKING:
    from .models import Feedback, Problem

Format = Literal["text", "json", "markdown", "sarif", "github"]
FORMATS: tuple[str, ...] = ("text", "json", "markdown", "sarif", "github")
STDIN_NAME = "<stdin>"

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"high": "error", "medium": "warning", "low": "note"}
INFORMATION_URI = "https://pypi.org/project/allyfeedback/"


class Checked(NamedTuple):
    """One checked draft: the name it was given by (a path, or ``<stdin>``) and its result."""

    name: str
    feedback: Feedback


def write_results(
    results: Sequence[Checked],
    fmt: Format,
    out: TextIO,
    *,
    color: bool = False,
    quiet: bool = False,
) -> None:
    """Write every result in ``fmt``. ``quiet`` keeps only the findings, one line each,
    and the verdict of a draft that is not ready, in the text format (the machine formats
    hold nothing else already)."""
    if fmt == "json":
        out.write(_json(results) + "\n")
    elif fmt == "sarif":
        out.write(json.dumps(sarif_log(results), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "github":
        out.writelines(github_annotation(r.name, p) + "\n" for r in results for p in _problems(r))
    elif fmt == "markdown":
        for r in results:
            if len(results) > 1:
                out.write(f"### {markdown_escape(r.name)}\n\n")
            out.write(r.feedback.to_markdown())
    elif quiet:
        for r in results:
            out.writelines(diagnostic_line(r.name, p) + "\n" for p in _problems(r))
            if r.feedback.verdict != "ready":  # why --fail-on not-ready fails, if it does
                fb = r.feedback
                out.write(f"{terminal_safe(r.name)}: verdict {fb.verdict} (score {fb.score}/100)\n")
    else:
        for n, r in enumerate(results):
            if len(results) > 1:
                out.write(("\n" if n else "") + f"==> {terminal_safe(r.name)} <==\n")
            out.write(r.feedback.to_text(color=color))


def _problems(result: Checked) -> list[Problem]:
    return sorted(result.feedback.problems, key=lambda p: p.start)


def _json(results: Sequence[Checked]) -> str:
    """One file: the ``Feedback`` object, as before. Several: a list of
    ``{"file": name, "feedback": {...}}`` in the order the files were given."""
    if len(results) == 1:
        return results[0].feedback.model_dump_json(indent=2)
    rows = [{"file": r.name, "feedback": r.feedback.model_dump(mode="json")} for r in results]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def diagnostic_line(name: str, p: Problem) -> str:
    """``FILE:LINE:COL: Title: “quote” [rule id]``, the one-line form linters print."""
    quote = terminal_safe(" ".join(p.quote.split()))
    return f"{terminal_safe(name)}:{p.line}:{p.column}: {p.title}: “{quote}” [{p.rule_id}]"


def _end(p: Problem) -> tuple[int, int]:
    """1-based line and column just past the quote (SARIF's ``endColumn`` is exclusive)."""
    lines = p.quote.split("\n")
    assert p.line is not None and p.column is not None  # Feedback fills them in
    if len(lines) == 1:
        return p.line, p.column + len(p.quote)
    return p.line + len(lines) - 1, len(lines[-1]) + 1


# --- SARIF 2.1.0 -----------------------------------------------------------------------


def sarif_log(results: Sequence[Checked]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: one result per problem, located by region."""
    used: dict[str, Problem] = {}
    sarif_results = []
    for r in results:
        for p in _problems(r):
            used.setdefault(p.rule_id, p)
            end_line, end_column = _end(p)
            sarif_results.append(
                {
                    "ruleId": p.rule_id,
                    "level": "note" if p.disputed else SARIF_LEVEL[p.severity],
                    "message": {
                        "text": f"{p.title}: “{p.quote}”. {p.message} {p.suggestion}"
                        + (DISPUTED if p.disputed else "")
                    },
                    "properties": {"engine": r.feedback.engine, "disputed": p.disputed},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": _uri(r.name)},
                                "region": {
                                    "startLine": p.line,
                                    "startColumn": p.column,
                                    "endLine": end_line,
                                    "endColumn": end_column,
                                    "snippet": {"text": p.quote},
                                },
                            }
                        }
                    ],
                }
            )
    rules = [
        {
            "id": rule_id,
            "name": p.category,
            "shortDescription": {"text": TITLES[p.category]},
            "fullDescription": {"text": p.message},
            "defaultConfiguration": {"level": SARIF_LEVEL[p.severity]},
        }
        for rule_id, p in sorted(used.items())
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "allyfeedback",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                # Our columns count characters, not UTF-16 code units (SARIF's default).
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def _uri(name: str) -> str:
    """A relative URI reference for a file name as given (``stdin`` for standard input)."""
    from urllib.parse import quote

    if name == STDIN_NAME:
        return "stdin"
    return quote(name.replace("\\", "/"), safe="/:._-~")


# --- GitHub Actions workflow commands --------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(name: str, p: Problem) -> str:
    """``::error file=...,line=...::message``: an annotation on the line of the problem.
    Values are escaped as GitHub requires, so a draft cannot start a command of its own."""
    level = {"high": "error", "medium": "warning", "low": "notice"}[p.severity]
    if p.disputed:  # shown, not scored: the model did not confirm it
        level = "notice"
    end_line, end_column = _end(p)
    props = {
        "file": name,
        "line": str(p.line),
        "col": str(p.column),
        "endLine": str(end_line),
        "endColumn": str(end_column),
        "title": f"allyfeedback {p.rule_id}",
    }
    head = ",".join(f"{k}={_gh_property(terminal_safe(v))}" for k, v in props.items())
    text = terminal_safe(
        f"{p.title}: “{p.quote}”. {p.message} Instead: {p.suggestion}"
        + (DISPUTED if p.disputed else "")
    )
    return f"::{level} {head}::{_gh_data(text)}"
