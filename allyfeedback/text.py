"""Text handling that keeps offsets honest.

Rules match against a *normalised* copy of the draft (lower case, straight quotes, no
apostrophes, one space between words) so that "I’m", "I'm" and "im" read alike. Every
character of that copy remembers which character of the caller's string it came from, so
a match maps back to exact offsets with ``draft[start:end] == quote``.

Line breaks are read the way a person reads them: a break that only wraps a long line of
prose (an email hard-wrapped at about 72 columns) is a space, so a sentence runs on across
it; any other break (chat, where a line is a message; lists; short lines) ends a sentence.
Letters that only look Latin (Cyrillic "о" in "sоrry", full-width or mathematical letters)
are read as the Latin letters they imitate.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

_APOSTROPHES = frozenset("'\u2019\u2018\u02bc\u0060\u00b4\u2032")
_DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033')
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
# Invisible characters that only change how neighbours render.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


def _is_invisible(ch: str) -> bool:
    return (
        ch in _INVISIBLE
        or unicodedata.combining(ch) != 0
        or "\ufe00" <= ch <= "\ufe0f"  # variation selectors (emoji presentation)
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin-tone modifiers
    )


# Cyrillic and Greek letters drawn like Latin ones (after Unicode's confusables list,
# restricted to letters that look the same in common fonts).
_CONFUSABLES = dict(
    zip(
        "аеорсухѕіјһԁԛԝѵӏАВЕКМНОРСТУХЅІЈԚԜαοιρνυκχΑΒΕΖΗΙΚΜΝΟΡΤΥΧɑı",
        "aeopcyxsijhdqwvlABEKMHOPCTYXSIJQWaoipvukxABEZHIKMNOPTYXai",
        strict=True,
    )
)
_CONFUSABLE_CLASS = "".join(sorted(_CONFUSABLES))


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    """A non-ASCII character as the rules read it: a look-alike letter as its Latin
    letter, a compatibility form (full-width, mathematical, ligature) as its plain letters."""
    if ch in _CONFUSABLES:
        return _CONFUSABLES[ch].lower()
    compat = unicodedata.normalize("NFKC", ch)
    if compat != ch and compat.isascii() and compat.isalnum():
        return compat.lower()
    return ch.lower()


# A word that mixes ASCII letters with look-alikes from another alphabet.
_MIXED_WORD = re.compile(rf"(?<!\w)(?=\w*[a-zA-Z])(?=\w*[{_CONFUSABLE_CLASS}])\w+")


def lookalike_words(original: str) -> list[str]:
    """Words that mix Latin letters with look-alikes (``sоrry`` with a Cyrillic о): the
    rules read them as Latin, and the caller is told so."""
    return [] if original.isascii() else _MIXED_WORD.findall(original)


class NormalizedText(NamedTuple):
    """A normalised copy of ``original`` plus the map back to it."""

    original: str
    text: str
    origin: tuple[int, ...]  # origin[i] = index in ``original`` of ``text[i]``

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty ``text[start:end]`` to a span of ``original``.

        The end grows over trailing invisible characters (combining accents, emoji
        modifiers) so a quote never splits what a reader sees as one character.
        """
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1
        n = len(self.original)
        original = self.original
        # (Every invisible character is outside ASCII: most ends are settled by one test.)
        while o_end < n and not original[o_end].isascii() and _is_invisible(original[o_end]):
            o_end += 1
        return o_start, o_end


# Printable ASCII that normalises to itself (lower-cased): everything but white space,
# double quote, apostrophe and backtick. Runs of it take the fast path below.
_PLAIN = re.compile(r"[!#-&(-_a-~]+(?: [!#-&(-_a-~]+)*")
_NEWLINES = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")
# Markdown emphasis around words ("*you* should have", "**never**", "_really_"): the marks
# are dropped, as apostrophes are, so a rule reads the words. Marks inside a word
# ("snake_case") and on their own ("5 * 3", "* item") stay.
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]{1,3}(?=\w)|(?<=[\w.!?,;:])[*_]{1,3}(?![\w*_])")


