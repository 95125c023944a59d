"""What of a draft is the writer's own message: its greeting, its body, its sign-off, and
the text around it that someone else wrote or that is not part of the message.

Quoted reply blocks (``> ...`` with their "On Tue, Priya wrote:" line, or an Outlook
"From:/Sent:/To:" header and all below it), forwarded messages, signatures (after a
``-- `` line, "Sent from my phone") and the sign-off block ("Best,\\nTom") are left out of
the critique; the ``Feedback`` lists them as ``skipped`` with exact offsets. The greeting
and sign-off are kept in the revision. Everything here works line by line, in linear time.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from .engine import Analysis

SkipKind = Literal["quoted_reply", "forwarded", "signature", "sign_off"]


class Block(NamedTuple):
    """A stretch ``draft[start:end]`` of one kind that is not critiqued."""

    kind: SkipKind
    start: int
    end: int


class Frame(NamedTuple):
    """The layout of a draft: ``draft[:greeting_end]`` is the greeting, the body runs up to
    ``body_end`` (less any block inside it), ``draft[body_end:tail_end]`` is the sign-off
    and signature kept in a revision, and ``skipped`` lists every block left out."""

    greeting_end: int
    body_end: int
    tail_end: int
    skipped: tuple[Block, ...]

    @property
    def skipped_quotes(self) -> bool:
        """Whether someone else's text (a quoted reply, a forward) is left out."""
        return any(b.kind in ("quoted_reply", "forwarded") for b in self.skipped)

    def is_skipped(self, start: int, end: int) -> bool:
        """Whether ``draft[start:end]`` overlaps a skipped block."""
        return any(b.start < end and start < b.end for b in self.skipped)


_SALUTATION = r"(?:hi|hey|hello|dear|hiya|greetings|good (?:morning|afternoon|evening)|morning)"
_NAME = r"[A-Z][\w.'\u2019-]*(?: [A-Z][\w.'\u2019-]*){0,2}"
# A greeting line ("Hi Priya,", "Dear all:") or a greeting that opens a line ("Hey, ...").
_GREETING = re.compile(
    rf"[ \t]*{_SALUTATION}(?: (?:{_NAME}|all|team|everyone|folks|you|there))?"
    r"(?:[ \t]*[,:!\u2014\u2013-](?=[ \t]*\S)[ \t]*|[ \t]*[,:!]?[ \t]*(?:\r?\n|$))",
    re.IGNORECASE,
)
_SIGNOFF_LINE = re.compile(
    r"(?:best|thanks|thank you|cheers|regards|kind regards|best regards|warm regards|warmly|"
    r"sincerely|yours sincerely|yours truly|take care|all the best|many thanks|with thanks|"
    r"yours|talk soon|best wishes|warm wishes|respectfully|love)"
    rf"(?: (?:again|so much|very much))?[ \t]*[,.!\u2014-]?(?:[ \t]+{_NAME})?[ \t]*",
    re.IGNORECASE,
)
# A line of a signature block: a name, a job title, contact details.
_SIGNATURE_LINE = re.compile(
    r"(?!.*\b(?:I|I'm|I\u2019m|you|your|me|my|we|sorry)\b)"
    rf"[ \t]*(?:[-\u2013\u2014~][ \t]*)?(?:{_NAME}(?:,? [\w&/()'.,|-]+){{0,6}}|\S*@\S+|"
    r"[+()\d][\d ()+.-]{6,}|(?:https?://|www\.)\S+|.*\|.*)[ \t]*"
)
# A name alone on a line, perhaps after a dash or two ("- Tom", "-- Tom").
_BARE_NAME = re.compile(rf"[ \t]*(?:(?:--|[-\u2013\u2014~])[ \t]*)?{_NAME}[ \t]*")
_SIG_DASHES = re.compile(r"(?:--|__{3,}|\u2014\u2014)[ \t]*")
_SENT_FROM = re.compile(r"[ \t]*(?:sent from my|get outlook for) .{0,40}", re.IGNORECASE)
_QUOTE_LINE = re.compile(r"[ \t]*>")
_ATTRIBUTION = re.compile(r"[ \t]*on\b.{0,200}\bwrote:[ \t]*", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"[ \t]*on\b.{0,200}", re.IGNORECASE)
_FORWARD_MARK = re.compile(
    r"[ \t]*(?:-{3,}[ \t]*forwarded message[ \t]*-{3,}|begin forwarded message:)[ \t]*",
    re.IGNORECASE,
)
_ORIGINAL_MARK = re.compile(r"[ \t]*-{3,}[ \t]*original message[ \t]*-{3,}[ \t]*", re.IGNORECASE)
_HEADER = re.compile(r"[ \t]*(?:from|sent|date|to|cc|subject):[ \t]+\S.*", re.IGNORECASE)


# How a one-line draft that is a block of its own starts (quote, signature, forward).
_ONE_LINE_BLOCKS = (">", "-", "_", "\u2014", "sent from", "get outlook", "begin forwarded")


class _Line(NamedTuple):
    start: int  # offset of the first character
    end: int  # offset of the line end (the \n, or the end of the draft)
    text: str  # without \r and trailing white space

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def _lines(draft: str) -> list[_Line]:
    out = []
    pos = 0
    for raw in draft.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw.rstrip()))
        pos += len(raw) + 1
    return out


