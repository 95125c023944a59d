"""`batch --backend llm --provider-batch`: offline, against a constructed stand-in for
OpenAI's Files and Batches APIs on 127.0.0.1 (tests/batch_server.py). Every model answer
here is constructed by the test, and says so."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from batch_server import batch_server, completion
from cli_runner import run_cli

from allyfeedback.provider_batch import run_provider_batch, state_path

KEY = "sk-test-batchkey-0123456789"  # constructed: no real key; checks it never leaks

GOOD = "I'm sorry I talked over you in the meeting. I was wrong. What would help now?"
MISSED = "I'm sorry. Honestly, my week has been rough too."  # the constructed model sees it
BROKEN = "I'm sorry about the meeting, it was not ok."  # its constructed answer is not JSON
FAILS = "I'm sorry I interrupted you yesterday."  # the stand-in fails this request
REFUSED = "I'm sorry I used the wrong name for you."  # the constructed model refuses


def _answer_json(problems: list[dict[str, Any]], apology: str) -> str:
    return json.dumps(
        {
            "problems": problems,
            "elements": [
                {"id": "apology", "present": True, "quote": apology},
                *[
                    {"id": e, "present": False, "quote": None}
                    for e in ("owns_mistake", "centers_impacted", "listens")
                ],
            ],
            "summary": "Constructed answer.",
            "revision": "I'm sorry I talked over you. I was wrong, and I will stop doing it. "
            "What would help you now?",
        }
    )


def constructed_model(body: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
    """A constructed model: it reads the draft from the prompt and answers by rote."""
    user = body["messages"][-1]["content"]
    draft = re.search(r"<draft>\n(.*?)\n</draft>", user, re.S).group(1)  # type: ignore[union-attr]
    if draft == FAILS:
        return (500, "the stand-in server failed this request")
    if draft == REFUSED:
        return completion(None, refusal="I can't help with that.")
    if draft == BROKEN:
        return completion("this is not JSON")
    problems = []
    if draft == MISSED:
        problems = [
            {
                "category": "centering_self",
                "quote": "my week has been rough too",
                "why": "It turns the focus to you.",
                "instead": "Keep the focus on them.",
            }
        ]
    return completion(_answer_json(problems, "I'm sorry"))


def _input(path: Path) -> list[str]:
    rows = [
        {"id": "good", "text": GOOD},
        {"id": "missed", "text": MISSED, "situation": "I complained during their talk."},
        {"id": "empty", "text": "  "},
        {"id": "broken", "text": BROKEN},
        {"id": "fails", "text": FAILS},
        {"id": "refused", "text": REFUSED},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return [str(r["id"]) for r in rows]


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, path.read_text("utf-8").splitlines())}


def test_cli_provider_batch_grounds_merges_and_falls_back_per_line(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _input(src)
    with batch_server(constructed_model) as (url, store):
        res = run_cli(
            "batch", str(src), "--out", str(out), "--backend", "llm", "--provider-batch",
            "--base-url", url, "--mode", "json_schema", "--poll-every", "0",
            env={"OPENAI_API_KEY": KEY},
        )  # fmt: skip
    assert res.returncode == 1, res.stderr  # the empty draft failed
    assert "batch batch_1: in_progress" in res.stderr and "completed, 5/5" in res.stderr
    assert "6 written, 0 already done, 1 failed, 0 bad lines, 3 fell back" in res.stderr
    rows = _rows(out)
    assert list(rows) == ids  # input order
    assert rows["empty"]["ok"] is False and "empty" in rows["empty"]["error"]  # never sent
    assert len(store.requests) == 5
    # The request is the live engine's: its prompts, and structured outputs as parse() sends them.
    fmt = store.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "LLMCritique"
    assert [m["role"] for m in store.requests[0]["messages"]] == ["system", "user"]
    missed = rows["missed"]["feedback"]
    assert missed["source"] == "hybrid" and missed["fallback_reason"] is None
    added = [p for p in missed["problems"] if p["source"] == "llm"]
    assert [(p["category"], p["quote"]) for p in added] == [
        ("centering_self", "my week has been rough too")
    ]
    assert MISSED[added[0]["start"] : added[0]["end"]] == added[0]["quote"]  # grounded
    assert missed["usage"] == {
        "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150, "attempts": 1
    }  # fmt: skip
    assert "not valid JSON" in rows["broken"]["feedback"]["fallback_reason"]
    assert "HTTP 500" in rows["fails"]["feedback"]["fallback_reason"]
    assert "stand-in server failed" in rows["fails"]["feedback"]["fallback_reason"]
    assert "refused" in rows["refused"]["feedback"]["fallback_reason"]
    assert rows["fails"]["feedback"]["source"] == "rules"
    assert not state_path(out).exists()  # the batch is over: nothing left to resume
    assert store.files == {}  # the drafts and answers were deleted from the provider's storage
    assert f"Bearer {KEY}" in store.authorizations
    assert KEY not in out.read_text("utf-8") + res.stderr


def _interrupted(seconds: float) -> None:
    raise KeyboardInterrupt  # Ctrl-C while waiting for the provider


def test_a_rerun_resumes_polling_and_never_pays_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _input(src)
    with batch_server(constructed_model) as (url, store):
        job: dict[str, Any] = {"base_url": url, "poll_every": 0}
        with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
            patch.setattr("allyfeedback.provider_batch.time.sleep", _interrupted)
            run_provider_batch(src, out, **job)
        saved = json.loads(state_path(out).read_text("utf-8"))
        assert saved["batch_id"] == "batch_1" and len(saved["requests"]) == 5
        assert saved["rejected"] == ["empty"]  # never sent; written in its place at the end
        assert out.read_text("utf-8") == ""
        statuses: list[str] = []
        report = run_provider_batch(src, out, on_status=statuses.append, **job)
        assert (store.batches_created, store.uploads) == (1, 3)  # one upload, two results
    assert statuses[0] == f"resuming the batch saved in {state_path(out).name}"
    assert (report.skipped, report.written, report.fallbacks) == (0, 6, 3)
    assert list(_rows(out)) == ids
    assert not state_path(out).exists()


def test_a_crash_between_upload_and_batch_creation_finds_the_batch(tmp_path: Path) -> None:
    """The id of a batch created just before a crash was never saved: the rerun finds the
    batch by its uploaded file instead of creating (and paying for) a second one."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _input(src)
    with batch_server(constructed_model) as (url, store):
        import openai

        client = openai.OpenAI(api_key="x", base_url=url)
        real_create = client.batches.create

        def create_then_crash(**params: Any) -> Any:
            real_create(**params)
            raise KeyboardInterrupt  # killed before the id was saved

        client.batches.create = create_then_crash  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            run_provider_batch(src, out, client=client, poll_every=0)
        assert json.loads(state_path(out).read_text("utf-8"))["batch_id"] is None
        client.batches.create = real_create  # type: ignore[method-assign]
        report = run_provider_batch(src, out, client=client, poll_every=0)
        assert store.batches_created == 1
    assert report.written == 6


