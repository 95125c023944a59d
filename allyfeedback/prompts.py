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
import re
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


_TAG = re.compile(r"<(/?)\s*(draft|situation)", re.IGNORECASE)


def fence(value: object) -> str:
    """Keep user text from closing or opening the tags that delimit it, in any letter
    case and spacing (``</DRAFT>``, ``< /draft``)."""
    return _TAG.sub(lambda m: f"<{m.group(1)} {m.group(2)}", str(value))


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


def load_prompts(folder: str | None = None) -> Prompts:
    """Load templates from ``folder`` (default: the built-in ones). Keyed on the files'
    modification time and size, so an edited template is picked up by the next call,
    without a restart; the version names their content (a hash of the text)."""
    path = Path(folder) if folder else builtin_dir()
    stamps = []
    for t in TEMPLATES:
        try:
            st = (path / t).stat()
        except OSError:
            st = None
        if st is None or not (path / t).is_file():
            missing = [t for t in TEMPLATES if not (path / t).is_file()]
            raise ConfigurationError(f"prompt folder {path} lacks {', '.join(missing)}")
        stamps.append((st.st_mtime_ns, st.st_size))
    return _load(str(path), tuple(stamps))


@lru_cache(maxsize=16)
def _load(folder: str, stamps: tuple[tuple[int, int], ...]) -> Prompts:
    path = Path(folder)
    templates = {t: (path / t).read_text(encoding="utf-8") for t in TEMPLATES}
    digest = hashlib.sha256()
    for t in TEMPLATES:
        digest.update(templates[t].encode("utf-8"))
    content_hash = digest.hexdigest()
    env = SandboxedEnvironment(
        loader=jinja2.DictLoader(templates),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["fence"] = fence
    return Prompts(path, env, f"{PROMPT_SCHEMA_VERSION}-{content_hash[:10]}")


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
