"""``allyfeedback coach``: a loop in the terminal for one person and one draft.

Say what happened, paste a draft (as many paragraphs as it has, ended by a line with a
single ``.`` or by Ctrl-D), read the feedback, revise (or take the suggested reply), and
repeat until it reads well. An empty answer or Ctrl-D ends the session cleanly.

Input is read in bounded pieces: a draft longer than the limit ends the session with a
clear message instead of filling memory, and text that is not UTF-8 is named as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .errors import AllyFeedbackError
from .models import Feedback

INTRO = (
    "Let's look at your reply together. Take your time; nothing is sent anywhere unless "
    "you set up a language model.\n"
)
END = "."
NOT_UTF8 = "Some of that text is not UTF-8 and could not be read. Paste it again as plain text."
# What a terminal's decoder leaves for undecodable bytes (``surrogateescape``).
_UNDECODED = re.compile("[\udc80-\udcff]")


class _TooLong(Exception):
    """The person's text went past the limit; reading stops there."""


@dataclass
class _Reader:
    stdin: TextIO
    stdout: TextIO
    max_chars: int

    def line(self) -> str | None:
        """One line without its end; ``None`` at end of input."""
        try:
            line = self.stdin.readline(self.max_chars + 2)
        except UnicodeDecodeError:
            return "\udcff"  # shown to the person as not UTF-8, like an escaped byte
        if line == "":
            return None
        if len(line) > self.max_chars + 1 or (len(line) > self.max_chars and line[-1] != "\n"):
            raise _TooLong
        return line.rstrip("\r\n")

    def block(self, prompt: str, until_dot: bool, commands: tuple[str, ...] = ()) -> str | None:
        """Lines up to an empty line (``until_dot=False``) or up to a line holding only
        ``.`` (``until_dot=True``: blank lines then belong to the text). An empty first
        line is an empty answer, and a first line that is one of ``commands`` is
        returned at once. ``None`` on Ctrl-D before anything was typed."""
        self.stdout.write(prompt)
        self.stdout.flush()
        lines: list[str] = []
        size = 0
        while True:
            line = self.line()
            if line is None:
                text = "\n".join(lines).strip("\n") if lines else None
                break
            if not line and (not until_dot or not lines):
                text = "\n".join(lines)
                break
            if not lines and line.strip().lower() in commands:
                return line.strip()
            if until_dot and line.strip() == END:
                text = "\n".join(lines).strip("\n")
                break
            size += len(line) + 1
            if size > self.max_chars + 1:
                raise _TooLong
            lines.append(line)
        if text is not None and _UNDECODED.search(text):
            self.stdout.write(f"\n{NOT_UTF8}\n")
            return self.block(prompt, until_dot, commands)
        return text


USE = "use"
DRAFT_PROMPT = "\nPaste your draft; end it with a line holding only a full stop (.), or Ctrl-D.\n"
REVISE_PROMPT = (
    "\nRevise your draft and paste it, ending with a line holding only a full stop (.). "
    "Type 'use' to start from the suggested reply, or press Enter to finish.\n"
)


def run_coach(
    stdin: TextIO,
    stdout: TextIO,
    critic: Callable[[str, str | None], Feedback],
    color: bool = False,
    max_chars: int = 10_000,
) -> int:
    """The session; 0 when it ends as the person chose, 2 when their text went past
    ``max_chars`` (reading stops there, so no input can fill memory)."""
    read = _Reader(stdin, stdout, max_chars)
    stdout.write(INTRO)
    try:
        return _session(read, stdout, critic, color)
    except _TooLong:
        stdout.write(
            f"\nThat is longer than {max_chars:,} characters, so I stopped reading. A reply "
            "that helps is usually short; try again with the part you most want to say "
            "(or raise the limit with --max-chars N).\n"
        )
        return 2


def _session(
    read: _Reader, stdout: TextIO, critic: Callable[[str, str | None], Feedback], color: bool
) -> int:
    situation = read.block(
        "\nWhat happened, in a sentence or two? (Enter to skip)\n> ", until_dot=False
    )
    if situation is None:
        stdout.write("\nGoodbye.\n")
        return 0
    draft = read.block(DRAFT_PROMPT, until_dot=True)
    rounds = 0
    while draft:
        try:
            fb = critic(draft, situation or None)
        except AllyFeedbackError as exc:
            stdout.write(f"\n{exc}\n")
            draft = read.block(DRAFT_PROMPT, until_dot=True)
            continue
        rounds += 1
        stdout.write("\n" + fb.to_text(color=color))
        if fb.verdict == "ready":
            stdout.write("\nThis reads well. Send it when you're ready, and then listen.\n")
            return 0
        answer = read.block(REVISE_PROMPT, until_dot=True, commands=(USE,))
        if answer is None or not answer.strip():
            break
        draft = fb.revision if answer.strip().lower() == USE else answer
    stdout.write(
        "\nGoodbye. Whatever you send, lead with the apology and ask what they need.\n"
        if rounds
        else "\nGoodbye.\n"
    )
    return 0
