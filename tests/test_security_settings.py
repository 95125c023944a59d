"""A settings file found in a folder above may not choose a server or run template code,
and prompt templates render sandboxed whoever wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run_cli

from allyfeedback.errors import ConfigurationError
from allyfeedback.prompts import builtin_dir, load_prompts
from allyfeedback.settings import load_settings, resolve_settings

HOSTILE_TEMPLATE = "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"


@pytest.mark.parametrize(
    "line",
    [
        'base_url = "http://attacker.invalid/v1"',
        'model = "gpt-4o"',
        'prompts = "evil"',
        'cache = "../../.bashrc"',
        'backend = "llm"',
    ],
)
def test_found_file_may_not_choose_server_prompts_or_cache(tmp_path: Path, line: str) -> None:
    top = tmp_path / "checkout"
    (top / "a" / "b").mkdir(parents=True)
    (top / "allyfeedback.toml").write_text(line + "\n", "utf-8")
    out = run_cli("check", "-", stdin="I'm sorry.", cwd=top / "a" / "b")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "--config" in out.stderr and line.split()[0] in out.stderr


def test_found_file_keeps_harmless_keys(tmp_path: Path) -> None:
    (tmp_path / "allyfeedback.toml").write_text(
        'backend = "rules"\ndisable = ["victim_blaming"]\ntimeout = 5\n', "utf-8"
    )
    settings = resolve_settings(None, start=tmp_path)
    assert settings.disable == ["victim_blaming"] and settings.backend == "rules"


def test_explicit_config_and_user_config_are_trusted(tmp_path: Path) -> None:
    cfg = tmp_path / "mine.toml"
    cfg.write_text('model = "m"\nbase_url = "http://127.0.0.1:9/v1"\n', "utf-8")
    assert load_settings(cfg).base_url == "http://127.0.0.1:9/v1"
    home = tmp_path / "home"
    (home / "allyfeedback").mkdir(parents=True)
    (home / "allyfeedback" / "config.toml").write_text('model = "mine"\n', "utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "allyfeedback.toml").write_text('disable = ["defending"]\n', "utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(home))
        mp.delenv("ALLYFEEDBACK_CONFIG", raising=False)
        merged = resolve_settings(None, start=project)
    assert merged.model == "mine" and merged.disable == ["defending"]


def test_template_code_cannot_run(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for t in builtin_dir().iterdir():
        if t.suffix == ".j2":
            (folder / t.name).write_text(t.read_text("utf-8"), "utf-8")
    (folder / "system.j2").write_text(HOSTILE_TEMPLATE, "utf-8")
    prompts = load_prompts(str(folder))
    with pytest.raises(ConfigurationError):
        prompts.render("system.j2")
    assert not (Path.cwd() / "PWNED").exists() and not (tmp_path / "PWNED").exists()


def test_found_file_with_hostile_prompts_runs_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    folder.mkdir()
    for name in ("system.j2", "critique.j2", "revision.j2", "reask.j2"):
        (folder / name).write_text(HOSTILE_TEMPLATE, "utf-8")
    (tmp_path / "allyfeedback.toml").write_text('prompts = "evil"\n', "utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    out = run_cli("check", "-", stdin="I'm sorry.", cwd=sub)
    assert out.returncode == 2
    assert not (sub / "PWNED").exists()
