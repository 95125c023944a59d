"""Rendering a ``Feedback`` for people: plain text (optionally coloured), Markdown, HTML.

Every format shows the same things in the same order: verdict and score, summary, the
draft with flagged words marked, each problem with why and what instead, the element
checklist, the revision, warnings. Marks never rely on colour alone: text output
brackets flagged words, HTML adds a label and a legend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .taxonomy import PROBLEM_IDS, TITLES

if TYPE_CHECKING:  # models imports this module lazily; types only, so no import cycle
    from .models import Feedback, Problem

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
DISPUTED = " (disputed: the model did not confirm it; not scored)"
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


# Characters a terminal may act on rather than show: C0 controls but tab and newline, DEL,
# C1 controls (a lone U+009B starts an escape sequence on some terminals), and the
# bidirectional overrides and isolates that can make text read differently than it is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal would act on shown as an escape
    (``\\x1b``), so a draft or a model's answer cannot move the cursor, recolour, retitle
    the window or hide words. CRLF line ends become plain line ends."""
    text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(
        lambda m: (
            f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xFF else f"\\x{ord(m.group()):02x}"
        ),
        text,
    )


def _one_line(text: str) -> str:
    """A field shown on one line (a message, a tip, a summary line): no line breaks."""
    return " ".join(text.split("\n"))


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
        first = fb.draft.count("\n", 0, k.start) + 1
        last = fb.draft.count("\n", 0, k.end) + 1
        where = f"line {first}" if first == last else f"lines {first}\u2013{last}"
        parts.append(f"{_SKIPPED_NAMES[k.kind]} ({where})")
    return "Not critiqued: " + ", ".join(parts) + "."


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def render_text(fb: Feedback, color: bool = False) -> str:
    """Plain text for a terminal. Every text from the draft or a model passes through
    ``terminal_safe`` first, so the only escape sequences written are our own colours."""
    t = terminal_safe

    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    out = [
        c(_BOLD, f"Verdict: {VERDICT_TEXT[fb.verdict]}  (score {fb.score}/100)"),
        t(fb.summary),
        "",
        c(_BOLD, "Your draft"),
    ]
    marked = _mark_draft(fb, t, lambda n, p: c(_ANSI[p.category], f"[{t(p.quote)}]({n})"))
    out.append(_indent(marked))
    out.append("")
    if fb.problems:
        out.append(c(_BOLD, "What could make it worse"))
        numbered = {id(p): n for n, p in enumerate(_marked_spans(fb), 1)}
        for p in fb.problems:
            tag = f"({numbered[id(p)]}) " if id(p) in numbered else ""
            out.append(
                f"  {tag}{c(_ANSI[p.category], TITLES[p.category])}: “{t(_one_line(p.quote))}”"
                f"  {c(_DIM, f'line {p.line}, col {p.column}')}{DISPUTED if p.disputed else ''}"
            )
            out.append(f"      Why: {t(_one_line(p.message))}")
            out.append(f"      Instead: {t(_one_line(p.suggestion))}")
        out.append("")
    else:
        out.append("Nothing in it makes things worse.")
        out.append("")
    out.append(c(_BOLD, "What a good reply has"))
    for e in fb.elements:
        if e.present:
            disputed = DISPUTED if e.disputed else ""
            out.append(f"  [x] {TITLES[e.id]}: “{t(_one_line(e.quote or ''))}”{disputed}")
        else:
            out.append(f"  [ ] {TITLES[e.id]}. {t(_one_line(e.tip or ''))}")
    out.append("")
    out.append(c(_BOLD, "A reply you could send"))
    out.append(_indent(t(fb.revision)))
    if fb.fallback_reason:
        out.append("")
        out.append(f"Note: used the rules only ({t(_one_line(fb.fallback_reason))}).")
    for w in fb.warnings:
        out.append(f"Note: {t(_one_line(w))}")
    if note := skipped_note(fb):
        out.append(f"Note: {note}")
    out.append(c(_DIM, f"Engine: {t(fb.engine)}"))
    return "\n".join(out) + "\n"


