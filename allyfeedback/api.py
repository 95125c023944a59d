"""The public entry points: ``critique`` and friends.

Input checks live here so every engine sees the same, valid input; this module decides
which engine runs (``_prepare``), and hands the rule engine's work to ``rules_critique``
and the model's to ``llm`` and ``merge``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .errors import (
    AllyFeedbackError,
    ConfigurationError,
    DraftTooLongError,
    InvalidDraftError,
    LLMError,
)
from .models import Feedback, Usage
from .rules_critique import critique_rules
from .ruleset import RuleSet, load_ruleset

if TYPE_CHECKING:
    from .config import LLMConfig

Backend = Literal["rules", "llm", "auto"]
BACKENDS: tuple[str, ...] = ("rules", "llm", "auto")
DEFAULT_MAX_CHARS = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")


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


def llm_config(
    llm: LLMConfig | None = None,
    *,
    model: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    mode: str | None = None,
    prompts_dir: str | None = None,
) -> LLMConfig:
    """The one way LLM settings are built: the flat arguments laid over ``llm`` (or the
    defaults), then the environment filled in for what is still unset."""
    from .config import LLMConfig

    if mode is not None and mode not in ("auto", "json_schema", "json_object"):
        raise ConfigurationError(f"unknown mode {mode!r}; use auto, json_schema or json_object")
    flat: dict[str, Any] = {
        "model": model,
        "base_url": base_url,
        "timeout": timeout,
        "max_retries": max_retries,
        "mode": mode,
        "prompts_dir": prompts_dir,
    }
    return replace(
        llm or LLMConfig(), **{k: v for k, v in flat.items() if v is not None}
    ).resolved()


class _Call(NamedTuple):
    """What one call will do, decided once from its arguments. ``config`` is ``None``
    when the rule engine alone runs, so nothing can reach a model."""

    draft: str
    situation: str | None
    ruleset: RuleSet
    config: LLMConfig | None
    client: Any
    fallback: bool
    cache_path: str | None
    max_chars: int = DEFAULT_MAX_CHARS  # the revision is never longer


def _prepare(
    draft: object,
    situation: object,
    backend: str,
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
) -> _Call:
    """Check every argument and decide the engine; shared by ``critique`` and
    ``acritique``. ``backend="auto"`` uses a model only when allyfeedback was pointed
    at one (``config.model_requested``): ``OPENAI_API_KEY`` alone never sends a draft."""
    from .config import model_requested

    if backend not in BACKENDS:
        raise ConfigurationError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    text = validate_draft(draft, max_chars)
    sit = _check_situation(situation, max_chars)
    rs = resolve_ruleset(ruleset, disable, rules)
    use_llm = backend == "llm" or (
        backend == "auto"
        and model_requested(client=client, llm=llm, model=model, base_url=base_url)
    )
    config = None
    if use_llm:
        config = llm_config(
            llm,
            model=model,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            mode=mode,
            prompts_dir=prompts_dir,
        )
    return _Call(text, sit, rs, config, client, fallback, str(cache) if cache else None, max_chars)


def _with_warning(fb: Feedback, warning: str | None) -> Feedback:
    if not warning:
        return fb
    return fb.model_copy(update={"warnings": [*fb.warnings, warning]})


def _fallback(rules_fb: Feedback, reason: str, usage: Usage | None) -> Feedback:
    import logging  # (the model's path has loaded it; the rules path never does)

    logging.getLogger("allyfeedback").warning("allyfeedback: the model was not used: %s", reason)
    return rules_fb.model_copy(
        update={
            "fallback_reason": reason,
            "warnings": [*rules_fb.warnings, f"The language model was not used: {reason}."],
            "usage": usage.model_copy() if usage else Usage(),
        }
    )


@dataclass
class _Pending:
    """An LLM critique under way: the rules result, the conversation, and where to cache.
    Shared by ``critique`` and ``acritique``, which differ only in how they call."""

    call: _Call
    config: LLMConfig
    rules_fb: Feedback
    conv: Any
    store: Any
    key: str | None

    def failed(self, exc: LLMError) -> Feedback:
        from .redact import scrub

        exc = LLMError(scrub(str(exc), self.config.api_key))
        if not self.call.fallback:
            raise exc
        return _fallback(self.rules_fb, str(exc), self.conv.usage)

    def finish(self, outcome: Any) -> Feedback:
        from .merge import merge

        fb = merge(self.rules_fb, outcome, self.conv.prompts.version, self.config.api_key)
        if self.store is not None and self.key:
            fb = _with_warning(fb, self.store.put(self.key, fb))
        return fb


def _start(call: _Call) -> Feedback | _Pending:
    """The finished result (rules only, or a cache hit), or an LLM critique to run."""
    if call.config is None:
        return critique_rules(call.draft, call.situation, call.ruleset, call.max_chars)
    from .cache import cache_key, open_cache
    from .llm import new_conversation
    from .prompts import load_prompts

    store, key, cache_warning = None, None, None
    if call.cache_path:  # looked up first, so a hit costs a lookup and a validation
        store = open_cache(call.cache_path)
        version = load_prompts(call.config.prompts_dir).version
        key = cache_key(call.config, version, call.ruleset, call.draft, call.situation)
        hit = store.get(key, call.draft, call.situation)
        if hit is not None:
            return hit
        cache_warning = store.warning
    rules_fb = _with_warning(
        critique_rules(call.draft, call.situation, call.ruleset, call.max_chars), cache_warning
    )
    conv = new_conversation(call.draft, call.situation, call.config, call.ruleset)
    return _Pending(call, call.config, rules_fb, conv, store, key)


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
    ``backend``: ``"rules"`` (offline, deterministic), ``"llm"``, or ``"auto"`` (a model
    only when allyfeedback was pointed at one: ``client=``, ``llm=``, ``model=``,
    ``base_url=``, ``ALLYFEEDBACK_MODEL`` or ``ALLYFEEDBACK_BASE_URL``; else the rules.
    ``OPENAI_API_KEY`` alone never switches engines).
    ``disable`` switches rules off by id or category; ``rules`` adds rule files.
    LLM settings: ``client`` (an ``openai.OpenAI``), or ``model``/``base_url``/
    ``timeout``/``max_retries``/``mode``/``prompts_dir``, or a whole ``llm=LLMConfig``.
    If the model fails for good the rules result is returned with ``fallback_reason``
    set, unless ``fallback=False`` (then ``LLMError``). ``cache`` is an sqlite file path.
    Raises ``InvalidDraftError`` (a ValueError) for empty or oversized drafts and
    ``TypeError`` for non-strings.
    """
    call = _prepare(
        draft,
        situation,
        backend,
        disable=disable,
        rules=rules,
        ruleset=ruleset,
        max_chars=max_chars,
        client=client,
        llm=llm,
        model=model,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        mode=mode,
        prompts_dir=prompts_dir,
        fallback=fallback,
        cache=cache,
    )
    step = _start(call)
    if isinstance(step, Feedback):
        return step
    from .llm import make_client, run

    try:
        outcome = run(call.client or make_client(step.config), step.conv)
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
    call = _prepare(
        draft,
        situation,
        backend,
        disable=disable,
        rules=rules,
        ruleset=ruleset,
        max_chars=max_chars,
        client=client,
        llm=llm,
        model=model,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        mode=mode,
        prompts_dir=prompts_dir,
        fallback=fallback,
        cache=cache,
    )
    step = _start(call)
    if isinstance(step, Feedback):
        return step
    from .llm import arun, make_client

    try:
        outcome = await arun(call.client or make_client(step.config, asynchronous=True), step.conv)
    except LLMError as exc:
        return step.failed(exc)
    return step.finish(outcome)


