"""The learned layer: its features, its model file, and that the shipped model is what
the training code makes from the labelled sets (so it can never silently go stale)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from allyfeedback.learned import (
    DraftModel,
    LearnedLayer,
    LinearModel,
    features,
    shipped_model,
)
from allyfeedback.taxonomy import ALL_IDS

PACKAGE = Path(__file__).resolve().parent.parent / "allyfeedback"


def test_features_are_words_pairs_and_the_first_word() -> None:
    assert features("you should have said so?") == [
        "you", "should", "have", "said", "so", "?",
        "you should", "should have", "have said", "said so", "so ?",
        "^you",
    ]  # fmt: skip
    assert features("") == []


def _tiny_model() -> LinearModel:
    # Constructed: one label, one cue word, a threshold of one half.
    return LinearModel(
        labels=("defending",),
        bias=(-2.0,),
        weights={"swamped": ((0, 4.0),)},
        thresholds={"defending": 0.5},
    )


def _tiny_judge() -> DraftModel:
    # Constructed: one label; a rule worth +3, and each unit of the sentence peak +1.
    return DraftModel(
        labels=("defending",),
        bias=(-2.0,),
        weights={"rule=defending.busy": ((0, 3.0),), "rule=defending.quiet": ()},
        peak_weights=((1.0,),),
        thresholds={"defending": 0.7},
        withdraw_below={"defending": 0.5},
    )


def test_draft_model_adds_rules_and_peaks() -> None:
    judge = _tiny_judge()
    assert judge.logits([], [0.0]) == [-2.0]
    assert judge.logits(["rule=defending.busy", "cat=defending"], [1.5]) == [2.5]
    assert judge.knows("defending.quiet") and not judge.knows("user.mine")


def test_layer_json_round_trip_keeps_both_models() -> None:
    layer = LearnedLayer(_tiny_model(), _tiny_judge())
    assert LearnedLayer.from_json(json.loads(json.dumps(layer.to_json()))) == layer
    alone = LearnedLayer(_tiny_model())
    assert LearnedLayer.from_json(json.loads(json.dumps(alone.to_json()))) == alone


def test_json_round_trip_keeps_every_weight() -> None:
    model = _tiny_model()
    again = LinearModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model
    assert again.logits("i was swamped") == [2.0]


def test_shipped_model_is_small_and_covers_every_label() -> None:
    path = PACKAGE / "learned_model.json"
    assert path.stat().st_size < 5 * 1024 * 1024
    layer = shipped_model()
    assert layer is not None and layer.drafts is not None
    for model in (layer.sentences, layer.drafts):
        assert model.labels == ALL_IDS
        assert set(model.thresholds) == set(ALL_IDS)
    assert all(len(row) == len(ALL_IDS) for row in layer.drafts.peak_weights)


def test_shipped_model_is_reproduced_by_training() -> None:
    pytest.importorskip("sklearn")
    from sklearn.exceptions import ConvergenceWarning

    from allyfeedback import training

    drafts = training.prepare(training.load_rows(training.default_files()))
    with warnings.catch_warnings():
        # Every fit, the inner folds' too, must converge: a fit cut short has weights that
        # depend on where liblinear stopped.
        warnings.simplefilter("error", ConvergenceWarning)
        fitted = training.fit_layer(drafts)
    shipped = shipped_model()
    assert shipped is not None and shipped.drafts is not None and fitted.drafts is not None
    for ours, theirs in ((fitted.sentences, shipped.sentences), (fitted.drafts, shipped.drafts)):
        assert ours.thresholds == theirs.thresholds
        assert set(ours.weights) == set(theirs.weights)
        for feature, pairs in ours.weights.items():
            assert [i for i, _ in pairs] == [i for i, _ in theirs.weights[feature]]
            for (_, w), (_, v) in zip(pairs, theirs.weights[feature], strict=True):
                assert abs(w - v) < 0.01, feature
    for row, again in zip(fitted.drafts.peak_weights, shipped.drafts.peak_weights, strict=True):
        assert row == pytest.approx(again, abs=0.01)


def test_scoring_skips_only_pairs_that_weigh_nothing() -> None:
    layer = shipped_model()
    assert layer is not None
    model = layer.sentences
    for sentence in ["i was swamped with the release, sorry!", "you should have told me", ""]:
        full = list(model.bias)
        for f in features(sentence):
            for i, w in model.weights.get(f, ()):
                full[i] += w
        assert model.logits(sentence) == pytest.approx(full)
