"""Accuracy on the labelled development set must not slip below what it reached.

The set is in tests/data/dev.jsonl (see tests/data/README.md). `allyfeedback eval`
prints the same figures.
"""

from __future__ import annotations

from pathlib import Path

import allyfeedback as af

DEV = Path(__file__).parent / "data" / "dev.jsonl"


def test_dev_set_size_and_coverage(dev_rows: list[dict]) -> None:
    assert len(dev_rows) >= 200
    scenarios = {r["scenario"] for r in dev_rows} - {"mixed"}
    assert len(scenarios) >= 11  # the article's plus at least ten more
    labels = {label for r in dev_rows for label in r["problems"] + r["elements"]}
    assert labels == set(af.PROBLEM_IDS) | set(af.ELEMENT_IDS)


def test_dev_set_f1_floor() -> None:
    report = af.evaluate(DEV)
    assert report.micro_f1 >= 0.98, report.to_text()
    for label, score in report.labels.items():
        assert score.f1 >= 0.95, (label, report.to_text())
