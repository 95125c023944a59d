"""How the learned layer's findings join the rules' result. A constructed one-cue model
makes each behaviour certain; one test runs the shipped model."""

from __future__ import annotations

import allyfeedback as af
from allyfeedback.learned import DraftModel, LearnedLayer, LinearModel
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


# Constructed draft models: each says one thing for certain (a label not named is
# absent), so each part of the draft model's judgement is tested on its own.
# ``DOUBTS_DERAILING`` says no draft shows derailing and knows the built-in rule.
def _judge(bias: dict[str, float], known: tuple[str, ...] = ()) -> DraftModel:
    return DraftModel(
        labels=ALL_IDS,
        bias=tuple(bias.get(label, -9.0) for label in ALL_IDS),
        weights={f"rule={rule_id}": () for rule_id in known},
        peak_weights=tuple(tuple(0.0 for _ in ALL_IDS) for _ in ALL_IDS),
        thresholds=dict.fromkeys(ALL_IDS, 0.5),
        withdraw_below=dict.fromkeys(ALL_IDS, 0.5),
    )


DOUBTS_DERAILING = LearnedLayer(
    CUES, _judge({"derailing": -9.0, "apology": 9.0}, known=("derailing.real_problem",))
)
REAL_PROBLEM = "The real problem is how these meetings are run."
FOUR = f"I'm sorry I talked over you. {REAL_PROBLEM} I'll wait my turn. Tell me more."


def test_the_draft_model_withdraws_a_built_in_rules_problem_the_draft_does_not_show() -> None:
    assert "derailing" in critique_rules(FOUR, None, load_ruleset(), learned=False).problem_ids
    fb = critique_rules(FOUR, None, load_ruleset(), learned=DOUBTS_DERAILING)
    assert "derailing" not in fb.problem_ids
    assert REAL_PROBLEM in fb.revision  # a withdrawn finding is not cut from the reply


def test_a_short_reply_keeps_its_finding() -> None:
    short = f"I'm sorry. {REAL_PROBLEM}"
    fb = critique_rules(short, None, load_ruleset(), learned=DOUBTS_DERAILING)
    assert fb.problem_ids == ["derailing"]


def test_a_users_own_rule_is_never_withdrawn(tmp_path) -> None:  # type: ignore[no-untyped-def]
    custom = tmp_path / "team.toml"
    custom.write_text(
        'category = "derailing"\n[[rules]]\nid = "team.meetings"\n'
        "patterns = ['how these meetings are run']\n"
        'message = "m"\nsuggestion = "s"\nsource = "team"\n'
        '[rules.examples]\nmatch = ["how these meetings are run"]\n',
        encoding="utf-8",
    )
    rules = load_ruleset([str(custom)], ["derailing.real_problem"])
    fb = critique_rules(FOUR, None, rules, learned=DOUBTS_DERAILING)
    assert [p.rule_id for p in fb.problems] == ["team.meetings"]


def test_a_label_the_draft_shows_is_quoted_at_its_best_sentence() -> None:
    # The sentence model alone rates "reopened" past its threshold only with the cue;
    # a draft model that is sure of repair credits the best sentence without it.
    sees_repair = LearnedLayer(CUES, _judge({"offers_repair": 9.0, "apology": 9.0}))
    draft = "I'm sorry. I moved the meeting so you can present first."
    assert "offers_repair" not in _critique(draft).element_ids
    fb = critique_rules(draft, None, load_ruleset(), learned=sees_repair)
    repair = fb.element("offers_repair")
    assert repair.present and repair.source == "learned"


def test_an_element_is_never_withdrawn() -> None:
    doubts_all = LearnedLayer(CUES, _judge(dict.fromkeys(ALL_IDS, -9.0), known=("apology.direct",)))
    fb = critique_rules(FOUR, None, load_ruleset(), learned=doubts_all)
    assert fb.element("apology").present


# Constructed clean replies (written for this test) of the classes the rules flagged
# wrongly in the corpus's clean drafts: a phrase of a rule inside a near-miss. The rules
# alone flag each; the shipped draft model withdraws the finding.
CLEAN_NEAR_MISSES = [
    "Hi Marta,\n\nI'm sorry I told the client your promotion was a 'diversity pick'. That was "
    "wrong and it undermined you in front of people you work with every day. I won't ask "
    "you to take it as a compliment, because it wasn't one. I've written to the client to "
    "correct it, and I'd like to know if there's anything else you want me to do.\n\nBest,\nRui",
    "Hi Dev,\n\nI'm sorry. I asked you to take the minutes again because I assumed you'd be "
    "the one to do it, and that assumption was about you being the youngest in the room. It "
    "wasn't fair and it kept you out of the discussion. From now on the minutes rotate "
    "through the whole team, starting with me. Tell me if you'd rather we handled it "
    "another way.\n\nThanks,\nJo",
    "I'm sorry about the comment on your accent in the stand-up. It was a cheap laugh at "
    "your expense, nothing more, and you deserved better from me. I've apologised to the "
    "team as well so nobody thinks it was acceptable. I'd like to hear how it landed for "
    "you, whenever you want to tell me.",
    "I'm sorry I shared your diagnosis with the project leads. It was yours to share, and I "
    "took that choice from you. I didn't want to make the next step worse by deciding it "
    "for you again, so I haven't told anyone else. What would you like me to say, if "
    "anything, to the people who now know?",
]


def test_the_shipped_draft_model_withdraws_near_misses() -> None:
    for draft in CLEAN_NEAR_MISSES:
        assert critique_rules(draft, None, load_ruleset(), learned=False).problems, draft
        assert af.critique(draft).problems == [], draft


def test_the_shipped_draft_model_keeps_problems_that_come_together() -> None:
    # Constructed: several problems in one reply, as they often come in real ones.
    draft = (
        "I hear you. I was exhausted that week and had three deadlines. You should have "
        "said something at the time. I have always been an ally to the team. Anyway it "
        "was just banter."
    )
    fb = af.critique(draft)
    assert {"victim_blaming", "defending", "centering_self"} <= set(fb.problem_ids)
    assert fb.verdict == "rethink"
