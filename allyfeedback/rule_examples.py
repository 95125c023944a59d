"""Rules proven by their examples: the checks behind ``allyfeedback rules --test``.

In the spirit of LanguageTool's rule tests, a rule file is only trusted as far as its
own examples prove it:

- every ``match`` example fires the rule (run alone), and every ``no_match`` one does not;
- a ``match`` example may pin the words the rule must quote with ``<marker>...</marker>``,
  and one of the rule's findings must then quote exactly those words;
- every pattern is *exercised*: on its own (with the rule's exceptions) it produces a
  finding on one of the rule's ``match`` examples;
- every exception is exercised: it vetoes a match of the rule's patterns on one of the
  rule's ``no_match`` examples;
- no pattern or exception has a part that normalised text can never hold (upper
  case, apostrophes, curly quotes, long dashes, two white-space characters in a row), as
  it could never match.

Each problem found is one line naming the rule and its file. The engine itself never
reads examples; this module runs them.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ._toml import tomllib
from .engine import analyze
from .ruleset import _MACRO_REF, MACRO_FILE, Rule, RuleSet, _compile, _expand, builtin_macros
from .text import normalize

if sys.version_info >= (3, 11):
    from re import _constants as _c
    from re import _parser as _sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _sre_parse

MARK_OPEN = "<marker>"
MARK_CLOSE = "</marker>"


@dataclass(frozen=True)
class Example:
    """An example as the engine sees it: the text without markers, and the span of the
    marked words in that text (``None`` when nothing is marked)."""

    text: str
    marked: tuple[int, int] | None = None


def parse_example(raw: str) -> Example:
    """Strip the marker from ``raw``; ``ValueError`` if it is malformed (one pair at most,
    opened before it is closed, around at least one character)."""
    opens, closes = raw.count(MARK_OPEN), raw.count(MARK_CLOSE)
    if opens == closes == 0:
        return Example(raw)
    start = raw.find(MARK_OPEN)
    end = raw.find(MARK_CLOSE) - len(MARK_OPEN)
    if opens != 1 or closes != 1 or end <= start:
        raise ValueError(f"one {MARK_OPEN}...{MARK_CLOSE} pair around some words, at most")
    return Example(raw.replace(MARK_OPEN, "").replace(MARK_CLOSE, ""), (start, end))


@dataclass(frozen=True)
class Failure:
    """One way a rule is not proven by its examples."""

    rule: Rule
    kind: str  # what is not proven: "example", "pattern" or "exception"
    what: str

    def __str__(self) -> str:
        return f"{self.rule.id} ({self.rule.origin}): {self.what}"


# --- what normalised text can hold --------------------------------------------------


def _never_normalised(ch: str, ignore_case: bool) -> str | None:
    """Why ``ch`` never appears in normalised text, or ``None`` if it can."""
    if ch.isspace():
        return None if ch in " \n" else f"{ch!r}: white space is normalised to a space"
    seen = normalize(ch).text
    if seen == ch or (ignore_case and seen == ch.lower()):
        return None
    if seen == ch.lower():
        return f"{ch!r}: text is lower-cased"
    return f"{ch!r}: normalisation removes or replaces it"


def _dead_reason(items: Iterable[tuple[Any, Any]], ignore_case: bool) -> str | None:
    """Why a sequence of parsed regex items, or one of its alternatives or optional
    parts, can never match normalised text (``None``: every part might). Conservative:
    anything not understood is taken to be able to match."""
    previous_space = False
    for op, av in items:
        reason: str | None = None
        is_space = False
        if op is _c.LITERAL:
            ch = chr(av)
            reason = _never_normalised(ch, ignore_case)
            is_space = ch in " \n"
            if is_space and previous_space:
                reason = "two spaces in a row: white space is normalised to one"
        elif op is _c.IN:
            reason = _dead_class(av, ignore_case)
        elif op is _c.BRANCH:
            reason = next(filter(None, (_dead_reason(seq, ignore_case) for seq in av[1])), None)
        elif op is _c.SUBPATTERN:
            _, add, delete, sub = av
            ic = (ignore_case or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE
            reason = _dead_reason(sub, ic)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", 0):
            reason = _dead_reason(av[2], ignore_case)
        elif op is getattr(_c, "ATOMIC_GROUP", 0):
            reason = _dead_reason(av, ignore_case)
        elif op is _c.ASSERT:
            reason = _dead_reason(av[1], ignore_case)
        if reason:
            return reason
        previous_space = is_space
    return None


def _dead_class(items: Sequence[tuple[Any, Any]], ignore_case: bool) -> str | None:
    reasons = []
    for op, av in items:
        if op is _c.LITERAL:
            reasons.append(_never_normalised(chr(av), ignore_case))
        elif op is _c.RANGE and av[1] - av[0] < 256:
            reasons.extend(_never_normalised(chr(c), ignore_case) for c in range(av[0], av[1] + 1))
        else:  # negated classes, categories, wide ranges: assume they can match
            return None
    return reasons[0] if reasons and all(reasons) else None


@lru_cache(maxsize=1024)  # macros are shared by many patterns
def dead_reason(expanded: str) -> str | None:
    """Why the regex ``expanded`` (macros expanded) has a part that can never match
    normalised text, naming the character (``None``: every part might match)."""
    parsed = _sre_parse.parse(expanded)
    return _dead_reason(parsed.data, bool(parsed.state.flags & re.IGNORECASE))


# --- macros of a rule's file --------------------------------------------------------


@lru_cache(maxsize=64)
def _file_macros(text: str) -> dict[str, str]:
    macros = dict(builtin_macros())
    table = tomllib.loads(text).get("macros", {})
    if isinstance(table, dict):
        macros.update({str(k): str(v) for k, v in table.items()})
    return macros


def _macros_for(rule: Rule, files: Sequence[str]) -> dict[str, str]:
    """The macros a rule's patterns were expanded with: the built-in ones plus its
    file's own (a user file is found among ``files`` by the name it was loaded as)."""
    if rule.origin.startswith("rules/"):
        name = rule.origin.removeprefix("rules/")
        if name != MACRO_FILE:
            entry = resources.files("allyfeedback") / "rules" / name
            if entry.is_file():
                return _file_macros(entry.read_text(encoding="utf-8"))
    for f in files:
        if Path(f).name == rule.origin:
            return _file_macros(Path(f).read_text(encoding="utf-8"))
    return builtin_macros()


