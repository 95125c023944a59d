"""Fit the learned layer and measure it honestly: grouped cross-validation.

Run ``python -m allyfeedback.training`` (needs the ``train`` extra: scikit-learn) to
refit ``learned_model.json`` from the labelled sets in ``tests/data``, or with ``--cv`` to
print leave-one-register-out and leave-one-scenario-out figures of rules plus the learned
layer, where every held-out draft is scored by a model that never saw its group.

Sentence labels come from the corpus's ``evidence`` (the words that show each label);
for rows without evidence (the older development set) from the rules' own findings where
they agree with the gold label. Other sentences of a draft that carries a label are left
out of that label's training rather than called negatives, since a draft can show a label
in more than one sentence.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import Analysis
from .evaluation import LabelScore
from .frame import Frame
from .learned import PEAK_LIMIT, DraftModel, LearnedLayer, LinearModel, features
from .learned_findings import fired, peaks, score_sentences
from .taxonomy import ALL_IDS, ELEMENT_IDS, PROBLEM_IDS, is_problem

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
# The probability a sentence needs before a label counts: problems need more, because a
# false accusation is as bad as a miss.
PROBLEM_THRESHOLD = 0.98
ELEMENT_THRESHOLD = 0.9
MIN_WEIGHT = 0.05
# The draft model: how sure it must be that a draft shows a label (a problem needs more),
# its regularisation, and how many folds give it sentence peaks from models that never
# saw the draft (so it learns how far to trust the sentence model on unseen text).
DRAFT_PROBLEM_THRESHOLD = 0.7
DRAFT_WITHDRAW_BELOW = 0.5  # a rule's problem stands unless more likely wrong than right
DRAFT_ELEMENT_THRESHOLD = 0.5
DRAFT_C = 0.5
INNER_FOLDS = 4
# liblinear's iteration cap (scikit-learn's default is 100). One L1 fit of the shipped
# model's inner folds needs 792 iterations to reach liblinear's tolerance; cut short at
# 100 it warned "Liblinear failed to converge". A fit that converges stops early.
MAX_ITER = 1000
# Scales of the draft model's inputs while fitting (folded into the weights after): a
# rule feature is worth RULE_VALUE, a sentence peak its log-odds / PEAK_SCALE, so that one
# regularisation strength suits both.
RULE_VALUE = 3.0
PEAK_SCALE = PEAK_LIMIT / 2


@dataclass(frozen=True)
class Draft:
    """A labelled draft cut into the sentences the engines judge."""

    id: str
    text: str
    situation: str | None
    group: dict[str, str]
    labels: frozenset[str]
    sentences: tuple[str, ...]
    # Per label: the indexes of the sentences that show it (empty: not known).
    evidence: dict[str, frozenset[int]]
    rule_labels: frozenset[str]  # what the rules alone find
    analysis: Analysis  # the rules' findings in the writer's own words
    frame: Frame  # what the critique leaves out (quoted replies, signatures)


def prepare(rows: Iterable[dict[str, Any]]) -> list[Draft]:
    """Cut each row into sentences and find which sentences show which label."""
    from .engine import analyze
    from .frame import find_frame, own_words
    from .ruleset import load_ruleset
    from .text import sentence_spans

    ruleset = load_ruleset()
    out = []
    for row in rows:
        text = row["text"]
        frame = find_frame(text)
        # The rules alone, in the writer's own words: what ``critique_rules(...,
        # learned=False)`` reports, and what the draft model is fitted on.
        analysis = own_words(analyze(text, ruleset), frame)
        norm = analysis.norm
        spans = sentence_spans(norm.text)
        labels = frozenset([*row.get("problems", []), *row.get("elements", [])])
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for label, quote in (row.get("evidence") or {}).items():
            at = text.find(quote)
            if at >= 0:
                found[label].append((at, at + len(quote)))
        if not row.get("evidence"):
            for h in analysis.problems():
                found[h.category].append((h.start, h.end))
            for element_id in ELEMENT_IDS:
                first = analysis.first_element_hit(element_id)
                if first is not None:
                    found[element_id].append((first.start, first.end))
        evidence = {}
        for label in labels:
            hits = set()
            for a, b in found.get(label, []):
                for i, (start, end) in enumerate(spans):
                    o_start, o_end = norm.to_original(start, end)
                    if o_start < b and a < o_end:
                        hits.add(i)
            evidence[label] = frozenset(hits)
        out.append(
            Draft(
                id=str(row.get("id")),
                text=text,
                situation=row.get("situation"),
                group={
                    "register": str(row.get("register") or "dev"),
                    "scenario": str(row.get("scenario") or "none"),
                },
                labels=labels,
                sentences=tuple(norm.text[s:e] for s, e in spans),
                evidence=evidence,
                rule_labels=frozenset(h.category for h in analysis.hits),
                analysis=analysis,
                frame=frame,
            )
        )
    return out


def fit(drafts: Sequence[Draft], c: float = 3.0) -> LinearModel:
    """One L1-regularised logistic regression per label over sentence features (L1 keeps
    about a tenth of the features, so scoring and loading stay cheap)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    l1 = _l1_penalty()

    sentences = [s for d in drafts for s in d.sentences]
    vec = CountVectorizer(analyzer=features, binary=True, min_df=2)
    x_all = vec.fit_transform(sentences)
    names = vec.get_feature_names_out()
    weights: dict[str, list[tuple[int, float]]] = defaultdict(list)
    bias = []
    for li, label in enumerate(ALL_IDS):
        rows, ys = [], []
        k = 0
        for d in drafts:
            shown = d.evidence.get(label)
            for i in range(len(d.sentences)):
                if label not in d.labels:
                    rows.append(k + i)
                    ys.append(0)
                elif shown and i in shown:
                    rows.append(k + i)
                    ys.append(1)
            k += len(d.sentences)
        if sum(ys) == 0:
            bias.append(-30.0)
            continue
        clf = LogisticRegression(
            C=c,
            solver="liblinear",
            class_weight="balanced",
            random_state=0,
            max_iter=MAX_ITER,
            **l1,
        )
        clf.fit(x_all[rows], ys)
        bias.append(float(clf.intercept_[0]))
        for j in clf.coef_[0].nonzero()[0]:
            w = float(clf.coef_[0][j])
            if abs(w) >= MIN_WEIGHT:
                weights[str(names[j])].append((li, round(w, 3)))
    thresholds = {
        label: ELEMENT_THRESHOLD if label in ELEMENT_IDS else PROBLEM_THRESHOLD for label in ALL_IDS
    }
    return LinearModel(
        labels=ALL_IDS,
        bias=tuple(bias),
        weights={f: tuple(pairs) for f, pairs in weights.items()},
        thresholds=thresholds,
    )


