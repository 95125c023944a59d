"""The LLM engine's client side: the request, reading the answer, validation and re-asks.
(Settings live in ``config.py``; merging the answer onto the rules, in ``merge.py``.)

Following instructor's lessons: the answer is validated against a Pydantic model, a
failed validation or an ungrounded quote is re-asked *with the error* (a bounded number of
times, by tenacity), nothing is retried blindly, the caller's inputs are never mutated,
and every attempt's token usage is counted. Transport faults (429, 5xx, timeouts,
Retry-After) are retried by the OpenAI SDK itself (``max_retries``), never by us too.
A malformed answer (no choices, no message, an HTML page, odd usage figures) is an
``LLMError``, never a crash. Attempts, re-asks and fallbacks are logged on the
``allyfeedback`` logger, without the draft.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from .config import DEFAULT_MODEL, LLMConfig
from .engine import analyze
from .errors import ConfigurationError, LLMError
from .grounding import locate
from .models import Usage
from .prompts import Prompts, critique_prompt, load_prompts, system_prompt
from .redact import scrub
from .ruleset import RuleSet
from .taxonomy import ElementId, ProblemId
from .text import normalize, sentence_spans

log = logging.getLogger("allyfeedback")
__all__ = ["Conversation", "LLMCritique", "Outcome", "arun", "json_mode_schema", "run", "scrub"]


# --- what the model must answer -------------------------------------------------------
# Strict structured outputs allow no defaults: every field is required, "absent" is null.
class LLMProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: ProblemId
    quote: str = Field(description="Exact words copied from the draft.")
    why: str = Field(description="One short, kind sentence: why it hurts.")
    instead: str = Field(description="One short sentence: what to write instead.")


class LLMElement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ElementId
    present: bool
    quote: str | None = Field(description="Exact words from the draft, or null if absent.")


class LLMCritique(BaseModel):
    model_config = ConfigDict(extra="forbid")

    problems: list[LLMProblem]
    elements: list[LLMElement]
    summary: str
    revision: str = Field(description="A reply the writer could send instead.")


def make_client(config: LLMConfig, asynchronous: bool = False) -> Any:
    """An OpenAI SDK client built from ``config`` (imported only when needed)."""
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency
        raise ConfigurationError("the LLM backend needs the openai package") from None
    if not config.api_key and not config.base_url:
        raise ConfigurationError(
            "the LLM backend is not configured: set OPENAI_API_KEY, or pass base_url= "
            "(or --base-url) for an OpenAI-compatible server, or pass client="
        )
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return cls(
        # Local OpenAI-compatible servers need no key, but the SDK wants a value.
        api_key=config.api_key or "no-key-needed",
        base_url=config.base_url,
        timeout=config.timeout,
        max_retries=config.max_retries,
    )


# --- one critique, as a conversation with bounded re-asks ------------------------------
# Final outcomes, never retried, whether the SDK raises them (parse) or we read them.
_CUT_OFF = "the model's answer was cut off at the token limit (max_tokens)"
_FILTERED = "the provider's content filter stopped the model's answer"
_MALFORMED = "the server's answer was not a chat completion"


class _Reask(Exception):
    """The answer cannot be used yet; the conversation has the error appended."""


@dataclass
class Outcome:
    critique: LLMCritique
    grounded_problems: list[tuple[LLMProblem, int, int]]
    grounded_elements: dict[str, tuple[int, int]]
    dropped: int
    revision: str | None
    usage: Usage
    model: str
    truncated_lists: bool = False  # the answer filled the schema's problem list


class Conversation:
    """The messages, checks and bookkeeping of one LLM critique, without any I/O, so the
    synchronous and asynchronous drivers share every decision."""

    def __init__(
        self,
        draft: str,
        situation: str | None,
        config: LLMConfig,
        ruleset: RuleSet,
        prompts: Prompts,
    ) -> None:
        self.draft = draft
        self.norm = normalize(draft)
        self.config = config
        self.ruleset = ruleset
        self.prompts = prompts
        self.mode = config.structured_mode
        self.max_problems = problem_limit(draft)
        self.schema = json_mode_schema(self.max_problems, revision_limit(draft))
        self.messages: list[dict[str, str]] = [
            {"role": "system", "content": system_prompt(prompts)},
            {"role": "user", "content": critique_prompt(prompts, draft, situation)},
        ]
        self.usage = Usage()
        self.model = config.model or DEFAULT_MODEL

    # request -------------------------------------------------------------------------
    def request(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": list(self.messages),
            "temperature": self.config.temperature,
            "max_tokens": self.config.answer_budget(self.draft),
        }
        if self.mode == "json_schema":
            kwargs["response_format"] = LLMCritique
        else:
            kwargs["response_format"] = {"type": "json_object", "schema": self.schema}
        return kwargs

    def count(self, completion: Any) -> None:
        """Add one attempt's tokens; figures that are not whole numbers count as 0."""
        usage = getattr(completion, "usage", None)
        self.usage.attempts += 1
        for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
            value = getattr(usage, name, None)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                setattr(self.usage, name, getattr(self.usage, name) + value)
        log.info(
            "allyfeedback: model answer %d (%d prompt + %d completion tokens so far)",
            self.usage.attempts,
            self.usage.prompt_tokens,
            self.usage.completion_tokens,
        )

    # answer --------------------------------------------------------------------------
    def read(self, completion: Any, final: bool) -> LLMCritique:
        """Turn one completion into a critique, or raise ``_Reask`` / ``LLMError``."""
        message, finish = _message(completion)
        refusal = getattr(message, "refusal", None)
        if refusal:
            text = scrub(str(refusal), self.config.api_key)[:200]
            raise LLMError(f"the model refused to review this draft ({text})")
        if finish == "length":
            raise LLMError(_CUT_OFF)
        if finish == "content_filter":
            raise LLMError(_FILTERED)
        content = getattr(message, "content", None)
        if not isinstance(content, str):
            content = ""
        parsed = getattr(message, "parsed", None)
        if isinstance(parsed, LLMCritique):
            return parsed
        try:
            # strict=False: small models put raw line breaks inside strings; forgive that,
            # and nothing else.
            return LLMCritique.model_validate(json.loads(content, strict=False))
        except json.JSONDecodeError as exc:
            self._reask(content, f"not valid JSON ({exc.msg} at line {exc.lineno})", [], final)
        except ValidationError as exc:
            self._reask(content, _short_validation_error(exc), [], final)
        raise AssertionError("unreachable")  # pragma: no cover - _reask always raises

    def _reask(self, content: str, error: str, missing: list[str], final: bool) -> None:
        if final:
            raise LLMError(f"the model's answer could not be used: {error}")
        log.info("allyfeedback: re-asking the model: %s", error)
        if content:
            self.messages.append({"role": "assistant", "content": content})
        self.messages.append(
            {
                "role": "user",
                "content": self.prompts.render("reask.j2", error=error, missing_quotes=missing),
            }
        )
        raise _Reask(error)

    def ground(self, critique: LLMCritique, final: bool) -> Outcome:
        problems: list[tuple[LLMProblem, int, int]] = []
        elements: dict[str, tuple[int, int]] = {}
        missing: list[str] = []
        for p in critique.problems:
            span = locate(p.quote, self.norm)
            if span is None:
                missing.append(p.quote)
            else:
                problems.append((p, *span))
        for e in critique.elements:
            if not e.present:
                continue
            span = locate(e.quote, self.norm) if e.quote else None
            if span is None:
                missing.append(e.quote or f"(no quote for {e.id})")
            elif e.id not in elements:
                elements[e.id] = span
        if missing and not final:
            self._reask(
                critique.model_dump_json(),
                f"{len(missing)} quote(s) are not in the draft",
                missing[:10],
                final=False,
            )
        if missing:
            log.info("allyfeedback: %d ungrounded model quote(s) dropped", len(missing))
        full = self.mode == "json_object" and len(critique.problems) >= self.max_problems
        return Outcome(
            critique, problems, elements, len(missing), None, self.usage, self.model, full
        )

    # revision ------------------------------------------------------------------------
    def revision_problems(self, revision: str) -> list[dict[str, str]]:
        """What is wrong with a model's revision, as the rules see it (empty: usable).

        Beyond the problem rules, a usable revision has a few words, is not far longer
        than the draft, and apologises (the article's first step)."""
        if len(re.findall(r"[^\W\d_]+", revision)) < 5 or len(revision) > max(
            4 * len(self.draft), 2000
        ):
            return [{"category": "not a usable reply", "quote": revision[:80]}]
        analysis = analyze(revision, self.ruleset)
        found = [
            {"category": h.category, "quote": revision[h.start : h.end]}
            for h in analysis.problems()
        ]
        if analysis.first_element_hit("apology") is None:
            found.append({"category": "no clear apology", "quote": revision[:80]})
        return found

    def ask_revision_again(self, critique: LLMCritique, problems: list[dict[str, str]]) -> None:
        self.messages.append({"role": "assistant", "content": critique.model_dump_json()})
        self.messages.append(
            {"role": "user", "content": self.prompts.render("revision.j2", problems=problems)}
        )


