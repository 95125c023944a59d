"""The LLM replay set: constructed drafts, gold labels and constructed model answers.

    python tests/replay_set.py          # rewrites tests/data/llm_replay.jsonl from the source
    python tests/replay_set.py --serve  # serves its answers on 127.0.0.1:8766 until Ctrl-C
    python tests/replay_set.py --serve-corpus   # the same for tests/data/corpus.jsonl

For the corpus (``tests/data/corpus.jsonl``, written by the project with the words that
show each label as ``evidence``), ``corpus_answer`` constructs the answer a faithful model
would give: every gold label, quoting its evidence, and nothing else.

The source (``tests/data/llm_replay_source.txt``) marks each label's words inline; see its
header. Every answer here is constructed by this project, not produced by a model: it
quotes the marked words, misses the labels marked ``!`` and adds the findings marked
``{...}``, so the "model" makes a few mistakes of both kinds.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from allyfeedback.taxonomy import ELEMENT_IDS, PROBLEM_IDS

DATA = Path(__file__).parent / "data"
SOURCE = DATA / "llm_replay_source.txt"
REPLAY = DATA / "llm_replay.jsonl"
_MARK = re.compile(r"\[([a-z_!,]+): ([^\]]+)\]|\{([a-z_]+): ([^}]+)\}")
REVISION = (
    "I'm sorry. I got this wrong and it affected you. What would you like me to do next? "
    "I'm listening."
)


def parse(line: str, n: int) -> dict[str, Any]:
    text = line.replace("\\n", "\n")
    gold: set[str] = set()
    found: list[tuple[str, str]] = []  # (label, quote) the constructed answer reports
    for m in _MARK.finditer(text):
        if m.group(1):
            for label in m.group(1).split(","):
                gold.add(label.lstrip("!"))
                if not label.startswith("!"):
                    found.append((label, m.group(2)))
    plain = _MARK.sub(lambda m: m.group(2) if m.group(1) else "", text)
    for m in _MARK.finditer(text):
        if m.group(3):
            found.append((m.group(3), m.group(4)))
    plain = re.sub(r"  +", " ", plain).strip()
    for _, quote in found:
        assert quote in plain, (n, quote)
    elements = {label: q for label, q in reversed(found) if label in ELEMENT_IDS}
    answer = {
        "problems": [
            {
                "category": label,
                "quote": q,
                "why": "Constructed stand-in finding.",
                "instead": "Say what you did and stop there.",
            }
            for label, q in found
            if label in PROBLEM_IDS
        ],
        "elements": [
            {"id": i, "present": i in elements, "quote": elements.get(i)} for i in ELEMENT_IDS
        ],
        "summary": "Constructed stand-in summary.",
        "revision": REVISION,
    }
    return {
        "id": f"replay-{n:03d}",
        "text": plain,
        "situation": None,
        "problems": sorted(g for g in gold if g in PROBLEM_IDS),
        "elements": sorted(g for g in gold if g in ELEMENT_IDS),
        "answer": answer,
    }


CORPUS = DATA / "corpus.jsonl"


def corpus_answer(row: dict[str, Any]) -> str:
    """A constructed answer for a corpus row: its gold labels with their evidence."""
    evidence = row.get("evidence", {})
    return json.dumps(
        {
            "problems": [
                {"category": c, "quote": evidence[c], "why": "w", "instead": "i"}
                for c in row["problems"]
                if c in evidence
            ],
            "elements": [
                {"id": i, "present": i in row["elements"], "quote": evidence.get(i)}
                if i in evidence
                else {"id": i, "present": False, "quote": None}
                for i in ELEMENT_IDS
            ],
            "summary": "Constructed stand-in summary.",
            "revision": REVISION,
        }
    )


def load_corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line]


def build() -> list[dict[str, Any]]:
    lines = [ln for ln in SOURCE.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    return [parse(line, n) for n, line in enumerate(lines, 1)]


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in REPLAY.read_text("utf-8").splitlines() if line]


def _serve(corpus: bool, port: int = 8766) -> None:
    import time

    from stand_in import StandIn, serve

    state = StandIn()
    for row in load_corpus() if corpus else load():
        state.add(row["text"], corpus_answer(row) if corpus else json.dumps(row["answer"]))
    with serve(state, port) as server:
        print(f"constructed answers at {server.url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__" and sys.argv[1:] in (["--serve"], ["--serve-corpus"]):
    _serve(corpus=sys.argv[1] == "--serve-corpus")
elif __name__ == "__main__":
    rows = build()
    REPLAY.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(f"{len(rows)} drafts written to {REPLAY.name}")
