"""A constructed stand-in for OpenAI's Files and Batches APIs, on 127.0.0.1 only.

It implements what the provider batch uses: ``POST /v1/files`` (multipart upload),
``GET /v1/files/{id}/content``, ``DELETE /v1/files/{id}``, ``POST /v1/batches``, ``GET /v1/batches`` and
``GET /v1/batches/{id}``. Each retrieve moves a batch one step on (validating,
in_progress, completed); on completion the ``answer`` function given by the test turns
each request body into a chat completion, or into an error line. The answers are
constructed by the tests, not recorded from a model.
"""

from __future__ import annotations

import email.parser
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The answer to one request: a chat completion body (status 200), or (status, error message).
Answer = Callable[[dict[str, Any]], "dict[str, Any] | tuple[int, str]"]


def completion(content: str | None, refusal: str | None = None) -> dict[str, Any]:
    """A chat completion body as the Batch API returns it."""
    return {
        "id": "chatcmpl-constructed",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


@dataclass
class Store:
    answer: Answer
    files: dict[str, bytes] = field(default_factory=dict)
    uploads: int = 0  # files ever stored (ids stay unique after deletions)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request body sent
    authorizations: set[str] = field(default_factory=set)
    batches_created: int = 0
    end_as: str = "completed"  # or "expired", "failed": the batch ends with no answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_file(self, data: bytes) -> dict[str, Any]:
        self.uploads += 1
        file_id = f"file-{self.uploads}"
        self.files[file_id] = data
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": "upload.jsonl",
            "purpose": "batch",
            "status": "processed",
        }

    def new_batch(self, params: dict[str, Any]) -> dict[str, Any]:
        self.batches_created += 1
        batch_id = f"batch_{self.batches_created}"
        lines = self.files[params["input_file_id"]].decode("utf-8").splitlines()
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": params["endpoint"],
            "input_file_id": params["input_file_id"],
            "completion_window": params["completion_window"],
            "status": "validating",
            "created_at": int(time.time()),
            "request_counts": {"completed": 0, "failed": 0, "total": len(lines)},
        }
        return self.batches[batch_id]

    def step(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        if batch["status"] == "validating":
            batch["status"] = "in_progress"
        elif batch["status"] == "in_progress":
            self._finish(batch)
        return batch

    def _finish(self, batch: dict[str, Any]) -> None:
        if self.end_as != "completed":
            batch["status"] = self.end_as
            batch["errors"] = {"data": [{"code": "x", "message": f"constructed: {self.end_as}"}]}
            return
        out, errors = [], []
        for line in self.files[batch["input_file_id"]].decode("utf-8").splitlines():
            request = json.loads(line)
            self.requests.append(request["body"])
            result = self.answer(request["body"])
            if isinstance(result, tuple):
                status, message = result
                errors.append(
                    {
                        "id": "batch_req_x",
                        "custom_id": request["custom_id"],
                        "response": {
                            "status_code": status,
                            "body": {"error": {"message": message, "type": "server_error"}},
                        },
                        "error": None,
                    }
                )
            else:
                out.append(
                    {
                        "id": "batch_req_x",
                        "custom_id": request["custom_id"],
                        "response": {"status_code": 200, "body": result},
                        "error": None,
                    }
                )
        batch["status"] = "completed"
        batch["request_counts"]["completed"] = len(out)
        batch["request_counts"]["failed"] = len(errors)
        batch["output_file_id"] = self.new_file(_jsonl(out))["id"] if out else None
        batch["error_file_id"] = self.new_file(_jsonl(errors))["id"] if errors else None


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")


def _handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, data: object, status: int = 200) -> None:
            self._send(status, json.dumps(data).encode("utf-8"))

        def do_POST(self) -> None:
            store.authorizations.add(self.headers.get("Authorization", ""))
            data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with store.lock:
                if self.path == "/v1/files":
                    message = email.parser.BytesParser().parsebytes(
                        b"Content-Type: "
                        + self.headers["Content-Type"].encode()
                        + b"\r\n\r\n"
                        + data
                    )
                    parts = {
                        p.get_param("name", header="content-disposition"): p
                        for p in message.get_payload()
                    }  # type: ignore[union-attr]
                    assert parts["purpose"].get_payload(decode=True) == b"batch"
                    self._json(store.new_file(parts["file"].get_payload(decode=True)))
                elif self.path == "/v1/batches":
                    self._json(store.new_batch(json.loads(data)))
                else:
                    self._json({"error": {"message": "no such route"}}, 404)

        def do_GET(self) -> None:
            with store.lock:
                path = self.path.split("?")[0]
                if path == "/v1/batches":
                    data = list(store.batches.values())
                    self._json({"object": "list", "data": data, "has_more": False})
                elif path.startswith("/v1/batches/"):
                    self._json(store.step(path.rsplit("/", 1)[1]))
                elif path.startswith("/v1/files/") and path.endswith("/content"):
                    self._send(200, store.files[path.split("/")[3]], "application/octet-stream")
                else:
                    self._json({"error": {"message": "no such route"}}, 404)

        def do_DELETE(self) -> None:
            with store.lock:
                file_id = self.path.rsplit("/", 1)[1]
                store.files.pop(file_id)
                self._json({"id": file_id, "object": "file", "deleted": True})

    return Handler


@contextmanager
def batch_server(answer: Answer) -> Iterator[tuple[str, Store]]:
    """The stand-in's base URL (``http://127.0.0.1:PORT/v1``) and its store."""
    store = Store(answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", store
    finally:
        server.shutdown()
        server.server_close()