# Backslash-escaped wherever text is shown as itself: Markdown syntax, inline HTML (so
# ``<img ...>`` stays text) and entities (so ``&lt;`` is not read as ``<``).
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>#|&~]")


def _md_text(text: str) -> str:
    """``text`` shown as itself in Markdown, line breaks kept; controls shown as escapes."""
    return _MD_SPECIAL.sub(r"\\\g<0>", terminal_safe(text))


def markdown_escape(text: str) -> str:
    """A one-line field (quote, message, summary, file name...) shown as itself in
    Markdown."""
    return _md_text(_one_line(text))


def _md_quote_block(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def render_markdown(fb: Feedback) -> str:
    """Markdown; the summary and every text from the draft or a model are escaped."""
    m = markdown_escape
    out = [f"**Verdict: {VERDICT_TEXT[fb.verdict]}** (score {fb.score}/100)", "", m(fb.summary)]
    out.append("")
    marked = _mark_draft(fb, _md_text, lambda n, p: f"**{markdown_escape(p.quote)}**<sup>{n}</sup>")
    out.append("#### Your draft")
    out.append(_md_quote_block(marked))
    out.append("")
    if fb.problems:
        out.append("#### What could make it worse")
        for p in fb.problems:
            disputed = f"*{DISPUTED.strip()}* " if p.disputed else ""
            out.append(f"- **{TITLES[p.category]}**: “{m(p.quote)}” {disputed} ")
            out.append(f"  *Why:* {m(p.message)}  ")
            out.append(f"  *Instead:* {m(p.suggestion)}")
        out.append("")
    out.append("#### What a good reply has")
    for e in fb.elements:
        if e.present:
            disputed = f" *{DISPUTED.strip()}*" if e.disputed else ""
            out.append(f"- [x] {TITLES[e.id]}: “{m(e.quote or '')}”{disputed}")
        else:
            out.append(f"- [ ] {TITLES[e.id]}. {m(e.tip or '')}")
    out.append("")
    out.append("#### A reply you could send")
    out.append(_md_quote_block(_md_text(fb.revision)))
    notes = [f"Used the rules only ({fb.fallback_reason})."] if fb.fallback_reason else []
    notes += fb.warnings
    if note := skipped_note(fb):
        notes.append(note)
    if notes:
        out.append("")
        out.extend(f"*Note: {m(n)}*" for n in notes)
    out.append("")
    out.append(f"*Engine: {m(fb.engine)}*")
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
    import html  # (here: a command-line check never writes HTML, and html loads its entities)

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
            disputed = f"<em>{e(DISPUTED)}</em>" if p.disputed else ""
            parts.append(
                f"<li><strong>{e(TITLES[p.category])}</strong>: “{e(p.quote)}”{disputed}<br>"
                f"<em>Why:</em> {e(p.message)}<br><em>Instead:</em> {e(p.suggestion)}</li>"
            )
        parts.append("</ul>")
    parts.append("<h4>What a good reply has</h4><ul>")
    for el in fb.elements:
        box = "&#9745;" if el.present else "&#9744;"
        detail = f": “{e(el.quote or '')}”" if el.present else f". {e(el.tip or '')}"
        detail += f"<em>{e(DISPUTED)}</em>" if el.disputed else ""
        state = "present" if el.present else "missing"
        parts.append(f'<li aria-label="{state}">{box} {e(TITLES[el.id])}{detail}</li>')
    parts.append("</ul><h4>A reply you could send</h4>")
    parts.append(f'<blockquote style="white-space:pre-wrap">{e(fb.revision)}</blockquote>')
    for w in fb.warnings:
        parts.append(f"<p><em>Note: {e(w)}</em></p>")
    if note := skipped_note(fb):
        parts.append(f"<p><em>Note: {e(note)}</em></p>")
    parts.append(f"<p><small>Engine: {e(fb.engine)}</small></p>")
    parts.append("</div>")
    return "".join(parts)
