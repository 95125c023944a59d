"""Settings for the command line, from up to two files.

- **Your own settings**: the file named with ``--config FILE``, else
  ``$ALLYFEEDBACK_CONFIG``, else ``allyfeedback/config.toml`` in the user's config folder
  (``$XDG_CONFIG_HOME``, by default ``~/.config``). Every key is allowed there.
- **The project's settings**: ``allyfeedback.toml``, or ``[tool.allyfeedback]`` in
  ``pyproject.toml``, found in the current folder or the nearest folder above it (not read
  when ``--config`` names a file). A file found this way may come with a checkout you do not
  trust, so it may not send text anywhere or load code-like files from outside the package:
  the keys in ``OWN_SETTINGS_ONLY`` and ``backend = "llm"`` are refused there with an error
  that says where to put them.

Flags given on the command line override both; project settings override your own;
``disable`` and ``rules`` add up. An unknown key is an error that names it, so a typo never
silently does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._toml import tomllib
from .errors import ConfigurationError

# Keys that choose a server, a model, template code or a file to write: only the user's
# own settings (or a flag) may set them, never a file found by walking up the folders.
OWN_SETTINGS_ONLY = frozenset({"model", "base_url", "prompts", "cache"})


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

    def merged_over(self, base: Settings) -> Settings:
        """These settings on top of ``base``: values set here win, lists add up."""
        values = base.model_dump()
        for key, value in self.model_dump(exclude_unset=True).items():
            if key in ("disable", "rules"):
                values[key] = [*values[key], *value]
            elif value is not None:
                values[key] = value
        return Settings.model_validate(values)


def user_settings_file() -> Path | None:
    """The user's own settings file, if there is one."""
    named = os.environ.get("ALLYFEEDBACK_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"ALLYFEEDBACK_CONFIG names {path}, which is not a file")
        return path
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    path = Path(home) / "allyfeedback" / "config.toml"
    return path if path.is_file() else None


def find_settings_file(start: Path | None = None) -> Path | None:
    """The project's settings file: here or in the nearest folder above."""
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


def load_settings(path: Path | None, *, trusted: bool = True) -> Settings:
    """Settings from ``path`` (an allyfeedback.toml or a pyproject.toml), or defaults.

    ``trusted=False`` is for a file found by walking up the folders: the keys that could
    send text somewhere or load templates are refused.
    """
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
    if not trusted:
        _refuse_own_only(path, settings)
    # Paths in the file are relative to the file.
    base = path.parent
    settings.rules = [str((base / r).resolve()) for r in settings.rules]
    for name in ("prompts", "cache"):
        value = getattr(settings, name)
        if value:
            setattr(settings, name, str((base / value).resolve()))
    return settings


def _refuse_own_only(path: Path, settings: Settings) -> None:
    given = settings.model_dump(exclude_unset=True)
    refused = sorted(k for k in OWN_SETTINGS_ONLY if given.get(k) is not None)
    if given.get("backend") == "llm":
        refused.insert(0, "backend")
    if refused:
        raise ConfigurationError(
            f"{path}: {', '.join(refused)}: a project settings file (found here or in a folder "
            "above) may not choose a model, server, prompts or cache; put it in your own settings "
            "(~/.config/allyfeedback/config.toml) or pass --config FILE"
        )


def resolve_settings(config: str | None, start: Path | None = None) -> Settings:
    """The settings the command line runs with: ``--config FILE`` alone when given, else
    the user's own file with the project's file found from ``start`` on top of it."""
    if config:
        path = Path(config)
        if not path.is_file():
            raise ConfigurationError(f"settings file {path} does not exist")
        return load_settings(path)
    own = load_settings(user_settings_file())
    project = find_settings_file(start)
    if project is None:
        return own
    return load_settings(project, trusted=False).merged_over(own)
