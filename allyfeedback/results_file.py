"""The ``--out`` file of a batch: checked before it is touched, repaired, appended to.

Safety first, because the file may hold hours of paid work or may not be ours at all:

- it is never the input (also not through a link);
- an existing file is used only if it is a previous result file for the same input: every
  line a result (``{"id", "ok", ...}``) for an id of the input; anything else is refused,
  and nothing is written;
- a torn last line (a killed run) is cut off by one truncation, after every line before
  it was checked; the file is read line by line, never whole.

Appending: each result line goes to the operating system in one ``write`` before it is
counted as written, so killing the process at any moment loses nothing counted; the file
is synced to the disk at most once a second and when the run ends (a power cut can lose
the last second; a rerun redoes it).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Container
from pathlib import Path
from types import TracebackType
from typing import Any

from .batch_input import MAX_LINE_BYTES, bounded_lines
from .errors import AllyFeedbackError

SYNC_EVERY = 1.0  # seconds between fsyncs while appending
_ROW_START = b'{"id": '  # how every line this module's callers write begins


class NotOursError(AllyFeedbackError):
    """``--out`` names a file that is not a result file for this input."""


def _is_result(row: object) -> bool:
    return isinstance(row, dict) and "id" in row and isinstance(row.get("ok"), bool)


def _torn(line: bytes) -> bool:
    """Whether ``line`` can be the start of a result line cut short by a kill (a whole
    line goes out in one write, so only the last line can be torn, and has no newline)."""
    head = line[: len(_ROW_START)]
    return not line.endswith(b"\n") and head == _ROW_START[: len(head)]


def check_not_input(in_path: str | Path, out_path: str | Path) -> None:
    """Refuse an output path that is the input file, by name or through a link."""
    out = Path(out_path)
    same = Path(in_path).resolve() == out.resolve()
    if not same and out.exists():
        try:
            same = os.path.samefile(in_path, out)
        except OSError:
            same = False
    if same:
        raise NotOursError(f"--out {out_path} is the input file; name a new file for results")


def done_ids(
    out_path: str | Path, input_ids: Container[str], input_name: str = "the input"
) -> set[str]:
    """The ids already in ``out_path``, after checking that it is ours and repairing a
    torn last line; an empty set if there is no such file yet."""
    out = Path(out_path)
    if out.exists() and not out.is_file():
        raise NotOursError(
            f"--out {out_path} is not a regular file (a folder, a device or a pipe); "
            "name a file for results"
        )
    try:
        fh = open(out, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise AllyFeedbackError(f"cannot read {out_path}: {exc.strerror or exc}") from None
    done: set[str] = set()
    good_end = 0
    with fh:
        for number, line in enumerate(bounded_lines(fh), 1):
            row: Any = None
            if len(line) <= MAX_LINE_BYTES:
                with contextlib.suppress(ValueError):
                    row = json.loads(line)
            if not _is_result(row):
                if len(line) <= MAX_LINE_BYTES and _torn(line):
                    break  # the last line, cut short by a kill: cut off below and redone
                raise NotOursError(
                    f"--out {out_path} is not an allyfeedback result file (line {number}); "
                    "name a new file or a previous result file of this input"
                )
            key = str(row["id"])
            if key not in input_ids:
                raise NotOursError(
                    f"--out {out_path} holds results for id {key!r}, which is not in "
                    f"{input_name}; name a new file or a previous result file of this input"
                )
            if not line.endswith(b"\n"):
                break  # a whole result with its newline torn off: redone like any torn line
            done.add(key)
            good_end += len(line)
        size = fh.seek(0, os.SEEK_END)
    if good_end != size:
        _cut(out, good_end)
    return done


def _cut(path: Path, size: int) -> None:
    """Cut a torn line off the end: one truncation (the file is either as it was or cut,
    never anything between), synced to the disk."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``path``, sync it, and rename it over ``path``:
    at any moment the file is either the old one or the new one, never a mix."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Appender:
    """Appends whole lines: one ``write`` each, an fsync at most every ``SYNC_EVERY``
    seconds and at close."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as exc:
            raise AllyFeedbackError(f"cannot write {path}: {exc.strerror or exc}") from None
        self._clock = clock
        self._synced = clock()

    def write(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        try:
            while data:  # after a short write (a full disk) the next try raises
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            raise AllyFeedbackError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        if self._clock() - self._synced >= SYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._fd)
        self._synced = self._clock()

    def close(self) -> None:
        if self._fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> Appender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