def normalize(original: str) -> NormalizedText:
    """The normalised copy of ``original``; a line break that only wraps prose reads as
    a space (see ``soft_wraps``)."""
    soft = soft_wraps(original)
    marks = {i for m in _EMPHASIS.finditer(original) for i in range(*m.span())}
    out: list[str] = []
    origin: list[int] = []
    pending_space: str | None = None
    pending_at = 0

    def flush_space() -> None:
        nonlocal pending_space
        if pending_space is not None:
            if out:
                out.append(pending_space)
                origin.append(pending_at)
            pending_space = None

    def one(i: int, ch: str) -> None:
        nonlocal pending_space, pending_at
        if ch.isspace():
            # A run of white space becomes one space, or one newline if it holds one,
            # so paragraph breaks still end sentences.
            kind = "\n" if ch in _NEWLINES and i not in soft else " "
            if pending_space is None:
                pending_space, pending_at = kind, i
            elif kind == "\n":
                pending_space = "\n"
            return
        if ch in _APOSTROPHES or _is_invisible(ch) or i in marks:
            return
        flush_space()
        if ch in _DOUBLE_QUOTES:
            mapped = '"'
        elif ch in _DASHES:
            mapped = "-"
        elif ch == "\u2026":
            mapped = "..."
        else:
            mapped = _fold(ch)
        out.append(mapped)
        origin.extend([i] * len(mapped))

    pos = 0
    for m in _PLAIN.finditer(original):
        start, end = m.span()
        if marks and any(i in marks for i in range(start, end)):
            continue  # read character by character below, with the next gap
        for i in range(pos, start):
            one(i, original[i])
        flush_space()
        out.append(original[start:end].lower())
        origin.extend(range(start, end))
        pos = end
    for i in range(pos, len(original)):
        one(i, original[i])
    return NormalizedText(original, "".join(out), tuple(origin))


# Line layout ---------------------------------------------------------------------------

# A line that starts a list item, a heading or a quoted line: the break before it is real.
_LINE_START = re.compile(
    r"[ \t]*(?:[-*+>\u2022\u2023\u25e6\u25aa#]|\d{1,3}[.)][ \t]|[a-z][.)][ \t])"
)
_FIRST_WORD = re.compile(r"\S+")
_WRAP_MIN_WIDTH = 40  # narrower text is chat or a list, whatever its breaks
_WRAP_MAX_WIDTH = 100  # wider lines were not wrapped by hand


def soft_wraps(original: str) -> frozenset[int]:
    """Offsets of the line breaks (``\\n``, and a ``\\r`` before it) that only wrap a long
    line of prose, as plain-text email does at about 72 columns. Read as a space, such a
    break lets a sentence run on; after a full stop it changes nothing, since the stop
    still ends the sentence, and the revision can reflow the paragraph.

    A break wraps when its paragraph (lines up to a blank line) is prose (it holds some
    punctuation; chat without any is a message a line), its widest line is 40 to 100
    characters, the line before is at least half that width, and the next line's first
    word would not have fitted on it or starts in lower case. A break before a list item,
    a heading or a ``>`` line, or after a ``>`` line, never wraps. Linear in the length
    of the text.
    """
    if "\n" not in original:
        return frozenset()
    soft: list[int] = []
    lines: list[tuple[int, str]] = []  # (offset, text without the line end) of one paragraph

    def close_paragraph() -> None:
        if len(lines) < 2:
            return
        width = max(len(t) for _, t in lines)
        if not _WRAP_MIN_WIDTH <= width <= _WRAP_MAX_WIDTH:
            return
        if not any(ch in ".,;:!?" for _, t in lines for ch in t):
            return
        for (at, text), (_, nxt) in pairwise(lines):
            word = _FIRST_WORD.search(nxt)
            if (
                word is None
                or len(text) * 2 < width
                or _LINE_START.match(nxt)
                or text.lstrip()[:1] == ">"
                or (len(text) + 1 + len(word.group()) <= width and not word.group()[0].islower())
            ):
                continue
            end = at + len(text)
            while original[end] != "\n":  # the white space and \r after the text
                if original[end] == "\r":
                    soft.append(end)
                end += 1
            soft.append(end)

    pos = 0
    n = len(original)
    while pos <= n:
        nl = original.find("\n", pos)
        stop = n if nl < 0 else nl
        text = original[pos:stop].rstrip()
        if text:
            lines.append((pos, text))
        else:
            close_paragraph()
            lines = []
        if nl < 0:
            break
        pos = nl + 1
    close_paragraph()
    return frozenset(soft)


# Sentences -----------------------------------------------------------------------------

# What ends a sentence: a line break, or before white space (or the end) a run of . ! ?
# with any closing quotes, brackets or Markdown emphasis, or a run of emoji. A run is only
# tried from its first character (the look-behinds), so a long run that is not followed by
# white space costs one pass, not one per character (``'.' * 9999 + 'a'`` is linear).
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff"
_MARK = re.compile(rf"\n|(?<![.!?])[.!?]+[\"')\]*_~]*(?=\s|\Z)|(?<![{_EMOJI}])[{_EMOJI}]+(?=\s|\Z)")
# Words whose full stop does not end a sentence ("e.g." normalised reads "e.g").
_ABBREVIATIONS = frozenset("mr mrs ms dr prof st jr sr vs e.g i.e cf approx incl".split())
_ABBREV_BEFORE = re.compile(r"(?:^|(?<=[\s(]))([a-z.]{1,6}|\d{1,3})\Z")


