"""Reading drafts for the command line: named files, globs and standard input, bounded.

A draft is read at most up to its limit plus one character, so ``yes | allyfeedback
check`` or a 500 MB file is refused after a few kilobytes, in bounded memory, instead of
being read whole just to be told it is too long. Every failure is an ``InputError``
whose message is one line naming the file and saying what to do.
"""

from __future__ import annotations

import codecs
import glob
import os
from collections.abc import Iterable
from typing import BinaryIO, TextIO

from .errors import InvalidDraftError

STDIN = "-"
STDIN_NAME = "<stdin>"
_CHUNK = 64 * 1024


class InputError(InvalidDraftError):
    """A draft file cannot be used: missing, unreadable, not UTF-8, empty or too long."""


def expand(patterns: Iterable[str]) -> list[str]:
    """File names for ``check FILE...``: each pattern that names an existing file (or
    ``-``) stays as it is; one with ``*``, ``?`` or ``[`` is expanded (``**`` recurses),
    sorted. A pattern that matches nothing is an error, so a typo never passes silently."""
    names: list[str] = []
    for pattern in patterns:
        if pattern == STDIN or os.path.exists(pattern) or not glob.has_magic(pattern):
            names.append(pattern)
            continue
        found = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        if not found:
            raise InputError(f"{pattern}: no file matches; check the pattern or quote it")
        names.extend(found)
    if names.count(STDIN) > 1:
        raise InputError("- (standard input) given twice; it can be read only once")
    return names


def display_name(name: str) -> str:
    return STDIN_NAME if name == STDIN else name


def read_text(name: str, limit: int, stdin: TextIO, what: str = "draft") -> str:
    """The text of file ``name`` (or standard input for ``-``) as UTF-8 (a BOM is
    dropped), read up to ``limit + 1`` characters and refused when longer than ``limit``."""
    shown = display_name(name)
    if name == STDIN:
        if stdin.isatty():
            raise InputError("no draft given: pass a FILE or pipe the draft on stdin")
        buffer = getattr(stdin, "buffer", None)
        text = (
            _read_bounded(buffer, limit, shown)
            if buffer is not None
            else stdin.read(limit + 1)  # an in-memory stream, already text
        )
    else:
        if os.path.isdir(name):
            raise InputError(f"{name}: is a folder; name a text file (or a glob such as *.txt)")
        try:
            with open(name, "rb") as fh:
                text = _read_bounded(fh, limit, shown)
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(text) > limit:
        raise InputError(
            f"{shown}: {what} is too long; the limit is {limit:,} characters "
            "(shorten it, or raise the limit with --max-chars N)"
        )
    return text


def _read_bounded(raw: BinaryIO, limit: int, shown: str) -> str:
    """At most ``limit + 1`` characters of UTF-8 from ``raw``, decoded as they come, so
    memory stays bounded by the limit whatever the size of the input."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts: list[str] = []
    have = 0
    offset = 0
    while have <= limit:
        chunk = raw.read(_CHUNK)
        try:
            piece = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{shown}: not UTF-8 text (near byte {offset + exc.start:,}); save it as UTF-8"
            ) from None
        parts.append(piece)
        have += len(piece)
        offset += len(chunk)
        if not chunk:
            break
    return "".join(parts)[: limit + 1]
