"""Rule engine benchmark: latency per ~100-word draft, throughput, latency on text the
word caches have not seen, import time, and proselint on the same drafts as a reference
point for a rule-based prose checker.

    pip install ".[bench]"
    python benchmarks/bench_rules.py            # prints a table and writes JSON to stdout with --json

Single process, one core; numbers are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import allyfeedback as af  # noqa: E402
from allyfeedback.engine import analyze  # noqa: E402
from allyfeedback.rules_critique import critique_rules  # noqa: E402
from allyfeedback.ruleset import RuleSet, load_ruleset  # noqa: E402


def dev_texts() -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "tests/data/dev.jsonl").read_text("utf-8").splitlines()]
    return [r["text"].replace("\r\n", "\n") for r in rows]


def make_drafts(n: int, words: int = 100, texts: list[str] | None = None) -> list[str]:
    """Deterministic drafts of about ``words`` words, stitched from the labelled
    development set: each takes the next drafts of the set (with a stride, so
    neighbours differ) while that brings its length closer to ``words``."""
    texts = dev_texts() if texts is None else texts
    drafts, i = [], 0
    while len(drafts) < n:
        parts: list[str] = []
        total = 0
        while True:
            size = len(texts[i % len(texts)].split())
            if parts and abs(total + size - words) >= abs(total - words):
                break
            parts.append(texts[i % len(texts)])
            total += size
            i += 7
        drafts.append(" ".join(parts))
    return drafts


def unseen_folds(folds: int = 4) -> list[tuple[list[str], list[str]]]:
    """For each fold of the development set: drafts made from the other folds' texts
    (to warm the word caches on), and drafts made from this fold's texts, each text used
    once, consecutive texts joined until a draft has about 100 words."""
    texts = dev_texts()
    out = []
    for k in range(folds):
        warm = make_drafts(300, texts=[t for i, t in enumerate(texts) if i % folds != k])
        held: list[str] = []
        part: list[str] = []
        for t in (t for i, t in enumerate(texts) if i % folds == k):
            part.append(t)
            if sum(len(p.split()) for p in part) >= 95:
                held.append(" ".join(part))
                part = []
        out.append((warm, held))
    return out


def compile_all(rs: RuleSet) -> None:
    """Compile every regex now. They compile on first use, once per process; a pattern
    a held-out draft is the first to trigger would otherwise charge its compile to it."""
    for rule in rs:
        for matcher in rule.matchers:
            matcher.regex.compile()
        if rule.exception is not None:
            rule.exception.regex.compile()


def unseen_times(rs: RuleSet) -> list[float]:
    """The engine on text its word caches have not seen. The main figures reuse the
    development set's sentences, so the caches are as warm as they get; here each fold
    gets a fresh copy of the rule set (all regexes compiled and shared, caches empty),
    warmed on the other folds' drafts, then timed on its own."""
    compile_all(rs)
    times: list[float] = []
    for warm, held in unseen_folds():
        fresh = RuleSet(rs.rules)
        for d in warm:
            analyze(d, fresh)
        times += time_each(lambda d, fresh=fresh: analyze(d, fresh), held)
    return times


