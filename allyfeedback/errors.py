"""Exceptions callers can catch. Each subclasses a builtin so generic handlers still work."""

from __future__ import annotations


class AllyFeedbackError(Exception):
    """Base class for every error this library raises on purpose."""


class InvalidDraftError(AllyFeedbackError, ValueError):
    """The draft cannot be critiqued: empty, too long, or not text we can read."""


class DraftTooLongError(InvalidDraftError):
    """The draft is longer than the configured limit (``max_chars``)."""


class ConfigurationError(AllyFeedbackError, ValueError):
    """A setting, backend name, rule file or rule id is wrong."""


class RuleFileError(ConfigurationError):
    """A rule file cannot be read or does not follow the rule format."""


class LLMError(AllyFeedbackError, RuntimeError):
    """The language model could not give a usable critique (after any re-asks)."""
