"""Re-record the LLM cassettes.

    python tests/cassettes/record.py constructed
        Rebuilds the OpenAI-format cassettes from the responses constructed in
        tests/llm_scenarios.py. No network: the SDK's real requests go to an in-process
        mock transport, and vcrpy records both sides.

    python tests/cassettes/record.py local --model-file SmolLM2-135M-Instruct.Q4_1.gguf
        Starts llama.cpp's OpenAI-compatible server on 127.0.0.1:8765 (needs
        `pip install "llama-cpp-python[server]"`), records the local scenarios against
        the real model, and stores each result beside its cassette as *.expected.json.

    OPENAI_API_KEY=... python tests/cassettes/record.py openai
        For anyone with a key: replays the constructed success scenario against the real
        OpenAI API and records it as openai_live_success.yaml (not used by the default
        suite, which cannot reach OpenAI; compare it with the constructed one).

Secrets never reach a cassette: request and response headers that can carry them are
filtered at record time, and tests/test_llm_cassettes.py fails if one does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent))

import llm_scenarios as sc  # noqa: E402

import allyfeedback as af  # noqa: E402


def _mock_client(scenario: sc.Scenario):  # type: ignore[no-untyped-def]
    import httpx2
    import openai

    queue = list(scenario.responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        status, body, headers = queue.pop(0)
        return httpx2.Response(status, json=body, headers=headers)

    opts = sc.call_options(scenario)["llm"]
    return openai.OpenAI(
        api_key=sc.FAKE_KEY,
        base_url=sc.OPENAI_URL,
        max_retries=opts.max_retries,
        timeout=opts.timeout,
        http_client=openai.DefaultHttpx2Client(transport=httpx2.MockTransport(handler)),
    )


def constructed() -> None:
    for s in sc.CONSTRUCTED:
        path = sc.CASSETTES / f"{s.name}.yaml"
        path.unlink(missing_ok=True)
        with sc.recorder("all").use_cassette(path.name):
            fb = af.critique(s.draft, s.situation, client=_mock_client(s), **sc.call_options(s))
        print(
            f"{s.name}: source={fb.source} fallback={fb.fallback_reason!r} "
            f"attempts={fb.usage.attempts}"
        )


def _server_up() -> bool:
    try:
        with urllib.request.urlopen(sc.LOCAL_URL + "/models", timeout=2):
            return True
    except OSError:
        return False


def local(model_file: str) -> None:
    server = None
    if not _server_up():
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                model_file,
                "--host",
                "127.0.0.1",
                "--port",
                "8765",
                "--n_ctx",
                "4096",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(120):
            if _server_up():
                break
            time.sleep(1)
        else:
            server.kill()
            raise SystemExit("the llama.cpp server did not start")
    try:
        for s in sc.LOCAL:
            path = sc.CASSETTES / f"{s.name}.yaml"
            path.unlink(missing_ok=True)
            with sc.recorder("all").use_cassette(path.name):
                fb = af.critique(s.draft, s.situation, **sc.call_options(s))
            (sc.CASSETTES / f"{s.name}.expected.json").write_text(
                fb.model_dump_json(indent=2) + "\n", encoding="utf-8"
            )
            print(
                f"{s.name}: source={fb.source} fallback={fb.fallback_reason!r} "
                f"attempts={fb.usage.attempts} dropped={fb.warnings}"
            )
    finally:
        if server is not None:
            server.terminate()


def live_openai() -> None:
    if not os.environ.get("OPENAI_API_KEY"):
        raise SystemExit("set OPENAI_API_KEY")
    from allyfeedback.config import LLMConfig

    s = sc.SCENARIOS["openai_reask_then_success"]
    with sc.recorder("all").use_cassette("openai_live_success.yaml"):
        fb = af.critique(
            s.draft,
            s.situation,
            backend="llm",
            llm=LLMConfig(model="gpt-4o-mini", mode="json_schema"),
        )
    print(json.dumps(fb.model_dump(), indent=2)[:2000])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", choices=["constructed", "local", "openai"])
    ap.add_argument("--model-file", default=os.environ.get("ALLYFEEDBACK_LOCAL_MODEL"))
    args = ap.parse_args()
    if args.what == "constructed":
        constructed()
    elif args.what == "local":
        if not args.model_file:
            raise SystemExit("pass --model-file (a .gguf) or set ALLYFEEDBACK_LOCAL_MODEL")
        local(args.model_file)
    else:
        live_openai()


if __name__ == "__main__":
    main()