def critique_traced(
    draft: str, situation: str | None = None, **options: Any
) -> tuple[Feedback, set[str] | None]:
    """``critique(..., backend="llm")`` without the cache, and the labels the model's own
    answer gives (its grounded problems and the elements it marked present; ``None``
    when it fell back), for measuring the merge against the model alone."""
    options = {**options, "cache": None}
    call = _prepare(draft, situation, "llm", **options)
    step = _start(call)
    assert isinstance(step, _Pending)
    from .llm import make_client, run

    try:
        outcome = run(call.client or make_client(step.config), step.conv)
    except LLMError as exc:
        return step.failed(exc), None
    raw = {p.category for p, _, _ in outcome.grounded_problems} | set(outcome.grounded_elements)
    return step.finish(outcome), raw


def critique_from_answer(
    draft: str,
    answer: str,
    situation: str | None = None,
    *,
    disable: Sequence[str] = (),
    rules: Sequence[str] = (),
    ruleset: RuleSet | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    llm: LLMConfig | None = None,
    usage: Usage | None = None,
    fallback: bool = True,
) -> Feedback:
    """The merged ``Feedback`` for one model answer obtained elsewhere (a provider's batch
    job, a replay): ``answer`` is the message content the model returned for this draft's
    prompts. It is validated and grounded exactly as a live answer is, with no re-ask;
    an unusable answer falls back to the rules (or raises ``LLMError`` when
    ``fallback=False``). ``usage`` is the tokens that answer cost."""
    from .llm import outcome_from_answer
    from .prompts import load_prompts

    rs = resolve_ruleset(ruleset, disable, rules)
    text = validate_draft(draft, max_chars)
    sit = _check_situation(situation, max_chars)
    config = llm_config(llm)
    rules_fb = critique_rules(text, sit, rs, max_chars)
    spent = usage.model_copy() if usage else Usage(attempts=1)
    try:
        outcome = outcome_from_answer(answer, text, config, rs, spent)
    except LLMError as exc:
        from .redact import scrub

        error = LLMError(scrub(str(exc), config.api_key))
        if not fallback:
            raise error from None
        return _fallback(rules_fb, str(error), spent)
    from .merge import merge

    return merge(rules_fb, outcome, load_prompts(config.prompts_dir).version, config.api_key)


