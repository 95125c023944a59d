"""``load_ruleset``: the rules in force, found and cached.

The built-in rule files and the user's are read at every call; the compiled rules
(``compiled_rules.py``) are cached twice, both times by the content of every rule file,
so an edited file is picked up at once and nothing is ever stale: in memory for the life
of the process, and on disk (``rule_cache.py``) so that a command line call does not
parse a few hundred regexes at every start. On a miss, ``rule_files.py`` compiles them.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from . import rule_cache
from .compiled_rules import (
    USER_PATTERN_BUDGET,
    LazyRegex,
    Matcher,
    PatternTimeout,
    Rule,
    RuleSet,
    Search,
    index_rules,
)
from .errors import RuleFileError

__all__ = [
    "USER_PATTERN_BUDGET",
    "LazyRegex",
    "Matcher",
    "PatternTimeout",
    "Rule",
    "RuleSet",
    "Search",
    "builtin_macros",
    "builtin_sources",
    "content_key",
    "index_rules",
    "load_ruleset",
    "parse_rule_file",
]

# --- loading ------------------------------------------------------------------------

# Everything whose change changes the compiled rules, besides the rule files: the code
# that compiles and indexes them. Its bytes are part of the content hash.
_COMPILER_MODULES = (
    "prefilter.py",
    "pattern_index.py",
    "rule_files.py",
    "compiled_rules.py",
    "regex_programs.py",
    "rule_cache.py",
    "ruleset.py",
)


@lru_cache(maxsize=1)
def builtin_sources() -> tuple[tuple[str, str], ...]:
    """The built-in rule files (the macro file among them) as (name, text)."""
    folder = Path(__file__).parent / "rules"
    return tuple(
        sorted(
            (f"rules/{entry.name}", entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if entry.name.endswith(".toml")
        )
    )


@lru_cache(maxsize=1)
def _compiler_digest() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for name in _COMPILER_MODULES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def builtin_macros() -> dict[str, str]:
    from .rule_files import macros_of  # (rule_files brings pydantic: only when needed)

    return macros_of(builtin_sources())


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
    cached = rule_cache.load(key)
    if cached is not None:
        return cached
    from .rule_files import compile_rule_files

    ruleset = RuleSet(tuple(compile_rule_files(builtin_sources(), user_files)))
    rule_cache.save(key, ruleset)
    return ruleset
