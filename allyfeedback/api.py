"""The public entry points: ``critique`` and friends.

Input checks live here so every engine sees the same, valid input, and the rules
result is built here so both engines share it (the LLM engine merges onto it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from .engine import Analysis, analyze
from .errors import (
    AllyFeedbackError,
    ConfigurationError,
    DraftTooLongError,
    InvalidDraftError,
    LLMError,
)
from .frame import find_frame, own_words
from .models import SCHEMA_VERSION, Element, Feedback, Problem, Skipped, Usage
from .revision import build_revision
from .ruleset import RuleSet, load_ruleset
from .scoring import compute_score, compute_verdict, summarize
from .taxonomy import ELEMENT_IDS
from .text import lookalike_words, looks_english
from .wording import tips

if TYPE_CHECKING:
    from .config import LLMConfig

Backend = Literal["rules", "llm", "auto"]
BACKENDS: tuple[str, ...] = ("rules", "llm", "auto")
DEFAULT_MAX_CHARS = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_LETTER = re.compile(r"[^\W\d_]")


def validate_draft(draft: object, max_chars: int = DEFAULT_MAX_CHARS, what: str = "draft") -> str:
    """Return ``draft`` unchanged if it can be critiqued, else raise a clear error."""
    if not isinstance(draft, str):
        raise TypeError(f"{what} must be a str, not {type(draft).__name__}")
    if _SURROGATE.search(draft):
        raise InvalidDraftError(
            f"{what} contains an unpaired surrogate code point; pass valid Unicode text"
        )
    if not draft.strip():
        raise InvalidDraftError(f"{what} is empty; write the message you want feedback on")
    if len(draft) > max_chars:
        raise DraftTooLongError(
            f"{what} is {len(draft):,} characters; the limit is {max_chars:,} "
            "(raise it with max_chars=...)"
        )
    return draft


def _check_situation(situation: object, max_chars: int) -> str | None:
    if situation is None:
        return None
    if not isinstance(situation, str):
        raise TypeError(f"situation must be a str or None, not {type(situation).__name__}")
    if not situation.strip():
        return None
    return validate_draft(situation, max_chars, what="situation")


def resolve_ruleset(
    ruleset: RuleSet | None = None,
    disable: Iterable[str] = (),
    rules: Iterable[str] = (),
) -> RuleSet:
    if isinstance(disable, str) or isinstance(rules, str):
        raise TypeError("disable and rules take a list of strings, not a single string")
    if ruleset is not None:
        return ruleset.without(disable) if disable else ruleset
    return load_ruleset(rules, disable)


def _warnings(draft: str) -> list[str]:
    out = []
    if not _LETTER.search(draft):
        out.append("The draft has no words to check; the feedback covers only what is missing.")
    elif not looks_english(draft):
        out.append(
            "The draft does not look like English. The rules are written for English, "
            "so problems may be missed."
        )
    lookalikes = lookalike_words(draft)
    if lookalikes:
        out.append(
            f"Some words mix in letters from another alphabet that look Latin "
            f"({', '.join(repr(w) for w in lookalikes[:3])}); they were read as Latin letters."
        )
    return out


def problems_from(analysis: Analysis) -> list[Problem]:
    return [
        Problem(
            category=h.rule.category,  # type: ignore[arg-type]
            quote=analysis.norm.original[h.start : h.end],
            start=h.start,
            end=h.end,
            severity=h.rule.severity,
            message=h.rule.message,
            suggestion=h.rule.suggestion,
            rule_id=h.rule.id,
            source="rules",
        )
        for h in analysis.problems()
    ]


def elements_from(analysis: Analysis, situation: str | None = None) -> list[Element]:
    """Each element, found or with a tip worded for the situation (or general)."""
    out = []
    tip = tips(situation)
    for element_id in ELEMENT_IDS:
        hit = analysis.first_element_hit(element_id)
        if hit is None:
            out.append(Element(id=element_id, present=False, tip=tip[element_id]))
        else:
            out.append(
                Element(
                    id=element_id,
                    present=True,
                    quote=analysis.norm.original[hit.start : hit.end],
                    start=hit.start,
                    end=hit.end,
                    rule_id=hit.rule.id,
                    source="rules",
                )
            )
    return out


def critique_rules(
    draft: str, situation: str | None, ruleset: RuleSet, max_chars: int = DEFAULT_MAX_CHARS
) -> Feedback:
    """The rule engine's full critique of an already validated draft. Quoted replies,
    forwards and signatures are not the writer's reply: findings there are left out."""
    frame = find_frame(draft)
    analysis = own_words(analyze(draft, ruleset), frame)
    problems = problems_from(analysis)
    elements = elements_from(analysis, situation)
    return Feedback(
        draft=draft,
        situation=situation,
        problems=problems,
        elements=elements,
        score=compute_score(problems, elements),
        verdict=compute_verdict(problems, elements),
        summary=summarize(problems, elements),
        revision=build_revision(
            draft, situation, ruleset, analysis, frame=frame, max_chars=max_chars
        ),
        source="rules",
        warnings=_warnings(draft),
        skipped=[Skipped(kind=b.kind, start=b.start, end=b.end) for b in frame.skipped],
    )