def test_an_edited_draft_is_not_merged_with_a_stale_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _input(src)
    with batch_server(constructed_model) as (url, _store):
        with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
            patch.setattr("allyfeedback.provider_batch.time.sleep", _interrupted)
            run_provider_batch(src, out, base_url=url, poll_every=0)
        src.write_text(src.read_text("utf-8").replace("What would help now?", "Thoughts?"))
        run_provider_batch(src, out, base_url=url, poll_every=0)
    good = _rows(out)["good"]["feedback"]
    assert "edited after it was sent" in good["fallback_reason"]


def test_provider_batch_needs_the_llm_backend(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _input(src)
    res = run_cli("batch", str(src), "--out", str(tmp_path / "o.jsonl"), "--provider-batch")
    assert res.returncode == 2 and "--backend llm" in res.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_a_damaged_state_file_is_one_clear_error(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _input(src)
    state_path(out).write_text("{not json", "utf-8")
    res = run_cli(
        "batch", str(src), "--out", str(out), "--backend", "llm", "--provider-batch",
        "--base-url", "http://127.0.0.1:9/v1",
    )  # fmt: skip
    assert res.returncode == 2 and "is damaged" in res.stderr and "Traceback" not in res.stderr


def test_a_batch_that_expires_falls_back_on_every_line_saying_why(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _input(src)
    with batch_server(constructed_model) as (url, store):
        store.end_as = "expired"
        report = run_provider_batch(src, out, base_url=url, poll_every=0)
    rows = _rows(out)
    assert list(rows) == ids and (report.fallbacks, report.failed) == (5, 1)
    reason = rows["good"]["feedback"]["fallback_reason"]
    assert (
        reason == "the provider's batch ended as expired (constructed: expired) with no answer here"
    )
    assert not state_path(out).exists()


def test_no_fallback_writes_the_reason_as_an_error(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _input(src)
    with batch_server(constructed_model) as (url, _store):
        report = run_provider_batch(src, out, base_url=url, poll_every=0, fallback=False)
    rows = _rows(out)
    assert report.failed == 4 and rows["missed"]["ok"] is True
    assert rows["fails"] == {"id": "fails", "ok": False, "error": rows["fails"]["error"]}
    assert "HTTP 500" in rows["fails"]["error"]
    assert "not valid JSON" in rows["broken"]["error"]


def test_more_drafts_than_one_batch_takes_go_in_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("allyfeedback.provider_batch.MAX_REQUESTS", 3)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _input(src)
    said: list[str] = []
    with batch_server(constructed_model) as (url, store):
        first = run_provider_batch(src, out, base_url=url, poll_every=0, on_status=said.append)
        assert (first.written, first.failed) == (4, 1)
        # three requests, and the empty draft in its place (never sent)
        assert list(_rows(out)) == ["good", "missed", "empty", "broken"]
        assert said[-1] == "2 drafts were left for the next batch: run the same command again"
        second = run_provider_batch(src, out, base_url=url, poll_every=0)
        assert (second.skipped, second.written, store.batches_created) == (4, 2, 2)
    assert list(_rows(out)) == ids
