"""Critiquing a JSONL file of drafts into a JSONL file of results, resumably.

Each output line is written whole and flushed to disk before the next draft starts, so an
interrupted run (Ctrl-C, a crash, a killed process) leaves at most one torn line at the
end; a rerun cuts that line off, skips every id already written, and carries on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .errors import AllyFeedbackError


@dataclass
class BatchReport:
    written: int = 0
    skipped: int = 0  # ids already in the output from an earlier run
    failed: int = 0  # drafts that could not be critiqued (the error is in the output)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


def _done_ids(out: Path) -> set[str]:
    """Ids already written, after cutting off a torn last line if there is one."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    keep = data.rfind(b"\n") + 1  # everything after the last newline is a torn line
    done: set[str] = set()
    good_end = 0
    for line in data[:keep].splitlines(keepends=True):
        try:
            done.add(str(json.loads(line)["id"]))
        except (ValueError, KeyError, TypeError):
            break  # a damaged line: keep what came before it, redo the rest
        good_end += len(line)
    if good_end != len(data):
        with open(out, "r+b") as fh:
            fh.truncate(good_end)
    return done


def _read_inputs(path: Path, report: BatchReport) -> list[tuple[str, str, str | None]]:
    items: list[tuple[str, str, str | None]] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
                if "id" not in row or "text" not in row:
                    raise ValueError('needs "id" and "text"')
                key = str(row["id"])
                situation = row.get("situation")
                if situation is not None and not isinstance(situation, str):
                    raise ValueError('"situation" must be text or null')
            except ValueError as exc:
                report.bad_lines.append((lineno, str(exc)))
                continue
            if key in seen:
                report.bad_lines.append((lineno, f"duplicate id {key!r}"))
                continue
            seen.add(key)
            items.append((key, row["text"], situation))
    return items


def _result(
    critic: Callable[[str, str | None], Any], key: str, text: str, situation: str | None
) -> dict[str, Any]:
    try:
        fb = critic(text, situation)
    except (AllyFeedbackError, TypeError, ValueError) as exc:
        return {"id": key, "ok": False, "error": str(exc)}
    return {"id": key, "ok": True, "feedback": fb.model_dump(mode="json")}


def _results(
    critic: Callable[[str, str | None], Any],
    todo: list[tuple[str, str, str | None]],
    concurrency: int,
) -> Iterator[dict[str, Any]]:
    """Results as they finish: in input order with one worker, else as soon as each is done
    (each line carries its id, so resuming does not depend on the order)."""
    if concurrency == 1:
        for item in todo:
            yield _result(critic, *item)
        return
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="allyfeedback-batch")
    try:
        futures = [pool.submit(_result, critic, *item) for item in todo]
        for future in as_completed(futures):
            yield future.result()
    finally:
        # On Ctrl-C or an error, drop what has not started; what has finished is written.
        pool.shutdown(wait=False, cancel_futures=True)


def run_batch(
    in_path: str | Path,
    out_path: str | Path,
    critic: Callable[[str, str | None], Any],
    progress: TextIO | None = None,
    concurrency: int = 1,
) -> BatchReport:
    """Critique every input line not yet in ``out_path``; see the module docstring.

    ``concurrency`` > 1 runs that many critiques at once in threads, which pays off for
    the LLM engine (waiting on the network); the rule engine is fastest with 1.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    report = BatchReport()
    out = Path(out_path)
    items = _read_inputs(Path(in_path), report)
    done = _done_ids(out)
    todo = [it for it in items if it[0] not in done]
    report.skipped = len(items) - len(todo)
    total = len(todo)
    with open(out, "a", encoding="utf-8") as fh:
        for n, row in enumerate(_results(critic, todo, concurrency), 1):
            report.failed += not row["ok"]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            report.written += 1
            if progress is not None:
                width = 30
                filled = width * n // total
                progress.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{total}")
                progress.flush()
    if progress is not None and total:
        progress.write("\n")
    return report