def _llm_config(
    llm: LLMConfig | None,
    model: str | None,
    base_url: str | None,
    timeout: float | None,
    max_retries: int | None,
    mode: str | None,
    prompts_dir: str | None,
) -> LLMConfig:
    from .config import LLMConfig

    cfg = llm or LLMConfig()
    updates: dict[str, Any] = {
        k: v
        for k, v in {
            "model": model,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "mode": mode,
            "prompts_dir": prompts_dir,
        }.items()
        if v is not None
    }
    if "mode" in updates and updates["mode"] not in ("auto", "json_schema", "json_object"):
        raise ConfigurationError(
            f"unknown mode {updates['mode']!r}; use auto, json_schema or json_object"
        )
    return replace(cfg, **updates).resolved()


@dataclass
class _Plan:
    """What one call will do, decided once from its arguments."""

    draft: str
    situation: str | None
    ruleset: RuleSet
    use_llm: bool
    config: LLMConfig | None
    fallback: bool
    cache_path: str | None
    max_chars: int = DEFAULT_MAX_CHARS


def _plan(
    draft: object,
    situation: object,
    backend: str,
    disable: Sequence[str],
    rules: Sequence[str],
    ruleset: RuleSet | None,
    max_chars: int,
    client: object,
    llm: LLMConfig | None,
    model: str | None,
    base_url: str | None,
    timeout: float | None,
    max_retries: int | None,
    mode: str | None,
    prompts_dir: str | None,
    fallback: bool,
    cache: str | os.PathLike[str] | None,
) -> _Plan:
    if backend not in BACKENDS:
        raise ConfigurationError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    text = validate_draft(draft, max_chars)
    sit = _check_situation(situation, max_chars)
    rs = resolve_ruleset(ruleset, disable, rules)
    config = None
    use_llm = False
    nothing_configured = (
        backend == "auto"
        and client is None
        and llm is None
        and base_url is None
        and not os.environ.get("OPENAI_API_KEY")
        and not os.environ.get("OPENAI_BASE_URL")
    )
    if backend != "rules" and not nothing_configured:
        from .config import is_configured

        config = _llm_config(llm, model, base_url, timeout, max_retries, mode, prompts_dir)
        use_llm = backend == "llm" or is_configured(config, client)
    return _Plan(text, sit, rs, use_llm, config, fallback, str(cache) if cache else None, max_chars)


def _cache_key(plan: _Plan, prompt_version: str) -> str:
    from .cache import Cache

    assert plan.config is not None
    return Cache.key(
        model=plan.config.model,
        base_url=plan.config.base_url,
        mode=plan.config.structured_mode,
        prompt_version=prompt_version,
        rules=[r.id for r in plan.ruleset],
        schema=SCHEMA_VERSION,
        draft=plan.draft,
        situation=plan.situation,
    )


def _fallback(rules_fb: Feedback, reason: str, usage: Usage | None) -> Feedback:
    return rules_fb.model_copy(
        update={
            "fallback_reason": reason,
            "warnings": [*rules_fb.warnings, f"The language model was not used: {reason}."],
            "usage": usage.model_copy() if usage else Usage(),
        }
    )


def _cached(plan: _Plan) -> tuple[Any, str | None, Feedback | None]:
    """The cache, the key for this call, and the cached result if there is one; looked
    up before any other work, so a hit costs a lookup and a validation."""
    if not plan.cache_path:
        return None, None, None
    from .cache import open_cache
    from .prompts import load_prompts

    assert plan.config is not None
    store = open_cache(plan.cache_path)
    key = _cache_key(plan, load_prompts(plan.config.prompts_dir).version)
    return store, key, store.get(key)


@dataclass
class _Pending:
    """An LLM critique under way: the rules result, the conversation, and where to cache.
    Shared by ``critique`` and ``acritique``, which differ only in how they call."""

    plan: _Plan
    rules_fb: Feedback
    conv: Any
    store: Any
    key: str | None

    def failed(self, exc: LLMError) -> Feedback:
        if not self.plan.fallback:
            raise exc
        return _fallback(self.rules_fb, str(exc), self.conv.usage)

    def finish(self, outcome: Any) -> Feedback:
        from .merge import merge

        fb = merge(self.rules_fb, outcome, self.conv.prompts.version)
        if self.store is not None and self.key:
            self.store.put(self.key, fb)
        return fb


def _start(plan: _Plan) -> Feedback | _Pending:
    """The finished result (rules only, or a cache hit), or an LLM critique to run."""
    if not plan.use_llm:
        return critique_rules(plan.draft, plan.situation, plan.ruleset, plan.max_chars)
    from .llm import new_conversation

    assert plan.config is not None
    store, key, hit = _cached(plan)
    if hit is not None:
        return hit
    rules_fb = critique_rules(plan.draft, plan.situation, plan.ruleset, plan.max_chars)
    conv = new_conversation(plan.draft, plan.situation, plan.config, plan.ruleset)
    return _Pending(plan, rules_fb, conv, store, key)


