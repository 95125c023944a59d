"""A small web page for allyfeedback: paste what happened and your draft, read the feedback.

Standard library only (``http.server``), so it runs wherever allyfeedback does:

    python examples/webapp/app.py            # then open http://127.0.0.1:8000/

The page works without JavaScript: the form posts back to the same address and the
answer is rendered on the server by ``Feedback.to_html()``, which escapes the draft.
Drafts are private: they are not logged (the log shows a request's path, never its query
string), not stored, and the responses ask browsers not to cache them.

It holds up under load and abuse: a listen backlog deep enough for hundreds of clients at
once, a deadline per request (not per read) so a client trickling bytes is cut off, the
same strict headers on every response including errors, no tracebacks when a client
hangs up, and rules loaded once before the first request.

The default backend is the offline rules; ``--backend auto`` uses a model when one is
configured (see the LLM docs), which sends the draft to that provider.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import re
import socket
import sys
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import allyfeedback as af

Backend = Literal["rules", "llm", "auto"]

#: Largest request body read, in bytes. A 10,000-character draft of non-Latin text is
#: about 90 KB once form-encoded, so 256 KiB leaves room for the situation too.
MAX_BODY = 256 * 1024
#: Longest draft or situation critiqued, in characters (the library's default).
MAX_CHARS = 10_000
#: Seconds a client has for one whole request, from connecting to the last byte of the
#: answer. Per request, not per read: a client sending a byte every few seconds is cut off.
REQUEST_DEADLINE = 20.0
#: Connections the operating system queues while every thread is busy. The standard
#: library's default is 5, which resets clients as soon as a few dozen arrive at once.
LISTEN_BACKLOG = 1024

_SECURITY_HEADERS = {
    # Inline styles only: no scripts at all, nothing loaded from elsewhere.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1b1b1b}
label{display:block;font-weight:600;margin-top:1rem}
textarea{width:100%;box-sizing:border-box;font:inherit;padding:.5rem}
button{margin-top:1rem;font:inherit;padding:.5rem 1.25rem}
.error{border-left:4px solid #D55E00;background:#fff4ec;padding:.5rem 1rem}
.hint{color:#555;font-size:.9rem}
"""


