"""Building a large structure that is kept for the whole process (the rule set from its
cache, the learned model) without the garbage collector's passes: every object made is
kept, so each pass finds nothing to free, yet one ran every few hundred allocations,
about 5 ms of a command-line check (docs/performance.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No collection while the block runs; a collector the caller had switched off
    stays off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