def fit_layer(drafts: Sequence[Draft], key: str = "scenario") -> LearnedLayer:
    """Both models of the learned layer. The draft model learns from sentence peaks that
    models fitted without the draft's ``key`` group gave it (``INNER_FOLDS`` folds), so
    it weighs the sentence model as it will do on text nobody labelled."""
    return LearnedLayer(fit(drafts), fit_drafts(drafts, out_of_fold_peaks(drafts, key)))


def draft_peaks(model: LinearModel, draft: Draft) -> list[float]:
    """The sentence model's highest log-odds per label in the draft, as the product
    computes them (``learned_findings``)."""
    scores = score_sentences(draft.analysis, model, draft.frame.is_skipped)
    return peaks(scores, len(model.labels))


def out_of_fold_peaks(drafts: Sequence[Draft], key: str) -> list[list[float]]:
    """Each draft's peaks from a sentence model fitted without its fold of groups."""
    groups = sorted({d.group[key] for d in drafts})
    out: list[list[float]] = [[] for _ in drafts]
    for fold in range(min(INNER_FOLDS, len(groups))):
        held = set(groups[fold::INNER_FOLDS])
        model = fit([d for d in drafts if d.group[key] not in held])
        for k, d in enumerate(drafts):
            if d.group[key] in held:
                out[k] = draft_peaks(model, d)
    return out


