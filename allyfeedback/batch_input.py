"""Reading a batch's input: one ``{"id", "text", "situation"}`` object per JSONL line.

The file is read as bytes and decoded line by line, so one bad line (not UTF-8, not JSON,
no id, a repeated id) is reported with its number and skipped while the rest runs. It is
streamed, never held whole: a corpus larger than memory still works.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import AllyFeedbackError


@dataclass(frozen=True)
class Draft:
    """One good input line."""

    line: int
    id: str
    text: str
    situation: str | None


@dataclass(frozen=True)
class BadLine:
    line: int
    message: str


OnBadLine = Callable[[BadLine], None]
MAX_LINE_BYTES = 16 << 20  # far above any draft the limits allow; bounds memory per line


def bounded_lines(fh: BinaryIO) -> Iterator[bytes]:
    """The file's lines, except that a line longer than ``MAX_LINE_BYTES`` comes back as
    its first ``MAX_LINE_BYTES + 1`` bytes (the rest is read and dropped), so no line can
    fill the memory."""
    while line := fh.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line


def parse_line(raw: bytes, line: int) -> Draft:
    """One input line as a ``Draft``, or ``ValueError`` saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
        ) from None
    row = json.loads(text)
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    if "id" not in row or "text" not in row:
        raise ValueError('needs "id" and "text"')
    situation = row.get("situation")
    if situation is not None and not isinstance(situation, str):
        raise ValueError('"situation" must be text or null')
    return Draft(line, str(row["id"]), row["text"], situation)


def read_drafts(path: str | Path, on_bad_line: OnBadLine | None = None) -> Iterator[Draft]:
    """The good lines of ``path`` in order; each bad one goes to ``on_bad_line``."""
    seen: set[str] = set()
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the last line
    except OSError as exc:
        raise AllyFeedbackError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        for number, raw in enumerate(bounded_lines(fh), 1):
            line = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw
            if not line.strip():
                continue
            try:
                if len(line) > MAX_LINE_BYTES:
                    raise ValueError(f"longer than {MAX_LINE_BYTES >> 20} MiB; not a draft")
                draft = parse_line(line, number)
                if draft.id in seen:
                    raise ValueError(f"duplicate id {draft.id!r}")
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                if on_bad_line is not None:
                    on_bad_line(BadLine(number, str(exc)))
                continue
            seen.add(draft.id)
            yield draft
