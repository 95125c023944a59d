"""A small web page for allyfeedback: paste what happened and your draft, read the feedback.

Standard library only (``http.server``), so it runs wherever allyfeedback does:

    python examples/webapp/app.py            # then open http://127.0.0.1:8000/

The page works without JavaScript: the form posts back to the same address and the
answer is rendered on the server by ``Feedback.to_html()``, which escapes the draft.
Drafts are private: they are not logged, not stored, and the responses ask browsers not
to cache them. The default backend is the offline rules; ``--backend auto`` uses a model
when one is configured (see the LLM docs), which sends the draft to that provider.
"""

from __future__ import annotations

import argparse
import html
import sys
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


class Handler(BaseHTTPRequestHandler):
    server_version = "allyfeedback-webapp"
    sys_version = ""
    timeout = 30  # seconds a slow client may hold a connection
    backend: Backend = "rules"

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line and status are logged, never a draft.
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send_page(self, status: HTTPStatus, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)
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
                draft, situation=situation or None, backend=self.backend, max_chars=MAX_CHARS
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


def make_server(
    host: str = "127.0.0.1", port: int = 8000, backend: Backend = "rules"
) -> ThreadingHTTPServer:
    """A server ready to ``serve_forever()``; port 0 picks a free one."""
    handler = type("ConfiguredHandler", (Handler,), {"backend": backend})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


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
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.backend)
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
