"""A one-line progress display for long runs: a bar, the count, the rate and the time left.

Redrawn in place (``\\r``) at most ten times a second, so it costs nothing next to the
work it reports on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress_line(done: int, total: int, elapsed: float, status: str = "") -> str:
    """``[#####.....] 120/1000  850/s  ETA 0:01`` (``status`` replaces the rate if given)."""
    width = 30
    filled = width * done // total if total else width
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    if status:
        return f"{line}  {status}"
    if done and elapsed > 0:
        rate = done / elapsed
        line += f"  {rate:,.0f}/s  ETA {_duration((total - done) / rate)}"
    return line


class Progress:
    def __init__(
        self,
        stream: TextIO | None,
        total: int,
        clock: Callable[[], float] = time.monotonic,
        every: float = 0.1,
    ) -> None:
        self.stream = stream
        self.total = total
        self._clock = clock
        self._start = clock()
        self._shown = -every
        self._every = every
        self._drawn = False

    def update(self, done: int, status: str = "", force: bool = False) -> None:
        if self.stream is None:
            return
        now = self._clock()
        if not force and done < self.total and now - self._shown < self._every:
            return
        self._shown = now
        line = progress_line(done, self.total, now - self._start, status)
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.stream is not None and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
