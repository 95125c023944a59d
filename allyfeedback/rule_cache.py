"""A compiled rule set kept on disk, so a command-line call does not parse every rule
pattern and build the pattern index at each start (most of its CPU time before; see
docs/performance.md).

The file is named by the content hash of everything the compiled rules depend on (the
loader's own code, the Python version, the built-in rule files and the user's rule
files, see ``ruleset.content_key``), so an edited file or an upgrade gets a new entry
and an old entry can never be read for new rules. It holds only plain values (strings,
numbers, tuples, frozensets, dicts) in ``marshal`` format, which reads them in C, about
twenty times faster than the same data as JSON; unlike ``pickle``, reading it creates
no objects of our classes and runs no code. Each built-in pattern's compiled regex
program is kept too (``regex_programs.py``), so a call does not parse the patterns its
draft calls for either. The folder is ``$ALLYFEEDBACK_CACHE_DIR``,
else ``$XDG_CACHE_HOME/allyfeedback``, else ``~/.cache/allyfeedback``; set
``ALLYFEEDBACK_CACHE_DIR`` to an empty string to keep nothing on disk. Any failure to
read or write (no such folder, no permission, a damaged file) falls back silently to
compiling the rules in the process: the cache only saves time.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

from .compiled_rules import LazyRegex, Matcher, Rule, RuleSet
from .pattern_index import Found, PatternIndex, PatternRef
from .quiet_gc import gc_paused
from .regex_programs import MAKER, program

FORMAT = 4
_KEEP = 8  # entries kept; older ones are removed when a new one is written


def cache_dir() -> Path | None:
    """Where compiled rule sets are kept (``None``: nowhere)."""
    chosen = os.environ.get("ALLYFEEDBACK_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "allyfeedback"


def _path(key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"rules-{key[:40]}.marshal"


def load(key: str) -> RuleSet | None:
    """The rule set stored under ``key``, or ``None`` (none stored, or unreadable)."""
    path = _path(key)
    if path is None:
        return None
    try:
        with gc_paused():
            data = marshal.loads(path.read_bytes())
            if data["format"] != FORMAT or data["key"] != key:
                return None
            return _ruleset(data, programs=data["regex_maker"] == MAKER)
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError):
        return None


def save(key: str, ruleset: RuleSet) -> None:
    """Store ``ruleset`` under ``key`` (atomically; silently not, if the folder cannot be
    written)."""
    path = _path(key)
    if path is None:
        return
    import tempfile  # (only when writing: a cache hit does not pay for the import)

    data = {"format": FORMAT, "key": key, "regex_maker": MAKER, **_plain(ruleset)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                marshal.dump(data, fh)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _prune(path.parent)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("rules-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEEP:]:
        old.unlink(missing_ok=True)


# --- to and from plain values ---------------------------------------------------------


def _matcher(m: Matcher) -> tuple[Any, ...]:
    # The regex's compiled program too (a user's guarded pattern runs under ``regex``).
    compiled = None if m.regex.guarded else program(m.regex.source)
    return (m.regex.source, m.regex.guarded, m.literals, m.extras, compiled)


def _rule(r: Rule) -> dict[str, Any]:
    return {
        "id": r.id,
        "category": r.category,
        "severity": r.severity,
        "message": r.message,
        "suggestion": r.suggestion,
        "source": r.source,
        "patterns": r.patterns,
        "exceptions": r.exceptions,
        "examples_match": r.examples_match,
        "examples_no_match": r.examples_no_match,
        "origin": r.origin,
        "matchers": tuple(map(_matcher, r.matchers)),
        "exception": None if r.exception is None else _matcher(r.exception),
    }


def _plain(rs: RuleSet) -> dict[str, Any]:
    ix = rs.index
    return {
        "rules": tuple(map(_rule, rs.rules)),
        "index": {
            "refs": tuple(map(tuple, ix.refs)),
            "required": ix.required,
            "always": ix.always,
            "exception_bits": ix.exception_bits,
            "single": {test: tuple(f) for test, f in ix.single.items()},
            "starts": ix.starts,
            "ends": ix.ends,
            "pair_found": tuple(map(tuple, ix.pair_found)),
            "whole": ix.whole,
            "starting": ix.starting,
            "ending": ix.ending,
            "inside": ix.inside,
            "key_sizes": ix.key_sizes,
        },
    }


def _to_matcher(value: tuple[Any, ...], programs: bool) -> Matcher:
    source, guarded, literals, extras, compiled = value
    regex = LazyRegex(source, guarded=guarded, program=compiled if programs else None)
    return Matcher(regex, literals, extras)


def _to_rule(d: dict[str, Any], programs: bool) -> Rule:
    matchers, exception = d.pop("matchers"), d.pop("exception")
    return Rule(
        **d,
        matchers=tuple(_to_matcher(m, programs) for m in matchers),
        exception=None if exception is None else _to_matcher(exception, programs),
    )


def _ruleset(data: dict[str, Any], programs: bool) -> RuleSet:
    ix = data["index"]
    found = Found._make
    index = PatternIndex(
        refs=tuple(map(PatternRef._make, ix["refs"])),
        required=ix["required"],
        always=ix["always"],
        exception_bits=ix["exception_bits"],
        single={test: found(f) for test, f in ix["single"].items()},
        starts=ix["starts"],
        ends=ix["ends"],
        pair_found=tuple(map(found, ix["pair_found"])),
        whole=ix["whole"],
        starting=ix["starting"],
        ending=ix["ending"],
        inside=ix["inside"],
        key_sizes=ix["key_sizes"],
    )
    return RuleSet(tuple(_to_rule(r, programs) for r in data["rules"]), index)
