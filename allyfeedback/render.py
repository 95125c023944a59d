"""Rendering a ``Feedback`` for people: plain text (optionally coloured), Markdown, HTML.

Every format shows the same things in the same order: verdict and score, summary, the
draft with flagged words marked, each problem with why and what instead, the element
checklist, the revision, warnings. Marks never rely on colour alone: text output
brackets flagged words, HTML adds a label and a legend.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from .models import Feedback, Problem
from .taxonomy import PROBLEM_IDS, TITLES

_ANSI = {
    "victim_blaming": "\x1b[1;31m",
    "centering_self": "\x1b[1;35m",
    "derailing": "\x1b[1;34m",
    "defending": "\x1b[1;33m",
    "non_apology": "\x1b[1;36m",
    "minimizing": "\x1b[1;32m",
}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
VERDICT_TEXT = {
    "ready": "ready: this reads well",
    "revise": "revise: close, with some changes",
    "rethink": "rethink: this could make things worse",
}


def _marked_spans(fb: Feedback) -> list[Problem]:
    """Problems in reading order, with overlaps resolved (first one wins)."""
    spans: list[Problem] = []
    last_end = -1
    for p in sorted(fb.problems, key=lambda p: (p.start, -p.end)):
        if p.start >= last_end:
            spans.append(p)
            last_end = p.end
    return spans


def _mark_draft(
    fb: Feedback, plain: Callable[[str], str], mark: Callable[[int, Problem], str]
) -> str:
    """The draft with each flagged span replaced by ``mark(n, problem)`` and the text
    between them passed through ``plain`` (escaping, for Markdown and HTML)."""
    pieces: list[str] = []
    cursor = 0
    for n, p in enumerate(_marked_spans(fb), 1):
        pieces.append(plain(fb.draft[cursor : p.start]))
        pieces.append(mark(n, p))
        cursor = p.end
    pieces.append(plain(fb.draft[cursor:]))
    return "".join(pieces)


def _position(draft: str, offset: int) -> tuple[int, int]:
    line = draft.count("\n", 0, offset) + 1
    col = offset - (draft.rfind("\n", 0, offset) + 1) + 1
    return line, col


_SKIPPED_NAMES = {
    "quoted_reply": "quoted reply",
    "forwarded": "forwarded message",
    "signature": "signature",
    "sign_off": "sign-off",
}


def skipped_note(fb: Feedback) -> str | None:
    """One line naming what was left out of the critique, and where."""
    if not fb.skipped:
        return None
    parts = []
    for k in fb.skipped:
        first = _position(fb.draft, k.start)[0]
        last = _position(fb.draft, k.end)[0]
        where = f"line {first}" if first == last else f"lines {first}\u2013{last}"
        parts.append(f"{_SKIPPED_NAMES[k.kind]} ({where})")
    return "Not critiqued: " + ", ".join(parts) + "."


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def render_text(fb: Feedback, color: bool = False) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    out = [
        c(_BOLD, f"Verdict: {VERDICT_TEXT[fb.verdict]}  (score {fb.score}/100)"),
        fb.summary,
        "",
        c(_BOLD, "Your draft"),
    ]
    marked = _mark_draft(fb, str, lambda n, p: c(_ANSI[p.category], f"[{p.quote}]({n})"))
    out.append(_indent(marked))
    out.append("")
    if fb.problems:
        out.append(c(_BOLD, "What could make it worse"))
        numbered = {id(p): n for n, p in enumerate(_marked_spans(fb), 1)}
        for p in fb.problems:
            line, col = _position(fb.draft, p.start)
            tag = f"({numbered[id(p)]}) " if id(p) in numbered else ""
            out.append(
                f"  {tag}{c(_ANSI[p.category], TITLES[p.category])}: “{p.quote}”"
                f"  {c(_DIM, f'line {line}, col {col}')}"
            )
            out.append(f"      Why: {p.message}")
            out.append(f"      Instead: {p.suggestion}")
        out.append("")
    else:
        out.append("Nothing in it makes things worse.")
        out.append("")
    out.append(c(_BOLD, "What a good reply has"))
    for e in fb.elements:
        if e.present:
            out.append(f"  [x] {TITLES[e.id]}: “{e.quote}”")
        else:
            out.append(f"  [ ] {TITLES[e.id]}. {e.tip}")
    out.append("")
    out.append(c(_BOLD, "A reply you could send"))
    out.append(_indent(fb.revision))
    if fb.fallback_reason:
        out.append("")
        out.append(f"Note: used the rules only ({fb.fallback_reason}).")
    for w in fb.warnings:
        out.append(f"Note: {w}")
    if note := skipped_note(fb):
        out.append(f"Note: {note}")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_quote_block(text: str) -> str:
    return "\n".join("> " + _md_escape(line) if line else ">" for line in text.splitlines())


def render_markdown(fb: Feedback) -> str:
    out = [f"**Verdict: {VERDICT_TEXT[fb.verdict]}** (score {fb.score}/100)", "", fb.summary, ""]
    marked = _mark_draft(fb, _md_escape, lambda n, p: f"**{_md_escape(p.quote)}**<sup>{n}</sup>")
    out.append("#### Your draft")
    out.append("\n".join("> " + line if line else ">" for line in marked.splitlines()))
    out.append("")
    if fb.problems:
        out.append("#### What could make it worse")
        for p in fb.problems:
            out.append(f"- **{TITLES[p.category]}**: “{_md_escape(p.quote)}”  ")
            out.append(f"  *Why:* {p.message}  ")
            out.append(f"  *Instead:* {p.suggestion}")
        out.append("")
    out.append("#### What a good reply has")
    for e in fb.elements:
        if e.present:
            out.append(f"- [x] {TITLES[e.id]}: “{_md_escape(e.quote or '')}”")
        else:
            out.append(f"- [ ] {TITLES[e.id]}. {e.tip}")
    out.append("")
    out.append("#### A reply you could send")
    out.append(_md_quote_block(fb.revision))
    notes = [f"Used the rules only ({fb.fallback_reason})."] if fb.fallback_reason else []
    notes += fb.warnings
    if note := skipped_note(fb):
        notes.append(note)
    if notes:
        out.append("")
        out.extend(f"*Note: {_md_escape(n)}*" for n in notes)
    return "\n".join(out) + "\n"


# Colour-blind-safe palette (Okabe-Ito), each mark also carries its label in text.
_HTML_COLOURS = {
    "centering_self": "#CC79A7",
    "derailing": "#56B4E9",
    "victim_blaming": "#D55E00",
    "defending": "#E69F00",
    "non_apology": "#009E73",
    "minimizing": "#F0E442",
}


def render_html(fb: Feedback) -> str:
    e = html.escape
    parts = [
        '<div class="allyfeedback" style="font-family:system-ui,sans-serif;line-height:1.5">',
        f"<p><strong>Verdict: {e(VERDICT_TEXT[fb.verdict])}</strong> (score {fb.score}/100)</p>",
        f"<p>{e(fb.summary)}</p>",
        "<h4>Your draft</h4>",
        '<blockquote style="white-space:pre-wrap">',
    ]

    def mark(n: int, p: Problem) -> str:
        colour = _HTML_COLOURS[p.category]
        return (
            f'<mark style="background:{colour}40;border-bottom:3px solid {colour}" '
            f'title="{e(TITLES[p.category])}">{e(p.quote)}'
            f"<sup>{n} {e(TITLES[p.category])}</sup></mark>"
        )

    parts.append(_mark_draft(fb, e, mark))
    parts.append("</blockquote>")
    used = [c for c in PROBLEM_IDS if any(p.category == c for p in fb.problems)]
    if used:
        legend = " ".join(
            f'<span style="border-bottom:3px solid {_HTML_COLOURS[c]}">{e(TITLES[c])}</span>'
            for c in used
        )
        parts.append(f'<p aria-label="legend">Legend: {legend}</p>')
        parts.append("<h4>What could make it worse</h4><ul>")
        for p in fb.problems:
            parts.append(
                f"<li><strong>{e(TITLES[p.category])}</strong>: “{e(p.quote)}”<br>"
                f"<em>Why:</em> {e(p.message)}<br><em>Instead:</em> {e(p.suggestion)}</li>"
            )
        parts.append("</ul>")
    parts.append("<h4>What a good reply has</h4><ul>")
    for el in fb.elements:
        box = "&#9745;" if el.present else "&#9744;"
        detail = f": “{e(el.quote or '')}”" if el.present else f". {e(el.tip or '')}"
        state = "present" if el.present else "missing"
        parts.append(f'<li aria-label="{state}">{box} {e(TITLES[el.id])}{detail}</li>')
    parts.append("</ul><h4>A reply you could send</h4>")
    parts.append(f'<blockquote style="white-space:pre-wrap">{e(fb.revision)}</blockquote>')
    for w in fb.warnings:
        parts.append(f"<p><em>Note: {e(w)}</em></p>")
    if note := skipped_note(fb):
        parts.append(f"<p><em>Note: {e(note)}</em></p>")
    parts.append("</div>")
    return "".join(parts)
