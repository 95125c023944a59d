"""Instructions per draft, counted by valgrind: a steady figure where wall time is not.

    python benchmarks/instructions.py analyze      # the rule engine alone
    python benchmarks/instructions.py critique     # the whole rules-mode critique
    python benchmarks/instructions.py unseen       # the engine on text its caches have not seen

Runs this file twice under ``valgrind --tool=callgrind`` (same warm-up, then 0 and N
drafts) and prints the difference divided by N. Needs valgrind; takes a few minutes.
The hash seed is fixed, because set and dict order changes the count by up to 10%.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def workload(mode: str, n: int) -> None:
    import allyfeedback as af
    from allyfeedback.engine import analyze
    from allyfeedback.ruleset import load_ruleset

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_rules import compile_all, make_drafts, unseen_folds

    rs = load_ruleset()
    if mode == "unseen":  # as bench_rules.unseen_times; n > 0: run the held-out drafts
        from allyfeedback.ruleset import RuleSet

        compile_all(rs)
        for warm, held in unseen_folds():
            fresh = RuleSet(rs.rules)
            for d in warm:
                analyze(d, fresh)
            for d in held if n else ():
                analyze(d, fresh)
        return
    drafts = make_drafts(1000)
    for d in drafts:  # steady state: patterns compiled, word caches filled
        af.critique(d, backend="rules")
    for d in drafts[:n]:
        if mode == "analyze":
            analyze(d, rs)
        else:
            af.critique(d, backend="rules")


def count(mode: str, n: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    cmd += [sys.executable, __file__, mode, "--run", str(n)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    if not found:
        raise SystemExit("valgrind printed no instruction count:\n" + out[-2000:])
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["analyze", "critique", "unseen"])
    ap.add_argument("--drafts", type=int, default=100)
    ap.add_argument("--run", type=int, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    if args.run is not None:
        workload(args.mode, args.run)
        return
    # Fill the on-disk rule cache first, so neither counted run pays for compiling the
    # rules while the other reads them (that difference would be charged to the drafts).
    from allyfeedback.ruleset import load_ruleset

    load_ruleset()
    drafts = args.drafts
    if args.mode == "unseen":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_rules import unseen_folds

        drafts = sum(len(held) for _, held in unseen_folds())
    per_draft = (count(args.mode, drafts) - count(args.mode, 0)) / drafts
    print(f"{args.mode}: {per_draft / 1e6:.2f} M instructions per draft")


if __name__ == "__main__":
    main()
