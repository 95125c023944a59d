"""`allyfeedback coach`, driven through its standard input like a person at a terminal."""

from __future__ import annotations

import subprocess

from cli_runner import run_cli


def coach(typed: str) -> subprocess.CompletedProcess[str]:
    return run_cli("coach", stdin=typed)


def test_revise_until_it_reads_well() -> None:
    out = coach(
        "I took credit for Priya's analysis in the meeting.\n\n"
        "Sorry if you were upset. I was swamped.\n.\n"
        "I'm sorry. I took credit for your analysis. What would you like me to do next?\n.\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Verdict:") == 2
    assert "Non-apology" in out.stdout
    assert "This reads well" in out.stdout


def test_use_the_suggested_reply() -> None:
    out = coach("\nYou took it the wrong way.\n.\nuse\n")
    assert out.returncode == 0
    assert "rethink" in out.stdout and "This reads well" in out.stdout


def test_empty_answer_and_ctrl_d_exit_cleanly() -> None:
    assert coach("").returncode == 0  # Ctrl-D at the first question
    finished = coach("\nI was swamped.\n.\n\n")  # Enter instead of a revision
    assert finished.returncode == 0 and "Goodbye" in finished.stdout
    assert "Traceback" not in finished.stderr
