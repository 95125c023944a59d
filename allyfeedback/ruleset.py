"""Compiled rules and rule sets, and ``load_ruleset``, which finds them.

A rule file is data (see ``rule_files.py``, which reads and checks it); a ``Rule`` is
that data compiled for the engine, and a ``RuleSet`` is the ordered rules with their
pattern index (``pattern_index.py``). Loading is cached twice, both times by the content
of every rule file, so an edited file is picked up at once and nothing is ever stale: in
memory for the life of the process, and on disk (``rule_cache.py``) so that a command
line call does not parse a few hundred regexes at every start.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import InitVar, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, RuleFileError
from .pattern_index import PatternIndex, PatternLiterals, PatternRef, build_index
from .prefilter import LiteralSet
from .taxonomy import ALL_IDS, ELEMENT_IDS, Severity, is_element, is_problem

MACRO_FILE = "macros.toml"

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

    __slots__ = ("_compiled", "guarded", "search", "source")

    def __init__(self, source: str, eager: bool = False, guarded: bool = False) -> None:
        self.source = source
        self.guarded = guarded
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
                self._compiled = re.compile(self.source)
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


@dataclass(frozen=True)
class Matcher:
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


# --- loading ------------------------------------------------------------------------

# Everything whose change changes the compiled rules, besides the rule files: the code
# that compiles and indexes them. Its bytes are part of the content hash.
_COMPILER_MODULES = ("prefilter.py", "pattern_index.py", "rule_files.py", "ruleset.py")


@lru_cache(maxsize=1)
def builtin_sources() -> tuple[tuple[str, str], ...]:
    """The built-in rule files as (name, text), the macro file first."""
    folder = Path(__file__).parent / "rules"
    files = sorted(
        (f"rules/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )
    return tuple(sorted(files, key=lambda f: not f[0].endswith(MACRO_FILE)))


@lru_cache(maxsize=1)
def _compiler_digest() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for name in _COMPILER_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def builtin_macros() -> dict[str, str]:
    from .rule_files import read_macros

    return read_macros(builtin_sources()[0][1], MACRO_FILE)


def parse_rule_file(
    text: str, where: str, base_macros: dict[str, str] | None = None, eager: bool = True
) -> list[Rule]:
    """``rule_files.parse_rule_file``, kept here for callers of the loader: one rule
    file's text compiled, with errors that name the file and the rule."""
    from .rule_files import parse_rule_file as parse

    return parse(text, where, base_macros, eager)


def _read_user_file(name: str) -> tuple[str, str]:
    path = Path(name)
    try:
        return path.name, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"cannot read rule file {name}: {exc.__class__.__name__}") from None


def content_key(user_files: tuple[tuple[str, str], ...]) -> str:
    """A hash of everything the compiled rules depend on: the loader's code, the
    built-in files and the user files (names and text)."""
    digest = hashlib.sha256(_compiler_digest().encode())
    for name, text in builtin_sources() + user_files:
        for part in (name, text):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
    return digest.hexdigest()


def load_ruleset(extra_files: Iterable[str] = (), disabled: Iterable[str] = ()) -> RuleSet:
    """The built-in rules plus ``extra_files``, less ``disabled`` rule ids or problem
    categories.

    The files are read at every call, and the result is cached by their content: the
    same content in any argument order or form gives the same object (so a process that
    calls this and ``critique`` compiles and indexes its rules once), and an edited file
    is picked up at the next call.
    """
    if isinstance(extra_files, str) or isinstance(disabled, str):
        raise TypeError("extra_files and disabled take a list of strings, not a single string")
    user_files = tuple(_read_user_file(str(f)) for f in extra_files)
    return _cached_ruleset(content_key(user_files), user_files, tuple(sorted(set(disabled))))


@lru_cache(maxsize=32)
def _cached_ruleset(
    key: str, user_files: tuple[tuple[str, str], ...], disabled: tuple[str, ...]
) -> RuleSet:
    if disabled:  # built from the full set, so its rules are not parsed again
        return _cached_ruleset(key, user_files, ()).without(disabled)
    from . import rule_cache

    cached = rule_cache.load(key)
    if cached is not None:
        return cached
    from .rule_files import compile_rule_files

    ruleset = RuleSet(tuple(compile_rule_files(builtin_sources(), user_files)))
    rule_cache.save(key, ruleset)
    return ruleset
