"""Prompt templates: Jinja2 files in ``prompts/`` (shipped inside the wheel).

Templates render in Jinja2's ``SandboxedEnvironment``, so a template folder can shape text
but cannot reach Python objects (``cycler.__init__.__globals__`` and the like raise
``SecurityError``). StrictUndefined turns a missing variable into an error instead of an
empty string, and autoescape is off because the output is plain text, not HTML. The draft
and situation are only ever passed as variables, fenced so they cannot close their own
delimiters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import ConfigurationError
from .taxonomy import DEFINITIONS, ELEMENT_IDS, PROBLEM_IDS

TEMPLATES = ("system.j2", "critique.j2", "revision.j2", "reask.j2")
PROMPT_SCHEMA_VERSION = "1"


def builtin_dir() -> Path:
    """The packaged templates; in a source checkout, the repository's ``prompts/``."""
    packaged = Path(str(resources.files("allyfeedback"))) / "prompts"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "prompts"


def fence(value: object) -> str:
    """Keep user text from closing or opening the tags that delimit it."""
    text = str(value)
    for tag in ("draft", "situation"):
        text = text.replace(f"</{tag}", f"</ {tag}").replace(f"<{tag}", f"< {tag}")
    return text


@dataclass(frozen=True)
class Prompts:
    """A loaded template folder and the version that names it in caches and results."""

    folder: Path
    env: jinja2.Environment
    version: str

    def render(self, name: str, **values: Any) -> str:
        try:
            return self.env.get_template(name).render(**values).strip()
        except jinja2.TemplateError as exc:
            raise ConfigurationError(f"prompt template {name}: {exc}") from None


@lru_cache(maxsize=8)
def load_prompts(folder: str | None = None) -> Prompts:
    """Load templates from ``folder`` (default: the built-in ones)."""
    path = Path(folder) if folder else builtin_dir()
    missing = [t for t in TEMPLATES if not (path / t).is_file()]
    if missing:
        raise ConfigurationError(f"prompt folder {path} lacks {', '.join(missing)}")
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(path)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["fence"] = fence
    digest = hashlib.sha256()
    for t in TEMPLATES:
        digest.update((path / t).read_bytes())
    return Prompts(path, env, f"{PROMPT_SCHEMA_VERSION}-{digest.hexdigest()[:10]}")


# The answer's shape, shown to the model in the prompt. The full JSON Schema travels in
# ``response_format`` (structured outputs, or JSON mode where the server takes a schema);
# in the prompt a compact example costs a tenth of the tokens.
ANSWER_SHAPE = {
    "problems": [
        {"category": "<problem id>", "quote": "<exact words>", "why": "...", "instead": "..."}
    ],
    "elements": [{"id": "<element id>", "present": True, "quote": "<exact words, or null>"}],
    "summary": "<one sentence>",
    "revision": "<the reply they could send>",
}


def system_prompt(prompts: Prompts) -> str:
    return prompts.render(
        "system.j2",
        problems=[(i, DEFINITIONS[i]) for i in PROBLEM_IDS],
        elements=[(i, DEFINITIONS[i]) for i in ELEMENT_IDS],
        shape=json.dumps(ANSWER_SHAPE, ensure_ascii=False),
    )


def critique_prompt(prompts: Prompts, draft: str, situation: str | None) -> str:
    return prompts.render("critique.j2", draft=draft, situation=situation)
