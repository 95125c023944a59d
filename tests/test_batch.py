"""`allyfeedback batch`: one result line per input, bad lines reported, resumable."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from cli_runner import run_cli

import allyfeedback as af
from allyfeedback.batch import run_batch

_run = run_cli


def _write(path: Path, rows: list[object]) -> None:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )


def test_batch_writes_one_line_per_good_input_and_reports_bad_lines(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(
        src,
        [
            {"id": 1, "text": "I'm sorry. What would you like me to do next?"},
            "{not json",
            {"id": 2, "text": "You took it the wrong way.", "situation": "I made a joke."},
            {"text": "no id"},
            {"id": 3, "text": "   "},
            {"id": 2, "text": "duplicate"},
        ],
    )
    res = _run("batch", str(src), "--out", str(out))
    assert res.returncode == 1, res.stderr
    assert "in.jsonl:2: skipped" in res.stderr and "in.jsonl:4: skipped" in res.stderr
    assert "in.jsonl:6: skipped: duplicate id" in res.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["ok"] and rows[0]["feedback"]["verdict"] == "ready"
    assert rows[1]["feedback"]["problems"][0]["category"] == "victim_blaming"
    assert (
        rows[2] == {"id": "3", "ok": False, "error": rows[2]["error"]}
        and "empty" in rows[2]["error"]
    )
    af.Feedback.model_validate(rows[1]["feedback"])


def test_rerun_resumes_and_repairs_a_torn_line(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [{"id": i, "text": f"I'm sorry, I was swamped ({i})."} for i in range(5)])
    calls: list[str] = []

    def critic(text: str, situation: str | None) -> af.Feedback:
        calls.append(text)
        if len(calls) == 3:
            raise KeyboardInterrupt  # stands in for Ctrl-C in the middle of the run
        return af.critique(text, situation, backend="rules")

    with pytest.raises(KeyboardInterrupt):
        run_batch(src, out, critic)
    assert len(out.read_text("utf-8").splitlines()) == 2
    with open(out, "a", encoding="utf-8") as fh:
        fh.write('{"id": "2", "ok": tr')  # a write torn by a killed process
    report = run_batch(src, out, lambda t, s: af.critique(t, s, backend="rules"))
    assert (report.skipped, report.written) == (2, 3)
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["0", "1", "2", "3", "4"]
    again = run_batch(src, out, lambda t, s: af.critique(t, s, backend="rules"))
    assert (again.skipped, again.written) == (5, 0)


def test_concurrent_batch_writes_every_id_once_and_resumes(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [{"id": i, "text": f"I'm sorry, I was swamped ({i})."} for i in range(40)])
    lock = threading.Lock()
    calls: list[str] = []

    def critic(text: str, situation: str | None) -> af.Feedback:
        with lock:
            calls.append(text)
            n = len(calls)
        time.sleep(0.002 * (n % 5))  # finish out of order
        if n == 12:
            raise KeyboardInterrupt  # Ctrl-C while other critiques are in flight
        return af.critique(text, situation, backend="rules")

    with pytest.raises(KeyboardInterrupt):
        run_batch(src, out, critic, concurrency=4)
    first = [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()]
    assert 0 < len(first) < 40 and len(set(first)) == len(first)
    report = run_batch(src, out, lambda t, s: af.critique(t, s, backend="rules"), concurrency=4)
    assert report.skipped == len(first) and report.written == 40 - len(first)
    ids = [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()]
    assert sorted(ids, key=int) == [str(i) for i in range(40)]


def test_settings_file_limit_holds_for_batch(tmp_path: Path) -> None:
    (tmp_path / "allyfeedback.toml").write_text("max_chars = 20\n", "utf-8")
    src = tmp_path / "in.jsonl"
    _write(src, [{"id": 1, "text": "I'm sorry."}, {"id": 2, "text": "I'm sorry. " * 5}])
    res = run_cli("batch", "in.jsonl", "--out", "out.jsonl", cwd=tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert [r["ok"] for r in rows] == [True, False] and res.returncode == 1
    assert "limit is 20" in rows[1]["error"]


def test_batch_concurrency_must_be_positive(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write(src, [{"id": 1, "text": "I'm sorry."}])
    res = _run("batch", str(src), "--out", str(tmp_path / "o.jsonl"), "--concurrency", "0")
    assert res.returncode == 2 and "concurrency" in res.stderr and "Traceback" not in res.stderr


def test_schema_command_prints_the_feedback_schema() -> None:
    res = _run("schema")
    assert res.returncode == 0
    schema = json.loads(res.stdout)
    assert schema["title"] == "Feedback" and "schema_version" in schema["properties"]
