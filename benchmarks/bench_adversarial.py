"""Worst case of the rule engine: generated hostile drafts up to the 10,000-character
limit, each timed through ``analyze`` (the rule engine, sentence splitting included).

    python benchmarks/bench_adversarial.py          # the slowest drafts, by family
    python benchmarks/bench_adversarial.py --json

Families: repeated hedges and intensifiers before a cue (the shape that once backtracked
exponentially), every pattern's literal words repeated (alone, as one long sentence,
and as many sentences), nested clauses, long runs of punctuation and quotes, words
without spaces, and seeded random mixes of all the literals with punctuation. A draft
slower than 10 ms gets the best of three runs (this machine's clock swings), and is timed
again with its sentence split handed in, so a slow draft shows whether the rule engine
or the sentence splitter (``text.py``) is slow. The target for the built-in rules is
under 100 ms for any draft.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import timeit
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from allyfeedback import engine  # noqa: E402
from allyfeedback.engine import analyze  # noqa: E402
from allyfeedback.ruleset import RuleSet, builtin_macros, load_ruleset  # noqa: E402
from allyfeedback.text import normalize, sentence_spans  # noqa: E402

LIMIT = 10_000
TARGET_MS = 100.0
SCREEN_S = 0.01  # drafts slower than this on a first run get the best of three
_ALTERNATIVE = re.compile(r"[a-z][a-z ]*[a-z]")


def fill(unit: str, prefix: str = "", suffix: str = "") -> str:
    """``prefix`` + ``unit`` repeated + ``suffix``, at most ``LIMIT`` characters."""
    room = LIMIT - len(prefix) - len(suffix)
    return prefix + (unit * max(room // max(len(unit), 1), 1))[:room] + suffix


def literals(rs: RuleSet) -> list[str]:
    found: set[str] = set()
    for rule in rs:
        for m in [*rule.matchers, *([rule.exception] if rule.exception else [])]:
            for lits in [m.literals or frozenset(), *m.extras]:
                found |= {lit.strip() for lit in lits if lit.strip()}
    return sorted(found)


def macro_words() -> list[str]:
    words: set[str] = set()
    for body in builtin_macros().values():
        words |= {w for w in _ALTERNATIVE.findall(body) if len(w) > 1}
    return sorted(words)


def drafts(rs: RuleSet, seed: int = 0) -> Iterator[tuple[str, str]]:
    """(family, draft) pairs."""
    hedges = macro_words()
    cues = ["x assumed", "x big deal", "x figured", "x meant well", "sorry if", "you should"]
    for word in hedges:
        for cue in cues[:3]:
            yield "hedges", fill(word + " ", "i ", cue)
            yield "hedges", fill(word + " ", "not ", cue)
    yield "hedges", fill("really so ", "i ", "x meant well")
    yield "hedges", fill(" ".join(hedges[:40]) + " ", "im ", "sorry")
    lits = literals(rs)
    for lit in lits:
        yield "literal", fill(lit + " ")  # one long sentence
        yield "literal", fill(lit + ". ")  # many sentences
        yield "literal", fill(lit)  # no spaces
    yield "all literals", fill(" ".join(lits) + " ")
    yield "all literals", fill(". ".join(lits) + ". ")
    nested = "because i thought that you said that "
    yield "clauses", fill(nested, "i only did it ", "it was a joke.")
    yield "clauses", fill("(and ", "i said ", "x" + ")" * 100)
    yield "clauses", fill("if you felt that ", "im sorry ", "it hurt")
    yield "clauses", fill("but ", "im sorry ", "you are too sensitive")
    for p in [".", "!", "?", ",", ";", ":", "-", " - ", "\n", '"', "'", "“”", "(", ")", "…", ". "]:
        yield "punctuation", fill(p)
        yield "punctuation", fill(p, "im sorry", "you should have said")
    yield "quotes", fill('"it was just a joke" ')
    yield "quotes", fill("'it was just a joke' ")
    yield "no spaces", fill("a")
    yield "no spaces", fill("sorry")
    yield "no spaces", fill("apologise")
    rng = random.Random(seed)
    pool = [*lits, *hedges, ".", ",", "!", "?", "\n", '"', "'", "(", ")", "i", "you", "not"]
    for _ in range(100):
        parts, size = [], 0
        while size < LIMIT - 40:
            part = rng.choice(pool)
            parts.append(part)
            size += len(part) + 1
        yield "random", " ".join(parts)[:LIMIT]


def best_of(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def engine_only(draft: str, rs: RuleSet, spans: list[tuple[int, int]]) -> float:
    """``analyze`` with the sentence split handed in: the rule engine's own time."""
    real = engine.sentence_spans
    engine.sentence_spans = lambda _text: list(spans)  # type: ignore[assignment]
    try:
        return best_of(lambda: analyze(draft, rs), runs=3)
    finally:
        engine.sentence_spans = real


