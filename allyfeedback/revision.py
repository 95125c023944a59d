"""The deterministic revision: keep the writer's good sentences, drop the flagged ones,
add what is missing of the article's three steps (apologise, center them, listen).

It is rebuilt sentence by sentence, never cut by characters, so no fragment is glued to
another. The register is kept: an email keeps its greeting, paragraphs and sign-off
(hard-wrapped lines are reflowed); chat stays a message a line, in lower case if the
writer wrote so. Quoted replies and forwarded text are left out. It holds one apology at
most and is never longer than the draft limit.

Rules and their exceptions work within one sentence, so when the revision's body splits
into exactly the sentences that were kept plus the added ones, it shows what they showed
in the draft and needs no second pass. Otherwise (quoted speech that may pair up anew, a
greeting that shares a sentence) it is critiqued again and mended until clean.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import NamedTuple

from .engine import Analysis, analyze
from .frame import Frame, find_frame, own_words
from .ruleset import RuleSet
from .text import normalize, quoted_spans, sentence_spans, soft_wraps
from .wording import GENERAL, centers_question

__all__ = ["build_revision", "centers_question"]

DEFAULT_MAX_CHARS = 10_000  # the draft limit, as ``api.DEFAULT_MAX_CHARS``
_MENDS = 3  # how many times a revision that reads differently is critiqued and mended


class _Piece(NamedTuple):
    """One kept sentence of the body, as it will be written."""

    text: str  # the sentence, line wraps read as spaces
    paragraph: int  # which blank-line separated paragraph of the draft it sits in
    own_line: bool  # a real line break (not a wrap) came before it in the draft
    sentence: int  # which sentence of the draft it is
    start: int  # where it is in the draft
    end: int


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n")
_LINE_WRAP = re.compile(r"[ \t]*\r?\n[ \t]*")
_SORRY = re.compile(r"\b(?:sorry|apologi[sz]e|apologies)\b")
_ENDS_SENTENCE = re.compile(
    r"(?:[.!?\u2026][\"')\]*_~\u201d\u2019]*|[\u2600-\u27bf\U0001f000-\U0001faff])$"
)
_UPPER = re.compile(r"[^\W\d_a-z]")  # a letter that is not lower case ASCII
_LETTER = re.compile(r"[^\W\d_]")


def _words(norm_text: str) -> str:
    return " ".join(norm_text.split())


def _pieces(
    draft: str, analysis: Analysis, frame: Frame, ruleset: RuleSet
) -> tuple[list[_Piece], set[str], bool]:
    """The body's kept sentences (no problem, not skipped, at most one apology: the one
    that says most), the element categories they show, and whether any was dropped."""
    lo, hi = frame.greeting_end, frame.body_end
    flagged = {h.sentence for h in analysis.problems()}
    categories: dict[int, set[str]] = {}
    for h in analysis.hits:
        categories.setdefault(h.sentence, set()).add(h.category)
    breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(draft, lo, hi)]
    soft = soft_wraps(draft)
    kept: list[tuple[int, int, int]] = []  # (sentence index, start, end) in the draft
    dropped = False
    sents = analysis.sentences
    for i, (s, e) in enumerate(sents):
        s, e = max(s, lo), min(e, hi)
        if e <= s or not draft[s:e].strip():
            continue
        if i in flagged or frame.is_skipped(s, e):
            dropped = dropped or i in flagged
            continue
        # Marks that normalising drops (quote marks, zero-width characters) next to the
        # sentence belong to it: "'it was just a joke'" keeps both quote marks.
        floor = max(lo, sents[i - 1][1] if i else 0)
        while s > floor and not draft[s - 1].isspace():
            s -= 1
        ceiling = min(hi, sents[i + 1][0] if i + 1 < len(sents) else hi)
        while e < ceiling and not draft[e].isspace():
            e += 1
        start = s + len(draft[s:e]) - len(draft[s:e].lstrip())
        kept.append((i, start, s + len(draft[s:e].rstrip())))
    # One apology: keep the apologising sentence that shows the most elements (then the
    # longest: "I'm sorry I said that about your accent" over "I'm sorry").
    if any(r.category == "apology" for r in ruleset):
        apologising = [k for k in kept if "apology" in categories.get(k[0], ())]
    else:  # the apology rules are disabled: recognise one by its words
        norm = _norm_sentences(analysis)
        apologising = [k for k in kept if _SORRY.search(norm[k[0]])]
    if len(apologising) > 1:
        best = max(apologising, key=lambda k: (len(categories.get(k[0], ())), k[2] - k[1]))
        kept = [k for k in kept if k not in apologising or k is best]
        dropped = True
    pieces = []
    previous_end = lo
    for i, start, end in kept:
        own_line = False  # a line break between them that is not a wrap
        nl = draft.find("\n", previous_end, start)
        while nl >= 0 and not own_line:
            own_line = nl not in soft
            nl = draft.find("\n", nl + 1, start)
        text = _LINE_WRAP.sub(" ", draft[start:end])
        pieces.append(_Piece(text, bisect_right(breaks, start), own_line, i, start, end))
        previous_end = end
    shown = set().union(*(categories.get(i, set()) for i, _, _ in kept))
    return pieces, shown, dropped


def _norm_sentences(analysis: Analysis) -> list[str]:
    """The normalised words of each sentence of the analysed draft."""
    norm = analysis.norm.text
    return [_words(norm[s:e]) for s, e in sentence_spans(norm)]


def _sentences(text: str) -> tuple[str, ...]:
    """The normalised words of each sentence of ``text``."""
    norm = normalize(text).text
    return tuple(_words(norm[s:e]) for s, e in sentence_spans(norm))


_phrase_sentences = lru_cache(maxsize=64)(_sentences)


def _casual(phrase: str, chat: bool) -> str:
    """A phrase in the writer's lower-case style (and, in chat, without a full stop)."""
    return phrase.lower().rstrip(".") if chat else phrase.lower()


