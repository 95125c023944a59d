"""How the learned layer's findings join the rules' result. A constructed one-cue model
makes each behaviour certain; one test runs the shipped model."""

from __future__ import annotations

import allyfeedback as af
from allyfeedback.learned import LinearModel
from allyfeedback.rules_critique import critique_rules
from allyfeedback.ruleset import load_ruleset
from allyfeedback.taxonomy import ALL_IDS

# Constructed: "slammed" means derailing, "reopened" means offers_repair, nothing else.
CUES = LinearModel(
    labels=ALL_IDS,
    bias=tuple(-5.0 for _ in ALL_IDS),
    weights={
        "slammed": ((ALL_IDS.index("derailing"), 10.0),),
        "reopened": ((ALL_IDS.index("offers_repair"), 10.0),),
    },
    thresholds=dict.fromkeys(ALL_IDS, 0.5),
)
SLAMMED = "the whole team was slammed that week and nobody checked"


def _critique(draft: str, disable: tuple[str, ...] = ()) -> af.Feedback:
    return critique_rules(draft, None, load_ruleset((), disable), learned=CUES)


def test_a_learned_problem_quotes_its_sentence_and_says_where_it_came_from() -> None:
    draft = f"I'm sorry. Honestly {SLAMMED}. What would you like me to do next?"
    fb = _critique(draft)
    [problem] = fb.problems
    assert problem.category == "derailing" and problem.source == "learned"
    assert problem.rule_id == "learned.derailing"
    assert problem.quote == f"Honestly {SLAMMED}."
    assert draft[problem.start : problem.end] == problem.quote
    assert "slammed" not in fb.revision  # the revision drops what was flagged
    assert fb.verdict != "ready"


def test_rules_alone_do_not_see_it() -> None:
    draft = f"I'm sorry. Honestly {SLAMMED}."
    assert critique_rules(draft, None, load_ruleset(), learned=False).problems == []


def test_a_disabled_category_stays_disabled() -> None:
    assert _critique(f"Honestly {SLAMMED}.", disable=("derailing",)).problems == []


def test_nothing_is_found_in_a_quoted_reply() -> None:
    draft = f"Hi Sam,\n\nI'm sorry.\n\nAl\n\nOn Tue, 3 Mar, Sam wrote:\n> {SLAMMED}.\n"
    fb = _critique(draft)
    assert fb.problems == [] and fb.skipped


def test_an_element_is_not_credited_where_a_problem_is() -> None:
    fb = _critique(f"I reopened it but {SLAMMED}.")
    assert [p.category for p in fb.problems] == ["derailing"]
    assert "offers_repair" not in fb.element_ids
    fb = _critique("I'm sorry. I reopened your issue and added a note.")
    repair = fb.element("offers_repair")
    assert repair.present and repair.source == "learned"


def test_the_shipped_model_adds_what_the_rules_miss() -> None:
    draft = "I'm sorry. I've reopened your PR and added you back as co-author on the commit."
    assert (
        "offers_repair"
        not in critique_rules(draft, None, load_ruleset(), learned=False).element_ids
    )
    assert "offers_repair" in af.critique(draft).element_ids
