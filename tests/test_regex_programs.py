"""Compiled regex programs kept in the rule cache (regex_programs.py): a pattern built
from its stored program is the pattern ``re.compile`` builds, and a program that does
not fit this interpreter is never used."""

from __future__ import annotations

import marshal
import re
from array import array
from pathlib import Path

import pytest

from allyfeedback import regex_programs, rule_cache
from allyfeedback.compiled_rules import RuleSet
from allyfeedback.rule_files import compile_rule_files
from allyfeedback.ruleset import builtin_sources, content_key

needs_programs = pytest.mark.skipif(
    regex_programs.program("x") is None, reason="this interpreter compiles every pattern"
)


def _builtin_sources() -> list[str]:
    rs = RuleSet(tuple(compile_rule_files(builtin_sources(), ())))
    regexes = [m.regex for r in rs for m in (*r.matchers, *([r.exception] if r.exception else []))]
    return [x.source for x in regexes if not x.guarded]


@needs_programs
def test_every_builtin_pattern_is_rebuilt_exactly(dev_rows: list[dict]) -> None:
    texts = [r["text"].lower() for r in dev_rows[:120]]
    sources = _builtin_sources()
    assert len(sources) > 300
    for source in sources:
        stored = marshal.loads(marshal.dumps(regex_programs.program(source)))
        rebuilt, compiled = regex_programs.compile_pattern(source, stored), re.compile(source)
        assert rebuilt is not compiled  # really built from the program
        assert rebuilt == compiled  # CPython compares the programs themselves, word by word
        assert (rebuilt.pattern, rebuilt.flags, rebuilt.groups, rebuilt.groupindex) == (
            compiled.pattern,
            compiled.flags,
            compiled.groups,
            compiled.groupindex,
        )
        for text in texts:
            a, b = rebuilt.search(text), compiled.search(text)
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), source


@needs_programs
def test_the_cache_keeps_programs_and_uses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLYFEEDBACK_CACHE_DIR", str(tmp_path))
    key = content_key(())
    rule_cache.save(key, RuleSet(tuple(compile_rule_files(builtin_sources(), ()))))
    cached = rule_cache.load(key)
    assert cached is not None
    regexes = [m.regex for r in cached for m in r.matchers]
    assert regexes and all(x.program is not None for x in regexes)
    regexes[0].compile()
    assert regexes[0].program is None  # used once, then dropped
    # A program from another interpreter (or another version of _sre) is not used.
    entry = next(tmp_path.glob("rules-*"))
    data = marshal.loads(entry.read_bytes())
    data["regex_maker"] = ("another", (9, 9), 0)
    entry.write_bytes(marshal.dumps(data))
    other = rule_cache.load(key)
    assert other is not None and all(m.regex.program is None for r in other for m in r.matchers)


@needs_programs
def test_a_damaged_program_falls_back_to_re_compile() -> None:
    source = r"\b(?:i am|im) sorry(?P<mark>!)?"
    flags, _, groups, groupindex, indexgroup = regex_programs.program(source)  # type: ignore[misc]
    damaged = (flags, array("I", [99999] * 8).tobytes(), groups, groupindex, indexgroup)
    pattern = regex_programs.compile_pattern(source, damaged)
    assert pattern.search("well im sorry!").group("mark") == "!"  # type: ignore[union-attr]
    assert regex_programs.compile_pattern(source, None).pattern == source
