"""LLM settings, kept apart from the client code so that deciding *whether* to use a model
(``backend="auto"``) imports nothing heavy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

Mode = Literal["auto", "json_schema", "json_object"]
DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class LLMConfig:
    """Settings for the LLM engine. Unset values come from the standard environment
    variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) and ``ALLYFEEDBACK_MODEL``."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    max_retries: int = 2  # transport retries, done by the SDK
    max_reasks: int = 1  # re-asks after a validation or grounding failure
    reask_deadline: float = 120.0  # seconds, for all attempts of one critique
    mode: Mode = "auto"
    temperature: float = 0.0
    max_tokens: int = 1500
    prompts_dir: str | None = None

    def resolved(self) -> LLMConfig:
        return replace(
            self,
            model=self.model or os.environ.get("ALLYFEEDBACK_MODEL") or DEFAULT_MODEL,
            base_url=self.base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or None,
        )

    @property
    def structured_mode(self) -> Literal["json_schema", "json_object"]:
        if self.mode != "auto":
            return self.mode
        # OpenAI itself does structured outputs; local servers (llama.cpp, Ollama, vLLM)
        # are safest with JSON mode plus the schema.
        if self.base_url is None or "api.openai.com" in self.base_url:
            return "json_schema"
        return "json_object"


def is_configured(config: LLMConfig | None = None, client: object = None) -> bool:
    """Whether ``backend="auto"`` should use the LLM."""
    if client is not None:
        return True
    c = (config or LLMConfig()).resolved()
    return bool(c.api_key or c.base_url)
