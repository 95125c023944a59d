"""Critiquing a JSONL file of drafts into a JSONL file of results, resumably.

The input is read twice, streamed: once to find its ids and report its bad lines, once to
critique what the output does not hold yet. Each result line reaches the operating system
whole before it is counted, so an interrupted run (Ctrl-C, a crash, ``kill -9``) loses
nothing it reported; a rerun cuts off a torn last line, skips every id already written,
and carries on. See ``results_file`` for how ``--out`` is checked and written.

Three ways to run, chosen by the caller: one at a time; ``concurrency`` threads (for the
LLM engine, which waits on the network; lines then come in finishing order); ``jobs``
processes (for the rule engine, which needs cores; lines stay in input order).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from .api import critique
from .batch_input import BadLine, Draft, OnBadLine, parse_line, read_drafts
from .errors import AllyFeedbackError
from .parallel import CHUNK, Critic, ResultLine, lines_in_processes, result_line
from .progress import Progress
from .results_file import Appender, check_not_input, done_ids


@dataclass
class BatchReport:
    written: int = 0
    skipped: int = 0  # ids already in the output from an earlier run
    failed: int = 0  # drafts that could not be critiqued (the error is in the output)
    fallbacks: int = 0  # model answers that failed, so the rules answered (provider batch)
    bad_lines: list[BadLine] = field(default_factory=list)


@dataclass
class BatchPlan:
    """What is left to do: checked before anything is written."""

    report: BatchReport
    done: set[str]
    todo: int

    def drafts(self, in_path: str | Path) -> Iterator[Draft]:
        """The drafts still to critique, in input order (read again, streamed)."""
        return (d for d in read_drafts(in_path) if d.id not in self.done)


def plan_batch(
    in_path: str | Path, out_path: str | Path, on_bad_line: OnBadLine | None = None
) -> BatchPlan:
    """Check both files, report bad input lines as they are found, repair a torn line."""
    check_not_input(in_path, out_path)
    if Path(in_path).exists() and not Path(in_path).is_file():
        # It is read twice, so a pipe would look empty the second time.
        raise AllyFeedbackError(f"{in_path} is not a regular file; save the input to a file")
    report = BatchReport()

    def bad(line: BadLine) -> None:
        report.bad_lines.append(line)
        if on_bad_line is not None:
            on_bad_line(line)

    ids = {d.id for d in read_drafts(in_path, bad)}
    done = done_ids(out_path, ids, str(in_path))
    report.skipped = len(done)
    return BatchPlan(report, done, len(ids) - len(done))


def _in_threads(
    critic: Critic, drafts: Iterable[Draft], concurrency: int
) -> Iterator[list[ResultLine]]:
    """Results as they finish (each line carries its id, so resuming does not depend on
    the order)."""
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="allyfeedback-batch")
    try:
        futures = [pool.submit(result_line, critic, d.id, d.text, d.situation) for d in drafts]
        for future in as_completed(futures):
            yield [future.result()]
    finally:
        # On Ctrl-C or an error, drop what has not started; what has finished is written.
        pool.shutdown(wait=False, cancel_futures=True)


def _results(
    critic: Critic, drafts: Iterator[Draft], todo: int, concurrency: int, jobs: int
) -> Iterator[list[ResultLine]]:
    if jobs > 1 and todo > CHUNK:
        return lines_in_processes(critic, ((d.id, d.text, d.situation) for d in drafts), jobs)
    if concurrency > 1:
        return _in_threads(critic, drafts, concurrency)
    return ([result_line(critic, d.id, d.text, d.situation)] for d in drafts)


def run_batch(
    in_path: str | Path,
    out_path: str | Path,
    critic: Critic,
    progress: TextIO | None = None,
    concurrency: int = 1,
    jobs: int = 1,
    on_bad_line: OnBadLine | None = None,
) -> BatchReport:
    """Critique every input line not yet in ``out_path``; see the module docstring.

    ``critic(text, situation)`` returns a ``Feedback``. ``concurrency`` > 1 runs that many
    critiques at once in threads (the LLM engine); ``jobs`` > 1 runs the critic in that many
    processes (the rule engine: the critic must then be picklable, e.g. a
    ``functools.partial`` of ``critique``). ``progress`` gets a bar with rate and ETA;
    ``on_bad_line`` hears of each bad input line as soon as it is read.
    """
    if concurrency < 1 or jobs < 1:
        raise ValueError("concurrency and jobs must be at least 1")
    if concurrency > 1 and jobs > 1:
        raise ValueError(
            "choose jobs (processes, for the rule engine) or concurrency (threads, for the "
            "LLM engine), not both"
        )
    plan = plan_batch(in_path, out_path, on_bad_line)
    report = plan.report
    bar = Progress(progress, plan.todo)
    try:
        with Appender(out_path) as out:
            for lines in _results(critic, plan.drafts(in_path), plan.todo, concurrency, jobs):
                for line in lines:
                    out.write(line.text)
                    report.written += 1
                    report.failed += not line.ok
                bar.update(report.written)
    finally:
        bar.close()
    return report


def critique_line(line: str | bytes, **options: Any) -> str:
    """The output line ``allyfeedback batch`` writes for one input line.

    For running inside a distributed engine (Dask, Spark, Ray...) that splits the input
    and schedules the work itself: map this over the lines. ``options`` go to
    ``critique`` (``backend`` defaults to ``"rules"``). A bad input line gives
    ``{"id": null, "ok": false, "error": "bad input line: ..."}``, never an exception.
    """
    raw = line.encode("utf-8") if isinstance(line, str) else line
    try:
        draft = parse_line(raw.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n"), 0)
    except ValueError as exc:
        return json.dumps({"id": None, "ok": False, "error": f"bad input line: {exc}"})
    critic = partial(critique, **{"backend": "rules", **options})
    return result_line(critic, draft.id, draft.text, draft.situation).text
