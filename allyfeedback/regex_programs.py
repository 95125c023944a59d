"""Compiled regex programs, kept with the rule cache (``rule_cache.py``), so that a
command-line call does not parse again the rule patterns a draft calls for.

CPython's ``re`` parses a pattern in Python and then hands the program (a list of
integers) to its C engine, ``_sre``. Parsing the thirty to sixty patterns a 100-word
draft calls for was about a quarter of the instructions of an ``allyfeedback check``
(see docs/performance.md); building them from stored programs takes well under 1 ms. A
program is stored with the interpreter's name, its full version string (build
included) and ``_sre.MAGIC`` (the program format's version), and it is used only when
all three match; ``_sre`` checks the program before it runs it. Any other case, another
interpreter, an older Python or an error, compiles the pattern with ``re.compile`` as
before: a stored program only saves time.
"""

from __future__ import annotations

import re
import sys
from array import array
from typing import Any

try:  # CPython 3.11 on; elsewhere every pattern is compiled by ``re.compile``
    import _sre  # type: ignore[import-not-found]
    from re import _compiler, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another interpreter or an older Python
    _sre = None

# What a stored program was made by; a program from anything else is not used.
MAKER: tuple[Any, ...] = (sys.implementation.name, sys.version, getattr(_sre, "MAGIC", None))
_WORD = "I"  # the code words, stored as bytes of unsigned ints of _sre's size
_USABLE = _sre is not None and array(_WORD).itemsize == getattr(_sre, "CODESIZE", 0)

Program = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]


def program(source: str) -> Program | None:
    """The compiled program of ``source`` as plain values (marshal can store them), or
    ``None`` where programs are not used. Done as ``re.compile`` does it."""
    if not _USABLE:
        return None
    parsed = _parser.parse(source, 0)
    code = _compiler._code(parsed, 0)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    words = array(_WORD, [int(c) for c in code]).tobytes()
    return int(parsed.state.flags), words, parsed.state.groups - 1, groupindex, tuple(indexgroup)


def compile_pattern(source: str, stored: Program | None) -> re.Pattern[str]:
    """``re.compile(source)``, built from ``stored`` when there is one."""
    if stored is not None and _USABLE:
        try:
            flags, words, groups, groupindex, indexgroup = stored
            pattern: re.Pattern[str] = _sre.compile(
                source, flags, array(_WORD, words).tolist(), groups, groupindex, indexgroup
            )
            return pattern
        except (TypeError, ValueError, RuntimeError):  # not a program this _sre runs
            pass
    return re.compile(source)
