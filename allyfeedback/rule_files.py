"""Reading rule files: TOML text in, checked and compiled ``Rule`` objects out.

A rule file is data, in the spirit of LanguageTool's rule files and Vale's styles: each
rule names its category, the patterns that find it, the exceptions that veto a match
(near-misses), the message and suggestion a person reads, the part of the guidance it
comes from, and examples that must and must not match. Every field is checked here, and
every error is one line naming the file and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._toml import tomllib
from .compiled_rules import LazyRegex, Matcher, Rule
from .errors import RuleFileError
from .prefilter import Parsed, analyse_tree, lead_for, parse
from .taxonomy import ALL_IDS, DEFAULT_SEVERITY, Severity, is_problem

MACRO_FILE = "macros.toml"
_MACRO_REF = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_MACRO_NAME = r"^[A-Z][A-Z0-9_]*$"


def _known_category(value: str | None) -> str | None:
    if value is not None and value not in ALL_IDS:
        raise ValueError(f"unknown category {value!r}; use one of {', '.join(ALL_IDS)}")
    return value


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
    source: str = Field(min_length=1)
    examples: RuleExamples

    _category = field_validator("category")(_known_category)


class RuleFileSpec(BaseModel):
    """A rule file: an optional default category, macros, and rules."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    macros: dict[str, str] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)

    _category = field_validator("category")(_known_category)

    @field_validator("macros")
    @classmethod
    def _macro_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.match(_MACRO_NAME, name):
                raise ValueError(f"macro name {name!r} must be upper case, like ADV or MY_WORDS")
        return value


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{where}: not valid TOML: {exc}") from None


def read_macros(text: str, where: str) -> dict[str, str]:
    """The ``[macros]`` table of the built-in macro file."""
    data = _read_toml(text, where)
    macros = data.get("macros", {})
    if not isinstance(macros, dict) or not all(isinstance(v, str) for v in macros.values()):
        raise RuleFileError(f"{where}: [macros] must be a table of strings")
    return {str(k): v for k, v in macros.items()}


def _validation_error(exc: ValidationError, data: dict[str, Any], where: str) -> RuleFileError:
    """One line naming the file, the rule (by id when it has one) and the field."""
    first = exc.errors()[0]
    loc = list(first["loc"])
    place = where
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rule = data["rules"][loc[1]]
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        place += f": rule {rule_id}" if isinstance(rule_id, str) else f": rule #{loc[1] + 1}"
        loc = loc[2:]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (see docs/rules.md for the keys a rule file may have)"
    field = ".".join(str(x) for x in loc)
    return RuleFileError(f"{place}: {field}: {message}" if field else f"{place}: {message}")


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


def _end_bounded(expanded: str, lead: str = "") -> str:
    # A match that starts or ends with a word character must do so at a word boundary,
    # so "sorry" never matches inside "sorryy"; punctuation at either end is free. The
    # end is asserted here; the start is checked by the engine (engine.find), because an
    # assertion at the front stops ``re`` from skipping ahead to the pattern's possible
    # first characters, which makes a scan many times slower. Patterns ``re`` cannot
    # skip ahead in anyway get a leading ``\b`` (``lead``, see prefilter.lead_for).
    return lead + r"(?:" + expanded + r")(?:(?!\w)|(?<=\W))"


def _expand_all(
    patterns: Sequence[str], macros: dict[str, str], where: str
) -> list[tuple[str, Parsed]]:
    """Each pattern with its macros expanded, and its parse (parsed once here). A
    pattern that can match empty text is refused: it would match everywhere, so it can
    only be a mistake (an optional group around everything, or ``.*``)."""
    out = []
    for p in patterns:
        expanded = _expand(p, macros, where)
        try:
            parsed = parse(expanded)
        except re.error as exc:
            raise RuleFileError(f"{where}: bad pattern {p!r}: {exc}") from None
        if parsed.can_be_empty:
            raise RuleFileError(
                f"{where}: pattern {p!r} can match empty text, so it would match "
                "everywhere; make at least one word of it required"
            )
        out.append((expanded, parsed))
    return out


