"""Project settings for the command line: ``allyfeedback.toml``, or ``[tool.allyfeedback]``
in ``pyproject.toml``, found in the current folder or the nearest folder above it.

Flags given on the command line override the file; ``--disable`` and ``--rules`` add to
it. An unknown key is an error that names it, so a typo never silently does nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._toml import tomllib
from .errors import ConfigurationError


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["rules", "llm", "auto"] | None = None
    disable: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    max_chars: int | None = Field(default=None, gt=0)
    model: str | None = None
    base_url: str | None = None
    mode: Literal["auto", "json_schema", "json_object"] | None = None
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    prompts: str | None = None
    cache: str | None = None
    fallback: bool | None = None


def find_settings_file(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "allyfeedback.toml"
        if own.is_file():
            return own
        project = folder / "pyproject.toml"
        if project.is_file() and "allyfeedback" in _tool_table(project):
            return project
    return None


def _tool_table(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read settings: {exc}") from None
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def load_settings(path: Path | None) -> Settings:
    """Settings from ``path`` (an allyfeedback.toml or a pyproject.toml), or defaults."""
    if path is None:
        return Settings()
    if path.name == "pyproject.toml":
        table = _tool_table(path).get("allyfeedback", {})
    else:
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"{path}: cannot read settings: {exc}") from None
    try:
        settings = Settings.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "settings"
        msg = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigurationError(f"{path}: {where}: {msg}") from None
    # Paths in the file are relative to the file.
    base = path.parent
    settings.rules = [str((base / r).resolve()) for r in settings.rules]
    for name in ("prompts", "cache"):
        value = getattr(settings, name)
        if value:
            setattr(settings, name, str((base / value).resolve()))
    return settings
