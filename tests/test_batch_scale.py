"""`allyfeedback batch` at scale: processes, durability under `kill -9`, and a safe `--out`."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from functools import partial
from pathlib import Path

import pytest
from cli_runner import run_cli

import allyfeedback as af
from allyfeedback import results_file
from allyfeedback.batch import run_batch
from allyfeedback.batch_input import BadLine
from allyfeedback.progress import progress_line

DEV = Path(__file__).parent / "data" / "dev.jsonl"


def _drafts(n: int) -> list[dict[str, object]]:
    """``n`` different drafts made from the development set's texts (numbered, so no two
    are the same text and the engine's word caches do not make later ones free)."""
    texts = [json.loads(x)["text"] for x in DEV.read_text("utf-8").splitlines()]
    return [{"id": f"d{i}", "text": f"{texts[i % len(texts)]} ({i})"} for i in range(n)]


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")


def _ids(path: Path) -> list[str]:
    return [json.loads(x)["id"] for x in path.read_text("utf-8").splitlines()]


def test_jobs_give_the_same_file_as_one_process(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write(src, [*_drafts(150), {"id": "empty", "text": " "}])
    one = run_cli("batch", str(src), "--out", str(tmp_path / "one.jsonl"), "--jobs", "1")
    two = run_cli("batch", str(src), "--out", str(tmp_path / "two.jsonl"), "--jobs", "2")
    assert one.returncode == two.returncode == 1, two.stderr  # the empty draft failed
    assert "151 written" in two.stderr
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert _ids(tmp_path / "two.jsonl")[:3] == ["d0", "d1", "d2"]  # input order


def test_jobs_must_be_positive_and_are_for_the_rule_engine(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write(src, _drafts(2))
    res = run_cli("batch", str(src), "--out", str(tmp_path / "o.jsonl"), "--jobs", "0")
    assert res.returncode == 2 and "jobs must be" in res.stderr
    res = run_cli(
        "batch", str(src), "--out", str(tmp_path / "o.jsonl"), "--jobs", "2", "--backend", "llm"
    )
    assert res.returncode == 2 and "--concurrency" in res.stderr
    res = run_cli(
        "batch", str(src), "--out", str(tmp_path / "o.jsonl"), "--jobs", "2", "--concurrency", "2"
    )
    assert res.returncode == 2 and "not both" in res.stderr
    assert not (tmp_path / "o.jsonl").exists()


_DRIVER = textwrap.dedent(
    """
    import sys
    from functools import partial
    from allyfeedback import critique
    from allyfeedback.batch import run_batch

    critic = partial(critique, backend="rules")
    run_batch(sys.argv[1], sys.argv[2], critic, progress=sys.stderr, jobs=2)
    """
)


def test_kill_9_loses_nothing_reported_and_a_rerun_completes_in_order(tmp_path: Path) -> None:
    """A real ``kill -9`` of a running two-process batch: every line the progress display
    had counted is in the file, whole; the workers go away with their parent; a rerun
    repairs any torn line and ends with every id once, in input order."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = _drafts(4000)
    _write(src, rows)
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(src), str(out)], stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    seen = b""
    reported = 0
    while reported < 300:
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, f"the batch ended before it could be killed: {seen[-500:]!r}"
        seen += chunk
        counts = re.findall(rb"\] (\d+)/4000", seen)
        reported = int(counts[-1]) if counts else 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # The workers share the stderr pipe: it reaches its end only when they have exited.
    drained = threading.Thread(target=proc.stderr.read)
    drained.start()
    drained.join(timeout=15)
    assert not drained.is_alive(), "worker processes outlived their killed parent"
    whole = out.read_bytes().split(b"\n")[:-1]
    assert len(whole) >= reported
    assert [json.loads(x)["id"] for x in whole] == [r["id"] for r in rows[: len(whole)]]
    assert len(whole) < 4000, "the run finished before the kill; nothing was tested"

    report = run_batch(src, out, partial(af.critique, backend="rules"), jobs=2)
    assert report.skipped == len(whole) and report.written == 4000 - len(whole)
    assert _ids(out) == [r["id"] for r in rows]


def test_a_torn_line_is_cut_off_and_redone(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = _drafts(3)
    _write(src, rows)
    run_batch(src, out, partial(af.critique, backend="rules"))
    first_two = b"".join(out.read_bytes().splitlines(keepends=True)[:2])
    out.write_bytes(first_two + b'{"id": "d2", "ok": tr')
    report = run_batch(src, out, partial(af.critique, backend="rules"))
    assert (report.skipped, report.written) == (2, 1)
    assert _ids(out) == ["d0", "d1", "d2"]
    assert out.read_bytes().startswith(first_two)


@pytest.mark.parametrize(
    "content",
    [
        "Things to remember:\nbuy milk\n",
        "just one line, no newline at the end",
        '{"id": "d0", "ok": true}\nnot a result\n{"id": "d1", "ok": true}\n',
        '{"name": "a JSON line that is not a result"}\n',
    ],
)
def test_out_that_is_not_a_result_file_is_refused_and_kept(tmp_path: Path, content: str) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "notes.txt"
    _write(src, _drafts(2))
    out.write_text(content, "utf-8")
    res = run_cli("batch", str(src), "--out", str(out))
    assert res.returncode == 2, res.stderr
    assert "not an allyfeedback result file" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert out.read_text("utf-8") == content


def test_out_with_results_of_another_input_is_refused(tmp_path: Path) -> None:
    src, other, out = tmp_path / "in.jsonl", tmp_path / "other.jsonl", tmp_path / "out.jsonl"
    _write(src, _drafts(2))
    _write(other, [{"id": "x1", "text": "I'm sorry."}])
    assert run_cli("batch", str(other), "--out", str(out)).returncode == 0
    kept = out.read_bytes()
    res = run_cli("batch", str(src), "--out", str(out))
    assert res.returncode == 2 and "'x1', which is not in" in res.stderr
    assert out.read_bytes() == kept


@pytest.mark.parametrize("how", ["same name", "symlink", "hard link"])
def test_out_is_never_the_input(tmp_path: Path, how: str) -> None:
    src = tmp_path / "in.jsonl"
    _write(src, [*_drafts(3)])
    with open(src, "a", encoding="utf-8") as fh:
        fh.write("{not json\n")  # a bad line: the old code cut the input here
    kept = src.read_bytes()
    out = src
    if how == "symlink":
        out = tmp_path / "link.jsonl"
        out.symlink_to(src)
    elif how == "hard link":
        out = tmp_path / "hard.jsonl"
        os.link(src, out)
    res = run_cli("batch", str(src), "--out", str(out))
    assert res.returncode == 2 and "is the input file" in res.stderr, res.stderr
    assert src.read_bytes() == kept


def test_out_equal_to_input_marks_nothing_done(tmp_path: Path) -> None:
    """The old code read the input as if it were results, so its ids counted as done."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "ok": true, "text": "Sorry if you were offended."}\n', "utf-8")
    with pytest.raises(af.AllyFeedbackError, match="is the input file"):
        run_batch(src, src, partial(af.critique, backend="rules"))
    out = tmp_path / "out.jsonl"
    report = run_batch(src, out, partial(af.critique, backend="rules"))
    assert (report.skipped, report.written) == (0, 1)


def test_a_non_utf8_byte_is_a_bad_line_and_the_rest_runs(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(
        b'{"id": 1, "text": "I\'m sorry."}\n'
        b'{"id": 2, "text": "caf\xe9, sorry if you were offended"}\n'
        b'{"id": 3, "text": "Sorry if you were offended."}\n'
    )
    res = run_cli("batch", str(src), "--out", str(out))
    assert res.returncode == 1
    assert "in.jsonl:2: skipped: not UTF-8 (byte 0xe9 at column 23)" in res.stderr
    assert _ids(out) == ["1", "3"]


def test_a_missing_input_is_named(tmp_path: Path) -> None:
    res = run_cli("batch", "nope.jsonl", "--out", "out.jsonl", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "allyfeedback: error: cannot read nope.jsonl: No such file or directory"
    )
    assert not (tmp_path / "out.jsonl").exists()


def test_bad_lines_are_reported_when_read_before_any_critique(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": 1, "text": "I\'m sorry."}\n{oops\n', "utf-8")
    events: list[str] = []

    def critic(text: str, situation: str | None) -> af.Feedback:
        events.append("critique")
        return af.critique(text, situation, backend="rules")

    def bad(line: BadLine) -> None:
        events.append(f"bad {line.line}")

    report = run_batch(src, out, critic, on_bad_line=bad)
    assert events == ["bad 2", "critique"]
    assert [b.line for b in report.bad_lines] == [2]


def test_progress_shows_count_rate_and_time_left(tmp_path: Path) -> None:
    assert progress_line(250, 1000, 0.5) == (
        "[#######.......................] 250/1000  500/s  ETA 0:02"
    )
    assert progress_line(10, 100_000, 1.0).endswith("10/s  ETA 2h46m")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, _drafts(5))
    shown = io.StringIO()
    run_batch(src, out, partial(af.critique, backend="rules"), progress=shown)
    last = shown.getvalue().split("\r")[-1]
    assert re.match(r"\[#{30}\] 5/5  [\d,]+/s  ETA 0:00\x1b\[K\n$", last), last


def test_appending_syncs_once_a_second_not_per_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs: list[int] = []
    monkeypatch.setattr(results_file.os, "fsync", lambda fd: syncs.append(fd))
    now = [0.0]
    with results_file.Appender(tmp_path / "o.jsonl", clock=lambda: now[0]) as out:
        for i in range(100):
            now[0] = i * 0.05  # 100 lines over five seconds
            out.write(json.dumps({"id": str(i), "ok": True}))
    assert 5 <= len(syncs) <= 6  # once a second, and once at the end
    assert len((tmp_path / "o.jsonl").read_text("utf-8").splitlines()) == 100


def test_critique_many_with_jobs_matches_one_process() -> None:
    drafts: list[object] = [r["text"] for r in _drafts(80)]
    drafts[3] = ""
    drafts[7] = 42
    one = af.critique_many(drafts, backend="rules")  # type: ignore[arg-type]
    seen: list[int] = []
    two = af.critique_many(
        drafts,  # type: ignore[arg-type]
        backend="rules",
        jobs=2,
        on_progress=lambda done, total: seen.append(done),
    )
    assert len(two) == 80 and seen == list(range(1, 81))
    for a, b in zip(one, two, strict=True):
        if isinstance(a, Exception):
            assert type(a) is type(b) and str(a) == str(b)
        else:
            assert a == b
    with pytest.raises(ValueError, match="jobs must be"):
        af.critique_many(["I'm sorry.", "Sorry."], backend="rules", jobs=0)


def test_the_dask_example_writes_what_batch_writes(tmp_path: Path) -> None:
    """docs/batch.md's distributed example, on a real Dask local cluster (two worker
    processes): the same lines as ``allyfeedback batch``, in input order."""
    pytest.importorskip("dask.distributed")
    src = tmp_path / "in.jsonl"
    _write(src, _drafts(60))
    with open(src, "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    example = Path(__file__).parents[1] / "examples" / "dask_batch.py"
    res = subprocess.run(
        [sys.executable, str(example), str(src), str(tmp_path / "dask")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    parts = sorted((tmp_path / "dask").glob("part-*.jsonl"), key=lambda p: int(p.stem[5:]))
    lines = [x for p in parts for x in p.read_text("utf-8").splitlines()]
    run_batch(src, tmp_path / "out.jsonl", partial(af.critique, backend="rules"))
    assert lines[:-1] == (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    assert json.loads(lines[-1])["error"].startswith("bad input line: Expecting property")


def test_neither_file_may_be_a_pipe_or_a_folder(tmp_path: Path) -> None:
    """A pipe would hang when read for old results, and the input is read twice."""
    src = tmp_path / "in.jsonl"
    _write(src, _drafts(2))
    res = run_cli("batch", str(src), "--out", str(tmp_path))
    assert res.returncode == 2 and "not a regular file" in res.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    res = run_cli("batch", str(src), "--out", str(fifo), timeout=30)
    assert res.returncode == 2 and "not a regular file" in res.stderr
    res = run_cli("batch", str(fifo), "--out", str(tmp_path / "o.jsonl"), timeout=30)
    assert res.returncode == 2 and "save the input to a file" in res.stderr


def test_spawned_workers_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where processes cannot be forked (macOS, Windows, or a caller running threads),
    workers are spawned and load the rules themselves."""
    import multiprocessing

    from allyfeedback import parallel

    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    drafts = [str(r["text"]) for r in _drafts(6)]
    critic = partial(af.critique, backend="rules", disable=["non_apology"])
    spawned = parallel.critique_in_processes(critic, [(d, None) for d in drafts], jobs=2)
    assert spawned == [critic(d, None) for d in drafts]


def test_an_endless_line_is_a_bad_line_not_a_memory_hog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allyfeedback import batch_input

    monkeypatch.setattr(batch_input, "MAX_LINE_BYTES", 1 << 20)  # 1 MiB, for a quick test
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as fh:
        fh.write(b'{"id": 1, "text": "I\'m sorry."}\n')
        fh.write(b'{"id": 2, "text": "' + b"x" * (3 << 20) + b'"}\n')
        fh.write(b'{"id": 3, "text": "Sorry if you were offended."}\n')
    bad: list[BadLine] = []
    ids = [d.id for d in batch_input.read_drafts(src, bad.append)]
    assert ids == ["1", "3"]
    assert bad == [BadLine(2, "longer than 1 MiB; not a draft")]
