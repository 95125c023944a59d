"""Loading rules: the on-disk cache gives exactly what compiling gives, is keyed on
content (never stale), and degrades to no cache; every field of a rule file is checked,
with one-line errors naming the file and the rule; nothing a rule file says can hang."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import allyfeedback as af
from allyfeedback import rule_cache
from allyfeedback.engine import analyze
from allyfeedback.rule_files import compile_rule_files
from allyfeedback.ruleset import (
    LazyRegex,
    Matcher,
    Rule,
    RuleSet,
    builtin_sources,
    content_key,
    load_ruleset,
    parse_rule_file,
)

TEAM = """
category = "minimizing"
[[rules]]
id = "team.no_biggie"
patterns = ['{PATTERN}']
message = "Calling it no biggie shrinks it."
suggestion = "Say it mattered."
source = "constructed for this test"
[rules.examples]
match = ["no biggie!"]
"""


def _hits(rs: RuleSet, text: str) -> list[tuple[str, int, int, int]]:
    return [(h.rule.id, h.start, h.end, h.sentence) for h in analyze(text, rs).hits]


def test_cached_rule_set_gives_the_same_hits_as_a_compiled_one(dev_rows: list[dict]) -> None:
    """The oracle: rules read back from the cache file (their regexes built from the
    stored programs) find exactly what freshly compiled rules find, on every labelled
    draft of the development set and the corpus, and every rule example."""
    fresh = RuleSet(tuple(compile_rule_files(builtin_sources(), ())))
    key = content_key(())
    rule_cache.save(key, fresh)
    cached = rule_cache.load(key)
    assert cached is not None and cached is not fresh
    assert cached.rules == fresh.rules and cached.index == fresh.index
    corpus = (Path(__file__).parent / "data" / "corpus.jsonl").read_text("utf-8").splitlines()
    texts = (
        [r["text"] for r in dev_rows]
        + [json.loads(line)["text"] for line in corpus]
        + [t for rule in fresh for t in rule.examples_match + rule.examples_no_match]
    )
    for text in texts:
        assert _hits(cached, text) == _hits(fresh, text), text


def test_no_cache_folder_or_an_unwritable_one_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    for folder in (str(blocker / "sub"), ""):  # cannot be made; switched off
        monkeypatch.setenv("ALLYFEEDBACK_CACHE_DIR", folder)
        rs = RuleSet(tuple(compile_rule_files(builtin_sources(), ())))
        rule_cache.save("k" * 64, rs)  # no error
        assert rule_cache.load("k" * 64) is None


def test_a_damaged_cache_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLYFEEDBACK_CACHE_DIR", str(tmp_path))
    key = "d" * 64
    rule_cache.save(key, load_ruleset())
    entry = tmp_path / f"rules-{key[:40]}.marshal"
    assert rule_cache.load(key) is not None
    good = entry.read_bytes()
    for damaged in (good[: len(good) // 2], b"\xff\x00 not marshal", b"", good[:-1]):
        entry.write_bytes(damaged)
        assert rule_cache.load(key) is None
    entry.write_bytes(marshal.dumps({"format": rule_cache.FORMAT, "key": key, "rules": 3}))
    assert rule_cache.load(key) is None


def test_cli_with_an_unwritable_cache_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    env = {**os.environ, "ALLYFEEDBACK_CACHE_DIR": str(blocker)}
    done = subprocess.run(
        [sys.executable, "-m", "allyfeedback", "check", "-"],
        input="I'm sorry. What would you like me to do next?",
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_an_edited_rule_file_is_picked_up_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM.replace("{PATTERN}", "no biggie"), "utf-8")
    assert [p.rule_id for p in af.critique("No biggie.", rules=[str(path)]).problems] == [
        "team.no_biggie"
    ]
    path.write_text(TEAM.replace("{PATTERN}", "nbd").replace("no biggie!", "nbd!"), "utf-8")
    assert af.critique("No biggie.", rules=[str(path)]).problems == []
    assert [p.rule_id for p in af.critique("Nbd.", rules=[str(path)]).problems] == [
        "team.no_biggie"
    ]


@pytest.mark.parametrize(
    "pattern", ["(?:no biggie)?", ".*", "(?:nbd|)", "(?<=x)", r"\b", "(?:no )*"]
)
def test_a_pattern_that_can_match_empty_text_is_refused(pattern: str) -> None:
    with pytest.raises(af.RuleFileError) as err:
        parse_rule_file(TEAM.replace("{PATTERN}", pattern), "team.toml")
    message = str(err.value)
    assert message.startswith("team.toml: rule team.no_biggie: pattern ")
    assert "can match empty text" in message and "\n" not in message


def test_an_exception_that_can_match_empty_text_is_refused() -> None:
    text = TEAM.replace("{PATTERN}", "no biggie").replace(
        "source =", "exceptions = ['(?:not)?']\nsource ="
    )
    with pytest.raises(af.RuleFileError, match=r"rule team.no_biggie \(exceptions\).*empty"):
        parse_rule_file(text, "team.toml")


def test_empty_pattern_file_fails_fast_on_the_command_line(tmp_path: Path) -> None:
    """It used to hang `check` and `rules --test` forever."""
    path = tmp_path / "team.toml"
    path.write_text(TEAM.replace("{PATTERN}", "(?:no biggie)?"), "utf-8")
    for args in (["check", "-", "--rules", str(path)], ["rules", "--test", "--rules", str(path)]):
        done = subprocess.run(
            [sys.executable, "-m", "allyfeedback", *args],
            input="No biggie.",
            text=True,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "team.no_biggie" in done.stderr and "empty text" in done.stderr
        assert "Traceback" not in done.stderr


def test_the_engine_never_loops_on_an_empty_match() -> None:
    """A constructed rule whose regex can match empty text (the loader refuses those;
    this one is built by hand): every loop of the engine still moves on."""
    code = """
