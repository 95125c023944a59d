"""The CLI, run as a real subprocess the way people and scripts use it."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

import allyfeedback as af
from allyfeedback.cli import main

ROOT = Path(__file__).resolve().parent.parent
DRAFT = ROOT / "examples" / "draft.txt"
GOOD = ROOT / "examples" / "good-draft.txt"


run = run_cli


def test_check_file_with_problems_exits_1() -> None:
    out = run("check", str(DRAFT))
    assert out.returncode == 1
    assert "Defending" in out.stdout and "A reply you could send" in out.stdout
    assert "\x1b[" not in out.stdout  # no colour when not a terminal


def test_check_good_draft_exits_0() -> None:
    assert run("check", str(GOOD)).returncode == 0


def test_check_stdin_json() -> None:
    out = run("check", "-", "--format", "json", stdin="You took it the wrong way.")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["problems"][0]["category"] == "victim_blaming"
    assert data["schema_version"] == "1"


def test_markdown_and_situation() -> None:
    out = run(
        "check",
        "--format",
        "markdown",
        "--situation",
        "I took credit for Priya's idea.",
        str(DRAFT),
    )
    assert out.returncode == 1
    assert "#### A reply you could send" in out.stdout


def test_disable_and_extra_rules(tmp_path: Path) -> None:
    out = run("check", "-", "--disable", "victim_blaming", stdin="You took it the wrong way.")
    assert out.returncode == 0
    rule = tmp_path / "r.toml"
    rule.write_text(
        'category = "minimizing"\n[[rules]]\nid = "team.nbd"\npatterns = [\'nbd\']\n'
        'message = "m"\nsuggestion = "s"\nsource = "team"\n[rules.examples]\nmatch = ["nbd"]\n',
        encoding="utf-8",
    )
    out = run("check", "-", "--rules", str(rule), "--format", "json", stdin="nbd honestly")
    assert json.loads(out.stdout)["problems"][0]["rule_id"] == "team.nbd"


def test_usage_and_input_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args, stdin in [
        (("check", str(tmp_path / "missing.txt")), None),
        (("check", "-"), "   "),
        (("check", "-", "--disable", "nope"), "I'm sorry."),
        (("check", "-", "--max-chars", "5"), "I'm sorry."),
        (("check", "--format", "yaml", "-"), "x"),
        ((), None),
    ]:
        out = run(*args, stdin=stdin)
        assert out.returncode == 2, (args, out)
        assert "Traceback" not in out.stderr
        assert out.stderr.strip(), args
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    out = run("check", str(binary))
    assert out.returncode == 2 and "UTF-8" in out.stderr


def test_rules_lists_every_rule() -> None:
    out = run("rules", "--format", "json")
    assert out.returncode == 0
    ids = {r["id"] for r in json.loads(out.stdout)}
    assert "apology.direct" in ids and "victim_blaming.reaction" in ids


def test_rules_test_runs_the_examples_of_a_user_rule_file(tmp_path: Path) -> None:
    ok = run("rules", "--test")
    assert ok.returncode == 0 and "examples pass in 37 rules" in ok.stdout
    # A constructed rule file whose examples are wrong on purpose.
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[rules]]\nid = "team.x"\ncategory = "minimizing"\npatterns = ["nbd"]\n'
        'message = "m"\nsuggestion = "s"\nsource = "s"\n'
        '[rules.examples]\nmatch = ["no biggie"]\nno_match = ["nbd, sorry"]\n'
    )
    res = run("rules", "--test", "--rules", str(bad), "--format", "json")
    assert res.returncode == 1
    failures = json.loads(res.stdout)["failures"]
    assert len(failures) == 3 and all(f.startswith("team.x") for f in failures)
    assert "team.x (bad.toml): pattern 'nbd' fires on no match example" in failures


def test_eval_prints_scores() -> None:
    out = run("eval", str(ROOT / "tests" / "data" / "dev.jsonl"), "--format", "json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["n"] >= 200 and data["micro_f1"] >= 0.98
    assert set(data["labels"]) >= {"victim_blaming", "apology"}


def test_console_script_entry_point_is_declared() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'allyfeedback = "allyfeedback.cli:run"' in text


def test_a_critique_makes_no_reference_cycles(dev_rows: list[dict]) -> None:
    """Why ``check`` in a process of its own may switch the garbage collector off:
    critiquing drafts leaves nothing for it to free, so memory stays flat."""
    af.critique(dev_rows[0]["text"])  # loads the rule set and the model once
    gc.collect()
    gc.disable()
    try:
        for row in dev_rows[:300]:
            af.critique(row["text"], row.get("situation"))
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_only_a_rules_check_in_its_own_process_switches_the_collector_off(
    tmp_path: Path,
) -> None:
    draft = tmp_path / "d.txt"
    draft.write_text("I'm sorry. I was wrong.", "utf-8")
    out = io.StringIO()
    try:
        main(["check", str(draft)], stdout=out)  # a caller's process: left alone
        assert gc.isenabled()
        main(["eval", str(ROOT / "tests" / "data" / "dev.jsonl")], stdout=out, own_process=True)
        assert gc.isenabled()
        main(["check", str(draft)], stdout=out, own_process=True)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_installed_package_works_from_any_folder(tmp_path: Path) -> None:
    """Rule data and prompt templates travel inside the package: run it from elsewhere."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [sys.executable, "-c", "import allyfeedback, sys; print(allyfeedback.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    if probe.returncode != 0:
        pytest.skip("allyfeedback is not installed in this environment (pip install .)")
    code = (
        "import allyfeedback as af\n"
        "from allyfeedback.prompts import load_prompts\n"
        "assert load_prompts().version\n"
        'fb = af.critique("I\'m sorry if you were offended.")\n'
        "print(fb.problem_ids)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "non_apology" in out.stdout
    cli = subprocess.run(
        [sys.executable, "-m", "allyfeedback", "rules"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert cli.returncode == 0 and "apology.direct" in cli.stdout


def test_settings_file_and_flags(tmp_path: Path) -> None:
    (tmp_path / "allyfeedback.toml").write_text('disable = ["victim_blaming"]\n', "utf-8")
    draft = tmp_path / "d.txt"
    draft.write_text("You took it the wrong way.", "utf-8")
    run_here = lambda *a: run_cli(*a, cwd=tmp_path)  # noqa: E731
    assert run_here("check", "d.txt").returncode == 0  # the file switched the rule off
    (tmp_path / "allyfeedback.toml").write_text(
        'disable = ["victim_blaming"]\ncolour = "red"\n', "utf-8"
    )
    bad = run_here("check", "d.txt")
    assert bad.returncode == 2 and "colour: unknown setting" in bad.stderr
    (tmp_path / "allyfeedback.toml").unlink()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.allyfeedback]\nbackend = "rules"\nmax_chars = 5\n', "utf-8"
    )
    too_long = run_here("check", "d.txt")
    assert too_long.returncode == 2 and "limit is 5" in too_long.stderr
    assert run_here("check", "d.txt", "--max-chars", "100").returncode == 1  # the flag wins


def test_help_is_as_wide_as_argparse_would_make_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The help width is read as ``shutil.get_terminal_size`` reads it (without importing
    shutil): $COLUMNS first, else the terminal, else 80; argparse keeps 2 columns free."""
    import shutil

    from allyfeedback.cli import _terminal_width

    for columns in ("50", "132", "0", "wide"):
        monkeypatch.setenv("COLUMNS", columns)
        assert _terminal_width() == shutil.get_terminal_size().columns - 2, columns
    helps = []
    for columns in ("50", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        out = io.StringIO()
        assert main(["check", "--help"], stdout=out) == 0
        helps.append(out.getvalue().splitlines())
    narrow, wide = helps
    assert len(narrow) > len(wide)  # the help wraps at the width
