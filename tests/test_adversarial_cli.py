"""The command line against hostile and careless input: every error one line with exit 2,
every read bounded, nothing from a draft acting on the terminal, and the linter
conventions (several files, globs, SARIF, GitHub annotations, --fail-on, --quiet).

Most tests run ``main()`` in process (fast); the ones about real pipes, memory and
tracebacks run the CLI as a subprocess.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_runner import run_cli

from allyfeedback import __version__
from allyfeedback.cli import main

ROOT = Path(__file__).resolve().parent.parent
DRAFT = ROOT / "examples" / "draft.txt"
GOOD = ROOT / "examples" / "good-draft.txt"
BLAME = "You took it the wrong way."
# ESC-based sequences (colour, clear screen, window title), BEL, a C1 CSI and a bidi
# override: all things a terminal acts on rather than shows.
HOSTILE = (
    "I'm sorry \x1b[2J\x1b]0;owned\x07 you took it the wrong way.\x9b31m "
    "<img src=x onerror=alert(1)> \u202eevil\u202c\r\n::error::forged"
)


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = code, out, err


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``main()`` in process, in an empty folder with no user settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("ALLYFEEDBACK_CONFIG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str, stdin: str = "") -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
        return Result(code, out.getvalue(), err.getvalue())

    return run


def _one_line_error(res: Result, *needles: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# --- linter conventions ---------------------------------------------------------------


def test_version_short_and_long(cli) -> None:
    for flag in ("-V", "--version"):
        out = run_cli(flag)
        assert out.returncode == 0 and out.stdout.strip() == f"allyfeedback {__version__}"


def test_several_files_and_globs_are_reported_by_name(cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BLAME, "utf-8")
    (tmp_path / "b.txt").write_text(GOOD.read_text("utf-8"), "utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "c.txt").write_text("Sorry if you were offended.", "utf-8")
    res = cli("check", "*.txt", "sub/*.txt")  # quoted globs, expanded by allyfeedback
    assert res.returncode == 1
    assert [line for line in res.stdout.splitlines() if line.startswith("==> ")] == [
        "==> a.txt <==",
        "==> b.txt <==",
        "==> sub/c.txt <==",
    ]
    data = json.loads(cli("check", "**/*.txt", "--format", "json").stdout)
    assert [row["file"] for row in data] == ["a.txt", "b.txt", "sub/c.txt"]
    assert data[0]["feedback"]["problems"][0]["category"] == "victim_blaming"


def test_one_unreadable_file_does_not_hide_the_others(cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BLAME, "utf-8")
    res = cli("check", "a.txt", "missing.txt", "-q")
    assert res.returncode == 2
    assert res.stdout.startswith("a.txt:1:5: Victim blaming")
    _one_line_error(res, "missing.txt", "cannot read")


def test_quiet_prints_one_line_per_finding(cli, tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("Hi Sam,\n\n" + BLAME + " I was tired.", "utf-8")
    (tmp_path / "good.txt").write_text(GOOD.read_text("utf-8"), "utf-8")
    res = cli("check", "-q", "d.txt", "good.txt")
    lines = res.stdout.splitlines()
    assert (
        lines[0] == "d.txt:3:5: Victim blaming: “took it the wrong way” [victim_blaming.reaction]"
    )
    assert all(line.startswith("d.txt:3:") for line in lines[:-1])
    assert lines[-1] == "d.txt: verdict rethink (score 0/100)"  # good.txt is ready: silent
    assert res.returncode == 1
    # No finding, but not ready either: the one line says why --fail-on not-ready fails.
    res = cli("check", "-q", "--fail-on", "not-ready", stdin="Whatever. Noted.")
    assert res.stdout == "<stdin>: verdict revise (score 0/100)\n" and res.returncode == 1


def test_json_problems_carry_one_based_line_and_column(cli) -> None:
    draft = "Hello,\n\n  " + BLAME
    data = json.loads(cli("check", "--format", "json", stdin=draft).stdout)
    p = data["problems"][0]
    assert (p["line"], p["column"]) == (3, 7)
    assert draft[p["start"] : p["end"]] == p["quote"]
    assert draft.splitlines()[2][p["column"] - 1 :].startswith(p["quote"])
    absent = [e for e in data["elements"] if not e["present"]]
    assert absent and all(e["line"] is None and e["column"] is None for e in absent)


@pytest.mark.parametrize(
    ("fail_on", "draft", "code"),
    [
        ("problems", "Whatever. Noted.", 0),  # no problem found, yet nothing good either
        ("not-ready", "Whatever. Noted.", 1),
        ("not-ready", GOOD.read_text("utf-8"), 0),
        ("never", BLAME, 0),
        ("problems", BLAME, 1),
    ],
)
def test_fail_on(cli, fail_on: str, draft: str, code: int) -> None:
    assert cli("check", "--fail-on", fail_on, stdin=draft).returncode == code


# --- SARIF and GitHub -----------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) that our log uses,
# transcribed with their required properties, enums and minimums; properties we do not
# emit are left out, and additionalProperties is false as in the standard, so an invented
# or misspelt property fails. Constructed for this test, not a copy of the schema file.
SARIF_SUBSET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
    },
    "definitions": {
        "message": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"text": {"type": "string"}},
            "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
        },
        "run": {
            "type": "object",
            "additionalProperties": False,
            "required": ["tool"],
            "properties": {
                "tool": {"$ref": "#/definitions/tool"},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
            },
        },
        "tool": {
            "type": "object",
            "additionalProperties": False,
            "required": ["driver"],
            "properties": {"driver": {"$ref": "#/definitions/toolComponent"}},
        },
        "toolComponent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "informationUri": {"type": "string"},
                "rules": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/reportingDescriptor"},
                },
            },
        },
        "reportingDescriptor": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": {"$ref": "#/definitions/message"},
                "fullDescription": {"$ref": "#/definitions/message"},
                "defaultConfiguration": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                },
            },
        },
        "result": {
            "type": "object",
            "additionalProperties": False,
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/definitions/message"},
                "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
        },
        "propertyBag": {  # SARIF's open bag: any key, "tags" a list of unique strings
            "type": "object",
            "properties": {
                "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"uri": {"type": "string"}},
                        },
                        "region": {"$ref": "#/definitions/region"},
                    },
                }
            },
        },
        "region": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "startLine": {"type": "integer", "minimum": 1},
                "startColumn": {"type": "integer", "minimum": 1},
                "endLine": {"type": "integer", "minimum": 1},
                "endColumn": {"type": "integer", "minimum": 1},
                "snippet": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"text": {"type": "string"}},
                },
            },
        },
    },
}


def test_sarif_follows_the_2_1_0_structure_with_exact_regions(cli, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    draft = "Hi Sam,\n\nI'm sorry, but you took it the wrong way.\nNo big deal."
    (tmp_path / "my draft.txt").write_text(draft, "utf-8")
    res = cli("check", "--format", "sarif", "my draft.txt")
    assert res.returncode == 1
    log = json.loads(res.stdout)
    jsonschema.validate(log, SARIF_SUBSET)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "allyfeedback"
    lines = draft.split("\n")
    assert len(run["results"]) >= 2
    for result in run["results"]:
        where = result["locations"][0]["physicalLocation"]
        assert where["artifactLocation"]["uri"] == "my%20draft.txt"
        region = where["region"]
        line = lines[region["startLine"] - 1]
        # 1-based, and the quoted words are exactly there (columns count code points).
        start = region["startColumn"] - 1
        assert line[start : region["endColumn"] - 1] == region["snippet"]["text"]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} == rule_ids


def test_sarif_with_no_findings_is_still_a_valid_log(cli) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    log = json.loads(cli("check", "--format", "sarif", stdin=GOOD.read_text("utf-8")).stdout)
    jsonschema.validate(log, SARIF_SUBSET)
    assert log["runs"][0]["results"] == []


def test_github_annotations_are_escaped(cli) -> None:
    res = cli("check", "--format", "github", stdin=HOSTILE)
    lines = res.stdout.splitlines()
    assert lines and all(
        re.match(r"::(error|warning|notice) file=<stdin>,line=\d+,", x) for x in lines
    )
    # The draft's own "::error::" stays inside the message, never a command of its own.
    assert not any(x.startswith("::error::forged") for x in lines)
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout


# --- output injection -------------------------------------------------------------------

_OUR_SGR = re.compile(r"\x1b\[[0-9;]*m")
_RAW_TAG = re.compile(r"(?<!\\)<img")  # a tag Markdown would pass through as HTML
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("color", ["never", "always"])
def test_text_output_writes_no_control_characters_from_the_draft(cli, color: str) -> None:
    res = cli("check", "--color", color, stdin=HOSTILE)
    assert res.returncode == 1
    rest = _OUR_SGR.sub("", res.stdout)  # our own colours, when asked for
    assert not _CONTROL.search(rest), repr(_CONTROL.search(rest))
    assert "\\x1b[2J" in res.stdout  # shown, so nothing is hidden


def test_text_output_escapes_what_a_model_wrote(cli) -> None:
    import allyfeedback as af

    fb = af.critique(BLAME, backend="rules")
    poisoned = fb.model_copy(
        update={
            "summary": "Fine\x1b]52;c;ZXZpbA==\x07 <img src=x onerror=alert(1)>",
            "warnings": ["\x1b[31mred"],
            "fallback_reason": "\x9b2J",
        }
    )
    text = poisoned.to_text(color=False)
    assert not _CONTROL.search(text)
    markdown = poisoned.to_markdown()
    assert not _RAW_TAG.search(markdown) and "\\<img src=x onerror=alert(1)\\>" in markdown
    assert not _CONTROL.search(markdown)
    html = poisoned.to_html()
    assert "<img" not in html


def test_markdown_escapes_the_draft_and_quotes(cli) -> None:
    res = cli("check", "--format", "markdown", stdin=HOSTILE)
    assert not _RAW_TAG.search(res.stdout)
    assert not _CONTROL.search(res.stdout)


# --- every error: one line, exit 2, the file named, the fix said --------------------------


def _write(path: Path, data: bytes | str) -> str:
    if isinstance(data, str):
        path.write_text(data, "utf-8")
    else:
        path.write_bytes(data)
    return path.name


ERROR_CASES = [
    # (args, stdin, files to create, words the one line must hold)
    (("check", "missing.txt"), "", {}, ("missing.txt", "cannot read")),
    (("check", "folder"), "", {"folder/": ""}, ("folder", "is a folder")),
    (("check", "bin.txt"), "", {"bin.txt": b"I'm sorry \xff\xfe"}, ("bin.txt", "not UTF-8")),
    (("check", "empty.txt"), "", {"empty.txt": "  \n"}, ("empty.txt", "empty")),
    (("check", "nope*.txt"), "", {}, ("nope*.txt", "no file matches")),
    (("check", "-", "-"), "x", {}, ("given twice",)),
    (("check", "--max-chars", "0"), "x", {}, ("--max-chars", "above zero")),
    (("check", "--max-chars", "ten"), "x", {}, ("--max-chars", "not a whole number")),
    (("check", "--max-chars", "5", "d.txt"), "", {"d.txt": "I'm sorry."}, ("d.txt", "--max-chars")),
    (("check", "--situation-file", "s.txt"), "I'm sorry.", {}, ("s.txt", "cannot read")),
    (("check", "--rules", "r.toml"), "I'm sorry.", {}, ("r.toml",)),
    (("check", "--disable", "nope"), "I'm sorry.", {}, ("nope",)),
    (("check", "--config", "c.toml"), "x", {}, ("c.toml", "does not exist")),
    (("check",), "x", {"allyfeedback.toml": "colour = 1\n"}, ("allyfeedback.toml", "colour")),
    (("check", "--format", "yaml"), "x", {}, ("--format",)),
    (("eval", "missing.jsonl"), "", {}, ("missing.jsonl", "cannot read")),
    (("eval", "e.jsonl"), "", {"e.jsonl": "{not json\n"}, ("e.jsonl:1", "not JSON")),
    (("eval", "e.jsonl"), "", {"e.jsonl": ""}, ("e.jsonl", "no examples")),
    (("eval", "e.jsonl"), "", {"e.jsonl": b"\xff\n"}, ("e.jsonl", "not UTF-8")),
    (
        ("eval", "e.jsonl"),
        "",
        {"e.jsonl": '{"text": "x", "problems": ["minimising"], "elements": []}\n'},
        ("e.jsonl:1", "minimising", "taxonomy"),
    ),
    (
        ("eval", "e.jsonl"),
        "",
        {"e.jsonl": '{"text": "x", "problems": ["apology"], "elements": []}\n'},
        ("e.jsonl:1", "apology"),  # an element id given as a problem
    ),
    (("eval", "e.jsonl"), "", {"e.jsonl": '{"text": "I am sorry."}\n'}, ("e.jsonl:1", "no labels")),
    (
        ("eval", "e.jsonl"),
        "",
        {"e.jsonl": '{"text": "", "problems": [], "elements": []}\n'},
        ("e.jsonl:1", "text"),
    ),
    (
        ("eval", "e.jsonl"),
        "",
        {"e.jsonl": '{"text": "x", "problems": [], "elements": [], "register": 3}\n'},
        ("e.jsonl:1", "register"),
    ),
    (
        ("eval", "e.jsonl"),
        "",
        {"e.jsonl": json.dumps({"text": "sorry " * 3000, "problems": [], "elements": []})},
        ("e.jsonl", "--max-chars"),
    ),
    (("eval", "x.jsonl", "--min-f1", "2"), "", {}, ("--min-f1",)),
    (("rules", "--rules", "r.toml"), "", {}, ("r.toml",)),
    (("rules",), "", {"allyfeedback.toml": 'rules = ["gone.toml"]\n'}, ("gone.toml",)),
]


@pytest.mark.parametrize(("args", "stdin", "files", "needles"), ERROR_CASES)
def test_every_error_is_one_line_exit_2(cli, tmp_path, args, stdin, files, needles) -> None:
    for name, data in files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        else:
            _write(tmp_path / name, data)
    res = cli(*args, stdin=stdin)
    _one_line_error(res, *needles)
    if "--max-chars" in needles:
        assert "max_chars=" not in res.stderr  # the Python spelling is for Python callers


def test_eval_missing_file_as_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    out = run_cli("eval", "missing.jsonl", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert (
        out.stderr.strip()
        == "allyfeedback: error: cannot read missing.jsonl: No such file or directory"
    )


# --- bounded reads ------------------------------------------------------------------------


def test_endless_stdin_is_refused_after_a_bounded_read() -> None:
    """``yes 'It was just a joke.' | allyfeedback check`` once grew to 23 GB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ALLYFEEDBACK_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "allyfeedback", "check"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    killer = threading.Timer(120, proc.kill)  # a regression fails instead of hanging
    killer.start()
    written = 0
    line = b"It was just a joke.\n" * 512  # 10 KB a write

    def feed() -> None:
        nonlocal written
        try:
            while written < 200_000_000:  # a cap, so a regression fails instead of hanging
                assert proc.stdin is not None
                proc.stdin.write(line)
                written += len(line)
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        assert proc.stderr is not None
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    finally:
        killer.cancel()
        proc.kill()
    writer.join(timeout=10)
    assert code == 2
    assert b"--max-chars" in err and b"Traceback" not in err
    # Bounded: the limit plus a read-ahead chunk plus the pipe's buffer, not the stream.
    assert written < 2_000_000, written


