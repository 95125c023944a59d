"""LLM-engine benchmark, with no network beyond the loopback interface.

    python benchmarks/bench_llm.py [--json]

1. Library overhead per LLM call (render prompts, parse, validate, ground, merge, and the
   rules pass it merges onto), with a client that answers instantly in-process; and the
   same through the real OpenAI SDK over an in-process mock transport.
2. critique_many of 50 drafts at concurrency 10 against a local HTTP server that answers
   every request after 200 ms.
3. A cache hit.
4. Prompt size for a 150-word draft: tokens counted by a local llama.cpp server when
   ALLYFEEDBACK_LOCAL_MODEL and llama_cpp are available, else estimated at 4 chars/token.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import allyfeedback as af  # noqa: E402
from allyfeedback.config import LLMConfig  # noqa: E402
from allyfeedback.llm import new_conversation  # noqa: E402
from allyfeedback.ruleset import load_ruleset  # noqa: E402

DRAFT = (
    "Hi Jamie, I'm sorry. I only said that because I figured travel would be hard with a "
    "newborn, and honestly the timing was bad for all of us. What would you like me to do?"
)
ANSWER = json.dumps(
    {
        "problems": [
            {
                "category": "derailing",
                "quote": "the timing was bad for all of us",
                "why": "It turns to everyone's week.",
                "instead": "Stay with what you did.",
            }
        ],
        "elements": [
            {"id": i, "present": i == "apology", "quote": "I'm sorry" if i == "apology" else None}
            for i in af.ELEMENT_IDS
        ],
        "summary": "A start.",
        "revision": "I'm sorry. I spoke for you. What would you like me to do next? I'm listening.",
    }
)


def _completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": ANSWER},
            }
        ],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 150, "total_tokens": 1150},
    }


class InstantClient:
    """Answers like the SDK would, at once, without HTTP."""

    def __init__(self) -> None:
        def create(**_: Any) -> Any:
            c = _completion()
            ch = c["choices"][0]
            return SimpleNamespace(
                choices=[
                    SimpleNamespace(
                        finish_reason="stop",
                        message=SimpleNamespace(
                            content=ch["message"]["content"], refusal=None, parsed=None
                        ),
                    )
                ],
                usage=SimpleNamespace(**c["usage"]),
            )

        self.chat = SimpleNamespace(completions=SimpleNamespace(create=create, parse=create))


def _median_ms(fn: Any, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def overhead(n: int = 300) -> dict[str, float]:
    cfg = LLMConfig(model="bench", base_url="http://127.0.0.1:1/v1", mode="json_object")
    client = InstantClient()
    af.critique(DRAFT, backend="llm", llm=cfg, client=client)
    ours = _median_ms(lambda: af.critique(DRAFT, backend="llm", llm=cfg, client=client), n)
    rules = _median_ms(lambda: af.critique(DRAFT, backend="rules"), n)
    import httpx2
    import openai

    sdk = openai.OpenAI(
        api_key="bench",
        base_url="http://127.0.0.1:1/v1",
        max_retries=0,
        http_client=openai.DefaultHttpx2Client(
            transport=httpx2.MockTransport(lambda r: httpx2.Response(200, json=_completion()))
        ),
    )
    with_sdk = _median_ms(lambda: af.critique(DRAFT, backend="llm", llm=cfg, client=sdk), n)
    return {
        "llm_call_overhead_ms": ours,
        "rules_only_ms": rules,
        "llm_overhead_beyond_rules_ms": ours - rules,
        "with_openai_sdk_mock_ms": with_sdk,
    }


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(0.2)
        body = json.dumps(_completion()).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def batch(n: int = 50, concurrency: int = 10) -> dict[str, float]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    drafts = [f"{DRAFT} ({i})" for i in range(n)]
    cfg = LLMConfig(model="bench", base_url=url, mode="json_object", max_retries=0)
    af.critique(drafts[0], backend="llm", llm=cfg)  # warm up
    t0 = time.perf_counter()
    out = af.critique_many(drafts, backend="llm", llm=cfg, concurrency=concurrency)
    wall = time.perf_counter() - t0
    server.shutdown()
    assert all(isinstance(f, af.Feedback) and f.fallback_reason is None for f in out)
    return {"batch_50_at_10_s": wall, "ideal_s": n / concurrency * 0.2}


def cache_hit(n: int = 300) -> dict[str, float]:
    cfg = LLMConfig(model="bench", base_url="http://127.0.0.1:1/v1", mode="json_object")
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "cache.sqlite")
        af.critique(DRAFT, backend="llm", llm=cfg, client=InstantClient(), cache=db)
        hit = _median_ms(lambda: af.critique(DRAFT, backend="llm", llm=cfg, cache=db), n)
    return {"cache_hit_ms": hit}


def prompt_tokens() -> dict[str, Any]:
    words = (DRAFT + " ") * 6
    draft = " ".join(words.split()[:150])
    conv = new_conversation(
        draft,
        "I told an executive Jamie would not want a role with travel.",
        LLMConfig(model="x").resolved(),
        load_ruleset(),
    )
    chars = sum(len(m["content"]) for m in conv.messages)
    result: dict[str, Any] = {"prompt_chars_150_words": chars, "estimated_tokens": chars // 4}
    model = os.environ.get("ALLYFEEDBACK_LOCAL_MODEL")
    if model and os.path.isfile(model):
        try:
            from llama_cpp import Llama

            llm = Llama(model_path=model, vocab_only=True, verbose=False)
            text = "".join(m["content"] for m in conv.messages)
            result["smollm2_tokens"] = len(llm.tokenize(text.encode("utf-8")))
        except ImportError:
            pass
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res: dict[str, Any] = {}
    res.update(overhead())
    res.update(batch())
    res.update(cache_hit())
    res.update(prompt_tokens())
    if args.json:
        print(json.dumps(res, indent=2))
        return
    for k, v in res.items():
        print(f"{k:<32} {v:.3f}" if isinstance(v, float) else f"{k:<32} {v}")


if __name__ == "__main__":
    main()
