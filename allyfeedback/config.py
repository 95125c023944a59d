"""LLM settings, kept apart from the client code so that deciding *whether* to use a model
(``backend="auto"``) imports nothing heavy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

Mode = Literal["auto", "json_schema", "json_object"]
DEFAULT_MODEL = "gpt-4o-mini"
# The environment variables that point allyfeedback itself at a model. OPENAI_API_KEY and
# OPENAI_BASE_URL are only used once a model was chosen: many apps set them for other
# reasons, and a draft must not leave the machine because of that.
OPT_IN_VARIABLES = ("ALLYFEEDBACK_MODEL", "ALLYFEEDBACK_BASE_URL")


@dataclass(frozen=True)
class LLMConfig:
    """Settings for the LLM engine. Unset values come from ``ALLYFEEDBACK_MODEL``,
    ``ALLYFEEDBACK_BASE_URL`` (else ``OPENAI_BASE_URL``) and ``OPENAI_API_KEY``.

    ``max_tokens=None`` sizes the answer's budget to the draft (see ``answer_budget``)."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    max_retries: int = 2  # transport retries, done by the SDK
    max_reasks: int = 1  # re-asks after a validation or grounding failure
    reask_deadline: float = 120.0  # seconds, for all attempts of one critique
    mode: Mode = "auto"
    temperature: float = 0.0
    max_tokens: int | None = None
    prompts_dir: str | None = None

    def resolved(self) -> LLMConfig:
        return replace(
            self,
            model=self.model or os.environ.get("ALLYFEEDBACK_MODEL") or DEFAULT_MODEL,
            base_url=self.base_url
            or os.environ.get("ALLYFEEDBACK_BASE_URL")
            or os.environ.get("OPENAI_BASE_URL")
            or None,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or None,
        )

    def answer_budget(self, draft: str) -> int:
        """``max_tokens`` for one answer: the set value, else room for a long draft's
        findings (1500 tokens up to about 1,200 characters, then one token per four
        characters more, up to 4,096), so a long draft is not cut short."""
        if self.max_tokens is not None:
            return self.max_tokens
        return min(4096, max(1500, 1200 + len(draft) // 4))

    @property
    def structured_mode(self) -> Literal["json_schema", "json_object"]:
        if self.mode != "auto":
            return self.mode
        # OpenAI itself does structured outputs; local servers (llama.cpp, Ollama, vLLM)
        # are safest with JSON mode plus the schema.
        if self.base_url is None or "api.openai.com" in self.base_url:
            return "json_schema"
        return "json_object"


def model_requested(
    *,
    client: object = None,
    llm: LLMConfig | None = None,
    model: str | None = None,
    base_url: str | None = None,
) -> bool:
    """Whether allyfeedback itself was pointed at a model, so ``backend="auto"`` may send
    the draft to one: an argument (``client``, ``llm``, ``model``, ``base_url``; the CLI
    passes its settings file's values this way) or ``ALLYFEEDBACK_MODEL`` /
    ``ALLYFEEDBACK_BASE_URL``. ``OPENAI_API_KEY`` alone is only a credential."""
    if client is not None or llm is not None or model or base_url:
        return True
    return any(os.environ.get(name) for name in OPT_IN_VARIABLES)
