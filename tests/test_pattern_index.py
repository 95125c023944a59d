"""The pattern index may let a pattern run where it cannot match, never the reverse:
wherever a pattern's literals are in a sentence, the index must choose it there."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allyfeedback import pattern_index
from allyfeedback.engine import _windows
from allyfeedback.pattern_index import holds, literal_test
from allyfeedback.ruleset import RuleSet, load_ruleset
from allyfeedback.text import normalize, sentence_spans

RS = load_ruleset()
_WORD = re.compile(r"\w+")


def _met(literal: str, text: str) -> bool:
    """Whether the text's words meet the literal's test (what the index relies on)."""
    test = literal_test(literal)
    assert test is not None
    words = _WORD.findall(text)
    if len(test) == 1:
        return any(holds(test[0], w) for w in words)
    return any(holds(test[0], a) and holds(test[1], b) for a, b in pairwise(words))


def test_literal_tests() -> None:
    assert literal_test("apologi") == (("inside", "apologi"),)
    assert literal_test(" acknowledge") == (("prefix", "acknowledge"),)
    assert literal_test("sorry ") == (("suffix", "sorry"),)
    assert literal_test(" a joke") == (("word", "a"), ("prefix", "joke"))
    # the rarest neighbouring pair: two whole uncommon words beat a word and a prefix
    assert literal_test("i never meant harm") == (("word", "never"), ("word", "meant"))
    assert literal_test("i was told") == (("word", "was"), ("prefix", "told"))
    assert literal_test(" - ") is None


TEXT = st.text(
    alphabet=st.sampled_from([*"abcio é", "ß", "İ", "\u0301", "7", "_", ",", "-", "\n"]),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(TEXT, st.integers(0, 30), st.integers(0, 30))
def test_a_literal_in_a_text_meets_its_test(text: str, i: int, j: int) -> None:
    literal = text[min(i, j) : max(i, j)]
    if literal_test(literal) is not None:
        assert _met(literal, text), (literal, text)


def test_every_built_in_literal_meets_its_test_in_itself() -> None:
    literals = {
        lit
        for rule in RS
        for matcher in rule.matchers
        for literals in ([matcher.literals] if matcher.literals else []) + list(matcher.extras)
        for lit in literals
    }
    assert len(literals) > 1000
    for lit in literals:
        assert _met(lit, lit), lit


def _needed(text: str, sents: list[tuple[int, int]], rs: RuleSet) -> set[tuple[int, int]]:
    """(pattern number, sentence) wherever the pattern's literals are all there, found
    by plain substring search: the index must choose at least these."""
    out = set()
    for number, ref in enumerate(rs.index.refs):
        matcher = rs.rules[ref.rule].matchers[ref.matcher]
        first, extras = matcher.literals, matcher.extras
        for i, (s, e) in enumerate(sents):
            chunk = text[s:e]
            if first is not None and not any(lit in chunk for lit in first):
                continue
            if all(any(lit in chunk for lit in literals) for literals in extras):
                out.add((number, i))
    return out


def _chosen(text: str, sents: list[tuple[int, int]], rs: RuleSet) -> set[tuple[int, int]]:
    windows = _windows(text, sents, rs.index)
    return {(p, i) for p, where in windows.sentences_of.items() for i in where}


def test_index_chooses_every_pattern_whose_literals_are_there(dev_rows: list[dict]) -> None:
    texts = [r["text"] for r in dev_rows] + [
        t for rule in RS for t in rule.examples_match + rule.examples_no_match
    ]
    needed = chosen = 0
    for draft in texts:
        text = normalize(draft).text
        sents = sentence_spans(text)
        want, got = _needed(text, sents, RS), _chosen(text, sents, RS)
        assert want <= got, (draft, want - got)
        needed, chosen = needed + len(want), chosen + len(got)
    assert chosen <= needed * 1.15  # looser than the literals themselves, but not much


def test_exception_bits_only_where_exception_literals_are() -> None:
    """A sentence without any of a rule's exception literals has that rule's bit off,
    so the engine may skip its exception search there."""
    index = RS.index
    rules = [ri for ri, b in enumerate(index.exception_bits) if b]
    assert len(rules) > 10
    for ri in rules:
        exception = RS.rules[ri].exception
        assert exception is not None and exception.literals
        literals = exception.literals
        for text in RS.rules[ri].examples_no_match + RS.rules[ri].examples_match:
            norm = normalize(text).text
            sents = sentence_spans(norm)
            present = _windows(norm, sents, index).bits_of
            for (s, e), bits in zip(sents, present, strict=True):
                if any(lit in norm[s:e] for lit in literals) and bits:
                    assert bits & index.exception_bits[ri], (RS.rules[ri].id, text)


def test_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pattern_index, "CACHE_LIMIT", 50)
    index = load_ruleset(disabled=["derailing"]).index  # a fresh index, not the shared one
    text = " ".join(f"word{n} sorry" for n in range(400))
    norm = normalize(text).text
    _windows(norm, sentence_spans(norm), index)
    assert 0 < len(index.words) <= 50 and len(index.pairs) <= 50
    long_word = "x" * 5000 + "apologise"
    _windows(long_word, [(0, len(long_word))], index)
    assert long_word not in index.words  # looked at, not kept


def _every_word_test(index: pattern_index.PatternIndex) -> set[tuple[str, str]]:
    tests = {("word", t) for t in index.whole}
    for kind, table in (("prefix", index.starting), ("suffix", index.ending)):
        tests |= {(kind, t) for tokens in table.values() for t in tokens}
    return tests | {("inside", t) for tokens in index.inside.values() for t in tokens}


WORD_TEXT = st.text(alphabet=st.sampled_from([*"aeiosrtnlmcdpbuy", "é", "_", "7"]), max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORD_TEXT, max_size=20))
def test_word_tests_are_exactly_those_a_word_meets(extra: list[str]) -> None:
    """The keyed lookups find every word test a word meets, and only those (checked
    against trying every word test of the index on the word)."""
    index = RS.index
    every = _every_word_test(index)
    words = {"sorry", "apologise", "acknowledged", "i", "im", "a", "you", "defensive", *extra}
    for word in words:
        want = {c for c in every if holds(c, word)}
        assert set(index.word_tests(word)) == want, word


def test_word_tests_of_every_dev_word(dev_rows: list[dict]) -> None:
    every = _every_word_test(RS.index)
    words = {w for r in dev_rows for w in _WORD.findall(normalize(r["text"]).text)}
    assert len(words) > 500
    for word in words:
        assert set(RS.index.word_tests(word)) == {c for c in every if holds(c, word)}, word
