"""The LLM engine against a misbehaving server, a leaky model and a broken cache: it
falls back (or raises LLMError), never crashes, never loses a batch, never shows the key.
Every server answer here is constructed, served by the local stand-in (tests/stand_in.py)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli
from stand_in import Raw, StandIn, completion, serve

import allyfeedback as af
from allyfeedback.config import LLMConfig
from allyfeedback.prompts import TEMPLATES, builtin_dir, fence, load_prompts

DRAFT = "I'm sorry. I only said it because I was swamped."
KEY = "sk-proj-" + "Zq8wR2vT6yU1iO4pA7sD0fG3hJ"
GOOD = json.dumps(
    {
        "problems": [
            {"category": "defending", "quote": "I was swamped", "why": "w", "instead": "i"}
        ],
        "elements": [{"id": "apology", "present": True, "quote": "I'm sorry"}],
        "summary": "s",
        "revision": "I'm sorry. I spoke over you. What would help? I'm listening.",
    }
)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with serve() as server:
        yield server


def _llm(url: str, **extra: object) -> dict[str, object]:
    return {"backend": "llm", "llm": LLMConfig(model="m", base_url=url, max_retries=0, **extra)}


def _malformed() -> list[Raw]:
    ok = completion(GOOD, prompt_tokens=10)
    no_message = json.loads(json.dumps(ok))
    del no_message["choices"][0]["message"]
    bad_usage = json.loads(json.dumps(ok))
    bad_usage["usage"]["prompt_tokens"] = "abc"
    return [
        Raw(200, json.dumps({**ok, "choices": []}).encode()),
        Raw(200, json.dumps({**ok, "choices": None}).encode()),
        Raw(200, json.dumps(no_message).encode()),
        Raw(200, b"<html><body>502 Bad Gateway</body></html>", "text/html"),
        Raw(200, b"not json at all", "application/json"),
        Raw(200, json.dumps(bad_usage).encode()),
    ]


@pytest.mark.parametrize("case", range(6), ids=["empty", "null", "nomsg", "html", "text", "usage"])
def test_malformed_answers_fall_back_or_raise_llm_error(stand_in: StandIn, case: int) -> None:
    reply = _malformed()[case]
    stand_in.add(DRAFT, reply)
    fb = af.critique(DRAFT, **_llm(stand_in.url))  # type: ignore[arg-type]
    if case == 5:  # odd usage figures are counted as 0; the answer itself is fine
        assert fb.fallback_reason is None and fb.usage.prompt_tokens == 0
        return
    assert fb.source == "rules" and fb.fallback_reason
    with pytest.raises(af.LLMError):
        af.critique(DRAFT, fallback=False, **_llm(stand_in.url))  # type: ignore[arg-type]


def test_a_malformed_answer_never_aborts_a_batch(stand_in: StandIn) -> None:
    other = "I'm sorry I talked over you."
    stand_in.add(DRAFT, Raw(200, b'{"choices": []}'))
    stand_in.add(other, GOOD.replace("I was swamped", "I talked over you"))
    out = af.critique_many(
        [DRAFT, other, DRAFT], concurrency=2, fallback=False, **_llm(stand_in.url)
    )
    assert [type(x).__name__ for x in out] == ["LLMError", "Feedback", "LLMError"]


def test_cli_check_with_a_malformed_answer_has_no_traceback(stand_in: StandIn) -> None:
    stand_in.add(DRAFT, Raw(200, b"<html>oops</html>", "text/html"))
    done = run_cli("check", "--backend", "llm", "--base-url", stand_in.url, stdin=DRAFT)
    assert "Traceback" not in done.stderr and done.returncode == 1
    assert "Engine: rules (the model was not used)" in done.stdout


def _leaks(fb: af.Feedback) -> list[str]:
    bare = KEY.removeprefix("sk-proj-")
    texts = [fb.model_dump_json(), fb.to_text(), fb.to_markdown(), fb.to_html()]
    return [t for t in texts if KEY in t or bare in t or bare[:12] in t]


def test_the_key_is_scrubbed_from_refusals_and_echoes(stand_in: StandIn, tmp_path: Path) -> None:
    bare = KEY.removeprefix("sk-proj-")
    refusal = completion(None)
    refusal["choices"][0]["message"]["refusal"] = f"I can't use the key {KEY} here."
    stand_in.add(DRAFT, refusal)
    fb = af.critique(DRAFT, **_llm(stand_in.url, api_key=KEY))  # type: ignore[arg-type]
    assert fb.fallback_reason and "refused" in fb.fallback_reason and not _leaks(fb)
    with pytest.raises(af.LLMError) as info:
        af.critique(DRAFT, fallback=False, **_llm(stand_in.url, api_key=KEY))  # type: ignore[arg-type]
    assert bare not in str(info.value)
    # a 400 body that echoes the key without its prefix
    stand_in.add(DRAFT, Raw(400, json.dumps({"error": {"message": f"bad key {bare}"}}).encode()))
    fb = af.critique(DRAFT, **_llm(stand_in.url, api_key=KEY))  # type: ignore[arg-type]
    assert "HTTP 400" in (fb.fallback_reason or "") and not _leaks(fb)
    # a model that echoes the key in why, instead and revision; and the cache file
    echo = json.loads(GOOD)
    echo["problems"][0]["why"] = f"Your key is {KEY}."
    echo["problems"][0]["instead"] = f"Use {bare}."
    echo["revision"] = f"I'm sorry. I spoke over you. What would help? Key {bare}."
    stand_in.add(DRAFT, json.dumps(echo))
    db = tmp_path / "cache.sqlite"
    fb = af.critique(DRAFT, cache=str(db), **_llm(stand_in.url, api_key=KEY))  # type: ignore[arg-type]
    assert fb.fallback_reason is None and not _leaks(fb)
    assert bare[:12].encode() not in db.read_bytes()


def test_logs_name_attempts_and_fallbacks_but_never_the_draft(
    stand_in: StandIn, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    secret_words = "Zebra-unique-phrase in my draft."
    draft = f"I'm sorry. {secret_words}"
    stand_in.add(draft, GOOD.replace("I was swamped", "not in the draft at all"))
    with caplog.at_level(logging.DEBUG, logger="allyfeedback"):
        af.critique(draft, cache=str(tmp_path / "c.db"), **_llm(stand_in.url))  # type: ignore[arg-type]
        af.critique(draft, cache=str(tmp_path / "c.db"), **_llm(stand_in.url))  # type: ignore[arg-type]
        af.critique("I'm sorry I was late.", **_llm(stand_in.url))  # type: ignore[arg-type]
    messages = [r.getMessage() for r in caplog.records]
    text = "\n".join(messages)
    assert "re-asking" in text and "dropped" in text and "cache hit" in text
    assert "model answer" in text and "not used" in text
    assert all(r.name == "allyfeedback" for r in caplog.records)
    assert "Zebra" not in text


@pytest.mark.parametrize("kind", ["corrupt", "readonly", "directory", "unwritable"])
def test_a_broken_cache_means_no_cache_with_a_warning(
    stand_in: StandIn, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in.add(DRAFT, GOOD)
    path = tmp_path / "cache.sqlite"
    if kind == "corrupt":
        path.write_bytes(b"this is not an sqlite file" * 100)
    elif kind == "readonly":
        af.critique("I'm sorry.", cache=str(path), backend="rules")
        sqlite3.connect(path).execute(
            "CREATE TABLE IF NOT EXISTS critiques (key TEXT PRIMARY KEY, feedback TEXT NOT NULL)"
        ).connection.close()
        path.chmod(stat.S_IRUSR)
    elif kind == "directory":
        path.mkdir()
    else:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        path = blocker / "sub" / "cache.sqlite"
    if kind == "readonly" and os.geteuid() == 0:
        # root ignores file modes: have sqlite open the file read-only instead
        real = sqlite3.connect
        monkeypatch.setattr(
            sqlite3, "connect", lambda f, **kw: real(f"file:{f}?mode=ro", uri=True, **kw)
        )
    fb = af.critique(DRAFT, cache=str(path), **_llm(stand_in.url))  # type: ignore[arg-type]
    assert fb.fallback_reason is None and fb.source == "hybrid"
    assert any("cache" in w and "no cache was used" in w for w in fb.warnings)


def test_cache_keys_on_rule_content_and_checks_the_draft(stand_in: StandIn, tmp_path: Path) -> None:
    stand_in.add(DRAFT, GOOD)
    db = tmp_path / "cache.sqlite"
    rule = tmp_path / "mine.toml"
    edited = tmp_path / "edited" / "mine.toml"  # same rule id, another pattern
    edited.parent.mkdir()
    body = (
        'category = "minimizing"\n[[rules]]\nid = "mine.tiny"\npatterns = ["{word}"]\n'
        'message = "m"\nsuggestion = "s"\nsource = "test"\n'
        '[rules.examples]\nmatch = ["{word}"]\nno_match = ["nothing here"]\n'
    )
    rule.write_text(body.format(word="swamped"))
    first = af.critique(DRAFT, cache=str(db), rules=[str(rule)], **_llm(stand_in.url))  # type: ignore[arg-type]
    n = len(stand_in.requests)
    af.critique(DRAFT, cache=str(db), rules=[str(rule)], **_llm(stand_in.url))  # type: ignore[arg-type]
    assert len(stand_in.requests) == n  # a hit
    edited.write_text(body.format(word="only said"))
    af.critique(DRAFT, cache=str(db), rules=[str(edited)], **_llm(stand_in.url))  # type: ignore[arg-type]
    assert len(stand_in.requests) == n + 1  # not the stale row
    # a row whose draft is not the one asked about is never returned
    with sqlite3.connect(db) as con:
        con.execute(
            "UPDATE critiques SET feedback = ?",
            (first.model_copy(update={"draft": "x"}).model_dump_json(),),
        )
    con.close()
    af.critique(DRAFT, cache=str(db), rules=[str(edited)], **_llm(stand_in.url))  # type: ignore[arg-type]
    assert len(stand_in.requests) == n + 2


def test_cache_connections_are_closed(stand_in: StandIn, tmp_path: Path) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    stand_in.add(DRAFT, GOOD)
    db = tmp_path / "cache.sqlite"
    for _ in range(3):
        af.critique(DRAFT, cache=str(db), **_llm(stand_in.url))  # type: ignore[arg-type]
    open_files = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used
            open_files.append(os.readlink(f"/proc/self/fd/{fd}"))
    assert not [f for f in open_files if str(db) in f]


def test_cache_info_and_clear(stand_in: StandIn, tmp_path: Path) -> None:
    stand_in.add(DRAFT, GOOD)
    db = tmp_path / "cache.sqlite"
    af.critique(DRAFT, cache=str(db), **_llm(stand_in.url))  # type: ignore[arg-type]
    done = run_cli("cache", "info", "--cache", str(db))
    assert done.returncode == 0 and "1 cached critiques" in done.stdout
    done = run_cli("cache", "clear", "--cache", str(db))
    assert done.returncode == 0 and "1 cached critiques deleted" in done.stdout
    assert "0 cached critiques" in run_cli("cache", "info", "--cache", str(db)).stdout
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"garbage" * 200)
    done = run_cli("cache", "info", "--cache", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr and str(bad) in done.stderr
    done = run_cli("cache", "info")
    assert done.returncode == 2 and "--cache" in done.stderr


def test_openai_api_key_alone_sends_nothing(
    stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ALLYFEEDBACK_MODEL", "ALLYFEEDBACK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "x" * 30)
    monkeypatch.setenv("OPENAI_BASE_URL", stand_in.url)  # would record any request
    stand_in.add(DRAFT, GOOD)
    fb = af.critique(DRAFT)
    many = af.critique_many([DRAFT, DRAFT], concurrency=2)
    assert fb.source == "rules" and fb.fallback_reason is None
    assert all(isinstance(x, af.Feedback) and x.source == "rules" for x in many)
    done = run_cli(
        "check",
        stdin=DRAFT,
        env={"OPENAI_API_KEY": "sk-" + "x" * 30, "OPENAI_BASE_URL": stand_in.url},
    )
    assert "Engine: rules (offline)" in done.stdout
    assert stand_in.requests == []
    monkeypatch.setenv("ALLYFEEDBACK_MODEL", "m")  # now allyfeedback was pointed at one
    assert af.critique(DRAFT).source == "hybrid" and len(stand_in.requests) == 1


def test_every_output_names_the_engine(stand_in: StandIn) -> None:
    stand_in.add(DRAFT, GOOD)
    fb = af.critique(DRAFT, **_llm(stand_in.url))  # type: ignore[arg-type]
    for text in (fb.to_text(), fb.to_markdown(), fb.to_html()):
        assert "Engine: rules + model m" in text
    rules = af.critique(DRAFT, backend="rules")
    assert "Engine: rules (offline)" in rules.to_text()
    assert json.loads(fb.model_dump_json())["source"] == "hybrid"


def test_fence_is_case_insensitive() -> None:
    assert fence("x </DRAFT> y <Draft> </ draft") == "x </ DRAFT> y < Draft> </ draft"
    assert "</situation" not in fence("</SITUATION>").lower()


def test_an_edited_template_is_picked_up_without_restart(tmp_path: Path) -> None:
    for name in TEMPLATES:
        (tmp_path / name).write_text((builtin_dir() / name).read_text("utf-8"), "utf-8")
    before = load_prompts(str(tmp_path))
    (tmp_path / "system.j2").write_text("Edited. {{ shape }}", "utf-8")
    after = load_prompts(str(tmp_path))
    assert after.version != before.version
    assert after.render("system.j2", shape="{}").startswith("Edited.")


def test_your_own_settings_file_opts_in(stand_in: StandIn, tmp_path: Path) -> None:
    stand_in.add(DRAFT, GOOD)
    home = tmp_path / "home"
    (home / "allyfeedback").mkdir(parents=True)
    (home / "allyfeedback" / "config.toml").write_text(
        f'base_url = "{stand_in.url}"\nmodel = "m"\n', "utf-8"
    )
    done = run_cli("check", stdin=DRAFT, env={"XDG_CONFIG_HOME": str(home)})
    assert "Engine: rules + model m" in done.stdout, done.stderr
    assert len(stand_in.requests) == 1


def test_an_answer_that_fills_its_problem_list_says_so(stand_in: StandIn) -> None:
    draft = "I'm sorry. I was swamped and it was no big deal. You overreacted."
    quotes = [
        "I was swamped",
        "It was no big deal",
        "You overreacted",
        "swamped",
        "big deal",
        "overreacted",
    ]
    cats = ["defending", "minimizing", "victim_blaming"] * 2
    answer = json.loads(GOOD)
    answer["problems"] = [
        {"category": c, "quote": q, "why": "w", "instead": "i"}
        for c, q in zip(cats, quotes, strict=True)
    ]
    stand_in.add(draft, json.dumps(answer))
    fb = af.critique(draft, **_llm(stand_in.url, mode="json_object"))  # type: ignore[arg-type]
    sent = stand_in.requests[-1]["response_format"]["schema"]["properties"]["problems"]
    assert sent["maxItems"] == 6
    assert any("list limit" in w for w in fb.warnings)
