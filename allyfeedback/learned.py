"""The learned layer: two small linear models fitted on the labelled corpus.

The rules know the phrasings they were written for; this layer generalises from the
labelled corpus to phrasings nobody wrote a rule for ("covid made me short-tempered").

- ``LinearModel`` scores each sentence for every label: a logistic regression over the
  words and word pairs of one normalised sentence. It says *where* a label shows.
- ``DraftModel`` judges the draft as a whole: per label, a logistic regression over which
  rules fired and each label's highest sentence score. It says *whether* a label shows,
  and so may add what the rules missed or overrule a built-in rule that fired on a
  near-miss (see ``learned_findings``).

Both are trained by ``allyfeedback.training`` and shipped together as
``learned_model.json`` (plain numbers, no code, well under 1 MB). Scoring is pure Python:
one dictionary look-up per feature, and no extra package.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import pairwise
from operator import mul
from pathlib import Path
from typing import Any

from .quiet_gc import gc_paused

MODEL_FILE = "learned_model.json"
_TOKEN = re.compile(r"[a-z0-9]+|[?!]")


def features(sentence: str) -> list[str]:
    """The features of one normalised sentence: its words, its word pairs ("a b") and its
    first word ("^a": imperatives and "you ..." openings start sentences)."""
    tokens = _TOKEN.findall(sentence)
    out = tokens + [f"{a} {b}" for a, b in pairwise(tokens)]
    if tokens:
        out.append("^" + tokens[0])
    return out


@dataclass(frozen=True)
class LinearModel:
    """Sparse weights: for each feature, its (label index, weight) pairs; a bias per label;
    and the probability each label needs (``thresholds``)."""

    labels: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]
    thresholds: dict[str, float]

    @cached_property
    def pair_starts(self) -> frozenset[str]:
        """First words of the word pairs the model weighs: only these pairs are built
        when scoring (the rest would weigh nothing), which halves the layer's cost."""
        return frozenset(f.split(" ", 1)[0] for f in self.weights if " " in f)

    @cached_property
    def cutoffs(self) -> tuple[float, ...]:
        """``thresholds`` as log-odds, in ``labels`` order: compared with ``logits``
        with no ``exp`` per label and sentence."""
        return _log_odds(self.labels, self.thresholds)

    @cached_property
    def rows(self) -> dict[str, tuple[float, ...]]:
        """Each feature's weights as one value per label, so a sentence's sum is one
        ``zip`` and ``sum`` per label, done in C."""
        return _dense(self.weights, len(self.labels))

    def logits(self, sentence: str) -> list[float]:
        """Each label's log-odds (in ``labels`` order) for one normalised sentence: the
        same sum as over ``features(sentence)``, skipping pairs that weigh nothing."""
        tokens = _TOKEN.findall(sentence)
        if not tokens:
            return list(self.bias)
        get, starts = self.rows.get, self.pair_starts
        found = [get(t) for t in tokens]
        found.extend(get(f"{a} {b}") for a, b in pairwise(tokens) if a in starts)
        found.append(get("^" + tokens[0]))
        return list(map(sum, zip(self.bias, *filter(None, found), strict=True)))

    def to_json(self) -> dict[str, Any]:
        return _common_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        return cls(**_common_fields(data))


def _common_json(model: LinearModel | DraftModel) -> dict[str, Any]:
    """The fields both models share, as JSON (weights rounded: the file stays small)."""
    return {
        "labels": list(model.labels),
        "bias": [round(b, 4) for b in model.bias],
        "thresholds": model.thresholds,
        "weights": {f: [[i, round(w, 3)] for i, w in pairs] for f, pairs in model.weights.items()},
    }


def _common_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields both models share, read back from ``_common_json``'s shape."""
    return {
        "labels": tuple(data["labels"]),
        "bias": tuple(float(b) for b in data["bias"]),
        "weights": {
            f: tuple((int(i), float(w)) for i, w in pairs) for f, pairs in data["weights"].items()
        },
        "thresholds": _probabilities(data["thresholds"]),
    }


def _probabilities(data: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in data.items()}


def _log_odds(labels: Sequence[str], probabilities: dict[str, float]) -> tuple[float, ...]:
    """Each label's probability in ``probabilities`` as log-odds (a label not named never
    reaches its cut-off)."""
    return tuple(logit(probabilities.get(label, 1.0)) for label in labels)


def _dense(
    weights: dict[str, tuple[tuple[int, float], ...]], size: int
) -> dict[str, tuple[float, ...]]:
    """Sparse (label index, weight) pairs as a full row per feature; features that
    weigh nothing are left out."""
    out = {}
    for feature, pairs in weights.items():
        if pairs:
            row = [0.0] * size
            for i, w in pairs:
                row[i] += w
            out[feature] = tuple(row)
    return out


# A sentence's log-odds enter the draft model clipped to this range: one extreme sentence
# should not outweigh every rule.
PEAK_LIMIT = 10.0


def peak(z: float) -> float:
    return min(max(z, -PEAK_LIMIT), PEAK_LIMIT)