import sys
from allyfeedback.engine import analyze
from allyfeedback.ruleset import LazyRegex, Matcher, Rule, RuleSet
rule = Rule(id="x.empty", category="minimizing", severity="low", message="m",
            suggestion="s", source="constructed", patterns=("x?",), exceptions=("y?",),
            examples_match=(), examples_no_match=(), origin="test",
            matchers=(Matcher(LazyRegex("(?:x?)"), None),),
            exception=Matcher(LazyRegex("(?:y?)"), None))
for draft in ["", "a", "No biggie. It was nothing", "x. x", "ab\\ncd"]:
    analyze(draft, RuleSet((rule,)))
    analyze(draft, RuleSet((rule,)), use_prefilter=False)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def _rule_file(**fields: str) -> str:
    head = fields.pop("head", "")
    body = {
        "id": '"team.x"',
        "category": '"minimizing"',
        "patterns": "['nbd']",
        "message": '"m"',
        "suggestion": '"s"',
        "source": '"constructed for this test"',
        **fields,
    }
    lines = [f"{k} = {v}" for k, v in body.items() if v]
    return head + "\n[[rules]]\n" + "\n".join(lines) + '\n[rules.examples]\nmatch = ["nbd"]\n'


BAD_FIELDS = [
    (_rule_file(head='category = "minimising"\n', category=""), "team.toml: category: unknown"),
    (_rule_file(category='"minimising"'), "team.toml: rule team.x: category: unknown"),
    (_rule_file(severity='"urgent"'), "team.toml: rule team.x: severity:"),
    (_rule_file(category='"apology"', severity='"high"'), "severity is for problems only"),
    (_rule_file(colour='"red"'), "team.toml: rule team.x: colour: unknown key"),
    (_rule_file(head='colour = "red"\n'), "team.toml: colour: unknown key"),
    (_rule_file(head="[macros]\nsmall = 'nbd'\n"), "team.toml: macros: macro name 'small'"),
    (_rule_file(head="[macros]\nSMALL = 'nb('\n"), "team.toml: macro SMALL: bad pattern"),
    (_rule_file(head="[macros]\nSMALL = 3\n"), "team.toml: macros.SMALL:"),
    (_rule_file(patterns="['{NOPE}']"), "rule team.x: unknown macro {NOPE}"),
    (_rule_file(patterns="[]"), "rule team.x: patterns:"),
    (_rule_file(source='""'), "rule team.x: source:"),
    (_rule_file(id='"Team X"'), "team.toml: rule Team X: id:"),
    (_rule_file(category=""), "rule team.x: no category"),
    (_rule_file(message='""'), "rule team.x: a problem rule needs a message"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD_FIELDS, ids=[f for _, f in BAD_FIELDS])
def test_every_field_of_a_rule_file_is_checked(text: str, fragment: str) -> None:
    with pytest.raises(af.RuleFileError) as err:
        parse_rule_file(text, "team.toml")
    assert fragment in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_a_good_rule_file_still_loads() -> None:
    patterns = r"['{SMALL}', '(?i:No) biggie', 'nbd(?!X)', '[A-Za-z]+ biggie', 'n\Bbd']"
    (rule,) = parse_rule_file(
        _rule_file(head="[macros]\nSMALL = 'nbd'\n", patterns=patterns), "team.toml"
    )
    assert isinstance(rule, Rule) and rule.severity == "medium"
    assert isinstance(rule.matchers[0], Matcher) and isinstance(rule.matchers[0].regex, LazyRegex)


@pytest.mark.parametrize("element", ["apology", "apology.direct", "listens"])
def test_disabling_an_element_is_refused_and_explained(element: str) -> None:
    with pytest.raises(af.ConfigurationError, match=f"cannot disable {element}: elements"):
        af.critique("I'm sorry.", disable=[element])


def test_disabling_an_element_on_the_command_line_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "allyfeedback", "check", "-", "--disable", "apology"],
        input="I'm sorry.",
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot disable apology" in done.stderr and len(done.stderr.splitlines()) == 1


