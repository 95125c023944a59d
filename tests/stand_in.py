"""A local stand-in for an OpenAI-compatible server, answering with constructed replies.

Every answer it gives is written by this project's tests (constructed, not a model's).
It routes by the draft inside the request's ``<draft>`` block, so one server holds the
answers for a whole labelled set, and it records each request so tests can check what
was sent (``max_tokens``, the schema).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from allyfeedback.prompts import fence


@dataclass(frozen=True)
class Raw:
    """A reply given as it is: status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = "application/json"


def completion(
    content: str | None, *, prompt_tokens: int = 0, finish: str = "stop"
) -> dict[str, Any]:
    """A chat completion in OpenAI's wire format (constructed)."""
    completion_tokens = len(content or "") // 4
    return {
        "id": "chatcmpl-stand-in",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def draft_of(request: dict[str, Any]) -> str | None:
    """The (fenced) draft in a chat request's first user message."""
    for message in request.get("messages", []):
        if message.get("role") == "user":
            text = message.get("content", "")
            start = text.find("<draft>\n")
            end = text.rfind("\n</draft>")
            if start != -1 and end > start:
                return str(text[start + len("<draft>\n") : end])
    return None


@dataclass
class StandIn:
    """Answers keyed by draft: a JSON string (the model's message content), a whole
    completion ``dict``, or a ``Raw`` reply."""

    answers: dict[str, str | dict[str, Any] | Raw] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def add(self, draft: str, reply: str | dict[str, Any] | Raw) -> None:
        self.answers[fence(draft)] = reply

    def reply(self, request: dict[str, Any]) -> Raw:
        self.requests.append(request)
        found = self.answers.get(draft_of(request) or "")
        if found is None:
            return Raw(404, b'{"error": {"message": "no constructed answer for this draft"}}')
        if isinstance(found, Raw):
            return found
        if isinstance(found, str):
            chars = sum(len(m.get("content", "")) for m in request.get("messages", []))
            found = completion(found, prompt_tokens=chars // 4)
        return Raw(200, json.dumps(found).encode("utf-8"))


@contextmanager
def serve(stand_in: StandIn | None = None, port: int = 0) -> Iterator[StandIn]:
    """Run a stand-in on a loopback port (default: a free one) for the block."""
    state = stand_in or StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                request = json.loads(body)
            except json.JSONDecodeError:
                request = {}
            raw = state.reply(request)
            self.send_response(raw.status)
            self.send_header("content-type", raw.content_type)
            self.send_header("content-length", str(len(raw.body)))
            self.end_headers()
            self.wfile.write(raw.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