def test_a_500_mb_file_is_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: takes no disk space, reads as NUL characters
        fh.truncate(500 * 1024 * 1024)
    began = time.monotonic()
    out = run_cli("check", str(big))
    elapsed = time.monotonic() - began
    assert out.returncode == 2 and "--max-chars" in out.stderr
    # Not a timing claim: reading 500 MB and decoding it takes far longer than this bound.
    assert elapsed < 60


# --- eval -------------------------------------------------------------------------------


def _labelled(tmp_path: Path, rows: list[dict]) -> str:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path.name


ROWS = [
    {"text": BLAME, "problems": ["victim_blaming"], "elements": [], "register": "chat"},
    {
        "text": "I'm sorry. What would help?",
        "problems": [],
        "elements": ["apology", "centers_impacted"],
        "register": "email",
        "scenario": "joke",
    },
    # Constructed to be missed: gold says defending, the rules see nothing.
    {"text": "Whatever. Noted.", "problems": ["defending"], "elements": [], "scenario": "joke"},
]


def test_eval_min_f1_gates_ci(cli, tmp_path: Path) -> None:
    name = _labelled(tmp_path, ROWS)
    assert cli("eval", name, "--min-f1", "0.5").returncode == 0
    low = cli("eval", name, "--min-f1", "0.99")
    assert low.returncode == 1 and "below 0.99" in low.stderr