# --- one rule, one pattern or one exception at a time ------------------------------


def _with(rule: Rule, pattern: int | None = None, exceptions: Rule | None = None) -> RuleSet:
    """``rule`` alone, with only its pattern number ``pattern`` (all if ``None``), and
    the exceptions of ``exceptions`` instead of its own (kept if ``None``)."""
    if pattern is not None:
        rule = replace(
            rule,
            matchers=(rule.matchers[pattern],),
            extras=(rule.extras[pattern],) if rule.extras else (),
        )
    if exceptions is not None:
        rule = replace(
            rule,
            exception_regex=exceptions.exception_regex,
            exception_literals=exceptions.exception_literals,
        )
    return RuleSet((rule,))


def _exception_alone(rule: Rule, index: int, macros: dict[str, str]) -> Rule:
    """A copy of ``rule`` whose only exception is its exception number ``index``."""
    regex, literals = _compile([rule.exceptions[index]], macros, rule.id, eager=True)
    return replace(
        rule,
        exceptions=(rule.exceptions[index],),
        exception_regex=regex,
        exception_literals=literals,
    )


def _spans(text: str, ruleset: RuleSet, prefilter: bool = True) -> set[tuple[int, int]]:
    """The findings of ``ruleset`` on ``text``. The one-pattern and one-exception copies
    of a rule run without the prefilter (same findings, a test checks), as building a
    pattern index for each copy would cost more than it saves."""
    return {(h.start, h.end) for h in analyze(text, ruleset, use_prefilter=prefilter).hits}


def check_rule(rule: Rule, macros: dict[str, str] | None = None) -> list[Failure]:
    """Every way ``rule`` is not proven by its own examples (empty: it is). ``macros``
    are those its patterns were written with (the built-in ones if ``None``)."""
    macros = builtin_macros() if macros is None else macros
    failures: list[Failure] = []
    matches = _check_match_examples(rule, failures)
    no_matches = _check_no_match_examples(rule, failures)
    for i, pattern in enumerate(rule.patterns):
        single = _with(rule, i)
        if not _dead(rule, "pattern", pattern, macros, failures) and not any(
            _spans(ex.text, single, prefilter=False) for ex in matches
        ):
            failures.append(
                Failure(rule, "pattern", f"pattern {pattern!r} fires on no match example")
            )
    if rule.exceptions:
        bare = _with(rule, exceptions=replace(rule, exception_regex=None, exception_literals=None))
        unvetoed = [(t, spans) for t in no_matches if (spans := _spans(t, bare, prefilter=False))]
        for i, exception in enumerate(rule.exceptions):
            if _dead(rule, "exception", exception, macros, failures):
                continue
            only = _with(rule, exceptions=_exception_alone(rule, i, macros))
            if not any(spans - _spans(text, only, prefilter=False) for text, spans in unvetoed):
                failures.append(
                    Failure(
                        rule,
                        "exception",
                        f"exception {exception!r} vetoes no match in a no_match example",
                    )
                )
    return failures


