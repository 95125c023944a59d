"""A compiled rule set kept on disk, so a command-line call does not parse every rule
pattern and build the pattern index at each start (most of its CPU time before; see
docs/performance.md).

The file is named by the content hash of everything the compiled rules depend on (the
loader's own code, the built-in rule files and the user's rule files, see
``ruleset.content_key``), so an edited file or an upgrade gets a new entry and an old
entry can never be read for new rules. It is plain JSON: reading it runs no code. The
folder is ``$ALLYFEEDBACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/allyfeedback``, else
``~/.cache/allyfeedback``; set ``ALLYFEEDBACK_CACHE_DIR`` to an empty string to keep
nothing on disk. Any failure to read or write (no such folder, no permission, a damaged
file) falls back silently to compiling the rules in the process: the cache only saves
time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .pattern_index import Found, PatternIndex, PatternRef
from .ruleset import LazyRegex, Matcher, Rule, RuleSet

FORMAT = 2
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
    return None if folder is None else folder / f"rules-{key[:40]}.json"


def load(key: str) -> RuleSet | None:
    """The rule set stored under ``key``, or ``None`` (none stored, or unreadable)."""
    path = _path(key)
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        if data["format"] != FORMAT or data["key"] != key:
            return None
        return _ruleset(data)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save(key: str, ruleset: RuleSet) -> None:
    """Store ``ruleset`` under ``key`` (atomically; silently not, if the folder cannot be
    written)."""
    path = _path(key)
    if path is None:
        return
    import tempfile  # (only when writing: a cache hit does not pay for the import)

    data = {"format": FORMAT, "key": key, **_plain(ruleset)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _prune(path.parent)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("rules-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEEP:]:
        old.unlink(missing_ok=True)


# --- to and from plain JSON values ----------------------------------------------------


def _sorted(literals: frozenset[str] | None) -> list[str] | None:
    return None if literals is None else sorted(literals)


def _matcher(m: Matcher) -> list[Any]:
    return [m.regex.source, m.regex.guarded, _sorted(m.literals), [sorted(e) for e in m.extras]]


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
        "matchers": [_matcher(m) for m in r.matchers],
        "exception": None if r.exception is None else _matcher(r.exception),
    }


def _found(f: Found) -> list[Any]:
    return [sorted(f.patterns), f.bits]


def _plain(rs: RuleSet) -> dict[str, Any]:
    ix = rs.index
    return {
        "rules": [_rule(r) for r in rs.rules],
        "index": {
            "refs": ix.refs,
            "required": ix.required,
            "always": ix.always,
            "exception_bits": ix.exception_bits,
            "single": [[*test, *_found(f)] for test, f in ix.single.items()],
            "starts": [[*test, bits] for test, bits in ix.starts.items()],
            "ends": [[*test, bits] for test, bits in ix.ends.items()],
            "pair_found": [_found(f) for f in ix.pair_found],
            "whole": sorted(ix.whole),
            "starting": ix.starting,
            "ending": ix.ending,
            "inside": ix.inside,
            "key_sizes": ix.key_sizes,
        },
    }


def _literals(value: list[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _to_matcher(value: list[Any]) -> Matcher:
    source, guarded, literals, extras = value
    regex = LazyRegex(source, guarded=bool(guarded))
    return Matcher(regex, _literals(literals), tuple(map(frozenset, extras)))


def _to_rule(d: dict[str, Any]) -> Rule:
    return Rule(
        id=d["id"],
        category=d["category"],
        severity=d["severity"],
        message=d["message"],
        suggestion=d["suggestion"],
        source=d["source"],
        patterns=tuple(d["patterns"]),
        exceptions=tuple(d["exceptions"]),
        examples_match=tuple(d["examples_match"]),
        examples_no_match=tuple(d["examples_no_match"]),
        origin=d["origin"],
        matchers=tuple(map(_to_matcher, d["matchers"])),
        exception=None if d["exception"] is None else _to_matcher(d["exception"]),
    )


def _to_found(value: list[Any]) -> Found:
    return Found(frozenset(value[0]), value[1])


def _keyed(table: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(tokens) for key, tokens in table.items()}


def _ruleset(data: dict[str, Any]) -> RuleSet:
    ix = data["index"]
    index = PatternIndex(
        refs=tuple(PatternRef(r, m) for r, m in ix["refs"]),
        required=tuple(ix["required"]),
        always=tuple(ix["always"]),
        exception_bits=tuple(ix["exception_bits"]),
        single={(k, t): Found(frozenset(p), b) for k, t, p, b in ix["single"]},
        starts={(k, t): bits for k, t, bits in ix["starts"]},
        ends={(k, t): bits for k, t, bits in ix["ends"]},
        pair_found=tuple(map(_to_found, ix["pair_found"])),
        whole=frozenset(ix["whole"]),
        starting=_keyed(ix["starting"]),
        ending=_keyed(ix["ending"]),
        inside=_keyed(ix["inside"]),
        key_sizes=tuple(ix["key_sizes"]),
    )
    return RuleSet(tuple(map(_to_rule, data["rules"])), index)