def test_the_max_chars_hint_works_where_it_is_given(cli, tmp_path: Path) -> None:
    long = {"text": "I'm sorry. " * 1500, "problems": [], "elements": ["apology"]}
    name = _labelled(tmp_path, [long])
    refused = cli("eval", name)
    _one_line_error(refused, "--max-chars")
    assert cli("eval", name, "--max-chars", "20000").returncode == 0
    (tmp_path / "d.txt").write_text(long["text"], "utf-8")
    _one_line_error(cli("check", "d.txt"), "d.txt", "--max-chars")
    assert cli("check", "d.txt", "--max-chars", "20000").returncode == 0


def test_eval_min_f1_fails_when_there_is_nothing_to_measure(cli, tmp_path: Path) -> None:
    # Constructed: a good reply labelled with nothing, and nothing predicted.
    name = _labelled(tmp_path, [{"text": "Noted.", "problems": [], "elements": []}])
    res = cli("eval", name, "--min-f1", "0.5")
    assert res.returncode == 1 and "no label to measure" in res.stderr
    assert "micro F1 -" in res.stdout


def test_eval_labels_without_support_are_not_shown_as_perfect(cli, tmp_path: Path) -> None:
    name = _labelled(tmp_path, ROWS)
    data = json.loads(cli("eval", name, "--format", "json").stdout)
    derailing = data["labels"]["derailing"]
    assert derailing == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert data["labels"]["defending"]["recall"] == 0.0
    text = cli("eval", name).stdout
    row = next(line for line in text.splitlines() if line.startswith("derailing"))
    assert "1.000" not in row and row.split()[1:4] == ["-", "-", "-"]


