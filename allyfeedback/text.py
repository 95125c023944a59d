"""Text handling that keeps offsets honest.

Rules match against a *normalised* copy of the draft (lower case, straight quotes, no
apostrophes, one space between words) so that "I’m", "I'm" and "im" read alike. Every
character of that copy remembers which character of the caller's string it came from, so
a match maps back to exact offsets with ``draft[start:end] == quote``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


@dataclass(frozen=True)
class NormalizedText:
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


def normalize(original: str) -> NormalizedText:
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
            kind = "\n" if ch in _NEWLINES else " "
            if pending_space is None:
                pending_space, pending_at = kind, i
            elif kind == "\n":
                pending_space = "\n"
            return
        if ch in _APOSTROPHES or _is_invisible(ch):
            return
        flush_space()
        if ch in _DOUBLE_QUOTES:
            mapped = '"'
        elif ch in _DASHES:
            mapped = "-"
        elif ch == "\u2026":
            mapped = "..."
        else:
            mapped = ch.lower()
        out.append(mapped)
        origin.extend([i] * len(mapped))

    pos = 0
    for m in _PLAIN.finditer(original):
        start, end = m.span()
        for i in range(pos, start):
            one(i, original[i])
        flush_space()
        out.append(original[start:end].lower())
        origin.extend(range(start, end))
        pos = end
    for i in range(pos, len(original)):
        one(i, original[i])
    return NormalizedText(original, "".join(out), tuple(origin))


# A sentence ends at . ! ? (and runs of them) before white space or a closing quote,
# or at a line break.
# (Written to start with a character class, so ``re`` skips ahead to those characters.)
_SENTENCE_END = re.compile(r'[.!?\n](?:(?<=\n)|[.!?]*(?:"|\))?(?=\s|$))')


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of sentences in normalised ``text`` (boundaries inclusive of the mark)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
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
