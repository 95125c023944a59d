"""How a Feedback shows itself to a person: text, Markdown, and HTML in notebooks."""

from __future__ import annotations

import allyfeedback as af

DRAFT = "I'm sorry if you were offended <script>alert(1)</script>. It was just a joke."


def test_html_escapes_the_draft_and_labels_marks() -> None:
    html = af.critique(DRAFT)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Legend:" in html and "Non-apology" in html and "Minimizing" in html
    assert 'aria-label="missing"' in html  # the checklist reads without colour too


def test_markdown_and_text_show_the_same_parts() -> None:
    fb = af.critique(DRAFT)
    md = fb._repr_markdown_()
    assert md == fb.to_markdown()
    assert "\\<script\\>" in md and "#### A reply you could send" in md
    text = fb.to_text()
    assert "[sorry if you were offended" in text and "Verdict:" in text
    assert "\x1b[" not in text and "\x1b[" in fb.to_text(color=True)
