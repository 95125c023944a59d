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
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigurationError

# Keys that choose a server, a model, template code or a file to write: only the user's
# own settings (or a flag) may set them, never a file found by walking up the folders.
OWN_SETTINGS_ONLY = frozenset({"model", "base_url", "prompts", "cache"})

# The allowed words of the keys that take one of a few (what the error lists).
_CHOICES: dict[str, tuple[str, ...]] = {
    "backend": ("rules", "llm", "auto"),
    "mode": ("auto", "json_schema", "json_object"),
}


@dataclass
class Settings:
    """The settings a file gives; ``None`` (or an empty list) where it says nothing.
    A plain dataclass, checked by ``from_table``: every command-line call reads the
    settings, and that should not cost the import of a validation library."""

    backend: Literal["rules", "llm", "auto"] | None = None
    disable: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    max_chars: int | None = None
    model: str | None = None
    base_url: str | None = None
    mode: Literal["auto", "json_schema", "json_object"] | None = None
    timeout: float | None = None
    max_retries: int | None = None
    prompts: str | None = None
    cache: str | None = None
    fallback: bool | None = None

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Settings:
        """Settings from a TOML table; the first bad key raises ``ValueError("key: why")``."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise ValueError(f"{key}: unknown setting")
            if value is not None:
                values[key] = _checked(key, value)
        return cls(**values)

    def merged_over(self, base: Settings) -> Settings:
        """These settings on top of ``base``: values set here win, lists add up."""
        values = asdict(base)
        for key, value in asdict(self).items():
            if key in ("disable", "rules"):
                values[key] = [*values[key], *value]
            elif value is not None:
                values[key] = value
        return Settings(**values)


def _checked(key: str, value: Any) -> Any:
    """``value`` for ``key`` if it has the right type and range (TOML gives real types,
    so nothing is converted but a whole number of seconds to a float)."""
    if key in ("disable", "rules"):
        if not isinstance(value, list):
            raise ValueError(f"{key}: Input should be a valid list")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ValueError(f"{key}.{i}: Input should be a valid string")
        return list(value)
    if key in _CHOICES:
        choices = _CHOICES[key]
        if value not in choices:
            words = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
            raise ValueError(f"{key}: Input should be {words}")
        return value
    if key in ("max_chars", "max_retries"):
        low, words = (
            (1, "greater than 0") if key == "max_chars" else (0, "greater than or equal to 0")
        )
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{key}: Input should be a valid integer")
        if value < low:
            raise ValueError(f"{key}: Input should be {words}")
        return value
    if key == "timeout":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"{key}: Input should be a valid number")
        if not value > 0:
            raise ValueError(f"{key}: Input should be greater than 0")
        return float(value)
    if key == "fallback":
        if not isinstance(value, bool):
            raise ValueError(f"{key}: Input should be a valid boolean")
        return value
    if not isinstance(value, str):  # model, base_url, prompts, cache
        raise ValueError(f"{key}: Input should be a valid string")
    return value


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


def _read_toml(path: Path, *, only_naming_us: bool = False) -> dict[str, object]:
    """A settings file's table. ``only_naming_us``: a file whose text does not hold the
    word "allyfeedback" (nor a backslash, the only other way to spell a TOML key) cannot
    have our table and is not parsed: most pyproject.toml files, and the TOML reader is
    imported only when there is something to parse."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read settings: {exc}") from None
    if only_naming_us and "allyfeedback" not in text and "\\" not in text:
        return {}
    from ._toml import tomllib

    try:
        data: dict[str, object] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: cannot read settings: {exc}") from None
    return data


def _tool_table(path: Path) -> dict[str, object]:
    data = _read_toml(path, only_naming_us=True)
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
        table = _read_toml(path)
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: settings: Input should be a valid dictionary")
    try:
        settings = Settings.from_table(table)
    except ValueError as exc:
        raise ConfigurationError(f"{path}: {exc}") from None
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
    refused = sorted(k for k in OWN_SETTINGS_ONLY if getattr(settings, k) is not None)
    if settings.backend == "llm":
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
