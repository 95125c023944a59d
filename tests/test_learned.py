"""The learned layer: its features, its model file, and that the shipped model is what
the training code makes from the labelled sets (so it can never silently go stale)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allyfeedback.learned import LinearModel, features, label_sentences, shipped_model
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


def test_threshold_decides_which_sentences_are_labelled() -> None:
    text = "i was swamped. im sorry."
    found = label_sentences(_tiny_model(), text, [(0, 14), (15, 24)])
    assert [(f.label, f.start, f.end) for f in found] == [("defending", 0, 14)]
    assert 0.85 < found[0].probability < 0.9


def test_json_round_trip_keeps_every_weight() -> None:
    model = _tiny_model()
    again = LinearModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model
    assert again.logits("i was swamped") == [2.0]


def test_shipped_model_is_small_and_covers_every_label() -> None:
    path = PACKAGE / "learned_model.json"
    assert path.stat().st_size < 5 * 1024 * 1024
    model = shipped_model()
    assert model is not None and model.labels == ALL_IDS
    assert set(model.thresholds) == set(ALL_IDS)


def test_shipped_model_is_reproduced_by_training() -> None:
    pytest.importorskip("sklearn")
    from allyfeedback import training

    fitted = training.fit(training.prepare(training.load_rows(training.default_files())))
    shipped = shipped_model()
    assert shipped is not None
    assert fitted.thresholds == shipped.thresholds
    assert set(fitted.weights) == set(shipped.weights)
    for feature, pairs in fitted.weights.items():
        assert [i for i, _ in pairs] == [i for i, _ in shipped.weights[feature]]
        for (_, w), (_, v) in zip(pairs, shipped.weights[feature], strict=True):
            assert abs(w - v) < 0.01, feature


def test_scoring_skips_only_pairs_that_weigh_nothing() -> None:
    model = shipped_model()
    assert model is not None
    for sentence in ["i was swamped with the release, sorry!", "you should have told me", ""]:
        full = list(model.bias)
        for f in features(sentence):
            for i, w in model.weights.get(f, ()):
                full[i] += w
        assert model.logits(sentence) == pytest.approx(full)