def _regex(source: str, where: str, eager: bool, guarded: bool) -> LazyRegex:
    """Built-in patterns compile on first use with ``re``; a user's compile at once
    (``eager``), and are guarded (see ``ruleset.LazyRegex``)."""
    try:
        return LazyRegex(source, eager, guarded)
    except re.error as exc:
        raise RuleFileError(f"{where}: bad pattern: {exc}") from None


def _matchers(
    patterns: Sequence[str], macros: dict[str, str], where: str, eager: bool
) -> tuple[Matcher, ...]:
    """Each pattern compiled, with its literal sets."""
    matchers = []
    for p, parsed in _expand_all(patterns, macros, where):
        literals, extras = analyse_tree(parsed.tree)
        regex = _regex(_end_bounded(p, lead_for([parsed.tree])), where, eager, guarded=eager)
        matchers.append(Matcher(regex, literals, extras))
    return tuple(matchers)


def _exception(
    patterns: Sequence[str], macros: dict[str, str], where: str, eager: bool, guarded: bool
) -> Matcher:
    """All exceptions as one regex (searched once per sentence a match is in), with
    literals one of which every match contains (``None`` if some exception has none)."""
    parts = _expand_all(patterns, macros, where)
    joined = "|".join(f"(?:{p})" for p, _ in parts)
    literals: set[str] = set()
    for _, parsed in parts:
        found = analyse_tree(parsed.tree)[0]
        if found is None:
            literals = set()
            break
        literals.update(found)
    lead = lead_for([parsed.tree for _, parsed in parts])
    regex = _regex(_end_bounded(joined, lead), where, eager, guarded)
    return Matcher(regex, frozenset(literals) if literals else None)


def _check_macros(macros: dict[str, str], where: str) -> None:
    """Every macro of a file must expand and parse, used or not."""
    for name, body in macros.items():
        expanded = _expand(body, macros, f"{where}: macro {name}")
        try:
            parse(expanded)
        except re.error as exc:
            raise RuleFileError(f"{where}: macro {name}: bad pattern {body!r}: {exc}") from None


def parse_rule_file(
    text: str, where: str, base_macros: dict[str, str] | None = None, eager: bool = True
) -> list[Rule]:
    """Parse one rule file's text into compiled rules; errors name the file and rule.

    ``eager=False`` (the built-in rules, tested against hostile drafts) defers compiling
    to first use and runs the patterns unguarded, with ``re``."""
    data = _read_toml(text, where)
    try:
        spec = RuleFileSpec.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, data, where) from None
    _check_macros(spec.macros, where)
    macros = dict(base_macros or {})
    macros.update(spec.macros)
    rules = []
    for r in spec.rules:
        rwhere = f"{where}: rule {r.id}"
        category = r.category or spec.category
        if category is None:
            raise RuleFileError(f"{rwhere}: no category (set one for the rule or the file)")
        if is_problem(category) and not (r.message.strip() and r.suggestion.strip()):
            raise RuleFileError(f"{rwhere}: a problem rule needs a message and a suggestion")
        if r.severity is not None and not is_problem(category):
            raise RuleFileError(
                f"{rwhere}: severity is for problems only; {category} is an element"
            )
        severity: Severity = r.severity or DEFAULT_SEVERITY.get(category, "medium")
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
                matchers=_matchers(r.patterns, macros, rwhere, eager),
                exception=(
                    _exception(r.exceptions, macros, rwhere + " (exceptions)", eager, eager)
                    if r.exceptions
                    else None
                ),
            )
        )
    return rules


def macros_of(builtin: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The built-in macros, from the built-in files given as (name, text)."""
    for where, text in builtin:
        if where.endswith(MACRO_FILE):
            return read_macros(text, MACRO_FILE)
    raise RuleFileError(f"the built-in rules have no {MACRO_FILE}")


def compile_rule_files(
    builtin: Sequence[tuple[str, str]], user: Sequence[tuple[str, str]]
) -> list[Rule]:
    """The rules of the built-in files and then the user's files, each given as
    (name, text); a rule id defined twice is an error."""
    macros = macros_of(builtin)
    rules: list[Rule] = []
    for where, text in builtin:
        if not where.endswith(MACRO_FILE):
            rules.extend(parse_rule_file(text, where, macros, eager=False))
    for where, text in user:
        rules.extend(parse_rule_file(text, where, macros))
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleFileError(f"{r.origin}: rule id {r.id} is defined twice")
        seen.add(r.id)
    return rules
