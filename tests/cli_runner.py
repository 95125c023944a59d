"""Running the command line in a subprocess, as a person would, with no model configured
and no colour, so the tests see the same output on every machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "allyfeedback", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
