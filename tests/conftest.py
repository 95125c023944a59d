from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# Compiled rule sets are cached on disk (allyfeedback/rule_cache.py): the tests, and the
# subprocesses they start, keep theirs in a folder of their own, never the user's (the
# command-line tests drop ALLYFEEDBACK_* variables, so XDG_CACHE_HOME is set as well).
_CACHE = tempfile.mkdtemp(prefix="allyfeedback-test-cache-")
os.environ["ALLYFEEDBACK_CACHE_DIR"] = _CACHE
os.environ["XDG_CACHE_HOME"] = _CACHE


@pytest.fixture(scope="session")
def dev_rows() -> list[dict]:
    with open(DATA / "dev.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