def _message(completion: Any) -> tuple[Any, Any]:
    """The first choice's message and finish reason, or ``LLMError`` for anything that
    is not a chat completion (no choices, ``null``, no message, an HTML page)."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, (list, tuple)) or not choices:
        raise LLMError(f"{_MALFORMED} (no choices)")
    choice = choices[0]
    message = getattr(choice, "message", None)
    if message is None:
        raise LLMError(f"{_MALFORMED} (no message)")
    return message, getattr(choice, "finish_reason", None)


def _short_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"]) or "answer"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _retrying_kwargs(config: LLMConfig) -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(config.max_reasks + 1) | stop_after_delay(config.reask_deadline),
        "retry": retry_if_exception_type(_Reask),
        "reraise": True,
    }


def _api_error(exc: Exception, config: LLMConfig) -> LLMError:
    status = getattr(exc, "status_code", None)
    what = exc.__class__.__name__ + (f" (HTTP {status})" if status else "")
    detail = scrub(str(exc), config.api_key)[:200]
    if exc.__class__.__name__ == "AuthenticationError":
        detail = "check the API key"  # the provider's text can echo part of the key
    return LLMError(f"the model could not be reached: {what}: {detail}")


def _is_api_error(exc: Exception) -> bool:
    try:
        import openai
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, openai.OpenAIError) and not isinstance(
        exc, (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError)
    )


def _finish_reason_error(exc: Exception) -> LLMError | None:
    import openai

    if isinstance(exc, openai.LengthFinishReasonError):
        return LLMError(_CUT_OFF)
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return LLMError(_FILTERED)
    return None


def _call_sync(client: Any, conv: Conversation) -> Any:
    kwargs = conv.request()
    if conv.mode == "json_schema":
        return client.chat.completions.parse(**kwargs)
    return client.chat.completions.create(**kwargs)


async def _call_async(client: Any, conv: Conversation) -> Any:
    kwargs = conv.request()
    if conv.mode == "json_schema":
        return await client.chat.completions.parse(**kwargs)
    return await client.chat.completions.create(**kwargs)


def _translate(exc: Exception, conv: Conversation) -> Exception:
    """The error to raise for a failed call: a clear ``LLMError`` for the SDK's errors
    (with anything key-like scrubbed), anything else unchanged."""
    finish = _finish_reason_error(exc)
    if finish is not None:
        conv.count(getattr(exc, "completion", None))
        return finish
    if _is_api_error(exc):
        return _api_error(exc, conv.config)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):  # a 200 that is not JSON
        return LLMError(f"{_MALFORMED} (not JSON)")
    return exc


def _step(conv: Conversation, call: Callable[[], Any], n: int) -> Outcome:
    """One attempt: call, then read and ground the answer (raising ``_Reask`` to try
    again). Shared by the synchronous and asynchronous drivers."""
    final = n > conv.config.max_reasks
    try:
        completion = call()
    except ValidationError as exc:  # parse() validated the answer and it did not fit
        conv.usage.attempts += 1
        conv._reask("", _short_validation_error(exc), [], final)
        raise AssertionError("unreachable") from None  # pragma: no cover
    except (LLMError, _Reask):
        raise
    except Exception as exc:
        raise _translate(exc, conv) from None
    conv.count(completion)
    log.debug("allyfeedback: attempt %d of %d", n, conv.config.max_reasks + 1)
    return conv.ground(conv.read(completion, final), final)


def run(client: Any, conv: Conversation) -> Outcome:
    """The whole exchange with a synchronous client."""
    outcome: Outcome | None = None
    try:
        for attempt in Retrying(**_retrying_kwargs(conv.config)):
            with attempt:
                n = attempt.retry_state.attempt_number
                outcome = _step(conv, lambda: _call_sync(client, conv), n)
    except _Reask as exc:  # time ran out before the last allowed attempt
        raise LLMError(f"the model's answer could not be used: {exc}") from None
    assert outcome is not None
    if _revision_needs_reask(conv, outcome):
        try:
            outcome.revision = _second_revision(conv, _call_sync(client, conv))
        except Exception:  # any failure here: the deterministic revision is used
            outcome.revision = None
    return outcome


async def arun(client: Any, conv: Conversation) -> Outcome:
    """The whole exchange with an asynchronous client."""
    outcome: Outcome | None = None
    try:
        async for attempt in AsyncRetrying(**_retrying_kwargs(conv.config)):
            with attempt:
                n = attempt.retry_state.attempt_number
                completion = await _awaited(client, conv)
                outcome = _step(conv, completion.result, n)
    except _Reask as exc:  # time ran out before the last allowed attempt
        raise LLMError(f"the model's answer could not be used: {exc}") from None
    assert outcome is not None
    if _revision_needs_reask(conv, outcome):
        try:
            outcome.revision = _second_revision(conv, await _call_async(client, conv))
        except Exception:  # any failure here: the deterministic revision is used
            outcome.revision = None
    return outcome


@dataclass
class _Awaited:
    """An async call's outcome, so ``_step`` can handle its error as if it were raised
    by a synchronous call."""

    value: Any = None
    error: BaseException | None = None

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


async def _awaited(client: Any, conv: Conversation) -> _Awaited:
    try:
        return _Awaited(value=await _call_async(client, conv))
    except Exception as exc:
        return _Awaited(error=exc)


def _revision_needs_reask(conv: Conversation, outcome: Outcome) -> bool:
    """Accept the model's revision if the rules find nothing wrong with it; otherwise
    set up one re-ask with the problems named (after which, the deterministic one)."""
    problems = conv.revision_problems(outcome.critique.revision)
    if not problems:
        outcome.revision = outcome.critique.revision
        return False
    conv.ask_revision_again(outcome.critique, problems)
    return True


def _second_revision(conv: Conversation, completion: Any) -> str | None:
    conv.count(completion)
    try:
        again = conv.read(completion, final=True)
    except LLMError:
        return None
    return None if conv.revision_problems(again.revision) else again.revision


def new_conversation(
    draft: str, situation: str | None, config: LLMConfig, ruleset: RuleSet
) -> Conversation:
    return Conversation(draft, situation, config, ruleset, load_prompts(config.prompts_dir))


def problem_limit(draft: str) -> int:
    """How many problems a JSON-mode answer may list: 6 for a short draft, two per
    sentence for a long one (up to 40), so a grammar-constrained server neither runs on
    forever nor cuts a long draft's findings short."""
    return max(6, min(40, 2 * len(sentence_spans(draft))))


