"""Cost of allyfeedback's own sentence segmentation and reply-structure detection, and
(when installed) of the libraries considered instead: pysbd for sentences and
mail-parser-reply for quoted replies and signatures.

    python benchmarks/bench_segmentation.py            # ours only
    pip install pysbd mail-parser-reply && python benchmarks/bench_segmentation.py

Prints import time (a fresh interpreter each), median time per draft over the labelled
development drafts plus a hard-wrapped email, and how each reads that email.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from allyfeedback.frame import find_frame
from allyfeedback.text import normalize, sentence_spans

ROOT = Path(__file__).resolve().parent.parent
EMAIL = (  # constructed: a plain-text reply hard-wrapped at 72 columns, quoting the other
    "Hi Priya,\n\n"
    "I wanted to write properly about what happened in Tuesday's meeting. I'm\n"
    "sorry. I spoke about your project as if it were mine, and I should not\n"
    "have done that. What would you like me to do next?\n\n"
    "Best,\nTom\n\n"
    "On Tue, 3 Dec 2026 at 10:14, Priya Shah <priya@example.com> wrote:\n"
    "> Tom, the analysis you presented was mine.\n"
)


def _import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(runs) * 1000


def _per_draft_us(fn: Callable[[str], object], drafts: list[str]) -> float:
    times = []
    for d in drafts:
        t = time.perf_counter()
        fn(d)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> None:
    rows = [json.loads(x) for x in (ROOT / "tests/data/dev.jsonl").read_text().splitlines() if x]
    drafts = [r["text"] for r in rows] + [EMAIL] * 50

    def ours(d: str) -> object:
        return sentence_spans(normalize(d).text), find_frame(d)

    for fn in (ours,):
        fn(EMAIL)
    print(
        f"ours: import allyfeedback.text {_import_ms('allyfeedback.text'):.1f} ms, "
        f"{_per_draft_us(ours, drafts):.0f} µs/draft (normalise + segment + frame)"
    )
    norm = normalize(EMAIL).text
    print("  reads the email as:", [norm[s:e].strip() for s, e in sentence_spans(norm)])
    try:
        import pysbd
    except ImportError:
        print("pysbd: not installed")
    else:
        seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
        print(
            f"pysbd: import {_import_ms('pysbd'):.1f} ms, "
            f"{_per_draft_us(seg.segment, drafts):.0f} µs/draft"
        )
        print("  reads the email as:", [s.sent.strip() for s in seg.segment(EMAIL)])
    try:
        from mailparser_reply import EmailReplyParser
    except ImportError:
        print("mail-parser-reply: not installed")
    else:
        parser = EmailReplyParser(languages=["en"])
        print(
            f"mail-parser-reply: import {_import_ms('mailparser_reply'):.1f} ms, "
            f"{_per_draft_us(parser.parse_reply, drafts):.0f} µs/draft"
        )
        print("  keeps of the email:", repr(parser.parse_reply(text=EMAIL)))


if __name__ == "__main__":
    main()
