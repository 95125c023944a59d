"""No built-in pattern backtracks catastrophically: the inputs that once took seconds to
minutes (a repeated hedge word before a cue) finish at once. Each runs in a subprocess with
a time limit, so a regression fails the test instead of hanging the suite."""

from __future__ import annotations

import subprocess
import sys

import pytest

from allyfeedback.ruleset import builtin_macros

ATTACKS = [
    "i " + "ever " * 400 + "x assumed",
    "not " + "ever " * 400 + "x big deal",
    "i " + "still " * 400 + "x figured",
    "i " + "really so " * 400 + "x meant well",
]


def test_adv_macro_has_no_repeated_alternative() -> None:
    words = builtin_macros()["ADV"].split("(?:(?:", 1)[1].rsplit(") )*", 1)[0].split("|")
    assert len(words) == len(set(words)), sorted(w for w in words if words.count(w) > 1)


@pytest.mark.parametrize("draft", ATTACKS, ids=lambda d: d.split()[1])
def test_repeated_hedges_finish(draft: str) -> None:
    code = "import sys, allyfeedback as af; af.critique(sys.stdin.read())"
    done = subprocess.run(
        [sys.executable, "-c", code], input=draft, text=True, capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
