"""The example web page: over plain HTTP, then end to end in a real headless Chromium.

The browser tests use Debian's chromium (``/usr/bin/chromium``) through Playwright's
Python package; nothing is downloaded. Without chromium or Playwright they skip and say
why, unless ``ALLYFEEDBACK_REQUIRE_BROWSER=1`` (set by CI), where a skip would hide a
broken setup, so they fail instead.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ALLYFEEDBACK_CHROMIUM", "/usr/bin/chromium")
DRAFT = (ROOT / "examples" / "draft.txt").read_text(encoding="utf-8")


def _load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webapp_app", ROOT / "examples/webapp/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    srv = app.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_address[0], srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def _request(
    server: tuple[str, int], method: str, path: str, body: bytes | None = None, headers=None
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8")
    finally:
        conn.close()


def _post(server: tuple[str, int], **fields: str) -> tuple[int, dict[str, str], str]:
    body = urllib.parse.urlencode(fields).encode()
    return _request(
        server, "POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )


# --- over HTTP --------------------------------------------------------------------------


def test_form_page_and_headers(server):
    status, headers, body = _request(server, "GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none'
    assert headers["Cache-Control"] == "no-store"
    assert '<textarea id="draft"' in body


def test_critique_shows_the_same_feedback_as_the_library(server):
    import allyfeedback as af

    status, _, body = _post(server, situation="I spoke for Jamie.", draft=DRAFT)
    assert status == 200
    fb = af.critique(DRAFT, situation="I spoke for Jamie.", backend="rules")
    assert fb.to_html() in body
    assert fb.problems and "<mark" in body


def test_input_is_escaped_and_kept(server):
    draft = "I'm sorry. <script>alert('x')</script> I only said that because I was tired."
    status, _, body = _post(server, situation="<b>bold</b>", draft=draft)
    assert status == 200
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt;" in body


def test_empty_draft_gets_a_friendly_message_and_keeps_the_situation(server):
    status, _, body = _post(server, situation="I talked over Priya.", draft="   ")
    assert status == 400
    assert "Paste your draft reply first" in body
    assert "I talked over Priya." in body
    assert "Traceback" not in body


def test_too_long_draft_is_refused_kindly_and_kept(server):
    draft = "I am sorry. " * 1000  # 12,000 characters, over the 10,000 limit
    status, _, body = _post(server, draft=draft)
    assert status == 400
    assert "longer than 10,000 characters" in body
    assert body.count("I am sorry.") >= 1000  # nothing lost: the form holds it all


def test_oversized_body_is_refused_without_reading_it(server):
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(app.MAX_BODY + 1))
        conn.endheaders()  # the body is never sent: the server must not wait for it
        resp = conn.getresponse()
        assert resp.status == 413
        assert "longer than" in resp.read().decode()
    finally:
        conn.close()


def test_bad_encoding_unknown_path_and_missing_length(server):
    status, _, body = _request(
        server, "POST", "/", b"draft=%FF%FE", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 400 and "could not be read" in body
    status, _, body = _request(server, "GET", "/admin")
    assert status == 404 and "no page here" in body
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.putrequest("POST", "/", skip_accept_encoding=True)
        conn.endheaders()
        assert conn.getresponse().status == 411
    finally:
        conn.close()


def test_unexpected_failure_is_a_friendly_500(server, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app.af, "critique", boom)
    status, _, body = _post(server, draft=DRAFT)
    assert status == 500
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body
    assert "Jamie" in body  # their draft is still in the form


# --- in a real browser ------------------------------------------------------------------


def _browser_or_skip():
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright's Python package is missing (pip install '.[test]')"
    if reason:
        if os.environ.get("ALLYFEEDBACK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test required but cannot run: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def page():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # Root in a container needs --no-sandbox; the rest stop Chromium from
            # phoning home on a machine without internet.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_browser_shows_highlighted_feedback_and_revision(server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    url = f"http://{server[0]}:{server[1]}/"
    page.goto(url)
    page.fill("#situation", "I told an executive Jamie wouldn't want a role with travel.")
    page.fill("#draft", DRAFT + "\n<script>alert('x')</script>")
    page.click("#check")
    page.wait_for_selector("#feedback")
    marks = page.locator("#feedback mark")
    assert marks.count() >= 2
    assert "Defending" in page.locator("#feedback").inner_text()
    assert "Legend" in page.inner_text("#feedback")
    assert page.get_by_role("heading", name="A reply you could send").is_visible()
    # The draft's script tag is text on the page, never run.
    assert "<script>alert('x')</script>" in page.inner_text("#feedback")
    assert page.locator("#feedback script").count() == 0
    assert dialogs == []
    # What they wrote is still in the form, to revise.
    assert "Jamie" in page.input_value("#draft")


def test_browser_empty_draft_shows_a_friendly_message(server, page):
    page.goto(f"http://{server[0]}:{server[1]}/")
    page.fill("#situation", "I interrupted Sam in the meeting.")
    page.click("#check")
    assert "Paste your draft reply first" in page.inner_text("#error")
    assert page.input_value("#situation") == "I interrupted Sam in the meeting."
    assert page.locator("#feedback").count() == 0