def page(situation: str = "", draft: str = "", result: str = "", error: str = "") -> str:
    """The whole page: the form (refilled with what was sent, escaped) and the answer."""
    e = html.escape
    error_html = f'<p class="error" role="alert" id="error">{e(error)}</p>' if error else ""
    result_html = (
        f'<section id="feedback" aria-label="Feedback">{result}</section>' if result else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>allyfeedback: read your reply before you send it</title>
<style>{_STYLE}</style></head>
<body><main>
<h1>Read your reply before you send it</h1>
<p>You made a mistake and someone you work with is hurt. Paste the reply you drafted;
you will see what could make things worse, what a good reply has, and a reply you could
send. Nothing you write here is stored.</p>
{error_html}
<form method="post" action="/" accept-charset="utf-8">
<label for="situation">What happened <span class="hint">(optional)</span></label>
<textarea id="situation" name="situation" rows="3" maxlength="{MAX_CHARS}">{e(situation)}</textarea>
<label for="draft">Your draft reply</label>
<textarea id="draft" name="draft" rows="10" maxlength="{MAX_CHARS}">{e(draft)}</textarea>
<button type="submit" id="check">Check my reply</button>
</form>
{result_html}
</main></body></html>
"""


# What the person at the page reads: one kind sentence, never a traceback.
EMPTY = "Paste your draft reply first; there is nothing to read yet."
TOO_LONG = (
    f"That is longer than {MAX_CHARS:,} characters. A reply that helps is usually short: "
    "try the part you most want to say."
)
UNREADABLE = "Some of that text could not be read. Try pasting it again as plain text."
FAILED = "Something went wrong on our side and your reply was not checked. Please try again."


# A query string or anything after the path may hold a draft (``GET /?draft=...``).
_QUERY = re.compile(r"[?#][^\s\"]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _loggable(text: str) -> str:
    """A log line with every query string cut and control characters escaped, so no draft
    reaches the log and no one can forge log lines or colour the terminal."""
    text = _QUERY.sub("?...", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)[:300]


class Handler(BaseHTTPRequestHandler):
    server_version = "allyfeedback-webapp"
    sys_version = ""
    timeout = 10  # seconds one read may wait; the whole request has REQUEST_DEADLINE
    deadline = REQUEST_DEADLINE
    backend: Backend = "rules"
    ruleset: af.RuleSet | None = None

    def setup(self) -> None:
        super().setup()
        # The deadline for the whole request: past it the socket is shut, so a blocked
        # read or write returns at once and the thread is free again.
        self._deadline = threading.Timer(self.deadline, self._cut_off)
        self._deadline.daemon = True
        self._deadline.start()

    def finish(self) -> None:
        self._deadline.cancel()
        with contextlib.suppress(OSError):  # the client is gone; nothing left to flush
            super().finish()

    def _cut_off(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        # Only the method, path and status are logged, never a draft.
        sys.stderr.write(f"{self.address_string()} {_loggable(format % args)}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every error the standard library answers by itself (501 for an unknown method,
        400 for a malformed request, 414, 431...) gets our page and our headers."""
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        self.log_error("code %d, message %s", status.value, status.phrase)
        self.close_connection = True
        # A malformed request line leaves HTTP/0.9, which has no headers at all; answer
        # with headers anyway, so no error goes out without the security headers.
        self.request_version = "HTTP/1.0"
        text = (
            "There is no page here."
            if status == HTTPStatus.NOT_FOUND
            else (f"That request could not be answered ({status.value} {status.phrase}).")
        )
        self.send_page(status, page(error=text))

    def send_page(self, status: HTTPStatus, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/":
            self.send_page(HTTPStatus.NOT_FOUND, page(error="There is no page here."))
            return
        self.send_page(HTTPStatus.OK, page())

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/":
            self.send_page(HTTPStatus.NOT_FOUND, page(error="There is no page here."))
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self.send_page(HTTPStatus.LENGTH_REQUIRED, page(error="The form was not sent whole."))
            return
        if int(length) > MAX_BODY:
            # Not read: answer and close, so a huge body costs nothing.
            self.close_connection = True
            self.send_page(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, page(error=TOO_LONG))
            return
        raw = self.rfile.read(int(length))
        if len(raw) < int(length):  # the client hung up or ran out of time
            self.close_connection = True
            return
        try:
            fields = urllib.parse.parse_qs(
                raw.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=10
            )
        except (UnicodeDecodeError, ValueError):
            self.send_page(HTTPStatus.BAD_REQUEST, page(error=UNREADABLE))
            return
        situation = fields.get("situation", [""])[0]
        draft = fields.get("draft", [""])[0]
        self.answer(situation, draft)

    def answer(self, situation: str, draft: str) -> None:
        # Whatever goes wrong, what they wrote stays in the form, so nothing is lost.
        if not draft.strip():
            self.send_page(HTTPStatus.BAD_REQUEST, page(situation, draft, error=EMPTY))
            return
        try:
            fb = af.critique(
                draft,
                situation=situation or None,
                backend=self.backend,
                max_chars=MAX_CHARS,
                ruleset=self.ruleset,
            )
        except af.InvalidDraftError as exc:
            error = TOO_LONG if isinstance(exc, af.DraftTooLongError) else UNREADABLE
            self.send_page(HTTPStatus.BAD_REQUEST, page(situation, draft, error=error))
            return
        except Exception as exc:  # a web page must answer, whatever failed
            self.log_error("critique failed: %s", type(exc).__name__)
            self.send_page(HTTPStatus.INTERNAL_SERVER_ERROR, page(situation, draft, error=FAILED))
            return
        self.send_page(HTTPStatus.OK, page(situation, draft, result=fb.to_html()))


class Server(ThreadingHTTPServer):
    """A thread per connection, a deep listen backlog, and one quiet line (no
    traceback, no request data) when a connection fails."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # a client hanging up or timing out is ordinary on the web
        sys.stderr.write(f"{client_address[0]} connection failed: {type(error).__name__}\n")


def make_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    backend: Backend = "rules",
    deadline: float = REQUEST_DEADLINE,
) -> Server:
    """A server ready to ``serve_forever()``; port 0 picks a free one. The rules are
    loaded and compiled here, once, so concurrent first requests do not each parse them."""
    ruleset = af.load_ruleset()
    af.critique("I'm sorry. What would help?", backend="rules", ruleset=ruleset)  # warm up
    handler = type(
        "ConfiguredHandler",
        (Handler,),
        {"backend": backend, "ruleset": ruleset, "deadline": deadline},
    )
    return Server((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    parser.add_argument(
        "--backend",
        choices=["rules", "llm", "auto"],
        default="rules",
        help="rules (offline, the default), or a model when configured",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=REQUEST_DEADLINE,
        metavar="SECONDS",
        help=f"seconds for one whole request (default {REQUEST_DEADLINE:g}; more for a slow model)",
    )
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.backend, args.deadline)
    port = server.server_address[1]
    print(f"allyfeedback page on http://{args.host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
