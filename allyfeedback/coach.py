"""``allyfeedback coach``: a loop in the terminal for one person and one draft.

Say what happened, paste a draft, read the feedback, revise (or take the suggested reply),
and repeat until it reads well. An empty answer or Ctrl-D ends the session cleanly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from .errors import AllyFeedbackError
from .models import Feedback

INTRO = (
    "Let's look at your reply together. Take your time; nothing is sent anywhere unless "
    "you set up a language model.\n"
)


def _read_block(stdin: TextIO, stdout: TextIO, prompt: str) -> str | None:
    """Lines up to an empty line; ``None`` on Ctrl-D before anything was typed."""
    stdout.write(prompt)
    stdout.flush()
    lines: list[str] = []
    while True:
        line = stdin.readline()
        if line == "":  # end of input (Ctrl-D)
            return "\n".join(lines) if lines else None
        line = line.rstrip("\r\n")
        if not line:
            return "\n".join(lines)
        lines.append(line)


def run_coach(
    stdin: TextIO,
    stdout: TextIO,
    critic: Callable[[str, str | None], Feedback],
    color: bool = False,
) -> int:
    stdout.write(INTRO)
    situation = _read_block(
        stdin, stdout, "\nWhat happened, in a sentence or two? (Enter to skip)\n> "
    )
    if situation is None:
        stdout.write("\nGoodbye.\n")
        return 0
    draft = _read_block(stdin, stdout, "\nPaste your draft, then an empty line. (Ctrl-D to stop)\n")
    rounds = 0
    while draft:
        try:
            fb = critic(draft, situation or None)
        except AllyFeedbackError as exc:
            stdout.write(f"\n{exc}\n")
            draft = _read_block(stdin, stdout, "\nTry again, then an empty line.\n")
            continue
        rounds += 1
        stdout.write("\n" + fb.to_text(color=color))
        if fb.verdict == "ready":
            stdout.write("\nThis reads well. Send it when you're ready, and then listen.\n")
            return 0
        answer = _read_block(
            stdin,
            stdout,
            "\nRevise your draft and paste it, then an empty line. Type 'use' to start from "
            "the suggested reply, or press Enter to finish.\n",
        )
        if answer is None or not answer.strip():
            break
        draft = fb.revision if answer.strip().lower() == "use" else answer
    stdout.write(
        "\nGoodbye. Whatever you send, lead with the apology and ask what they need.\n"
        if rounds
        else "\nGoodbye.\n"
    )
    return 0