def critique_many(
    drafts: Iterable[str],
    situation: str | None = None,
    backend: Backend = "auto",
    *,
    situations: Sequence[str | None] | None = None,
    concurrency: int = 4,
    jobs: int | None = 1,
    on_progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[Feedback | Exception]:
    """Critique many drafts: one result per input, in input order.

    A draft that cannot be critiqued (empty, wrong type, or the model failing with
    ``fallback=False``) gets its exception in its place instead of stopping the batch.
    LLM calls run ``concurrency`` at a time in threads (sharing one client); the rule
    engine runs in the calling thread, or in ``jobs`` processes (``None``: one per core;
    the options must then be picklable). ``on_progress(done, total)`` is called after each.
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
    if not uses_llm and total > 1 and jobs != 1:
        from functools import partial

        from .parallel import check_jobs, critique_in_processes

        critic = partial(critique, backend="rules", **options)
        return critique_in_processes(
            critic, list(zip(items, sits, strict=True)), check_jobs(jobs), on_progress
        )
    if uses_llm and concurrency > 1 and total > 1:
        if options.get("client") is None:
            from .llm import make_client

            options = {**options, "client": make_client(_options_config(options))}
        from concurrent.futures import ThreadPoolExecutor, as_completed

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
    return llm_config(
        options.get("llm"),
        model=options.get("model"),
        base_url=options.get("base_url"),
        timeout=options.get("timeout"),
        max_retries=options.get("max_retries"),
        mode=options.get("mode"),
        prompts_dir=options.get("prompts_dir"),
    )


def _would_use_llm(options: dict[str, Any]) -> bool:
    from .config import model_requested

    return model_requested(
        client=options.get("client"),
        llm=options.get("llm"),
        model=options.get("model"),
        base_url=options.get("base_url"),
    )
