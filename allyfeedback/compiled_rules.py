"""Compiled rules and rule sets: what the engine runs.

A rule file is data (``rule_files.py`` reads and checks it); a ``Rule`` is that data
compiled, each pattern a ``Matcher`` (its regex and literal sets), and a ``RuleSet`` is
the ordered rules with their pattern index (``pattern_index.py``). ``ruleset.py`` finds
and caches them.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import InitVar, dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from .errors import ConfigurationError, RuleFileError
from .pattern_index import PatternIndex, PatternLiterals, PatternRef, build_index
from .prefilter import LiteralSet
from .regex_programs import Program, compile_pattern
from .taxonomy import ALL_IDS, ELEMENT_IDS, Severity, is_element, is_problem

Search = Callable[[str, int, int], "re.Match[str] | None"]


# A user's patterns (not the built-in ones, which are tested against hostile drafts)
# run under the ``regex`` module with a time limit: ``re`` cannot be interrupted, and a
# pattern written with nested or overlapping repeats can backtrack for hours. This is
# how long all of a rule set's user patterns may take on one draft, together.
USER_PATTERN_BUDGET = 0.5


class LazyRegex:
    """A regex compiled on first use. Most patterns never meet a draft that could trigger
    them, and compiling all of them up front made the first critique slow (a command-line
    run pays that on every call). ``search`` is the compiled pattern's own ``search``
    once compiled (the engine calls it in its hot loop). Files loaded at run time are
    compiled at once instead (``eager``), so their errors show at load.

    ``guarded`` (a user's pattern): compiled with the ``regex`` module, and every search
    is bounded in time (``USER_PATTERN_BUDGET``; the engine bounds all of one draft's
    searches together, through ``bounded_search``)."""

    __slots__ = ("_compiled", "guarded", "program", "search", "source")

    def __init__(
        self,
        source: str,
        eager: bool = False,
        guarded: bool = False,
        program: Program | None = None,
    ) -> None:
        self.source = source
        self.guarded = guarded
        self.program = program  # from the rule cache: compiling skips parsing the pattern
        self._compiled: Any = None
        self.search: Search = self._compile_and_search
        if eager:
            self.compile()

    def compile(self) -> Any:
        """The compiled pattern (an ``re.Pattern``, or a ``regex`` one when guarded)."""
        if self._compiled is None:
            if self.guarded:
                import regex

                try:
                    self._compiled = regex.compile(self.source)
                except regex.error as exc:  # the loader reports re.error only
                    raise re.error(str(exc)) from None
                self.search = self._search_within_budget
            else:
                self._compiled = compile_pattern(self.source, self.program)
                self.program = None
                self.search = self._compiled.search
        return self._compiled

    def bounded_search(self, deadline: float) -> Search:
        """A ``search`` that raises ``PatternTimeout`` when it runs past ``deadline``
        (a ``time.monotonic`` reading), for guarded patterns."""
        compiled = self.compile()

        def search(text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
            try:
                found: re.Match[str] | None = compiled.search(
                    text, pos, endpos, timeout=max(deadline - time.monotonic(), 0.001)
                )
            except TimeoutError:
                raise PatternTimeout(self.source) from None
            return found

        return search

    def _search_within_budget(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        return self.bounded_search(time.monotonic() + USER_PATTERN_BUDGET)(text, pos, endpos)

    def _compile_and_search(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        self.compile()
        return self.search(text, pos, endpos)


class PatternTimeout(RuleFileError):
    """A user's pattern ran past its time limit on a draft."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__(
            f"its patterns took over {USER_PATTERN_BUDGET:g} s on this draft, which points "
            "to catastrophic backtracking (nested or overlapping repeats, like (a+)+ or "
            "(a|ab)*); rewrite the pattern"
        )


class Matcher(NamedTuple):
    """One pattern of a rule (or all of a rule's exceptions), compiled, with the literal
    sets any match contains one member of (see prefilter.py)."""

    regex: LazyRegex
    literals: LiteralSet | None  # the first set; ``None``: no usable set, always run
    extras: tuple[LiteralSet, ...] = ()  # more sets, each also met by every match


@dataclass(frozen=True)
class Rule:
    """A compiled rule, ready for the engine."""

    id: str
    category: str
    severity: Severity
    message: str
    suggestion: str
    source: str
    patterns: tuple[str, ...]
    exceptions: tuple[str, ...]
    examples_match: tuple[str, ...]
    examples_no_match: tuple[str, ...]
    origin: str
    matchers: tuple[Matcher, ...] = field(repr=False, compare=False)  # one per pattern
    exception: Matcher | None = field(repr=False, compare=False)  # all exceptions as one
    is_problem: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_problem", is_problem(self.category))


def index_rules(rules: tuple[Rule, ...]) -> PatternIndex:
    """The pattern index of ``rules``: pattern numbers run through every rule's
    matchers in rule order."""
    refs, patterns = [], []
    for r, rule in enumerate(rules):
        for m, matcher in enumerate(rule.matchers):
            refs.append(PatternRef(r, m))
            patterns.append(PatternLiterals(matcher.literals, matcher.extras))
    return build_index(
        patterns,
        refs,
        [None if rule.exception is None else rule.exception.literals for rule in rules],
    )


@dataclass(frozen=True)
class RuleSet:
    """An ordered, immutable collection of compiled rules, and their pattern index
    (built on first use, or handed in by the rule cache as ``prebuilt``)."""

    rules: tuple[Rule, ...]
    prebuilt: InitVar[PatternIndex | None] = None

    def __post_init__(self, prebuilt: PatternIndex | None) -> None:
        if prebuilt is not None:
            self.__dict__["index"] = prebuilt  # where cached_property keeps its value

    @cached_property
    def index(self) -> PatternIndex:
        """Which patterns a sentence's words can trigger (see pattern_index.py)."""
        return index_rules(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @cached_property
    def _singles(self) -> dict[str, RuleSet]:
        return {r.id: RuleSet((r,)) for r in self.rules}

    def only(self, rule_id: str) -> RuleSet:
        """The rule ``rule_id`` alone. The same object on every call, so its pattern
        index is built once (a rule's examples run it again and again)."""
        try:
            return self._singles[rule_id]
        except KeyError:
            raise KeyError(rule_id) from None

    def without(self, disabled: Iterable[str]) -> RuleSet:
        """Drop rules by id or by problem category. Elements cannot be dropped: a reply
        without the element's rules would always lack it, and the revision would add it
        a second time (drop a problem rule instead, or fix the element rule's file)."""
        wanted = set(disabled)
        by_id = {r.id: r for r in self.rules}
        known = set(by_id) | {r.category for r in self.rules} | set(ALL_IDS)
        unknown = sorted(d for d in wanted if d not in known)
        if unknown:
            raise ConfigurationError(
                f"cannot disable unknown rule or category: {', '.join(unknown)} "
                "(see `allyfeedback rules`)"
            )
        elements = sorted(
            d for d in wanted if is_element(d) or (d in by_id and is_element(by_id[d].category))
        )
        if elements:
            raise ConfigurationError(
                f"cannot disable {', '.join(elements)}: elements ({', '.join(ELEMENT_IDS)}) "
                "are what a good reply contains, so without their rules every draft would "
                "miss them; disable problem rules or categories only"
            )
        return RuleSet(
            tuple(r for r in self.rules if r.id not in wanted and r.category not in wanted)
        )