def _check_match_examples(rule: Rule, failures: list[Failure]) -> list[Example]:
    """Run the ``match`` examples (a marker pins the quote); return them parsed."""
    alone = RuleSet((rule,))
    parsed = []
    for raw in rule.examples_match:
        try:
            ex = parse_example(raw)
        except ValueError as exc:
            failures.append(Failure(rule, "example", f"bad marker in {raw!r}: {exc}"))
            continue
        parsed.append(ex)
        spans = _spans(ex.text, alone)
        if not spans:
            failures.append(Failure(rule, "example", f"should match {ex.text!r}"))
        elif ex.marked is not None and ex.marked not in spans:
            quoted = ", ".join(repr(ex.text[s:e]) for s, e in sorted(spans))
            marked = ex.text[ex.marked[0] : ex.marked[1]]
            failures.append(Failure(rule, "example", f"should quote {marked!r}, quotes {quoted}"))
    return parsed


def _check_no_match_examples(rule: Rule, failures: list[Failure]) -> list[str]:
    """Run the ``no_match`` examples (which mark nothing); return them."""
    alone = RuleSet((rule,))
    for text in rule.examples_no_match:
        if MARK_OPEN in text or MARK_CLOSE in text:
            failures.append(
                Failure(rule, "example", f"a no_match example marks no words: {text!r}")
            )
        elif _spans(text, alone):
            failures.append(Failure(rule, "example", f"should not match {text!r}"))
    return list(rule.examples_no_match)


def _dead(
    rule: Rule, kind: str, pattern: str, macros: dict[str, str], failures: list[Failure]
) -> bool:
    """Whether ``pattern`` has a part that can never match (and if so, say so). Each
    macro it uses is checked on its own (once: they are shared), then the pattern with
    its macros stood in for, which keeps the parse small."""
    names = sorted(set(_MACRO_REF.findall(pattern)))
    pieces = [_expand(f"{{{name}}}", macros, rule.id) for name in names]
    pieces.append(_expand(pattern, dict.fromkeys(names, "x"), rule.id))
    for piece in pieces:
        reason = dead_reason(piece)
        if reason:
            failures.append(
                Failure(
                    rule,
                    kind,
                    f"{kind} {pattern!r} has a part that can never match normalised text: {reason}",
                )
            )
            return True
    return False


def check_ruleset(ruleset: RuleSet, files: Sequence[str] = ()) -> list[Failure]:
    """``check_rule`` for every rule of ``ruleset``. ``files`` are the user rule files it
    was loaded with, so their own macros can be found (a rule from a file not given is
    checked with the built-in macros, and an unknown macro raises ``RuleFileError``)."""
    return [f for rule in ruleset for f in check_rule(rule, _macros_for(rule, files))]


def example_failures(ruleset: RuleSet, files: Sequence[str] = ()) -> list[str]:
    """``check_ruleset`` as one line per failure (empty when every rule is proven)."""
    return [str(f) for f in check_ruleset(ruleset, files)]


def summary(ruleset: RuleSet, failures: Sequence[Failure]) -> str:
    """One line: how many examples pass, and how many patterns and exceptions they prove."""
    bad = Counter(f.kind for f in failures)
    counts = {
        "example": sum(len(r.examples_match) + len(r.examples_no_match) for r in ruleset),
        "pattern": sum(len(r.patterns) for r in ruleset),
        "exception": sum(len(r.exceptions) for r in ruleset),
    }
    ok = {kind: max(n - bad[kind], 0) for kind, n in counts.items()}
    return (
        f"{ok['example']}/{counts['example']} examples pass in {len(ruleset)} rules; "
        f"{ok['pattern']}/{counts['pattern']} patterns and "
        f"{ok['exception']}/{counts['exception']} exceptions proven by them"
    )