def fit_drafts(drafts: Sequence[Draft], peak_rows: Sequence[Sequence[float]]) -> DraftModel:
    """One L2 logistic regression per label over the rules that fired and the peaks."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = []
    category: dict[str, str] = {f"peak={label}": label for label in ALL_IDS}
    for d, row in zip(drafts, peak_rows, strict=True):
        for h in d.analysis.hits:
            category.update(dict.fromkeys(fired([h]), h.category))
        x = dict.fromkeys(fired(d.analysis.hits), RULE_VALUE)
        x.update({f"peak={label}": p / PEAK_SCALE for label, p in zip(ALL_IDS, row, strict=True)})
        rows.append(x)
    vec = DictVectorizer(sparse=False)  # a few hundred columns: dense is simplest
    x_all = vec.fit_transform(rows)
    names = [str(n) for n in vec.get_feature_names_out()]
    weights: dict[str, list[tuple[int, float]]] = defaultdict(list)
    bias, peak_weights = [], []
    for li, label in enumerate(ALL_IDS):
        cols = [k for k, name in enumerate(names) if _weighs(label, category[name])]
        clf = LogisticRegression(C=DRAFT_C, solver="liblinear", random_state=0, max_iter=MAX_ITER)
        clf.fit(x_all[:, cols], [label in d.labels for d in drafts])
        bias.append(float(clf.intercept_[0]))
        coef = dict.fromkeys(names, 0.0)
        coef.update(zip((names[k] for k in cols), (float(w) for w in clf.coef_[0]), strict=True))
        peak_weights.append(tuple(round(coef[f"peak={m}"] / PEAK_SCALE, 4) for m in ALL_IDS))
        for name, w in coef.items():
            if not name.startswith("peak=") and abs(w * RULE_VALUE) >= MIN_WEIGHT / 10:
                weights[name].append((li, round(w * RULE_VALUE, 3)))
    # Every rule the model saw keeps an entry (even with no weight): ``knows`` reads it.
    for name in names:
        if not name.startswith("peak="):
            weights.setdefault(name, [])
    return DraftModel(
        labels=ALL_IDS,
        bias=tuple(bias),
        weights={f: tuple(pairs) for f, pairs in weights.items()},
        peak_weights=tuple(peak_weights),
        thresholds={
            label: DRAFT_PROBLEM_THRESHOLD if is_problem(label) else DRAFT_ELEMENT_THRESHOLD
            for label in ALL_IDS
        },
        withdraw_below={label: DRAFT_WITHDRAW_BELOW for label in ALL_IDS if is_problem(label)},
    )


def _weighs(label: str, evidence: str) -> bool:
    """Whether evidence of category ``evidence`` enters the draft model's judgement of
    ``label``. Another problem's evidence never does for a problem: in the corpus most bad
    drafts show one or two problems, and a model free to learn that would count one
    problem found against another (in real replies they come together)."""
    return not is_problem(label) or evidence == label or not is_problem(evidence)


def _l1_penalty() -> dict[str, object]:
    """scikit-learn 1.8 chose the penalty by ``l1_ratio`` and deprecated ``penalty``."""
    import sklearn

    major, minor = (int(x) for x in sklearn.__version__.split(".")[:2])
    return {"l1_ratio": 1.0} if (major, minor) >= (1, 8) else {"penalty": "l1"}


def predict(layer: LearnedLayer, draft: Draft) -> frozenset[str]:
    """The labels the product finds with ``layer`` as its learned layer: the same path
    as ``critique`` (rules, then the models in the writer's own words)."""
    from .rules_critique import critique_rules
    from .ruleset import load_ruleset

    fb = critique_rules(draft.text, draft.situation, load_ruleset(), learned=layer)
    return frozenset(fb.problem_ids) | frozenset(fb.element_ids)


def score(pairs: Iterable[tuple[frozenset[str], frozenset[str]]]) -> dict[str, LabelScore]:
    """Tallies per label (and ``micro``) of (gold, predicted) pairs."""
    tallies = {label: LabelScore() for label in (*ALL_IDS, "micro")}
    for gold, predicted in pairs:
        for label in ALL_IDS:
            for t in (tallies[label], tallies["micro"]):
                if label in gold and label in predicted:
                    t.tp += 1
                elif label in predicted:
                    t.fp += 1
                elif label in gold:
                    t.fn += 1
    return tallies


def grouped_cv(
    drafts: Sequence[Draft],
    key: str,
    fitter: Callable[[Sequence[Draft], str], LearnedLayer] = fit_layer,
    held_out: Callable[[Draft], bool] = lambda d: d.group["register"] != "dev",
) -> list[tuple[Draft, frozenset[str]]]:
    """Predict every held-out draft with models fitted without its group (the draft
    model's inner folds split the remaining groups by the same ``key``)."""
    groups = sorted({d.group[key] for d in drafts if held_out(d)})
    out: list[tuple[Draft, frozenset[str]]] = []
    for g in groups:
        train = [d for d in drafts if d.group[key] != g]
        model = fitter(train, key)
        out.extend((d, predict(model, d)) for d in drafts if d.group[key] == g and held_out(d))
    return out


def report(title: str, tallies: dict[str, LabelScore]) -> str:
    lines = [
        f"## {title}",
        "",
        "| label | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, t in tallies.items():
        lines.append(
            f"| {label} | {t.precision:.3f} | {t.recall:.3f} | {t.f1:.3f} | {t.tp + t.fn} |"
        )
    return "\n".join(lines) + "\n"


def false_alarms(predicted: Sequence[tuple[Draft, frozenset[str]]]) -> str:
    """How many drafts with no problem were told they have one (the precision floor)."""
    clean = [p for d, p in predicted if not (d.labels & set(PROBLEM_IDS))]
    flagged = sum(1 for p in clean if p & set(PROBLEM_IDS))
    return f"\nDrafts with no problem given one: {flagged} of {len(clean)}\n\n"


def by_group(predicted: Sequence[tuple[Draft, frozenset[str]]], key: str) -> str:
    """Micro precision, recall and F1 of each held-out group, next to the rules alone."""
    lines = [
        "",
        f"| {key} | drafts | rules alone F1 | held out: precision | recall | F1 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for g in sorted({d.group[key] for d, _ in predicted}):
        mine = [(d, p) for d, p in predicted if d.group[key] == g]
        rules = score((d.labels, d.rule_labels) for d, _ in mine)["micro"]
        both = score((d.labels, p) for d, p in mine)["micro"]
        lines.append(
            f"| {g} | {len(mine)} | {rules.f1:.3f} | {both.precision:.3f} "
            f"| {both.recall:.3f} | {both.f1:.3f} |"
        )
    return "\n".join(lines) + "\n\n"


def load_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def default_files() -> list[Path]:
    """The labelled sets the shipped model is fitted on."""
    return [DATA / "dev.jsonl", DATA / "corpus.jsonl"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m allyfeedback.training")
    parser.add_argument("files", nargs="*", type=Path, help="labelled JSONL (default: tests/data)")
    parser.add_argument("--cv", action="store_true", help="print grouped cross-validation")
    parser.add_argument("--out", type=Path, help="write the fitted model here")
    parser.add_argument(
        "--agreement",
        type=Path,
        metavar="LABELS",
        help="score a second annotator's labels (JSONL: id, problems, elements) against the corpus",
    )
    args = parser.parse_args(argv)
    files = args.files or default_files()
    if args.agreement:
        gold = {str(r["id"]): r for r in load_rows(files)}
        theirs = load_rows([args.agreement])
        pairs = [
            (
                frozenset([*gold[str(r["id"])]["problems"], *gold[str(r["id"])]["elements"]]),
                frozenset([*r["problems"], *r["elements"]]),
            )
            for r in theirs
        ]
        sys.stdout.write(
            report(f"second annotator against the corpus ({len(pairs)} drafts)", score(pairs))
        )
        return 0
    drafts = prepare(load_rows(files))
    if args.cv:
        held = [d for d in drafts if d.group["register"] != "dev"]
        rules = score((d.labels, d.rule_labels) for d in held)
        sys.stdout.write(report(f"rules alone ({len(held)} drafts)", rules))
        sys.stdout.write(false_alarms([(d, d.rule_labels) for d in held]))
        for key in ("register", "scenario"):
            predicted = grouped_cv(drafts, key)
            sys.stdout.write(
                report(
                    f"rules + learned, leave one {key} out",
                    score((d.labels, p) for d, p in predicted),
                )
            )
            sys.stdout.write(false_alarms(predicted))
            sys.stdout.write(by_group(predicted, key))
    if args.out:
        model = fit_layer(drafts)
        args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")), "utf-8")
        sys.stdout.write(f"wrote {args.out} ({args.out.stat().st_size} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
