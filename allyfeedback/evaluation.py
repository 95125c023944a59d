"""Accuracy against a labelled JSONL set: precision, recall and F1 per label.

Each line holds ``text``, optional ``situation``, and the gold ``problems`` and
``elements`` (lists of taxonomy ids). A label is predicted when the critique reports it
anywhere in the draft, which is how TAXONOMY.md defines a label holding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .models import Feedback
from .taxonomy import ALL_IDS


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    situation: str | None
    labels: frozenset[str]


@dataclass
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    labels: dict[str, LabelScore]
    n: int
    errors: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    @property
    def micro(self) -> LabelScore:
        total = LabelScore()
        for s in self.labels.values():
            total.tp += s.tp
            total.fp += s.fp
            total.fn += s.fn
        return total

    @property
    def micro_f1(self) -> float:
        return self.micro.f1

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.labels.values()) / len(self.labels)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "micro_f1": round(self.micro_f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "labels": {
                k: {
                    "precision": round(v.precision, 4),
                    "recall": round(v.recall, 4),
                    "f1": round(v.f1, 4),
                    "support": v.support,
                }
                for k, v in self.labels.items()
            },
        }

    def to_text(self) -> str:
        lines = [f"{'label':<20}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}"]
        for k, v in self.labels.items():
            lines.append(f"{k:<20}{v.precision:>10.3f}{v.recall:>9.3f}{v.f1:>8.3f}{v.support:>9}")
        lines.append("")
        lines.append(f"micro F1 {self.micro_f1:.3f}   macro F1 {self.macro_f1:.3f}   n={self.n}")
        return "\n".join(lines)


def load_examples(path: str | Path) -> list[Example]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                labels = frozenset([*row.get("problems", []), *row.get("elements", [])])
                text = row["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ConfigurationError(
                    f"{path}:{lineno}: not a labelled example ({exc})"
                ) from None
            unknown = labels - set(ALL_IDS)
            if unknown:
                raise ConfigurationError(f"{path}:{lineno}: unknown labels {sorted(unknown)}")
            out.append(Example(str(row.get("id", lineno)), text, row.get("situation"), labels))
    return out


def evaluate(
    examples: Iterable[Example] | str | Path,
    critic: Callable[[str, str | None], Feedback] | None = None,
) -> Report:
    """Score ``critic`` (default: the rule engine) on labelled examples."""
    if isinstance(examples, (str, Path)):
        examples = load_examples(examples)
    if critic is None:
        from .api import critique

        def critic(text: str, situation: str | None) -> Feedback:
            return critique(text, situation, backend="rules")

    items = list(examples)
    predictions = []
    for ex in items:
        fb = critic(ex.text, ex.situation)
        predictions.append(set(fb.problem_ids) | set(fb.element_ids))
    return score_predictions(items, predictions)


def score_predictions(examples: Sequence[Example], predictions: Sequence[set[str]]) -> Report:
    """Per-label counts for one predicted label set per example, in order."""
    scores = {label: LabelScore() for label in ALL_IDS}
    report = Report(scores, 0)
    for ex, predicted in zip(examples, predictions, strict=True):
        for label in ALL_IDS:
            gold, pred = label in ex.labels, label in predicted
            if gold and pred:
                scores[label].tp += 1
            elif pred:
                scores[label].fp += 1
            elif gold:
                scores[label].fn += 1
        if predicted != ex.labels:
            report.errors.append(
                (ex.id, sorted(ex.labels - predicted), sorted(predicted - ex.labels))
            )
        report.n += 1
    return report