def calibration_us() -> float:
    """This machine's speed at plain Python: ``sum(range(1000))`` in microseconds
    (about 8 on a recent laptop; 13 to 27 on the project's build machine when quiet)."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args()
    rs = load_ruleset()
    for rule in rs:  # compile every regex first: compiling is a one-off, not the draft's
        for m in [*rule.matchers, *([rule.exception] if rule.exception else [])]:
            m.regex.compile()
    calibration = calibration_us()
    rows = []
    for family, draft in drafts(rs):
        assert len(draft) <= LIMIT
        total = best_of(lambda d=draft: analyze(d, rs), runs=1)
        own = total
        if total > SCREEN_S:  # a slow one: timed again, and without sentence splitting
            if total < 1.0:
                total = min(total, best_of(lambda d=draft: analyze(d, rs), runs=2))
            spans = sentence_spans(normalize(draft).text)
            own = engine_only(draft, rs, spans)
        rows.append(
            {
                "family": family,
                "chars": len(draft),
                "ms": total * 1e3,
                "engine_ms": own * 1e3,
                "start": draft[:40],
            }
        )
    rows.sort(key=lambda r: r["ms"], reverse=True)
    by_engine = sorted(rows, key=lambda r: r["engine_ms"], reverse=True)
    families: dict[str, tuple[float, float]] = {}
    for r in rows:
        total, own = families.get(r["family"], (0.0, 0.0))
        families[r["family"]] = (max(total, r["ms"]), max(own, r["engine_ms"]))
    result = {
        "drafts": len(rows),
        "calibration_sum_range_1000_us": calibration,
        "worst_ms": rows[0]["ms"],
        "worst_engine_ms": by_engine[0]["engine_ms"],
        "target_ms": TARGET_MS,
        "worst_by_family_ms": families,
        "slowest": rows[: args.top],
        "slowest_engine": by_engine[: args.top],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(rows)} hostile drafts up to {LIMIT:,} characters, {len(rs)} built-in rules")
    print(f"machine speed: sum(range(1000)) takes {calibration:.1f} us")
    print(f"worst draft, all of analyze: {rows[0]['ms']:.1f} ms (target < {TARGET_MS:.0f} ms)")
    print(f"worst draft, the engine without sentence splitting: {by_engine[0]['engine_ms']:.1f} ms")
    print("worst by family (all of analyze / without sentence splitting):")
    for family, (total, own) in sorted(families.items(), key=lambda kv: -kv[1][0]):
        print(f"  {family:<14} {total:10.1f} ms {own:8.1f} ms")
    for title, table in (("slowest drafts", rows), ("slowest for the engine itself", by_engine)):
        print(f"{title}:")
        for r in table[: args.top]:
            print(
                f"  {r['ms']:10.1f} ms (engine {r['engine_ms']:6.1f})  {r['family']:<12} "
                f"{r['chars']:>6} chars  {r['start']!r}"
            )


if __name__ == "__main__":
    main()
