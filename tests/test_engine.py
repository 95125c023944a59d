"""The engine's bookkeeping, against plain reference versions: ``_dedupe`` and the
quote test were quadratic in the number of hits (a 10,000-character draft of one
repeated phrase took most of a second) and now bisect; they must decide the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allyfeedback.engine import Hit, _dedupe, _Quotes
from allyfeedback.ruleset import load_ruleset

RULES = load_ruleset().rules[:4]


def _dedupe_reference(hits: list[Hit]) -> list[Hit]:
    """The earlier version: every kept hit of the category is compared."""
    kept: list[Hit] = []
    by_category: dict[str, list[Hit]] = {}
    for h in sorted(hits, key=lambda h: (h.order, h.start, -h.end)):
        same = by_category.setdefault(h.category, [])
        if any(k.start < h.end and h.start < k.end for k in same):
            continue
        same.append(h)
        kept.append(h)
    kept.sort(key=lambda h: (h.start, h.end))
    return kept


HITS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 12), st.sampled_from("ab")),
    max_size=40,
).map(
    lambda rows: [
        Hit(RULES[r], start, start + size, 0, category, r) for r, start, size, category in rows
    ]
)


@settings(max_examples=500, deadline=None)
@given(HITS)
def test_dedupe_keeps_what_the_reference_keeps(hits: list[Hit]) -> None:
    assert _dedupe(hits) == _dedupe_reference(hits)


SPANS = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 15)), max_size=12).map(
    lambda rows: sorted((s, s + n) for s, n in rows)
)


@settings(max_examples=500, deadline=None)
@given(SPANS, st.integers(0, 70), st.integers(0, 10))
def test_quote_test_agrees_with_trying_every_quote(
    spans: list[tuple[int, int]], start: int, size: int
) -> None:
    end = start + size
    assert _Quotes(spans).contain(start, end) == any(s <= start and end <= e for s, e in spans)
