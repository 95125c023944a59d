"""Loading rule files: TOML data in, compiled rules out.

A rule file is data, in the spirit of LanguageTool's rule files and Vale's styles: each
rule names its category, the patterns that find it, the exceptions that veto a match
(near-misses), the message and suggestion a person reads, the part of the guidance it
comes from, and examples that must and must not match. The engine (``engine.py``) only
runs what is loaded here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._toml import tomllib
from .errors import ConfigurationError, RuleFileError
from .pattern_index import PatternIndex, build_index
from .prefilter import Needles, Tree, analyse_tree, lead_for, parse
from .taxonomy import ALL_IDS, DEFAULT_SEVERITY, Severity, is_problem

_MACRO_REF = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
MACRO_FILE = "macros.toml"


class RuleExamples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: list[str] = Field(min_length=1)
    no_match: list[str] = Field(default_factory=list)


class RuleSpec(BaseModel):
    """One rule as written in a file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    category: str | None = None
    severity: Severity | None = None
    patterns: list[str] = Field(min_length=1)
    exceptions: list[str] = Field(default_factory=list)
    message: str = ""
    suggestion: str = ""
    source: str
    examples: RuleExamples

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and value not in ALL_IDS:
            raise ValueError(f"unknown category {value!r}; use one of {', '.join(ALL_IDS)}")
        return value


class RuleFileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    macros: dict[str, str] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)


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
    # One (prefilter, regex) pair per pattern; see prefilter.py.
    matchers: tuple[tuple[Needles | None, LazyRegex], ...] = field(repr=False, compare=False)
    exception_regex: LazyRegex | None = field(repr=False, compare=False)
    # Per pattern, more literal sets a match must also touch (checked before scanning).
    extras: tuple[tuple[Needles, ...], ...] = field(default=(), repr=False, compare=False)
    # Literals one of which every exception match contains (``None``: no such set).
    exception_literals: Needles | None = field(default=None, repr=False, compare=False)
    is_problem: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_problem", is_problem(self.category))


@dataclass(frozen=True)
class RuleSet:
    """An ordered, immutable collection of compiled rules."""

    rules: tuple[Rule, ...]

    @cached_property
    def index(self) -> PatternIndex:
        """Which patterns a sentence's words can trigger (see pattern_index.py)."""
        refs, patterns = [], []
        for ri, rule in enumerate(self.rules):
            for mi, (first, _) in enumerate(rule.matchers):
                refs.append((ri, mi))
                patterns.append((first, rule.extras[mi] if rule.extras else ()))
        return build_index(
            patterns,
            refs,
            [rule.exception_literals for rule in self.rules],
        )

    @cached_property
    def searches(self) -> list[Callable[[str, int, int], re.Match[str] | None] | None]:
        """Each pattern's compiled ``search`` by pattern number (as in ``index.refs``),
        filled in by the engine on first use: a list lookup per scan instead of two
        attribute lookups and a property call (about 2% of an analysis, measured)."""
        return [None] * len(self.index.refs)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Any:
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
        """Drop rules by id, id prefix (``centering_self.``) or category."""
        wanted = set(disabled)
        known = {r.id for r in self.rules} | {r.category for r in self.rules} | set(ALL_IDS)
        unknown = sorted(d for d in wanted if d not in known)
        if unknown:
            raise ConfigurationError(
                f"cannot disable unknown rule or category: {', '.join(unknown)} "
                "(see `allyfeedback rules`)"
            )
        return RuleSet(
            tuple(r for r in self.rules if r.id not in wanted and r.category not in wanted)
        )


def _expand(pattern: str, macros: dict[str, str], where: str) -> str:
    for _ in range(10):
        new = _MACRO_REF.sub(lambda m: _macro(m.group(1), macros, where), pattern)
        if new == pattern:
            return new
        pattern = new
    raise RuleFileError(f"{where}: macros nest too deeply (a macro refers to itself?)")


def _macro(name: str, macros: dict[str, str], where: str) -> str:
    try:
        return f"(?:{macros[name]})"
    except KeyError:
        raise RuleFileError(f"{where}: unknown macro {{{name}}}") from None