def critique(
    draft: str,
    situation: str | None = None,
    backend: Backend = "auto",
    *,
    disable: Sequence[str] = (),
    rules: Sequence[str] = (),
    ruleset: RuleSet | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    client: Any = None,
    llm: LLMConfig | None = None,
    model: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    mode: str | None = None,
    prompts_dir: str | None = None,
    fallback: bool = True,
    cache: str | os.PathLike[str] | None = None,
) -> Feedback:
    """Critique ``draft``, the reply to the colleague who was hurt.

    ``situation`` (optional) says what happened; it fits the suggested revision.
    ``backend``: ``"rules"`` (offline, deterministic), ``"llm"``, or ``"auto"`` (the LLM
    when one is configured: ``client=``, ``OPENAI_API_KEY``, or a base URL; else rules).
    ``disable`` switches rules off by id or category; ``rules`` adds rule files.
    LLM settings: ``client`` (an ``openai.OpenAI``), or ``model``/``base_url``/
    ``timeout``/``max_retries``/``mode``/``prompts_dir``, or a whole ``llm=LLMConfig``.
    If the model fails for good the rules result is returned with ``fallback_reason``
    set, unless ``fallback=False`` (then ``LLMError``). ``cache`` is an sqlite file path.
    Raises ``InvalidDraftError`` (a ValueError) for empty or oversized drafts and
    ``TypeError`` for non-strings.
    """
    plan = _plan(**locals())
    step = _start(plan)
    if isinstance(step, Feedback):
        return step
    from .llm import make_client, run

    try:
        outcome = run(client or make_client(plan.config), step.conv)  # type: ignore[arg-type]
    except LLMError as exc:
        return step.failed(exc)
    return step.finish(outcome)


async def acritique(
    draft: str,
    situation: str | None = None,
    backend: Backend = "auto",
    *,
    disable: Sequence[str] = (),
    rules: Sequence[str] = (),
    ruleset: RuleSet | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    client: Any = None,
    llm: LLMConfig | None = None,
    model: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    mode: str | None = None,
    prompts_dir: str | None = None,
    fallback: bool = True,
    cache: str | os.PathLike[str] | None = None,
) -> Feedback:
    """``critique`` for asyncio code; ``client`` is an ``openai.AsyncOpenAI`` if given."""
    plan = _plan(**locals())
    step = _start(plan)
    if isinstance(step, Feedback):
        return step
    from .llm import arun, make_client

    try:
        client = client or make_client(plan.config, asynchronous=True)  # type: ignore[arg-type]
        outcome = await arun(client, step.conv)
    except LLMError as exc:
        return step.failed(exc)
    return step.finish(outcome)


def critique_many(
    drafts: Iterable[str],
    situation: str | None = None,
    backend: Backend = "auto",
    *,
    situations: Sequence[str | None] | None = None,
    concurrency: int = 4,
    on_progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[Feedback | Exception]:
    """Critique many drafts: one result per input, in input order.

    A draft that cannot be critiqued (empty, wrong type, or the model failing with
    ``fallback=False``) gets its exception in its place instead of stopping the batch.
    LLM calls run ``concurrency`` at a time in threads (sharing one client); the rule
    engine runs in the calling thread. ``on_progress(done, total)`` is called after each.
    """
    items = list(drafts)
    if situations is not None and len(situations) != len(items):
        raise ValueError("situations must have one entry per draft")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    sits = list(situations) if situations is not None else [situation] * len(items)
    total = len(items)
    results: list[Feedback | Exception | None] = [None] * total
    done = 0

    def one(i: int) -> Feedback | Exception:
        try:
            return critique(items[i], sits[i], backend, **options)
        except (AllyFeedbackError, TypeError, ValueError) as exc:
            return exc

    uses_llm = backend == "llm" or (backend == "auto" and _would_use_llm(options))
    if uses_llm and concurrency > 1 and total > 1:
        if options.get("client") is None:
            from .llm import make_client

            options = {**options, "client": make_client(_options_config(options))}
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = {pool.submit(one, i): i for i in range(total)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                done += 1
                if on_progress:
                    on_progress(done, total)
    else:
        for i in range(total):
            results[i] = one(i)
            done += 1
            if on_progress:
                on_progress(done, total)
    return [r for r in results if r is not None]


def _options_config(options: dict[str, Any]) -> LLMConfig:
    """The LLM settings among ``critique``'s keyword options."""
    return _llm_config(
        options.get("llm"),
        options.get("model"),
        options.get("base_url"),
        options.get("timeout"),
        options.get("max_retries"),
        options.get("mode"),
        options.get("prompts_dir"),
    )


def _would_use_llm(options: dict[str, Any]) -> bool:
    from .config import is_configured

    return is_configured(_options_config(options), options.get("client"))