def revision_limit(draft: str) -> int:
    """The longest revision a JSON-mode answer may hold: 700 characters, or the
    draft's own length for a longer draft (up to 4,000)."""
    return max(700, min(4000, len(draft)))


def outcome_from_answer(
    content: str, draft: str, config: LLMConfig, ruleset: RuleSet, usage: Usage
) -> Outcome:
    """One model answer obtained elsewhere (a provider batch, a replay), validated and
    grounded as a live one is, with no re-ask; ``LLMError`` when it cannot be used."""
    conv = Conversation(draft, None, config, ruleset, load_prompts(config.prompts_dir))
    conv.usage = usage
    try:
        critique = LLMCritique.model_validate(json.loads(content, strict=False))
    except (json.JSONDecodeError, TypeError) as exc:
        raise LLMError(f"the model's answer could not be used: not valid JSON ({exc})") from None
    except ValidationError as exc:
        error = _short_validation_error(exc)
        raise LLMError(f"the model's answer could not be used: {error}") from None
    outcome = conv.ground(critique, final=True)
    if not conv.revision_problems(critique.revision):
        outcome.revision = critique.revision
    return outcome


@lru_cache(maxsize=64)
def _schema_text(max_problems: int, max_revision: int) -> str:
    schema = LLMCritique.model_json_schema()
    props = schema["properties"]
    props["problems"]["maxItems"] = max_problems
    props["elements"]["maxItems"] = 6
    props["summary"]["maxLength"] = 240
    props["revision"]["maxLength"] = max_revision
    for name, limits in (
        ("LLMProblem", {"quote": 160, "why": 160, "instead": 160}),
        ("LLMElement", {"quote": 160}),
    ):
        for field_name, limit in limits.items():
            target = schema["$defs"][name]["properties"][field_name]
            for option in target.get("anyOf", [target]):
                if option.get("type") == "string":
                    option["maxLength"] = limit
    return json.dumps(schema)


def json_mode_schema(max_problems: int = 6, max_revision: int = 700) -> dict[str, Any]:
    """The answer's JSON Schema for JSON mode, with size limits added.

    Servers that turn a schema into a decoding grammar (llama.cpp) then cannot run on
    forever; OpenAI's strict structured outputs get the plain model instead. Each call
    returns a fresh copy, so a caller that edits it changes nobody else's.
    """
    return json.loads(_schema_text(max_problems, max_revision))  # type: ignore[no-any-return]