def _close(text: str) -> str:
    """Close a sentence, so what comes after it starts one of its own."""
    return text if _ENDS_SENTENCE.search(text) else text + "."


def _layout(
    pieces: list[_Piece], opening: list[str], ending: list[str], email: bool, chat: bool
) -> str:
    """The body text: kept sentences in their paragraphs, joined as they were (a line
    break where the draft had one, else a space), the apology before them and the other
    added sentences after them (a paragraph of their own in an email)."""
    texts: list[str] = []
    last_paragraph = None
    for p in pieces:
        if p.paragraph != last_paragraph:
            texts.append(p.text)
            last_paragraph = p.paragraph
        elif p.own_line or chat:
            texts[-1] += "\n" + p.text
        else:
            texts[-1] = _close(texts[-1]) + " " + p.text
    sep = "\n" if chat else " "
    if opening:
        texts[:1] = [sep.join(opening + texts[:1])]
    if ending:
        if email and texts:
            texts.append(sep.join(ending))
        elif texts:
            texts[-1] = sep.join([texts[-1] if chat else _close(texts[-1]), *ending])
        else:
            texts.append(sep.join(ending))
    return "\n\n".join(texts)


def _reads_as_built(
    draft: str,
    body: str,
    pieces: list[_Piece],
    added: list[str],
    analysis: Analysis,
    frame: Frame,
) -> bool:
    """Whether the revision's body splits into exactly the kept sentences and the added
    ones, so it shows what they showed: its quoted speech is the quoted speech of the
    kept sentences (none cut, none paired anew), and no greeting shares a sentence with
    the body."""
    whole = []
    for qs, qe in analysis.quotes:
        if any(p.start <= qs and qe <= p.end for p in pieces):
            whole.append(" ".join(draft[qs:qe].split()))
        elif any(p.start < qe and qs < p.end for p in pieces):
            return False  # a kept sentence was quoted speech only as part of a cut quote
    if whole != [" ".join(body[qs:qe].split()) for qs, qe in quoted_spans(body)]:
        return False  # quoted speech cut, or paired anew
    if frame.greeting_end not in (0, *(e for _, e in analysis.sentences)):
        return False
    if "\n" not in body.replace("\n\n", "") and all(_ENDS_SENTENCE.search(p.text) for p in pieces):
        # Every kept sentence ends with its mark and is followed by a space or a
        # paragraph break, as in the draft; no line can wrap: it splits as built.
        return True
    norm = _norm_sentences(analysis)
    expected = [norm[p.sentence] for p in pieces] + [s for a in added for s in _phrase_sentences(a)]
    return tuple(expected) == _sentences(body)


