from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def dev_rows() -> list[dict]:
    with open(DATA / "dev.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
