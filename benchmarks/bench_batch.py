"""Batch throughput on disk: `allyfeedback batch --jobs 1` against `--jobs 2`, paired.

    python benchmarks/bench_batch.py                 # 10,000 drafts, 3 rounds
    python benchmarks/bench_batch.py --drafts 20000 --rounds 5 --dir /some/disk

Each round runs the command line once with each setting, one right after the other (in
alternating order), on the same input, writing a fresh output file on disk, and times the
whole command: start, loading the rules, critiquing, writing. Paired rounds matter on a
machine whose speed changes from minute to minute: compare the two figures of one round,
and take the median ratio over rounds. The load average is printed with each round: on a
machine whose cores are busy with other work, no setting can use two cores, and the ratio
says so. The CPU time of each run (the command and its workers together) shows what
running in two processes costs on top of the work itself.

The drafts are about 100 words each, every one different: each picks texts of the
labelled development set at random (fixed seed) until it has about 100 words.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_input(path: Path, n: int, words: int = 100, seed: int = 14) -> None:
    rows = [json.loads(x) for x in (ROOT / "tests/data/dev.jsonl").read_text("utf-8").splitlines()]
    texts = [r["text"].replace("\r\n", "\n") for r in rows]
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            parts: list[str] = []
            while sum(len(p.split()) for p in parts) < words:
                parts.append(rng.choice(texts))
            fh.write(json.dumps({"id": i, "text": " ".join(parts)}) + "\n")


@dataclass
class Run:
    wall: float  # seconds, the whole command
    cpu: float  # seconds of CPU, the command and its worker processes together


def run(src: Path, out: Path, jobs: int) -> Run:
    out.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "allyfeedback", "batch", str(src), "--out", str(out),
         "--backend", "rules", "--jobs", str(jobs)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None, help="folder on the disk to measure (default: here)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-batch-", dir=args.dir or Path.cwd()))
    try:
        src = work / "in.jsonl"
        make_input(src, args.drafts)
        rounds = []
        for r in range(args.rounds):
            order = (1, 2) if r % 2 == 0 else (2, 1)
            load = os.getloadavg()[0]
            runs = {jobs: run(src, work / f"out{jobs}.jsonl", jobs) for jobs in order}
            same = (work / "out1.jsonl").read_bytes() == (work / "out2.jsonl").read_bytes()
            assert same, "--jobs 2 wrote a different file from --jobs 1"
            rounds.append(runs)
            one, two = runs[1], runs[2]
            print(
                f"round {r + 1} (load {load:.1f}): "
                f"--jobs 1 {args.drafts / one.wall:,.0f} drafts/s ({one.wall:.2f} s, "
                f"CPU {one.cpu:.2f} s), --jobs 2 {args.drafts / two.wall:,.0f} drafts/s "
                f"({two.wall:.2f} s, CPU {two.cpu:.2f} s), ratio {one.wall / two.wall:.2f}",
                file=sys.stderr,
            )
    finally:
        shutil.rmtree(work)
    ratios = [s[1].wall / s[2].wall for s in rounds]
    result = {
        "drafts": args.drafts,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "jobs1_drafts_per_s": [round(args.drafts / s[1].wall) for s in rounds],
        "jobs2_drafts_per_s": [round(args.drafts / s[2].wall) for s in rounds],
        "ratio_per_round": [round(x, 2) for x in ratios],
        "median_ratio": round(statistics.median(ratios), 2),
        "cpu_jobs2_over_jobs1": round(statistics.median(s[2].cpu / s[1].cpu for s in rounds), 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"throughput --jobs 2 / --jobs 1, median of {args.rounds} paired rounds: "
            f"{result['median_ratio']:.2f}; CPU time --jobs 2 / --jobs 1: "
            f"{result['cpu_jobs2_over_jobs1']:.2f}"
        )


if __name__ == "__main__":
    main()