def _stop_ends_sentence(text: str, at: int) -> bool:
    """Whether the lone full stop at ``at`` ends a sentence: not after an abbreviation,
    nor after the number of a list item ("2. " at the start of a line)."""
    before = _ABBREV_BEFORE.search(text, max(0, at - 7), at)
    if before is None:
        return True
    word = before.group(1)
    if not word.isdigit():
        return word not in _ABBREVIATIONS
    i = before.start()  # a list number has only white space before it on its line
    while i > 0 and text[i - 1] != "\n" and text[i - 1].isspace():
        i -= 1
    return not (i == 0 or text[i - 1] == "\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of sentences in normalised ``text`` (boundaries inclusive of the mark).

    A sentence ends at a line break (``normalize`` has already read wrapping breaks as
    spaces), at . ! ? or an emoji before white space, but not at "e.g." or a list number.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _MARK.finditer(text):
        if m.group() == "." and not _stop_ends_sentence(text, m.start()):
            continue
        end = m.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


_QUOTED = [
    re.compile(r'"[^"\n]{1,400}"'),
    re.compile("\u201c[^\u201c\u201d\n]{1,400}\u201d"),
    re.compile("\u2018[^\u2018\n]{1,400}?\u2019(?!\\w)"),
    # A single quote not preceded by a word character or another quote (checked after
    # the quote, so ``re`` can skip ahead to quote marks).
    re.compile(r"'(?<![\w']')(?=\w)[^'\n]{1,400}?(?<=[\w.,!?])'(?![\w])"),
]


def quoted_spans(original: str) -> list[tuple[int, int]]:
    """Spans of quoted speech in the caller's string.

    A writer who quotes what they said earlier ("When I said 'she has other
    priorities'...") is not saying it again, so matches inside these spans are ignored.
    """
    spans: list[tuple[int, int]] = []
    for pattern in _QUOTED:
        spans.extend((m.start(), m.end()) for m in pattern.finditer(original))
    spans.sort()
    return spans


_GREETING = re.compile(
    r"^\s*(?:hi|hey|hello|dear|good (?:morning|afternoon|evening)|hiya|yo)\b[^\n]{0,40}\n",
    re.IGNORECASE,
)
_SIGNOFF_WORDS = re.compile(
    r"^(?:best|thanks|thank you|cheers|regards|kind regards|best regards|warmly|sincerely|"
    r"take care|all the best|many thanks|with thanks|yours|talk soon)\b[^\n]{0,20}$",
    re.IGNORECASE,
)


def split_frame(draft: str) -> tuple[str, str, str]:
    """Split an email-like draft into (greeting, body, sign-off).

    A revision keeps the writer's greeting and sign-off and rewrites only the body.
    """
    greeting = ""
    m = _GREETING.match(draft)
    if m:
        greeting = m.group(0)
    body = draft[len(greeting) :]
    lines = body.rstrip().split("\n")
    cut = len(lines)
    # A sign-off is a closing word on its own line, optionally followed by a name line,
    # or a bare name/dash signature of one or two words at the very end.
    for i in range(len(lines) - 1, max(len(lines) - 3, 0) - 1, -1):
        line = lines[i].strip()
        if _SIGNOFF_WORDS.match(line):
            cut = i
            break
    else:
        last = lines[-1].strip() if lines else ""
        if (
            len(lines) > 1
            and re.fullmatch(r"(?:[-\u2013\u2014~]\s*)?[A-Z][\w.\-]*(?: [A-Z][\w.\-]*)?", last)
            and not lines[-2].strip().endswith(("?", ":"))
            and lines[-2].strip() == ""
        ):
            cut = len(lines) - 1
    signoff = "\n".join(lines[cut:]).strip()
    body = "\n".join(lines[:cut])
    return greeting, body, signoff


_ENGLISH_WORDS = frozenset(
    (
        "i you the a to and of it that is was for me my your not be have this on in with "
        "what im sorry we but so do dont if at are just about would like can will how"
    ).split()
)
_WORD = re.compile(r"[^\W\d_]+")


def looks_english(text: str) -> bool:
    """Cheap guess for a warning, not a gate: are enough common English words present?"""
    words = _WORD.findall(text.lower())
    if len(words) < 4:
        return True
    latin = len([w for w in words if w.isascii()])
    if latin / len(words) < 0.5:
        return False
    common = len([w for w in words if w in _ENGLISH_WORDS])
    return common / len(words) >= 0.12
