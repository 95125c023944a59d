"""The merge measured on the constructed replay set (tests/data/llm_replay.jsonl): 64
constructed drafts with constructed model answers, served over HTTP by a local stand-in
server (tests/stand_in.py), so CI measures the merge on every change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli
from replay_set import REPLAY, build, load
from stand_in import StandIn, completion, serve

import allyfeedback as af
from allyfeedback.comparison import SideBySide, compare
from allyfeedback.evaluation import load_examples
from allyfeedback.rules_critique import critique_rules
from allyfeedback.ruleset import load_ruleset

ROWS = load()


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    state = StandIn()
    for row in ROWS:
        state.add(row["text"], json.dumps(row["answer"]))
    with serve(state) as server:
        yield server


@pytest.fixture(scope="module")
def side(stand_in: StandIn) -> SideBySide:
    options = {"base_url": stand_in.url, "model": "stand-in", "max_retries": 0}
    return compare(load_examples(REPLAY), options)


def test_the_replay_file_is_built_from_its_source() -> None:
    assert build() == ROWS and len(ROWS) >= 60


def test_merged_is_as_good_as_the_model_alone(side: SideBySide) -> None:
    assert side.merged.n == len(ROWS) and side.fallbacks == 0
    assert side.merged.micro_f1 >= side.model.micro_f1 - 0.01
    # The model's judgement counts: merged is well above the offline engine (about 0.98
    # against 0.88 on this set since the learned layer's draft model).
    assert side.merged.micro_f1 > side.rules.micro_f1 + 0.05
    assert side.usage.attempts == len(ROWS) and side.usage.prompt_tokens > 0


def test_good_replies_the_model_judges_complete_are_ready(stand_in: StandIn) -> None:
    good = [
        r
        for r in ROWS
        if not r["problems"]
        and not r["answer"]["problems"]
        and {"apology", "centers_impacted"} <= set(r["elements"])
    ]
    assert len(good) >= 10
    for r in good:
        fb = af.critique(r["text"], backend="llm", base_url=stand_in.url, model="m")
        assert fb.verdict == "ready", (r["id"], fb.problem_ids, fb.missing)
        # The model's judgement never leaves a good reply worse off than the phrase rules
        # alone (the learned layer's guesses are the model's to confirm or dispute).
        rules = critique_rules(r["text"], None, load_ruleset(), learned=False)
        assert fb.score >= rules.score


def test_rule_findings_the_model_does_not_confirm_are_disputed(stand_in: StandIn) -> None:
    # replay-006: the rules count "I apologise to anyone who felt excluded" as an
    # apology; the model (rightly) does not, so it is shown, disputed, and not scored.
    row = next(r for r in ROWS if r["id"] == "replay-006")
    rules = af.critique(row["text"], backend="rules")
    fb = af.critique(row["text"], backend="llm", base_url=stand_in.url, model="m")
    assert rules.element("apology").present
    assert fb.element("apology").present and fb.element("apology").disputed
    assert "apology" not in fb.element_ids
    assert any("disputed" in w for w in fb.warnings)
    for text in (fb.to_text(), fb.to_markdown(), fb.to_html()):
        assert "disputed" in text
    assert json.loads(fb.model_dump_json())["elements"][0]["disputed"] is True


def test_high_severity_rule_findings_cannot_be_disputed(stand_in: StandIn) -> None:
    draft = "I'm sorry. You're being too sensitive."
    rules = af.critique(draft, backend="rules")
    assert [p.category for p in rules.problems] == ["victim_blaming"]
    silent = {"problems": [], "elements": [], "summary": "Fine.", "revision": "I'm sorry."}
    stand_in.add(draft, json.dumps(silent))
    fb = af.critique(draft, backend="llm", base_url=stand_in.url, model="m")
    assert fb.problem_ids == ["victim_blaming"] and not fb.problems[0].disputed
    assert fb.score <= rules.score


def test_cli_eval_prints_the_three_side_by_side(stand_in: StandIn, side: SideBySide) -> None:
    done = run_cli(
        "eval", str(REPLAY), "--backend", "llm", "--base-url", stand_in.url, "--model", "m"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    header = out.splitlines()[0].split()
    assert header[:4] == ["label", "rules", "model", "merged"]
    assert "micro F1" in out and "tokens:" in out and "latency per draft" in out
    data = json.loads(json.dumps(side.as_dict()))  # what --format json prints
    assert set(data) >= {"rules", "model", "merged", "tokens", "llm_ms_per_draft"}


def test_a_long_draft_with_many_problems_is_not_cut_short(stand_in: StandIn) -> None:
    sentences = [
        "I only said it because I was swamped.",
        "Honestly it was no big deal.",
        "You are being too sensitive.",
        "I'm sorry if you were offended.",
        "The real problem is the leave policy.",
        "I feel terrible about myself.",
    ]
    body = " ".join(f"{s} Week {i} notes follow." for i, s in enumerate(sentences * 3))
    filler = " We reviewed the plan together and moved on to the next item."
    draft = (body + filler * 200)[:9_990]
    assert len(draft) > 9_000
    problems = [
        {"category": c, "quote": f"{s} Week {i}", "why": "w", "instead": "i"}
        for i, (s, c) in enumerate(
            zip(
                sentences * 3,
                [
                    "defending",
                    "minimizing",
                    "victim_blaming",
                    "non_apology",
                    "derailing",
                    "centering_self",
                ]
                * 3,
                strict=True,
            )
        )
    ]
    answer = {"problems": problems, "elements": [], "summary": "s", "revision": "I'm sorry."}
    stand_in.add(draft, json.dumps(answer))
    before = len(stand_in.requests)
    fb = af.critique(draft, backend="llm", base_url=stand_in.url, model="m")
    sent = stand_in.requests[before]
    assert fb.fallback_reason is None
    assert len([p for p in fb.problems if not p.disputed]) >= 18
    assert sent["max_tokens"] > 1500
    assert sent["response_format"]["schema"]["properties"]["problems"]["maxItems"] >= 18


def test_a_cut_off_answer_says_so(stand_in: StandIn) -> None:
    draft = "I'm sorry. It was just a joke, relax."
    stand_in.add(draft, completion('{"problems": [', finish="length"))
    fb = af.critique(draft, backend="llm", base_url=stand_in.url, model="m")
    assert "cut off" in (fb.fallback_reason or "")
    assert "cut off" in fb.to_text() and "Engine: rules (the model was not used)" in fb.to_text()


def test_data_file_header_says_constructed() -> None:
    source = (Path(__file__).parent / "data" / "llm_replay_source.txt").read_text("utf-8")
    assert source.startswith("# Constructed")


def test_an_answer_obtained_elsewhere_merges_the_same_way(stand_in: StandIn) -> None:
    from allyfeedback.api import critique_from_answer

    row = next(r for r in ROWS if r["id"] == "replay-006")
    live = af.critique(row["text"], backend="llm", base_url=stand_in.url, model="stand-in")
    usage = af.Usage(prompt_tokens=5, completion_tokens=7, total_tokens=12, attempts=1)
    offline = critique_from_answer(
        row["text"], json.dumps(row["answer"]), llm=af.LLMConfig(model="stand-in"), usage=usage
    )
    keep = {"problems", "elements", "score", "verdict", "summary", "revision", "source"}
    assert offline.model_dump(include=keep) == live.model_dump(include=keep)
    assert offline.usage == usage and offline.model == "stand-in"
    bad = critique_from_answer(row["text"], '{"problems": "nope"}')
    assert bad.source == "rules" and "could not be used" in (bad.fallback_reason or "")
    with pytest.raises(af.LLMError):
        critique_from_answer(row["text"], "<html>", fallback=False)


def test_disputed_findings_do_not_fail_a_check_and_are_notes_in_sarif(stand_in: StandIn) -> None:
    draft = "I'm sorry I spoke over you. I was swamped that week. What would help?"
    assert [p.category for p in af.critique(draft, backend="rules").problems] == ["defending"]
    silent = {  # a constructed answer that does not confirm the rules' finding
        "problems": [],
        "elements": [{"id": "apology", "present": True, "quote": "I'm sorry I spoke over you"}],
        "summary": "s",
        "revision": "I'm sorry I spoke over you. What would help? I'm listening.",
    }
    stand_in.add(draft, json.dumps(silent))
    fb = af.critique(draft, backend="llm", base_url=stand_in.url, model="m")
    assert [p.disputed for p in fb.problems] == [True]
    args = ["check", "--backend", "llm", "--base-url", stand_in.url, "--model", "m"]
    assert run_cli(*args, stdin=draft).returncode == 0
    sarif = json.loads(run_cli(*args, "--format", "sarif", stdin=draft).stdout)
    results = sarif["runs"][0]["results"]
    assert results and all(r["level"] == "note" and r["properties"]["disputed"] for r in results)
    assert results[0]["properties"]["engine"] == "rules + model m"


def test_an_answer_that_grounds_nothing_disputes_nothing(stand_in: StandIn) -> None:
    draft = "I'm sorry I cut in. I was swamped that week, so it slipped."
    rules = af.critique(draft, backend="rules")
    assert "defending" in rules.problem_ids
    silent = {"problems": [], "elements": [], "summary": "Fine.", "revision": "I'm sorry."}
    stand_in.add(draft, json.dumps(silent))
    fb = af.critique(draft, backend="llm", base_url=stand_in.url, model="m")
    assert not any(p.disputed for p in fb.problems) and fb.score <= rules.score


def test_on_a_slice_of_the_corpus_merged_is_as_good_as_a_faithful_model() -> None:
    """Every eighth corpus draft (written blind to the rules), each answered by a
    constructed faithful model that quotes the corpus' own evidence for every label."""
    from replay_set import CORPUS, corpus_answer, load_corpus

    rows = load_corpus()[::8]
    state = StandIn()
    for row in rows:
        state.add(row["text"], corpus_answer(row))
    ids = {r["id"] for r in rows}
    examples = [e for e in load_examples(CORPUS) if e.id in ids]
    with serve(state) as server:
        side = compare(examples, {"base_url": server.url, "model": "m", "max_retries": 0})
    assert side.merged.n == len(rows) >= 100 and side.fallbacks == 0
    assert side.merged.micro_f1 >= side.model.micro_f1 - 0.01
    assert side.merged.micro_f1 > side.rules.micro_f1