def build_revision(
    draft: str,
    situation: str | None,
    ruleset: RuleSet,
    analysis: Analysis | None = None,
    *,
    frame: Frame | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str:
    """A reply the writer could send instead of ``draft``.

    ``analysis`` is the draft's own analysis, when the caller already has it (findings
    in skipped blocks are ignored either way). The result is at most ``max_chars`` long
    when the added sentences alone fit in that.
    """
    return _build(draft, situation, ruleset, analysis, frame, max_chars, _MENDS)


def _build(
    draft: str,
    situation: str | None,
    ruleset: RuleSet,
    analysis: Analysis | None,
    frame: Frame | None,
    max_chars: int,
    mends: int,
) -> str:
    frame = frame or find_frame(draft)
    analysis = own_words(analysis or analyze(draft, ruleset), frame)
    pieces, shown, dropped = _pieces(draft, analysis, frame, ruleset)
    has_apology = "apology" in shown or (
        not any(r.category == "apology" for r in ruleset)
        and any(_SORRY.search(_words(normalize(p.text).text)) for p in pieces)
    )
    opening = [] if has_apology else [GENERAL["apology"]]
    ending = [
        phrase
        for category, phrase in (
            ("centers_impacted", centers_question(situation)),
            ("listens", GENERAL["listens"]),
        )
        if category not in shown
    ]
    if not (dropped or opening or ending or frame.skipped_quotes):
        return draft  # nothing to change: the writer's own text, exactly
    own = draft[frame.greeting_end : frame.body_end]
    casual = bool(_LETTER.search(own)) and not _UPPER.search(own)
    greeting = draft[: frame.greeting_end].strip()
    tail = draft[frame.body_end : frame.tail_end].strip()
    blank_after_greeting = bool(_PARAGRAPH_BREAK.match(draft, frame.greeting_end - 1))
    email = (
        (bool(greeting) and blank_after_greeting)
        or bool(tail)
        or len({p.paragraph for p in pieces}) > 1
    )
    chat = not email and (casual or any(p.own_line for p in pieces))
    if casual:  # without full stops only where each added sentence has a line of its own
        opening = [_casual(x, chat) for x in opening]
        ending = [_casual(x, chat) for x in ending]

    head = ""
    if greeting:
        inline = "\n" not in draft[frame.greeting_end - 1 : frame.greeting_end]
        head = greeting + (" " if inline else "\n\n" if blank_after_greeting else "\n")
    end = "\n\n" + tail if tail else ""
    body = _layout(pieces, opening, ending, email, chat)
    while len(head + body + end) > max_chars and pieces:
        over = len(head + body + end) - max_chars
        while over > 0 and pieces:
            over -= len(pieces.pop().text) + 1
        body = _layout(pieces, opening, ending, email, chat)
    if len(head + body + end) > max_chars:
        head, end = "", ""
        body = _layout([], opening, ending, False, chat)
    text = head + body + end
    added = opening + ending
    if _reads_as_built(draft, body, pieces, added, analysis, frame):
        return text
    if "\n" in body.strip():
        # Lines of a different length can read as one wrapped sentence: a blank line
        # between them keeps each one whole.
        spaced = "\n\n".join(line for line in body.split("\n") if line.strip())
        if len(head + spaced + end) <= max_chars and _reads_as_built(
            draft, spaced, pieces, added, analysis, frame
        ):
            return head + spaced + end
    # The revision reads differently from the sentences it was built from: critique it
    # and mend it, as a draft of its own.
    again = analyze(text, ruleset)
    again_frame = find_frame(text)
    mine = own_words(again, again_frame)
    found = {h.category for h in mine.hits}
    apologies = {h.sentence for h in mine.hits if h.category == "apology"}
    in_use = {r.category for r in ruleset}
    steps = {"apology", "centers_impacted", "listens"} & in_use
    if not mine.problems() and len(apologies) <= 1 and steps <= found:
        return text
    if mends == 0:  # a last resort, never reached by any test draft
        return " ".join([GENERAL["apology"], centers_question(situation), GENERAL["listens"]])
    return _build(text, situation, ruleset, again, again_frame, max_chars, mends - 1)
