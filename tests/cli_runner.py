"""Running the command line in a subprocess, as a person would, with no model configured,
no user settings file and no colour, so the tests see the same output on every machine."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# An empty config home: a developer's own ~/.config/allyfeedback never leaks into a test.
_EMPTY_CONFIG_HOME = tempfile.mkdtemp(prefix="allyfeedback-config-")


def run_cli(
    *args: str,
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ALLYFEEDBACK_"))}
    full["NO_COLOR"] = "1"
    full["XDG_CONFIG_HOME"] = _EMPTY_CONFIG_HOME
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "allyfeedback", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=timeout,
    )