def time_each(fn, drafts: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for d in drafts:
        t0 = time.perf_counter()
        fn(d)
        out.append(time.perf_counter() - t0)
    return out


def import_time(runs: int = 15) -> dict[str, float]:
    def best(code: str) -> float:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            times.append(time.perf_counter() - t0)
        return min(times)

    bare = best("pass")
    with_af = best("import allyfeedback")
    first_call = best('import allyfeedback as af; af.critique("I\'m sorry.")')
    return {
        "python_startup_s": bare,
        "import_allyfeedback_total_s": with_af,
        "import_allyfeedback_added_s": with_af - bare,
        "import_and_first_critique_s": first_call,
    }


def proselint_times(drafts: list[str]) -> list[float] | None:
    try:
        from proselint.checks import __register__
        from proselint.registry import CheckRegistry
        from proselint.tools import LintFile
    except ImportError:
        return None
    CheckRegistry().register_many(__register__)
    LintFile("<warm>", drafts[0]).lint()
    return time_each(lambda d: LintFile("<draft>", d).lint(), drafts)


def calibration_us() -> float:
    """This machine's speed at plain Python, to compare runs made on different days:
    ``sum(range(1000))`` in microseconds (about 8 on a recent laptop)."""
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": statistics.median(ordered) * 1e3,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1e3,
        "per_second": len(ordered) / sum(ordered),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drafts", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    drafts = make_drafts(args.drafts)
    words = statistics.mean(len(d.split()) for d in drafts)
    rs = load_ruleset()
    # Steady state: patterns are compiled on first use, once per process; warm them up
    # (the cold start is measured separately, as "import + first critique").
    for d in drafts:
        af.critique(d, backend="rules")
    engine = summary(time_each(lambda d: analyze(d, rs), drafts))
    full = summary(time_each(lambda d: af.critique(d, backend="rules"), drafts))
    t0 = time.perf_counter()
    for d in drafts:
        analyze(d, rs)
    engine_rate = len(drafts) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for d in drafts:
        af.critique(d, backend="rules")
    loop_rate = len(drafts) / (time.perf_counter() - t0)
    unseen = summary(unseen_times(rs))
    # The learned layer's cost, paired: the same drafts through the rules' critique with
    # and without it, alternating, so machine load hits both alike.
    with_layer, without_layer = [], []
    for d in drafts:
        for learned, bucket in ((True, with_layer), (False, without_layer)):
            t = time.perf_counter()
            critique_rules(d, None, rs, learned=learned)
            bucket.append((time.perf_counter() - t) * 1e3)
    layer_ms = statistics.median(with_layer) - statistics.median(without_layer)
    pl = proselint_times(drafts[:200])
    result = {
        "drafts": len(drafts),
        "mean_words": round(words, 1),
        "rules": len(rs),
        "engine_only": engine,
        "critique_full": full,
        "engine_loop_per_second": engine_rate,
        "engine_unseen_text": unseen,
        "critique_loop_per_second": loop_rate,
        "learned_layer_median_ms": layer_ms,
        "learned_layer_share_of_engine": layer_ms / engine["median_ms"],
        "import": import_time(),
        "proselint_200_drafts": summary(pl) if pl else None,
        "engine_times_faster_than_proselint": (
            summary(pl)["median_ms"] / engine["median_ms"] if pl else None
        ),
        "python": sys.version.split()[0],
        "calibration_sum_range_1000_us": calibration_us(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(drafts)} drafts, {words:.0f} words on average, {len(rs)} rules")
    print(f"machine speed: sum(range(1000)) takes {result['calibration_sum_range_1000_us']:.1f} us")
    print(
        f"engine only (match rules)   median {engine['median_ms']:.3f} ms  p95 {engine['p95_ms']:.3f} ms"
    )
    print(
        f"full critique (+revision)   median {full['median_ms']:.3f} ms  p95 {full['p95_ms']:.3f} ms"
    )
    print(f"engine in a loop            {engine_rate:,.0f} drafts/s")
    print(
        f"engine on unseen text       median {unseen['median_ms']:.3f} ms  "
        f"p95 {unseen['p95_ms']:.3f} ms  (word caches warmed on other drafts)"
    )
    print(f"full critique in a loop     {loop_rate:,.0f} drafts/s")
    print(
        f"learned layer (paired)      median {layer_ms:.3f} ms a draft, "
        f"{layer_ms / engine['median_ms']:.0%} of the engine's median"
    )
    imp = result["import"]
    print(
        f"python -c 'import allyfeedback'  {imp['import_allyfeedback_total_s'] * 1e3:.0f} ms total, "
        f"{imp['import_allyfeedback_added_s'] * 1e3:.0f} ms over bare python "
        f"({imp['python_startup_s'] * 1e3:.0f} ms)"
    )
    print(f"import + first critique           {imp['import_and_first_critique_s'] * 1e3:.0f} ms")
    if pl:
        s = summary(pl)
        print(
            f"proselint (same drafts, 200)  median {s['median_ms']:.3f} ms  p95 {s['p95_ms']:.3f} ms"
        )
        print(
            f"engine vs proselint per draft: {s['median_ms'] / engine['median_ms']:.1f} times "
            "faster (target: at least 5)"
        )
    else:
        print("proselint not installed: pip install '.[bench]'")


if __name__ == "__main__":
    main()
