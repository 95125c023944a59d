"""Accuracy against a labelled JSONL set: precision, recall and F1 per label.

Each line holds ``text``, optional ``situation``, the gold ``problems`` and ``elements``
(lists of taxonomy ids; empty lists when none hold), and optionally the strings
``register`` and ``scenario`` that ``--by`` groups on. A label is predicted when the
critique reports it anywhere in the draft, which is how TAXONOMY.md defines a label
holding. A figure with nothing to measure (recall of a label no draft carries) is
``None``, shown as ``-``, never 1.000.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import ConfigurationError
from .taxonomy import ALL_IDS, ELEMENT_IDS, PROBLEM_IDS

if TYPE_CHECKING:
    from .models import Feedback

#: The fields ``Report.groups`` is split by (``allyfeedback eval --by``).
GROUP_FIELDS: tuple[str, ...] = ("register", "scenario")
#: Group name for a row that does not say its register or scenario.
UNGROUPED = "-"
#: Longest line read from a labelled file, in characters: a draft at a generous limit,
#: JSON-escaped, plus its situation. A longer line is refused, never read whole.
MAX_LINE_CHARS = 1_000_000


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    situation: str | None
    labels: frozenset[str]
    register: str | None = None
    scenario: str | None = None


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

    @property
    def measured(self) -> bool:
        """Whether any draft carried or was given this label; if not, no figure means
        anything (the float properties then read 1.0 only by convention)."""
        return bool(self.tp + self.fp + self.fn)

    def figures(self) -> dict[str, float | None]:
        """Precision, recall and F1 rounded, each ``None`` where it has nothing to
        measure: precision without predictions, recall without support, F1 without both."""
        precision = round(self.precision, 4) if self.tp + self.fp else None
        recall = round(self.recall, 4) if self.support else None
        f1 = round(self.f1, 4) if self.measured else None
        return {"precision": precision, "recall": recall, "f1": f1}


def _cell(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"


@dataclass
class Report:
    labels: dict[str, LabelScore]
    n: int
    errors: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    #: ``groups[field][value]``: the same figures for the rows whose ``field`` (one of
    #: ``GROUP_FIELDS``) is ``value``; filled when ``evaluate(..., by=...)`` asks.
    groups: dict[str, dict[str, Report]] = field(default_factory=dict)

    def tally(self, gold: frozenset[str], predicted: set[str]) -> None:
        """Count one draft: its gold labels against the labels predicted for it."""
        for label in ALL_IDS:
            score = self.labels[label]
            is_gold, is_pred = label in gold, label in predicted
            if is_gold and is_pred:
                score.tp += 1
            elif is_pred:
                score.fp += 1
            elif is_gold:
                score.fn += 1
        self.n += 1

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
        """Mean F1 over the labels with anything to measure (0.0 when none has)."""
        measured = [s.f1 for s in self.labels.values() if s.measured]
        return sum(measured) / len(measured) if measured else 0.0

    def as_dict(self) -> dict[str, Any]:
        micro = self.micro
        data: dict[str, Any] = {
            "n": self.n,
            "micro_f1": round(micro.f1, 4) if micro.measured else None,
            "macro_f1": round(self.macro_f1, 4) if micro.measured else None,
            "labels": {k: {**v.figures(), "support": v.support} for k, v in self.labels.items()},
        }
        if self.groups:
            data["groups"] = {
                by: {name: report.as_dict() for name, report in sorted(reports.items())}
                for by, reports in self.groups.items()
            }
        return data

    def to_text(self) -> str:
        lines = [f"{'label':<20}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}"]
        for k, v in self.labels.items():
            f = v.figures()
            lines.append(
                f"{k:<20}{_cell(f['precision'], 10)}{_cell(f['recall'], 9)}"
                f"{_cell(f['f1'], 8)}{v.support:>9}"
            )
        lines.append("")
        micro = _cell(self.micro_f1 if self.micro.measured else None, 0)
        macro = _cell(self.macro_f1 if self.micro.measured else None, 0)
        lines.append(f"micro F1 {micro}   macro F1 {macro}   n={self.n}")
        return "\n".join(lines)

    def groups_text(self, by: str) -> str:
        """One line per group of ``by`` (register or scenario): size and F1 figures."""
        reports = self.groups.get(by, {})
        width = max([len(by), *(len(name) for name in reports)]) + 2
        lines = [f"{by:<{width}}{'n':>6}{'precision':>11}{'recall':>9}{'micro F1':>10}"]
        for name, report in sorted(reports.items()):
            f = report.micro.figures()
            lines.append(
                f"{name:<{width}}{report.n:>6}{_cell(f['precision'], 11)}"
                f"{_cell(f['recall'], 9)}{_cell(f['f1'], 10)}"
            )
        return "\n".join(lines)


def _empty_report() -> Report:
    return Report({label: LabelScore() for label in ALL_IDS}, 0)


def _labels(row: dict[str, Any], key: str, known: tuple[str, ...], where: str) -> list[str]:
    value = row[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{where}: {key!r} must be a list of label ids")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown {key} {unknown}; use ids from the taxonomy: {', '.join(known)}"
        )
    return value


def _example(row: object, lineno: int, where: str) -> Example:
    if not isinstance(row, dict):
        raise ConfigurationError(f"{where}: not a JSON object; write one example per line")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(f"{where}: 'text' must be the draft, a non-empty string")
    if "problems" not in row and "elements" not in row:
        raise ConfigurationError(
            f"{where}: no labels; give 'problems' and 'elements' lists (empty when none hold)"
        )
    problems = _labels(row, "problems", PROBLEM_IDS, where) if "problems" in row else []
    elements = _labels(row, "elements", ELEMENT_IDS, where) if "elements" in row else []
    fields = {}
    for name in ("situation", *GROUP_FIELDS):
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{where}: {name!r} must be a string")
        fields[name] = value
    return Example(
        str(row.get("id", lineno)),
        text,
        fields["situation"],
        frozenset([*problems, *elements]),
        register=fields["register"],
        scenario=fields["scenario"],
    )


def load_examples(path: str | Path) -> list[Example]:
    """Every labelled example in a JSONL file, checked: a bad line is a
    ``ConfigurationError`` naming the file, the line and what to fix."""
    try:
        with open(path, encoding="utf-8") as fh:
            out = _read_examples(fh, str(path))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not out:
        raise ConfigurationError(f"{path}: no examples; write one JSON object per line")
    return out


def _read_examples(fh: TextIO, path: str) -> list[Example]:
    out: list[Example] = []
    lineno = 0
    while True:
        lineno += 1
        where = f"{path}:{lineno}"
        try:
            line = fh.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError:
            raise ConfigurationError(
                f"{path}: not UTF-8 text (near line {lineno}); save it as UTF-8"
            ) from None
        if not line:
            return out
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise ConfigurationError(
                f"{where}: line longer than {MAX_LINE_CHARS:,} characters; one example per line"
            )
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{where}: not JSON ({exc.msg})") from None
        out.append(_example(row, lineno, where))


def evaluate(
    examples: Iterable[Example] | str | Path,
    critic: Callable[[str, str | None], Feedback] | None = None,
    by: Iterable[str] = (),
) -> Report:
    """Score ``critic`` (default: the rule engine) on labelled examples; ``by`` names
    fields of ``GROUP_FIELDS`` to also score each group of rows separately."""
    if isinstance(examples, (str, Path)):
        examples = load_examples(examples)
    by = tuple(by)
    unknown = sorted(set(by) - set(GROUP_FIELDS))
    if unknown:
        raise ConfigurationError(f"cannot group by {unknown}; use one of {list(GROUP_FIELDS)}")
    if critic is None:
        from .api import critique

        def critic(text: str, situation: str | None) -> Feedback:
            return critique(text, situation, backend="rules")

    report = _empty_report()
    report.groups = {name: {} for name in by}
    for ex in examples:
        fb = critic(ex.text, ex.situation)
        predicted = set(fb.problem_ids) | set(fb.element_ids)
        report.tally(ex.labels, predicted)
        for name in by:
            value = getattr(ex, name) or UNGROUPED
            report.groups[name].setdefault(value, _empty_report()).tally(ex.labels, predicted)
        if predicted != ex.labels:
            report.errors.append(
                (ex.id, sorted(ex.labels - predicted), sorted(predicted - ex.labels))
            )
    return report


def score_predictions(examples: Sequence[Example], predictions: Sequence[set[str]]) -> Report:
    """A report for label sets predicted elsewhere (one per example, in order), as
    ``evaluate`` counts them; ``comparison.py`` scores three engines' labels with it."""
    report = _empty_report()
    for ex, predicted in zip(examples, predictions, strict=True):
        report.tally(ex.labels, predicted)
        if predicted != ex.labels:
            report.errors.append(
                (ex.id, sorted(ex.labels - predicted), sorted(predicted - ex.labels))
            )
    return report
