"""Findings of the learned layer, in the rule engine's own shape.

The rules run first; the learned layer (``learned.py``) then corrects their findings:
its draft model may withdraw a built-in rule's problem the draft as a whole does not
show, and its findings of what the rules missed become ``Hit``s of stand-in rules
(``learned.<category>``), so results, score, verdict and revision treat them like the
rules' own, and a disabled category stays disabled.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

from .compiled_rules import Matcher
from .engine import Analysis, Hit, _found
from .learned import (
    MESSAGES,
    PEAK_LIMIT,
    DraftModel,
    LearnedLayer,
    LinearModel,
    peak,
    shipped_model,
)
from .ruleset import Rule, RuleSet
from .taxonomy import is_problem
from .text import NormalizedText

# Whether draft[start:end] lies in a stretch left out of the critique (``Frame.is_skipped``).
Skipped = Callable[[int, int], bool]
# The draft model overrules a rule's problem only in a draft of at least this many
# sentences of the writer's own: it weighs a finding against the rest of the draft, and
# in a short reply there is little else to weigh ("I'm sorry. Mistakes happen.").
OVERRULE_FROM = 4
# Learned findings sort after every rule's, so a rule's wording is shown first.
_AFTER_RULES = 1_000_000


class SentenceScore(NamedTuple):
    """The sentence model's log-odds for one sentence of the writer's own words."""

    sentence: int  # an index into ``Analysis.sentences``
    logits: list[float]


def score_sentences(
    analysis: Analysis, model: LinearModel, skipped: Skipped | None = None
) -> list[SentenceScore]:
    """Each sentence the writer wrote, scored: whole sentences of quoted speech and
    ``skipped`` stretches (a quoted reply, a signature) are left out, and quoted speech
    inside a sentence is not read (words the writer quotes are not their own)."""
    norm = analysis.norm
    out = []
    quotes = _merged(analysis.quotes)
    q = 0  # the first quote that ends after the current sentence starts
    for i, (start, end) in enumerate(analysis.sentences):
        while q < len(quotes) and quotes[q][1] <= start:
            q += 1
        if q < len(quotes) and quotes[q][0] <= start and end <= quotes[q][1]:
            continue  # the whole sentence is quoted speech
        if skipped is not None and skipped(start, end):
            continue
        inside = []
        for q_start, q_end in quotes[q:]:
            if q_start >= end:
                break
            inside.append((q_start, q_end))
        n_start, n_end = bisect_left(norm.origin, start), bisect_left(norm.origin, end)
        out.append(SentenceScore(i, model.logits(_own_words(norm, n_start, n_end, inside))))
    return out


def fired(hits: Iterable[Hit]) -> set[str]:
    """The draft model's rule features: which rules fired, in which categories, and by
    which of their patterns (a rule's patterns range from exact to loose)."""
    out = set()
    for h in hits:
        out.add(f"rule={h.rule.id}")
        out.add(f"cat={h.category}")
        out.add(f"pattern={h.rule.id}/{h.pattern}")
    return out


def peaks(scores: Iterable[SentenceScore], size: int) -> list[float]:
    """Each label's highest sentence log-odds, clipped (``-PEAK_LIMIT`` if no sentence)."""
    columns = list(zip(*(s.logits for s in scores), strict=True))
    return [peak(max(c)) for c in columns] if columns else [-PEAK_LIMIT] * size


def with_learned(
    analysis: Analysis,
    ruleset: RuleSet,
    layer: LearnedLayer | None = None,
    skipped: Skipped | None = None,
) -> Analysis:
    """``analysis`` as the learned layer corrects it.

    The draft model (when the layer has one) decides, per label, whether the draft shows
    it. Where it says a problem does not show, in a draft of ``OVERRULE_FROM`` sentences
    or more, the findings of built-in rules it was fitted with are withdrawn (a phrase
    matched in a near-miss, such as "take it as a compliment" in "I won't ask you to
    take it as a compliment"). Where it says a label shows and no rule found it, the
    sentence the sentence model rates highest is flagged or credited. Every sentence
    rated past the label's sentence threshold is flagged too, so the revision leaves each
    out. Without a draft model, only those sentences are added.

    Only for categories the rule set still has (disabling a category disables it here
    too); never in quoted speech or ``skipped`` stretches; an element never where a
    problem was found; a problem never where one of its category's rule exceptions holds
    or a rule credited the sentence with an element. ``layer`` defaults to the shipped
    one (cross-validation passes one fitted without the draft).
    """
    layer = layer or shipped_model()
    if layer is None:
        return analysis
    model = layer.sentences
    scores = score_sentences(analysis, model, skipped)
    top = peaks(scores, len(model.labels))
    hits = analysis.hits
    shows: dict[str, bool] | None = None
    if layer.drafts is not None:
        judge = layer.drafts
        z = judge.logits(fired(hits), top)
        shows = judge.past(z, judge.add_at)
        if len(scores) >= OVERRULE_FROM:
            kept = judge.past(z, judge.withdraw_at)
            hits = tuple(h for h in hits if not _overruled(h, kept, judge))
    templates = {r.category: r for r in ruleset}
    # A rule's exceptions name near-misses ("I won't make this about me"): where one of
    # its category's exceptions holds, the learned layer does not flag that category.
    exceptions: dict[str, list[Matcher]] = {}
    for r in ruleset:
        if r.exception is not None and not r.exception.regex.guarded:
            exceptions.setdefault(r.category, []).append(r.exception)
    found = {h.category for h in hits}
    flagged_by_rules = {(h.category, h.sentence) for h in hits}
    # Where a rule found something good ("What would help you?"), the model's weaker
    # evidence of a problem does not overrule it.
    credited = {h.sentence for h in hits if not h.rule.is_problem}
    norm = analysis.norm
    cutoffs = model.cutoffs
    problems: list[Hit] = []
    best_element: dict[str, int] = {}
    for j, label in enumerate(model.labels):
        if label not in templates or (shows is not None and not shows.get(label, False)):
            continue
        # With a draft model that says the label shows, the best sentence stands for it
        # even below the sentence threshold; without one, only past the threshold.
        needed = shows is not None and label not in found
        if not needed and top[j] < cutoffs[j]:
            continue
        if is_problem(label):
            for s in sorted(scores, key=lambda s: s.logits[j], reverse=True):
                if s.logits[j] < cutoffs[j] and not needed:
                    break
                i = s.sentence
                if (label, i) in flagged_by_rules or i in credited:
                    continue
                start, end = analysis.sentences[i]
                n_start, n_end = bisect_left(norm.origin, start), bisect_left(norm.origin, end)
                if _excepted(exceptions.get(label, ()), norm.text, n_start, n_end):
                    continue
                problems.append(_hit(analysis, _stand_in(templates[label]), i))
                needed = False
        elif label not in found and scores:
            # Past the threshold already (checked above), or the draft model says it shows.
            best_element[label] = max(scores, key=lambda s: s.logits[j]).sentence
    flagged = {h.sentence for h in hits if h.rule.is_problem} | {h.sentence for h in problems}
    elements = [
        _hit(analysis, _stand_in(templates[label]), i)
        for label, i in best_element.items()
        if i not in flagged
    ]
    if not problems and not elements and hits is analysis.hits:
        return analysis
    return analysis._replace(hits=hits + tuple(problems) + tuple(elements))


def _overruled(hit: Hit, kept: dict[str, bool], judge: DraftModel) -> bool:
    """Whether the draft model withdraws ``hit``: a problem the draft as a whole more
    likely does not show than does (``kept`` is False), found by a built-in rule the
    model was fitted with. An element's credit is never withdrawn (a revision adds no
    second apology to one the model doubts)."""
    return hit.rule.is_problem and not kept[hit.category] and judge.knows(hit.rule.id)


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` sorted, overlapping ones joined: so one pass over the sentences meets
    each quote in order (a linear walk, however many quotes a hostile draft holds)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _own_words(norm: NormalizedText, start: int, end: int, quotes: list[tuple[int, int]]) -> str:
    """The normalised sentence without the quoted speech in it (``quotes``: the merged
    quotes that overlap it, in the caller's offsets): words the writer quotes ("you said
    'you should have told me'") are not the writer's own."""
    pieces, at = [], start
    for q_start, q_end in quotes:
        a, b = bisect_left(norm.origin, q_start), bisect_left(norm.origin, q_end)
        pieces.append(norm.text[at:a])
        at = max(at, b)
    pieces.append(norm.text[at:end])
    return " ".join(pieces)


def _excepted(matchers: Iterable[Matcher], text: str, start: int, end: int) -> bool:
    return any(_found(m.regex.search, text, start, end) for m in matchers)


@lru_cache(maxsize=64)
def _stand_in(rule: Rule) -> Rule:
    """A rule-shaped stand-in for what the model finds in ``rule``'s category, so its
    findings take the rules' path through results and revision. It has no patterns:
    nothing runs it."""
    message, suggestion = MESSAGES.get(rule.category, (rule.message, rule.suggestion))
    return replace(
        rule,
        id=f"learned.{rule.category}",
        severity="medium",
        message=message,
        suggestion=suggestion,
        source="the learned layer (learned_model.json), fitted on the labelled drafts",
        patterns=(),
        exceptions=(),
        examples_match=(),
        examples_no_match=(),
        origin="learned",
        matchers=(),
    )


def _hit(analysis: Analysis, rule: Rule, sentence: int) -> Hit:
    start, end = analysis.sentences[sentence]
    text = analysis.norm.original
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Hit(rule, start, end, sentence, rule.category, order=_AFTER_RULES)