@dataclass(frozen=True)
class DraftModel:
    """Per label, the probability that the whole draft shows it, from two kinds of
    evidence: which rules fired (features ``rule=<id>`` and ``cat=<category>``, weights in
    ``weights``) and each label's highest sentence log-odds ("peaks", clipped to
    ``PEAK_LIMIT``, weighed by ``peak_weights[label][peak label]``). A label the rules
    missed is added at ``thresholds[label]``; a rule's finding is withdrawn below
    ``withdraw_below[label]`` (lower: a finding stands unless it is more likely wrong).
    """

    labels: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]
    peak_weights: tuple[tuple[float, ...], ...]
    thresholds: dict[str, float]
    withdraw_below: dict[str, float]

    @cached_property
    def rows(self) -> dict[str, tuple[float, ...]]:
        """Each rule feature's weights as one value per label (see ``LinearModel.rows``)."""
        return _dense(self.weights, len(self.labels))

    def logits(self, fired: Iterable[str], peaks: Sequence[float]) -> list[float]:
        """Each label's log-odds for a draft whose rules ``fired`` (feature names) and
        whose sentences peaked at ``peaks`` (in ``labels`` order)."""
        base = [
            b + sum(map(mul, row, peaks))
            for b, row in zip(self.bias, self.peak_weights, strict=True)
        ]
        get = self.rows.get
        return list(map(sum, zip(base, *filter(None, map(get, fired)), strict=True)))

    @cached_property
    def add_at(self) -> tuple[float, ...]:
        """``thresholds`` as log-odds, in ``labels`` order."""
        return _log_odds(self.labels, self.thresholds)

    @cached_property
    def withdraw_at(self) -> tuple[float, ...]:
        """``withdraw_below`` as log-odds, in ``labels`` order."""
        return _log_odds(self.labels, self.withdraw_below)

    def past(self, logits: Sequence[float], cutoffs: Sequence[float]) -> dict[str, bool]:
        """Per label, whether its log-odds reach the log-odds in ``cutoffs``."""
        return {label: z >= cut for label, z, cut in zip(self.labels, logits, cutoffs, strict=True)}

    def knows(self, rule_id: str) -> bool:
        """Whether the model was fitted with this rule: only such a rule's findings may
        be overruled (a user's own rule is never second-guessed)."""
        return f"rule={rule_id}" in self.weights

    def to_json(self) -> dict[str, Any]:
        return {
            **_common_json(self),
            "withdraw_below": self.withdraw_below,
            "peak_weights": [[round(w, 4) for w in row] for row in self.peak_weights],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DraftModel:
        return cls(
            **_common_fields(data),
            peak_weights=tuple(tuple(float(w) for w in row) for row in data["peak_weights"]),
            withdraw_below=_probabilities(data["withdraw_below"]),
        )


@dataclass(frozen=True)
class LearnedLayer:
    """The two models the learned layer runs: ``sentences`` says where a label shows,
    ``drafts`` (when present) whether the draft shows it at all."""

    sentences: LinearModel
    drafts: DraftModel | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sentences": self.sentences.to_json()}
        if self.drafts is not None:
            out["drafts"] = self.drafts.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LearnedLayer:
        drafts = data.get("drafts")
        return cls(
            sentences=LinearModel.from_json(data["sentences"]),
            drafts=DraftModel.from_json(drafts) if drafts is not None else None,
        )


@lru_cache(maxsize=1)
def shipped_model() -> LearnedLayer | None:
    """The models shipped with the package, or None when the file is absent."""
    # A path next to this module, as ruleset.py reads the rules: importlib.resources
    # would import zipfile and tempfile, a cost every command-line check would pay.
    path = Path(__file__).parent / MODEL_FILE
    if not path.is_file():
        return None
    with gc_paused():
        return LearnedLayer.from_json(json.loads(path.read_text(encoding="utf-8")))


def logit(p: float) -> float:
    return math.inf if p >= 1.0 else -math.inf if p <= 0.0 else math.log(p / (1.0 - p))


# What a person reads for a learned finding: general words, true of every situation,
# since the model says which sentence shows a label, not which phrasing rule it broke.
MESSAGES: dict[str, tuple[str, str]] = {
    "centering_self": (
        "This turns the moment toward you: your feelings, intentions or record. "
        "Right now the reply is about what happened to them.",
        "Leave out how you feel and what you meant; say what you did and ask what they need.",
    ),
    "derailing": (
        "This moves the reply away from what you did, to a wider topic or to other people.",
        "Stay with the specific harm. If the wider issue matters, raise it another time.",
    ),
    "victim_blaming": (
        "This puts some of the responsibility on them: what they did, said or felt.",
        "Take the responsibility yourself: say what you did and that it was yours to get right.",
    ),
    "defending": (
        "This explains or excuses what happened, which reads as a case for the defence.",
        "Drop the explanation; name what you did and its effect on them.",
    ),
    "non_apology": (
        "This apology is conditional, hides who did it, or is taken back, so it does not land.",
        "Apologise plainly for what you did: “I'm sorry I …”.",
    ),
    "minimizing": (
        "This makes the harm sound smaller than it was for them.",
        "Let the harm be as big as it was for them; don't size it for them.",
    ),
}
