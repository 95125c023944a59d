"""The LLM engine end to end against recorded HTTP (vcrpy, record mode "none": a request
the cassette does not hold fails the test instead of reaching the network, and every test
asserts the source, so a miss cannot pass as a rules fallback)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import yaml
from llm_scenarios import CASSETTES, LOCAL, SCENARIOS, call_options, recorder

import allyfeedback as af
from allyfeedback.config import LLMConfig


def replay(name: str, **extra: object) -> af.Feedback:
    s = SCENARIOS[name]
    with recorder("none").use_cassette(f"{name}.yaml", allow_playback_repeats=False) as cas:
        fb = af.critique(s.draft, s.situation, **{**call_options(s), **extra})
        assert cas.all_played, f"{name}: not every recorded response was used"
    return fb


def sent_messages(name: str) -> list[list[dict[str, str]]]:
    """The messages of every request a cassette holds, in order."""
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    return [json.loads(i["request"]["body"])["messages"] for i in data["interactions"]]


def test_reask_with_the_error_then_merge() -> None:
    fb = replay("openai_reask_then_success")
    assert fb.source == "hybrid" and fb.fallback_reason is None
    # one quote was not in the draft: re-asked once, with that quote named
    first, second = sent_messages("openai_reask_then_success")
    reask = second[-1]["content"]
    assert len(second) == len(first) + 2 and second[-2]["role"] == "assistant"
    assert "it was no big deal" in reask and "not in the draft" in reask
    assert fb.usage.attempts == 2
    assert fb.usage.prompt_tokens == 900 + 1300
    assert fb.usage.total_tokens == fb.usage.prompt_tokens + fb.usage.completion_tokens
    llm_problems = [p for p in fb.problems if p.source == "llm"]
    assert [p.category for p in llm_problems] == ["derailing"]
    p = llm_problems[0]
    assert fb.draft[p.start : p.end] == p.quote == "the timing was bad for all of us"
    assert p.rule_id == "llm.derailing"
    assert any(q.source == "rules" and q.category == "defending" for q in fb.problems)
    assert fb.revision.startswith("I'm sorry. I spoke for you")  # the model's, checked
    assert fb.model == "gpt-4o-mini" and fb.prompt_version


def test_refusal_falls_back_visibly_or_raises() -> None:
    fb = replay("openai_refusal")
    assert fb.source == "rules"
    assert fb.fallback_reason and "refused" in fb.fallback_reason
    assert any("not used" in w for w in fb.warnings)
    assert fb.problem_ids  # the rules result is still there
    with pytest.raises(af.LLMError, match="refused"):
        replay("openai_refusal", fallback=False)


def test_truncation_is_a_clear_outcome() -> None:
    fb = replay("openai_truncated")
    assert fb.source == "rules" and "cut off" in (fb.fallback_reason or "")
    assert fb.usage.completion_tokens == 1500  # the spent tokens are still reported


def test_content_filter_is_a_clear_outcome() -> None:
    fb = replay("openai_content_filter")
    assert fb.source == "rules" and "content filter" in (fb.fallback_reason or "")
    with pytest.raises(af.LLMError, match="content filter"):
        replay("openai_content_filter", fallback=False)


def test_429_is_retried_by_the_sdk_not_by_us() -> None:
    fb = replay("openai_429_then_success")
    assert fb.source == "hybrid" and fb.fallback_reason is None
    assert fb.usage.attempts == 1  # one answer; the transport retry is the SDK's


def test_500_until_fallback() -> None:
    fb = replay("openai_500_until_fallback")
    assert fb.source == "rules"
    assert "HTTP 500" in (fb.fallback_reason or "")
    assert fb.problem_ids == ["defending"]


def test_prompt_injection_changes_nothing_that_counts() -> None:
    s = SCENARIOS["openai_injection"]
    fb = replay("openai_injection")
    rules = af.critique(s.draft, backend="rules")
    assert fb.source == "hybrid"
    assert (fb.score, fb.verdict) == (rules.score, rules.verdict)
    assert "100" not in fb.summary
    assert fb.problem_ids == rules.problem_ids


def test_schema_violation_is_reasked_with_the_error() -> None:
    fb = replay("openai_invalid_then_valid")
    assert fb.source == "hybrid" and fb.usage.attempts == 2
    reask = sent_messages("openai_invalid_then_valid")[1][-1]["content"]
    assert "could not be used" in reask and "elements" in reask


def test_bad_revision_is_reasked_then_used() -> None:
    fb = replay("openai_bad_revision_reasked")
    assert fb.source == "hybrid" and fb.usage.attempts == 2
    assert "kidding" not in fb.revision
    assert af.critique(fb.revision, backend="rules").problems == []


@pytest.mark.parametrize("scenario", [s.name for s in LOCAL])
def test_local_model_recordings_replay_exactly(scenario: str) -> None:
    """Recorded against SmolLM2-135M through llama.cpp: it invents quotes, grounding
    drops them, and the replayed result equals the one saved at recording time."""
    fb = replay(scenario)
    saved = json.loads((CASSETTES / f"{scenario}.expected.json").read_text("utf-8"))
    # Read back as a Feedback, which derives line and column (saved before they existed).
    expected = af.Feedback.model_validate(saved).model_dump(mode="json")
    assert fb.model_dump(mode="json") == expected
    assert fb.source in {"hybrid", "llm"} and fb.fallback_reason is None
    for p in fb.problems:
        assert fb.draft[p.start : p.end] == p.quote


def test_cache_hit_needs_no_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = SCENARIOS["openai_429_then_success"]
    db = tmp_path / "cache.sqlite"
    first = replay("openai_429_then_success", cache=str(db))
    with recorder("none").use_cassette("openai_429_then_success.yaml") as cas:
        again = af.critique(s.draft, s.situation, **call_options(s), cache=str(db))
        assert cas.play_count == 0
    assert again == first


def test_async_and_batch_replay_in_order() -> None:
    s = SCENARIOS["openai_429_then_success"]
    with recorder("none").use_cassette("openai_429_then_success.yaml"):
        fb = asyncio.run(af.acritique(s.draft, s.situation, **call_options(s)))
    assert fb.source == "hybrid"
    seen: list[tuple[int, int]] = []
    bad = SCENARIOS["openai_500_until_fallback"]
    with recorder("none").use_cassette(
        "openai_500_until_fallback.yaml", allow_playback_repeats=True
    ):
        out = af.critique_many(
            [bad.draft, "", bad.draft],
            concurrency=2,
            on_progress=lambda done, total: seen.append((done, total)),
            **call_options(bad),
        )
    assert [type(x).__name__ for x in out] == ["Feedback", "InvalidDraftError", "Feedback"]
    assert out[0].fallback_reason and out[2].fallback_reason  # type: ignore[union-attr]
    assert seen[-1] == (3, 3) and len(seen) == 3


SECRETY = re.compile(r"(sk-[A-Za-z0-9_-]{16,}|Bearer\s+\S+|authorization:|api-key:|test-key)", re.I)


def test_no_secrets_in_any_cassette() -> None:
    files = list(CASSETTES.glob("*.yaml")) + list(CASSETTES.glob("*.json"))
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not SECRETY.search(text), f"{f.name} holds something key-like"


def test_api_key_never_reaches_errors_or_feedback() -> None:
    secret = "sk-" + "abcdefghijklmnopqrstuvwxyz0123456789"
    s = SCENARIOS["openai_500_until_fallback"]
    opts = call_options(s)
    opts["llm"] = LLMConfig(**{**opts["llm"].__dict__, "api_key": secret})
    with recorder("none").use_cassette("openai_500_until_fallback.yaml"):
        fb = af.critique(s.draft, s.situation, **opts)
    assert secret not in fb.model_dump_json()
    assert secret not in repr(opts["llm"])
    with (
        recorder("none").use_cassette("openai_500_until_fallback.yaml"),
        pytest.raises(af.LLMError) as info,
    ):
        af.critique(s.draft, s.situation, **opts, fallback=False)
    assert secret not in str(info.value) and secret not in repr(info.value)
