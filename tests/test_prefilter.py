"""The prefilter only saves time: with it or without it, the engine finds the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allyfeedback.engine import analyze, find
from allyfeedback.prefilter import required_literals, word_start_lead
from allyfeedback.rule_examples import example_failures
from allyfeedback.ruleset import LazyRegex, RuleSet, load_ruleset, parse_rule_file
from allyfeedback.text import normalize

RS = load_ruleset()


def _hits(text: str, use_prefilter: bool) -> list[tuple[str, int, int]]:
    return [
        (h.rule.id, h.start, h.end) for h in analyze(text, RS, use_prefilter=use_prefilter).hits
    ]


def test_same_hits_on_every_dev_draft(dev_rows: list[dict]) -> None:
    for row in dev_rows:
        assert _hits(row["text"], True) == _hits(row["text"], False), row["id"]


def test_same_hits_on_every_rule_example() -> None:
    for rule in RS:
        for text in rule.examples_match + rule.examples_no_match:
            assert _hits(text, True) == _hits(text, False), (rule.id, text)


WORDS = st.sampled_from(
    "i im sorry you your because assumed just joke real problem should have told feel "
    "terrible never meant what would like me to do next time from now on listening thank "
    "for telling team company culture everyone does it not big deal if but was wrong "
    "on , . ? ! \n".split(" ")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=40).map(" ".join))
def test_same_hits_on_generated_drafts(text: str) -> None:
    assert _hits(text, True) == _hits(text, False)


def test_required_literals() -> None:
    assert required_literals(r"(?:im|i am) (?:so )*(?:sorry|sry)") == {"sorry", "sry"}
    assert required_literals(r"because") == {"because"}
    assert required_literals(r"(?:a|b)+") is None  # nothing long enough to filter on
    assert required_literals(r"x?because|maybe") == {"because", "maybe"}
    # A case-insensitive literal may match other cases than its own: no literal set.
    assert required_literals(r"(?i:sorry)") is None
    assert required_literals(r"(?i)sorry") is None
    assert required_literals(r"(?i:Sorry) because") == {" because"}
    assert not RS.index.always  # every built-in pattern is indexed: none runs everywhere


def test_word_start_lead() -> None:
    assert word_start_lead(r"(?:the |our )?(?:company|firm)") == r"\b"
    assert word_start_lead(r"(?:^|(?<=\n))(?:so )*sorry") == r"\b"
    assert word_start_lead(r"sorry") == ""  # re skips ahead to the literal: keep that
    assert word_start_lead(r"(?:sorry|apolog)") == ""
    assert word_start_lead(r"(?: [a-z]+)?x") == ""  # may start with a space
    assert word_start_lead(r"(?:x )?(?:y|\.z)") == ""  # may start with a full stop
    assert word_start_lead(r"(?:a|b)?") == ""  # may match nothing


def test_word_start_lead_changes_no_match(dev_rows: list[dict]) -> None:
    """Every regex given a leading \\b finds what it finds without one (engine.find
    applies the same boundary rule to the unled regex)."""
    led = [
        rx
        for rule in RS
        for rx in [m[1] for m in rule.matchers] + [rule.exception_regex]
        if rx is not None and rx.source.startswith(r"\b")
    ]
    assert len(led) > 20
    texts = [normalize(r["text"]).text for r in dev_rows] + [
        normalize(t).text for rule in RS for t in rule.examples_match + rule.examples_no_match
    ]
    for rx in led:
        bare = LazyRegex(rx.source[2:])
        for text in texts:
            assert [m.span() for m in find(rx, text)] == [m.span() for m in find(bare, text)]


def test_case_insensitive_user_pattern_is_not_skipped() -> None:
    """A constructed user rule with (?i:...) and capitals: the text is lower-cased, so
    its literal "Biggie" is never there, yet the regex matches; the prefilter must not
    skip it (it did before literal sets ignored case-insensitive groups)."""
    rules = parse_rule_file(
        """
[[rules]]
id = "team.no_biggie"
category = "minimizing"
patterns = ['no (?i:Biggie)']
message = "m"
suggestion = "s"
source = "constructed for this test"
[rules.examples]
match = ["Honestly, no biggie."]
""",
        "team.toml",
    )
    rs = RuleSet(tuple(rules))
    assert [h.rule.id for h in analyze("Honestly, no biggie.", rs).hits] == ["team.no_biggie"]
    assert not example_failures(rs)