class LazyRegex:
    """A regex compiled on first use. Most patterns never meet a draft that could trigger
    them, and compiling all of them up front made the first critique slow (a command-line
    run pays that on every call). Files loaded at run time are compiled at once instead,
    so their errors show at load."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str, eager: bool = False) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = re.compile(source) if eager else None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(text, pos, endpos)


def _end_bounded(expanded: str, lead: str = "") -> str:
    # A match that starts or ends with a word character must do so at a word boundary,
    # so "sorry" never matches inside "sorryy"; punctuation at either end is free. The
    # end is asserted here; the start is checked by the engine (engine.find), because an
    # assertion at the front stops ``re`` from skipping ahead to the pattern's possible
    # first characters, which makes a scan some ten times slower. Patterns ``re`` cannot
    # skip ahead in anyway get a leading ``\b`` (``lead``, see prefilter.lead_for).
    return lead + r"(?:" + expanded + r")(?:(?!\w)|(?<=\W))"


def _expand_all(
    patterns: Sequence[str], macros: dict[str, str], where: str
) -> list[tuple[str, Tree]]:
    """Each pattern with its macros expanded, and its parse tree (parsed once here)."""
    out = []
    for p in patterns:
        expanded = _expand(p, macros, where)
        try:
            out.append((expanded, parse(expanded)))
        except re.error as exc:
            raise RuleFileError(f"{where}: bad pattern {p!r}: {exc}") from None
    return out


def _compile(
    patterns: Sequence[str], macros: dict[str, str], where: str, eager: bool
) -> tuple[LazyRegex, Needles | None]:
    """All patterns as one regex (used for exceptions, searched once per match), and
    literals one of which every match contains (``None`` if some pattern has none)."""
    parts = _expand_all(patterns, macros, where)
    joined = "|".join(f"(?:{p})" for p, _ in parts)
    literals: set[str] = set()
    for _, tree in parts:
        found = analyse_tree(tree)[0]
        if found is None:
            literals = set()
            break
        literals.update(found)
    regex = _lazy(_end_bounded(joined, lead_for([tree for _, tree in parts])), where, eager)
    return regex, (frozenset(literals) if literals else None)


def _lazy(source: str, where: str, eager: bool) -> LazyRegex:
    try:
        return LazyRegex(source, eager)
    except re.error as exc:
        raise RuleFileError(f"{where}: bad pattern: {exc}") from None


def _matchers(
    patterns: Sequence[str], macros: dict[str, str], where: str, eager: bool
) -> tuple[tuple[tuple[Needles | None, LazyRegex], ...], tuple[tuple[Needles, ...], ...]]:
    """Each pattern's (literal prefilter, regex), and the extra literal sets of each."""
    matchers, extras = [], []
    for p, tree in _expand_all(patterns, macros, where):
        needles, more = analyse_tree(tree)
        matchers.append((needles, _lazy(_end_bounded(p, lead_for([tree])), where, eager)))
        extras.append(more)
    return tuple(matchers), tuple(extras)


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{where}: not valid TOML: {exc}") from None


def parse_rule_file(
    text: str, where: str, base_macros: dict[str, str] | None = None, eager: bool = True
) -> list[Rule]:
    """Parse one rule file's text into compiled rules; errors name the file and rule.

    ``eager=False`` (the built-in, tested rules) defers compiling to first use."""
    data = _read_toml(text, where)
    try:
        spec = RuleFileSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise RuleFileError(f"{where}: {loc}: {first['msg']}") from None
    macros = dict(base_macros or {})
    macros.update(spec.macros)
    rules = []
    for r in spec.rules:
        category = r.category or spec.category
        if category is None:
            raise RuleFileError(f"{where}: rule {r.id} has no category")
        rwhere = f"{where}: rule {r.id}"
        if is_problem(category) and not (r.message and r.suggestion):
            raise RuleFileError(f"{rwhere}: a problem rule needs a message and a suggestion")
        severity: Severity = r.severity or DEFAULT_SEVERITY.get(category, "medium")
        matchers, extras = _matchers(r.patterns, macros, rwhere, eager)
        exception_regex, exception_literals = (
            _compile(r.exceptions, macros, rwhere + " (exceptions)", eager)
            if r.exceptions
            else (None, None)
        )
        rules.append(
            Rule(
                id=r.id,
                category=category,
                severity=severity,
                message=r.message.strip(),
                suggestion=r.suggestion.strip(),
                source=r.source,
                patterns=tuple(r.patterns),
                exceptions=tuple(r.exceptions),
                examples_match=tuple(r.examples.match),
                examples_no_match=tuple(r.examples.no_match),
                origin=where,
                matchers=matchers,
                extras=extras,
                exception_regex=exception_regex,
                exception_literals=exception_literals,
            )
        )
    return rules


def _builtin_files() -> list[tuple[str, str]]:
    folder = resources.files("allyfeedback") / "rules"
    return sorted(
        (f"rules/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


@lru_cache(maxsize=1)
def builtin_macros() -> dict[str, str]:
    folder = resources.files("allyfeedback") / "rules"
    data = _read_toml((folder / MACRO_FILE).read_text(encoding="utf-8"), MACRO_FILE)
    macros = data.get("macros", {})
    if not isinstance(macros, dict):
        raise RuleFileError(f"{MACRO_FILE}: [macros] must be a table")
    return {str(k): str(v) for k, v in macros.items()}


def load_ruleset(extra_files: Iterable[str] = (), disabled: Iterable[str] = ()) -> RuleSet:
    """The built-in rules plus ``extra_files``, less ``disabled`` ids or categories.

    Cached: rule sets are immutable, and compiling them is the slow part of a first call.
    The same arguments in any order or form give the same object, so a process that calls
    this and ``critique`` compiles and indexes its rules once.
    """
    if isinstance(extra_files, str) or isinstance(disabled, str):
        raise TypeError("extra_files and disabled take a list of strings, not a single string")
    return _cached_ruleset(tuple(str(f) for f in extra_files), tuple(sorted(set(disabled))))


@lru_cache(maxsize=32)
def _cached_ruleset(extra_files: tuple[str, ...], disabled: tuple[str, ...]) -> RuleSet:
    if disabled:  # built from the full set, so its rules are not parsed again
        return _cached_ruleset(extra_files, ()).without(disabled)
    macros = builtin_macros()
    rules: list[Rule] = []
    for where, text in _builtin_files():
        if where.endswith(MACRO_FILE):
            continue
        rules.extend(parse_rule_file(text, where, macros, eager=False))
    for name in extra_files:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleFileError(f"cannot read rule file {name}: {exc.__class__.__name__}") from None
        rules.extend(parse_rule_file(text, str(path.name), macros))
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleFileError(f"{r.origin}: rule id {r.id} is defined twice")
        seen.add(r.id)
    return RuleSet(tuple(rules))
