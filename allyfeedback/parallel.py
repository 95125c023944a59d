"""The rule engine on every core: critiques in worker processes, results in input order.

The rule engine is pure Python, so threads cannot run it on two cores at once; processes
can. Work goes out in chunks (one pickling round trip per chunk, not per draft), at most a
few chunks per worker in flight (a file larger than memory streams through), and results
come back in input order. Where the platform can fork and the caller runs no other
thread, workers are forked after the parent has loaded the rules, so they start at once
and share that memory; otherwise they are spawned and load the rules themselves.

A worker that loses its parent (the parent was killed) exits within a second instead of
waiting for work forever.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from .errors import AllyFeedbackError

Critic = Callable[[str, "str | None"], Any]  # (draft, situation) -> Feedback
T = TypeVar("T")
R = TypeVar("R")

CHUNK = 32  # drafts per round trip: enough work that pickling is a small share of it
IN_FLIGHT = 4  # chunks per worker queued or running

_critic: Critic | None = None  # this worker's critic, set by _start_worker


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_jobs(jobs: int | None) -> int:
    if jobs is None:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1, not {jobs!r}")
    return jobs


@dataclass(frozen=True)
class ResultLine:
    """One line of batch output, and whether its draft was critiqued."""

    ok: bool
    text: str


def result_line(critic: Critic, key: str, text: str, situation: str | None) -> ResultLine:
    """The JSON line the batch output holds for one draft: its feedback, or the reason it
    cannot be critiqued."""
    head = '{"id": ' + json.dumps(key, ensure_ascii=False)
    try:
        fb = critic(text, situation)
    except (AllyFeedbackError, TypeError, ValueError) as exc:
        return ResultLine(
            False, f'{head}, "ok": false, "error": {json.dumps(str(exc), ensure_ascii=False)}}}'
        )
    return ResultLine(True, f'{head}, "ok": true, "feedback": {fb.model_dump_json()}}}')


def critique_or_error(critic: Critic, text: str, situation: str | None) -> Any:
    """The feedback, or the exception that explains why there is none (as ``critique_many``
    returns it)."""
    try:
        return critic(text, situation)
    except (AllyFeedbackError, TypeError, ValueError) as exc:
        return exc


# --- in the worker -----------------------------------------------------------------------
def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)  # the parent is gone: nobody will read our results


def _start_worker(critic: Critic, parent: int) -> None:
    global _critic
    _critic = critic
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _lines(chunk: list[tuple[str, str, str | None]]) -> list[ResultLine]:
    assert _critic is not None
    return [result_line(_critic, *item) for item in chunk]


def _feedbacks(chunk: list[tuple[str, str | None]]) -> list[Any]:
    assert _critic is not None
    return [critique_or_error(_critic, *item) for item in chunk]


# --- in the parent -----------------------------------------------------------------------
def _context() -> Any:
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _in_processes(
    critic: Critic,
    work: Callable[[list[T]], list[R]],
    items: Iterable[T],
    jobs: int,
    chunk: int,
) -> Iterator[list[R]]:
    """``work`` over ``items`` in ``jobs`` processes, one list of results per chunk, in
    input order."""
    context = _context()
    if context.get_start_method() == "fork":
        # Load the rules here, once, before forking: every worker then has them.
        critique_or_error(critic, "I'm sorry.", None)
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(critic, os.getpid()),
    )
    pending: deque[Future[list[R]]] = deque()
    finished = False
    try:
        for part in _chunks(items, chunk):
            pending.append(pool.submit(work, part))
            if len(pending) >= jobs * IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    except BrokenProcessPool:
        raise AllyFeedbackError(
            "a worker process died (out of memory, or killed); what was written is kept"
        ) from None
    finally:
        # Done: wait for the workers to exit. On Ctrl-C or an error: drop what has not
        # started and do not wait.
        pool.shutdown(wait=finished, cancel_futures=True)


def lines_in_processes(
    critic: Critic,
    items: Iterable[tuple[str, str, str | None]],
    jobs: int,
    chunk: int = CHUNK,
) -> Iterator[list[ResultLine]]:
    """Batch output lines for ``(id, text, situation)`` items, a chunk at a time."""
    return _in_processes(critic, _lines, items, jobs, chunk)


def critique_in_processes(
    critic: Critic,
    items: list[tuple[str, str | None]],
    jobs: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``critique_many`` for the rule engine: one feedback or exception per item, in order."""
    total = len(items)
    chunk = max(1, min(CHUNK, total // (jobs * IN_FLIGHT) or 1))
    out: list[Any] = []
    for part in _in_processes(critic, _feedbacks, items, jobs, chunk):
        for result in part:
            out.append(result)
            if on_progress is not None:
                on_progress(len(out), total)
    return out