def test_eval_by_register_and_scenario(cli, tmp_path: Path) -> None:
    name = _labelled(tmp_path, ROWS)
    res = cli("eval", name, "--by", "register", "--by", "scenario")
    assert res.returncode == 0
    assert re.search(r"^chat\s+1\s", res.stdout, re.M)
    assert re.search(r"^email\s+1\s", res.stdout, re.M)
    assert re.search(r"^joke\s+2\s", res.stdout, re.M)
    assert re.search(r"^-\s+1\s", res.stdout, re.M)  # a row that does not say
    data = json.loads(cli("eval", name, "--by", "scenario", "--format", "json").stdout)
    assert data["groups"]["scenario"]["joke"]["n"] == 2


# --- settings for rules, rules --test and coach ---------------------------------------------

TEAM_RULES = (
    'category = "minimizing"\n[[rules]]\nid = "team.nbd"\npatterns = [\'nbd\']\n'
    'message = "m"\nsuggestion = "s"\nsource = "team"\n'
    '[rules.examples]\nmatch = ["nbd"]\nno_match = ["nbd, sorry"]\n'  # no_match is wrong
)


def test_rules_and_rules_test_honour_the_settings_file(cli, tmp_path: Path) -> None:
    (tmp_path / "team.toml").write_text(TEAM_RULES, "utf-8")
    (tmp_path / "allyfeedback.toml").write_text(
        'rules = ["team.toml"]\ndisable = ["victim_blaming"]\n', "utf-8"
    )
    listed = json.loads(cli("rules", "--format", "json").stdout)
    ids = {r["id"] for r in listed}
    assert "team.nbd" in ids
    assert not any(i.startswith("victim_blaming") for i in ids)
    tested = cli("rules", "--test")
    assert tested.returncode == 1 and "FAIL team.nbd" in tested.stdout


