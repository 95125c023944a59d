"""Cold start: the CPU time of one command-line call, as a person, an editor plugin or a
pre-commit hook pays it, paired with proselint on the same file in the same run.

    pip install ".[bench]"               # proselint, the reference
    python benchmarks/bench_cli.py       # medians of 15 paired runs
    python benchmarks/bench_cli.py --runs 30 --json

Each round runs every command once, in turn, so a slow minute of this machine hits all
of them alike; the figure is user + system CPU of the child process (wall time here
swings by ±40 %). The draft is the first 100 words of the development set. Rows:

- ``allyfeedback check FILE``: the rule set read from its on-disk cache (the usual case:
  the cache is written by the first call after an install or a rule-file edit);
- the same with the disk cache switched off (what every call cost before the cache);
- ``python -c "import allyfeedback; allyfeedback.critique('I am sorry.')"``;
- ``proselint check FILE``, and bare ``python -c pass`` and ``import pydantic`` as floors.

allyfeedback's bytecode is compiled first, as pip does when it installs a wheel (and as
proselint's was when it was installed): an editable install run with
``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module's source at each start.
Every command runs in a fresh empty folder, as in a project with no settings file (run
from this repository, ``check`` would also read its pyproject.toml, which names
allyfeedback, looking for a ``[tool.allyfeedback]`` table). The load average before and
after is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def draft_file(folder: Path, words: int = 100) -> Path:
    rows = [json.loads(x) for x in (ROOT / "tests/data/dev.jsonl").read_text("utf-8").splitlines()]
    out: list[str] = []
    for row in rows:
        out += row["text"].split()
        if len(out) >= words:
            break
    path = folder / "draft.txt"
    path.write_text(" ".join(out[:words]) + "\n", "utf-8")
    return path


def cpu_of(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """User + system CPU seconds of running ``cmd`` in ``cwd`` to the end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_bytecode(py: str) -> None:
    """Write the ``__pycache__`` of the allyfeedback the commands import."""
    code = (
        "import compileall, os, allyfeedback\n"
        "compileall.compile_dir(os.path.dirname(allyfeedback.__file__), quiet=1)"
    )
    subprocess.run([py, "-c", code], check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        draft = str(draft_file(folder))
        py = sys.executable
        # The command a person types: the console script pip installed next to this
        # Python (``python -m allyfeedback`` when there is none, which also imports runpy).
        script = Path(py).parent / "allyfeedback"
        ours = [str(script)] if script.is_file() else [py, "-m", "allyfeedback"]
        cached = {**os.environ, "ALLYFEEDBACK_CACHE_DIR": str(folder / "cache")}
        uncached = {**os.environ, "ALLYFEEDBACK_CACHE_DIR": ""}
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "allyfeedback check": ([*ours, "check", draft], cached),
            "allyfeedback check, no disk cache": ([*ours, "check", draft], uncached),
            "import + critique('I am sorry.')": (
                [py, "-c", "import allyfeedback; allyfeedback.critique('I am sorry.')"],
                cached,
            ),
            "python -c pass": ([py, "-c", "pass"], cached),
            "python -c 'import pydantic; class M(BaseModel)'": (
                [py, "-c", "from pydantic import BaseModel\nclass M(BaseModel):\n    x: int = 0"],
                cached,
            ),
        }
        proselint = shutil.which("proselint")
        if proselint:
            commands["proselint check"] = ([proselint, "check", draft], cached)
        compile_bytecode(py)
        load_before = os.getloadavg()[0]
        for cmd, env in commands.values():  # warm the disk caches (ours and the OS's)
            cpu_of(cmd, env, folder)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, env) in commands.items():
                times[name].append(cpu_of(cmd, env, folder))
        medians = {name: statistics.median(t) for name, t in times.items()}
        load = (load_before, os.getloadavg()[0])
        result: dict[str, object] = {
            "runs": args.runs,
            "load_average": load,
            "median_cpu_s": medians,
        }
        if proselint:
            ratios = [
                a / b
                for a, b in zip(times["allyfeedback check"], times["proselint check"], strict=True)
            ]
            result["check_over_proselint_median_ratio"] = statistics.median(ratios)
        if args.json:
            print(json.dumps(result, indent=2))
            return
        print(f"median CPU (user + system) of {args.runs} paired runs, 100-word draft")
        print(f"  (load average {load[0]:.2f} before, {load[1]:.2f} after)")
        for name, value in medians.items():
            print(f"  {name:<50} {value * 1e3:6.0f} ms")
        if proselint:
            print(
                "allyfeedback check / proselint check, median of paired ratios: "
                f"{result['check_over_proselint_median_ratio']:.2f}"
            )
        else:
            print("proselint not installed: pip install '.[bench]'")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