def _to_end(lines: list[_Line]) -> tuple[int, SkipKind] | None:
    """The first line from which everything is someone else's text, and its kind."""
    for i, line in enumerate(lines):
        t = line.text
        if _FORWARD_MARK.fullmatch(t):
            return i, "forwarded"
        if _ORIGINAL_MARK.fullmatch(t):
            return i, "quoted_reply"
        if (
            t[:5].lower() == "from:"
            and _HEADER.fullmatch(t)
            and i + 1 < len(lines)
            and _HEADER.fullmatch(lines[i + 1].text)
        ):
            return i, "quoted_reply"
        attribution = _ATTRIBUTION.fullmatch(t) or (
            _ATTRIBUTION_START.fullmatch(t)
            and i + 1 < len(lines)
            and lines[i + 1].text.lower().endswith("wrote:")
        )
        if attribution:
            rest = [x for x in lines[i + 1 :] if not x.blank]
            # Outlook-style: the quoted message follows unmarked, to the end.
            if rest and not any(_QUOTE_LINE.match(x.text) for x in rest):
                return i, "quoted_reply"
    return None


def _quote_blocks(lines: list[_Line]) -> list[tuple[int, int]]:
    """Runs of ``>`` lines (line indices, end exclusive), each with the attribution line
    ("On ..., Priya wrote:", possibly wrapped over two lines) and blank lines before it."""
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not _QUOTE_LINE.match(lines[i].text):
            i += 1
            continue
        j = i
        while j < len(lines) and (_QUOTE_LINE.match(lines[j].text) or lines[j].blank):
            j += 1
        while j > i and lines[j - 1].blank:
            j -= 1
        start = i
        k = i - 1
        while k >= 0 and lines[k].blank:
            k -= 1
        if k >= 0 and lines[k].text.lower().endswith("wrote:"):
            start = k
            wrapped = k > 0 and not _ATTRIBUTION.fullmatch(lines[k].text)
            if wrapped and _ATTRIBUTION_START.fullmatch(lines[k - 1].text):
                start = k - 1
        blocks.append((start, j))
        i = j
    return blocks


def _tail(lines: list[_Line], stop: int) -> tuple[int, int | None]:
    """Where the sign-off block starts and where a ``-- `` signature starts, among
    ``lines[:stop]`` (``stop`` when there is none)."""
    signature: int | None = None
    for i in range(stop):
        if _SIG_DASHES.fullmatch(lines[i].text) or _SENT_FROM.fullmatch(lines[i].text):
            signature = i
            break
    end = stop if signature is None else signature
    last = end
    while last > 0 and lines[last - 1].blank:
        last -= 1
    if last == 0:
        return end, signature
    # A sign-off word line within the last four lines (after the first: something comes
    # before a sign-off), followed only by signature lines.
    for i in range(last - 1, max(last - 5, 1) - 1, -1):
        if _SIGNOFF_LINE.fullmatch(lines[i].text.strip()) and all(
            _SIGNATURE_LINE.fullmatch(x.text) for x in lines[i + 1 : last]
        ):
            return i, signature
    # Or a bare name (or "- Tom") on its own line after a blank line.
    if last >= 3 and lines[last - 2].blank and _BARE_NAME.fullmatch(lines[last - 1].text):
        return last - 1, signature
    return end, signature


def find_frame(draft: str) -> Frame:
    """The greeting, body, sign-off and skipped blocks of ``draft``."""
    head = draft.lstrip()[:13].lower()
    if "\n" not in draft and not head.startswith(_ONE_LINE_BLOCKS):  # a greeting at most
        m = _GREETING.match(draft)
        return Frame(m.end() if m else 0, len(draft), len(draft), ())
    return _line_by_line(draft)


def _line_by_line(draft: str) -> Frame:
    lines = _lines(draft)
    n = len(draft)
    blocks: list[Block] = []
    to_end = _to_end(lines)
    stop = len(lines) if to_end is None else to_end[0]
    quoted = _quote_blocks(lines[:stop])
    for a, b in quoted:
        blocks.append(Block("quoted_reply", lines[a].start, lines[b - 1].end))
    own_stop = stop  # the sign-off is looked for above a quote block that ends the draft
    if quoted and all(x.blank for x in lines[quoted[-1][1] : stop]):
        own_stop = quoted[-1][0]
    greeting_end = 0
    first = next((x for x in lines[:stop] if not x.blank), None)
    if first is not None and not _QUOTE_LINE.match(first.text):
        m = _GREETING.match(draft, first.start)
        if m and m.end() <= (first.end + 1 if first.end < n else n):
            greeting_end = m.end()
    tail, signature = _tail(lines, own_stop)
    body_end = lines[tail].start if tail < len(lines) else n
    body_end = max(body_end, greeting_end)
    tail_end = lines[own_stop].start if own_stop < len(lines) else n
    if to_end is not None:
        blocks.append(Block(to_end[1], lines[stop].start, n))
    sign_off_end = tail_end if signature is None else lines[signature].start
    if tail < (own_stop if signature is None else signature):
        blocks.append(Block("sign_off", lines[tail].start, sign_off_end))
    if signature is not None:
        blocks.append(Block("signature", lines[signature].start, tail_end))
    kept = tuple(
        sorted(
            (b._replace(end=_trim(draft, b.start, b.end)) for b in blocks),
            key=lambda b: b.start,
        )
    )
    return Frame(
        greeting_end,
        body_end,
        tail_end,
        tuple(b for b in kept if b.end > b.start),
    )


def _trim(draft: str, start: int, end: int) -> int:
    """``end`` moved back over trailing white space, so a block ends at its last word."""
    while end > start and draft[end - 1].isspace():
        end -= 1
    return end


def own_words(analysis: Analysis, frame: Frame) -> Analysis:
    """``analysis`` without the findings inside skipped blocks: words someone else
    wrote, or a signature, are not the writer's reply."""
    if not frame.skipped:
        return analysis
    hits = tuple(h for h in analysis.hits if not frame.is_skipped(h.start, h.end))
    return analysis._replace(hits=hits)
