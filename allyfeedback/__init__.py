"""allyfeedback: feedback on a drafted apology after a mistake as an ally.

    >>> import allyfeedback as af
    >>> fb = af.critique("I'm sorry. What would you like me to do next?")
    >>> fb.verdict
    'ready'

Names are loaded on first use (PEP 562), so ``import allyfeedback`` stays cheap for
the apps that embed it, and the rule engine never imports the LLM client.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "critique": "api",
    "critique_many": "api",
    "acritique": "api",
    "critique_from_answer": "api",
    "LLMConfig": "config",
    "validate_draft": "api",
    "DEFAULT_MAX_CHARS": "api",
    "Feedback": "models",
    "Problem": "models",
    "Element": "models",
    "Usage": "models",
    "Skipped": "models",
    "SCHEMA_VERSION": "models",
    "RuleSet": "ruleset",
    "Rule": "ruleset",
    "load_ruleset": "ruleset",
    "evaluate": "evaluation",
    "AllyFeedbackError": "errors",
    "InvalidDraftError": "errors",
    "DraftTooLongError": "errors",
    "ConfigurationError": "errors",
    "RuleFileError": "errors",
    "LLMError": "errors",
    "PROBLEM_IDS": "taxonomy",
    "ELEMENT_IDS": "taxonomy",
}

__all__ = [
    "DEFAULT_MAX_CHARS",
    "ELEMENT_IDS",
    "PROBLEM_IDS",
    "SCHEMA_VERSION",
    "AllyFeedbackError",
    "ConfigurationError",
    "DraftTooLongError",
    "Element",
    "Feedback",
    "InvalidDraftError",
    "LLMConfig",
    "LLMError",
    "Problem",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "Skipped",
    "Usage",
    "__version__",
    "acritique",
    "critique",
    "critique_from_answer",
    "critique_many",
    "evaluate",
    "load_ruleset",
    "validate_draft",
]

if TYPE_CHECKING:
    from .api import (
        DEFAULT_MAX_CHARS,
        acritique,
        critique,
        critique_from_answer,
        critique_many,
        validate_draft,
    )
    from .config import LLMConfig
    from .errors import (
        AllyFeedbackError,
        ConfigurationError,
        DraftTooLongError,
        InvalidDraftError,
        LLMError,
        RuleFileError,
    )
    from .evaluation import evaluate
    from .models import SCHEMA_VERSION, Element, Feedback, Problem, Skipped, Usage
    from .ruleset import Rule, RuleSet, load_ruleset
    from .taxonomy import ELEMENT_IDS, PROBLEM_IDS


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'allyfeedback' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