def test_an_id_prefix_is_not_a_way_to_disable() -> None:
    """`RuleSet.without` says it drops rules by id or problem category, and it does
    exactly that: a prefix is reported as unknown rather than half-working."""
    with pytest.raises(af.ConfigurationError, match=r"unknown rule or category: defending\. "):
        load_ruleset(disabled=["defending."])
    assert all(r.category != "defending" for r in load_ruleset(disabled=["defending"]))


def _guarded_copy(rs: RuleSet) -> RuleSet:
    """The rule set with every pattern run as a user's pattern is (``regex``, bounded)."""

    def guard(m: Matcher) -> Matcher:
        return Matcher(LazyRegex(m.regex.source, guarded=True), m.literals, m.extras)

    rules = tuple(
        replace(
            r,
            matchers=tuple(map(guard, r.matchers)),
            exception=None if r.exception is None else guard(r.exception),
        )
        for r in rs.rules
    )
    return RuleSet(rules, rs.index)


def test_guarded_patterns_find_what_re_finds(dev_rows: list[dict]) -> None:
    """User patterns run under the regex module: run every built-in pattern that way
    and the hits are the same as with re, on every labelled draft and rule example."""
    rs = load_ruleset()
    guarded = _guarded_copy(rs)
    corpus = (Path(__file__).parent / "data" / "corpus.jsonl").read_text("utf-8").splitlines()
    texts = (
        [r["text"] for r in dev_rows]
        + [json.loads(line)["text"] for line in corpus]
        + [t for rule in rs for t in rule.examples_match + rule.examples_no_match]
    )
    for text in texts:
        assert _hits(guarded, text) == _hits(rs, text), text


def test_user_rules_are_guarded_and_built_in_ones_are_not(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(TEAM.replace("{PATTERN}", "no biggie"), "utf-8")
    rs = load_ruleset([str(path)])
    assert all(m.regex.guarded for m in rs.get("team.no_biggie").matchers)
    assert not any(m.regex.guarded for r in rs if r.id != "team.no_biggie" for m in r.matchers)


def _run_check(rule_file: Path, draft: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "allyfeedback", "check", "-", "--rules", str(rule_file)],
        input=draft,
        text=True,
        capture_output=True,
        timeout=60,
    )


def test_a_user_pattern_that_backtracks_is_stopped_with_its_rule_named(tmp_path: Path) -> None:
    """A constructed pattern that backtracks for minutes (even under regex) on a
    constructed draft: the check stops within the time limit and names the rule."""
    path = tmp_path / "team.toml"
    path.write_text(TEAM.replace("{PATTERN}", r"(?:(a)|b)*?\1c"), "utf-8")
    done = _run_check(path, "ab" * 3000 + "c")
    assert done.returncode == 2, done.stderr
    assert "team.toml: rule team.no_biggie: its patterns took over" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert "catastrophic backtracking" in done.stderr and "Traceback" not in done.stderr


def test_the_old_adv_macro_written_by_a_user_finishes(tmp_path: Path) -> None:
    """The repeated-alternative shape that once took the built-in rules minutes, in a
    user's file: it runs under the guard and finishes."""
    path = tmp_path / "team.toml"
    path.write_text(
        TEAM.replace("{PATTERN}", "i (?:(?:ever|still|ever|still) )*x assumed"), "utf-8"
    )
    done = _run_check(path, "i " + "ever " * 400 + "y assumed")
    assert done.returncode in (0, 1), done.stderr
