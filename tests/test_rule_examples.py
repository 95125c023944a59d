"""Rules proven by their examples: markers, exercised patterns and exceptions, dead
patterns, and `rules --test` on a team's own file. Every rule file here is constructed
for the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_runner import run_cli as run

from allyfeedback.errors import RuleFileError
from allyfeedback.rule_examples import check_rule, dead_reason, example_failures, parse_example
from allyfeedback.ruleset import Rule, builtin_macros, parse_rule_file

HEAD = """
[[rules]]
id = "team.nbd"
category = "minimizing"
message = "m"
suggestion = "s"
source = "constructed for this test"
"""


def _rule(body: str) -> Rule:
    (rule,) = parse_rule_file(HEAD + body, "team.toml", builtin_macros())
    return rule


def _failures(body: str) -> list[str]:
    return [f.what for f in check_rule(_rule(body))]


def test_markers_are_stripped_and_located() -> None:
    ex = parse_example("Honestly, <marker>nbd</marker>.")
    assert ex.text == "Honestly, nbd." and ex.marked == (10, 13)
    assert parse_example("nbd").marked is None
    for bad in ["<marker>nbd", "nbd</marker>", "</marker>nbd<marker>", "<marker></marker>x"]:
        with pytest.raises(ValueError, match="marker"):
            parse_example(bad)
    with pytest.raises(ValueError):
        parse_example("<marker>a</marker> <marker>b</marker>")


def test_a_marker_pins_the_exact_quote() -> None:
    # A problem's quote grows to the end of its clause: "nbd honestly", not "nbd".
    ok = "patterns = ['nbd']\n[rules.examples]\nmatch = ['Look, <marker>nbd honestly</marker>.']"
    assert _failures(ok) == []
    short = "patterns = ['nbd']\n[rules.examples]\nmatch = ['Look, <marker>nbd</marker> honestly.']"
    assert _failures(short) == ["should quote 'nbd', quotes 'nbd honestly'"]
    elsewhere = "patterns = ['nbd']\n[rules.examples]\nmatch = ['<marker>Look</marker>, nbd.']"
    assert _failures(elsewhere) == ["should quote 'Look', quotes 'nbd'"]
    broken = "patterns = ['nbd']\n[rules.examples]\nmatch = ['nbd', '<marker>nbd']"
    assert [f.split(":")[0] for f in _failures(broken)] == ["bad marker in '<marker>nbd'"]
    in_no_match = (
        "patterns = ['nbd']\n[rules.examples]\nmatch = ['nbd']\nno_match = ['<marker>x</marker>']"
    )
    assert _failures(in_no_match) == ["a no_match example marks no words: '<marker>x</marker>'"]


def test_every_pattern_must_fire_alone_on_a_match_example() -> None:
    body = "patterns = ['nbd', 'no biggie']\n[rules.examples]\nmatch = ['nbd, sorry']"
    assert _failures(body) == ["pattern 'no biggie' fires on no match example"]
    both = "patterns = ['nbd', 'no biggie']\n[rules.examples]\nmatch = ['nbd', 'no biggie!']"
    assert _failures(both) == []


def test_a_pattern_vetoed_on_every_example_is_not_exercised() -> None:
    """'no biggie' matches an example, but only where its exception vetoes it."""
    body = (
        "patterns = ['nbd', 'no biggie']\nexceptions = ['not no biggie']\n"
        "[rules.examples]\nmatch = ['nbd', 'It is not no biggie. But nbd.']\n"
        "no_match = ['it is not no biggie']"
    )
    assert _failures(body) == ["pattern 'no biggie' fires on no match example"]


def test_every_exception_must_veto_a_match_on_a_no_match_example() -> None:
    body = (
        "patterns = ['nbd']\nexceptions = ['not nbd', 'never nbd']\n"
        "[rules.examples]\nmatch = ['nbd']\nno_match = ['It is not nbd.', 'Sorry.']"
    )
    assert _failures(body) == ["exception 'never nbd' vetoes no match in a no_match example"]
    # A no_match example no pattern matches proves nothing about the exception.
    body = (
        "patterns = ['nbd']\nexceptions = ['sorry']\n"
        "[rules.examples]\nmatch = ['nbd']\nno_match = ['Sorry.']"
    )
    assert _failures(body) == ["exception 'sorry' vetoes no match in a no_match example"]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("it's fine", '"\'": normalisation removes or replaces it'),
        ("don\u2019t worry", "'\u2019': normalisation removes or replaces it"),
        ("nbd(?: \u2014 honestly)?", "'\u2014': normalisation removes or replaces it"),
        ("I am fine", "'I': text is lower-cased"),
        ("(?:nbd|No biggie)", "'N': text is lower-cased"),
        ("nbd [A-Z]", "'A': text is lower-cased"),
        ("no  biggie", "two spaces in a row: white space is normalised to one"),
        ("no\tbiggie", "'\\t': white space is normalised to a space"),
    ],
)
def test_a_part_that_can_never_match_is_named(pattern: str, reason: str) -> None:
    assert dead_reason(pattern) == reason


def test_what_normalised_text_can_hold_is_not_flagged() -> None:
    for pattern in ["its fine", "(?i:No Biggie)", "nbd[.!]", "[a-zA-Z]+ly", "a\nb", "(?!I)nbd"]:
        assert dead_reason(pattern) is None, pattern


def test_rules_test_names_a_pattern_or_an_exception_that_can_never_match() -> None:
    body = (
        "patterns = ['nbd', 'no  biggie']\nexceptions = ['not\\tnbd']\n"
        "[rules.examples]\nmatch = ['nbd']\nno_match = ['It is not\tnbd.']"
    )
    assert _failures(body) == [
        "should not match 'It is not\\tnbd.'",  # the exception never vetoes it
        "pattern 'no  biggie' has a part that can never match normalised text: "
        "two spaces in a row: white space is normalised to one",
        "exception 'not\\\\tnbd' has a part that can never match normalised text: "
        "'\\t': white space is normalised to a space",
    ]


@pytest.mark.parametrize("kind", ["patterns", "exceptions"])
def test_a_user_is_told_of_an_apostrophe_or_a_capital(kind: str) -> None:
    """Loading may refuse such a file before ``rules --test`` runs; either way the user
    is told which character can never match."""
    body = f"patterns = ['nbd']\n{kind} = [\"isn't nbd\", 'Nbd']\n[rules.examples]\nmatch = ['nbd']"
    if kind == "patterns":
        body = body.replace("patterns = ['nbd']\n", "")
    try:
        told = "\n".join(_failures(body))
    except RuleFileError as exc:
        told = str(exc)
    assert '"\'"' in told


def test_a_user_files_own_macros_are_used(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(
        "[macros]\nSMALL = 'nbd|no biggie'\n"
        + HEAD
        + "patterns = ['{SMALL}']\nexceptions = ['not {SMALL}']\n"
        + "[rules.examples]\nmatch = ['nbd']\nno_match = ['It is not nbd.']\n",
        encoding="utf-8",
    )
    from allyfeedback.ruleset import load_ruleset

    rs = load_ruleset((str(path),))
    assert [f for f in example_failures(rs, [str(path)]) if f.startswith("team.")] == []


def test_rules_test_tells_a_team_about_an_unexercised_pattern(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(
        HEAD + "patterns = ['nbd', 'no biggie']\n[rules.examples]\nmatch = ['nbd']\n",
        encoding="utf-8",
    )
    out = run("rules", "--test", "--rules", str(path))
    assert out.returncode == 1
    assert "FAIL team.nbd (team.toml): pattern 'no biggie' fires on no match example" in out.stdout
    proven, total = re.search(r"(\d+)/(\d+) patterns", out.stdout).groups()  # type: ignore[union-attr]
    assert int(proven) < int(total)