def test_coach_honours_the_settings_file(cli, tmp_path: Path) -> None:
    (tmp_path / "allyfeedback.toml").write_text('disable = ["victim_blaming"]\n', "utf-8")
    res = cli("coach", stdin="\n" + BLAME + "\n.\n\n")
    assert res.returncode == 0
    assert "Victim blaming" not in res.stdout


def test_coach_takes_a_multi_paragraph_draft(cli) -> None:
    email = "Hi Priya,\n\nI'm sorry I took credit for your analysis.\n\nWhat would help?\n"
    res = cli("coach", stdin="\n" + email + ".\n\n")
    assert res.stdout.count("Verdict:") == 1
    assert "Priya" in res.stdout and "What would help?" in res.stdout
    # Ended by end of input too, blank lines and all.
    res = cli("coach", stdin="\n" + email)
    assert res.stdout.count("Verdict:") == 1 and "What would help?" in res.stdout


def test_coach_names_non_utf8_input_plainly(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "allyfeedback", "coach"],
        input=b"\nI'm sorry \xff\xfe for that.\n.\n\n",
        capture_output=True,
        timeout=120,
        env={**os.environ, **env, "NO_COLOR": "1"},
    )
    text = out.stdout.decode("utf-8")
    assert "not UTF-8" in text
    assert "surrogate" not in text and "Traceback" not in out.stderr.decode()
    assert out.returncode == 0


def test_coach_stops_reading_past_the_limit(cli) -> None:
    res = cli("coach", "--max-chars", "100", stdin="\n" + "y\n" * 10_000)
    assert res.returncode == 2
    assert "longer than 100 characters" in res.stdout


# --- logging ----------------------------------------------------------------------------


def test_verbose_shows_the_library_log_on_stderr(cli, monkeypatch) -> None:
    import allyfeedback.api as api

    real = api.critique

    def logging_critique(*args, **kwargs):
        logging.getLogger("allyfeedback.api").info("critique ran \x1b[31m")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "critique", logging_critique)
    quiet = cli("check", stdin="I'm sorry.")
    assert "critique ran" not in quiet.stderr
    for argv in (("-v", "check"), ("check", "-v")):
        loud = cli(*argv, stdin="I'm sorry.")
        assert "allyfeedback: INFO: critique ran \\x1b[31m" in loud.stderr
        assert "\x1b" not in loud.stderr
    assert logging.getLogger("allyfeedback").handlers == []  # removed after the run
