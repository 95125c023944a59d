"""Every code example in the docs (``docs/*.md``, ``README.md``, ``examples/webapp/README.md``)
runs here, page by page, in a scratch folder holding a copy of ``examples/`` and
``tests/data/``, as a reader following the page would run it.

- ``python`` blocks run in one namespace per page. A line ``expr  # literal`` (a Python
  literal after the comment sign) is checked: ``expr`` must equal it.
- ``bash``/``console`` blocks run in bash (``$ `` prompts stripped). Every command must end
  with status 0 or 1 (1 means "problems found") and print no traceback. Lines that install
  software, start a model server, run the test suite itself or time benchmarks are not run
  (see ``NOT_RUN``); ``pip install`` lines are checked to name only extras that exist.
- ``toml`` blocks whose first line is ``# NAME.toml`` are written to that file; rule files
  must load with their own examples passing, and settings files must load.
- ``json`` blocks must parse. ``text`` blocks are prose or output and are not run.

An HTML comment ``<!-- docs-test: llm -->`` before a block runs it with
``OPENAI_BASE_URL``/``OPENAI_API_KEY`` pointing at a local stand-in for an
OpenAI-compatible server (constructed here: it answers every request with a fixed, valid
critique that quotes nothing). Without it, no model is configured, as on a new machine.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from llm_scenarios import GOOD_REVISION, answer, completion

from allyfeedback._toml import tomllib

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "README.md",
    ROOT / "examples" / "webapp" / "README.md",
]
#: Shell commands not run, and why: each needs a download, a GPU, a server that runs
#: until stopped, or minutes of timing, or is this test suite itself.
NOT_RUN = {
    "pip install": "installs software (the extras it names are checked)",
    "pip download": "downloads a model",
    "ollama": "needs Ollama, which downloads a binary",
    "vllm": "needs a GPU",
    "python -m llama_cpp.server": "starts a model server (see tests/test_live_local.py)",
    "python -m pytest": "is this test suite",
    "python benchmarks/": "timings take minutes; run by hand",
    "python tests/cassettes/record.py": "re-records cassettes (a model or a key)",
    "python examples/webapp/app.py": "serves until stopped (see tests/test_webapp.py)",
    "python examples/dask_batch.py": "starts a Dask cluster (tests/test_batch_scale.py runs it)",
    "mkdocs": "builds the site (CI runs mkdocs build --strict)",
    "jupyter": "opens a notebook server (tests/test_notebook.py runs the notebook)",
    "OPENAI_API_KEY=... python": "needs a real OpenAI key",
    "OPENAI_API_KEY=... allyfeedback": "needs a real OpenAI key",
    "git clone": "needs the network",
    "cd allyfeedback": "follows git clone",
}
MARKER = re.compile(r"<!--\s*docs-test:\s*(\w+)\s*-->")


@dataclass
class Block:
    lang: str
    code: str
    line: int
    llm: bool


def blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(```+)\s*([\w+-]*)", lines[i])
        if not fence:
            i += 1
            continue
        start = i
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1)))
        before = "\n".join(lines[max(0, start - 2) : start])
        marker = MARKER.search(before)
        found.append(
            Block(
                lang=fence.group(2).lower(),
                code="\n".join(lines[start + 1 : end]) + "\n",
                line=start + 1,
                llm=bool(marker and marker.group(1) == "llm"),
            )
        )
        i = end + 1
    return found


# --- a stand-in for an OpenAI-compatible server (constructed) ---------------------------

ANSWER = answer(
    [],
    {},
    revision=GOOD_REVISION,
    summary="A constructed answer from the docs tests' stand-in server.",
)


class _StandIn(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(completion(ANSWER)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


# --- running ----------------------------------------------------------------------------


def _env(llm: bool, stand_in: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "ALLYFEEDBACK_")) and k != "NO_COLOR"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if llm:
        env["OPENAI_BASE_URL"] = stand_in
        env["OPENAI_API_KEY"] = "docs-test-key-not-a-secret"
    return env


def _literal(comment: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(comment.strip())
    except (ValueError, SyntaxError):
        return False, None


def _checked_source(code: str) -> str:
    """``expr  # literal`` lines become assertions; everything else runs as written."""
    out = []
    for line in code.splitlines():
        m = re.match(r"^(\S.*?)\s+#\s+(.+)$", line)
        if m and not line.startswith(("#", "print(", "for ", "if ", "import ", "from ")):
            ok, value = _literal(m.group(2))
            try:
                is_expr = isinstance(ast.parse(m.group(1)).body[0], ast.Expr)
            except SyntaxError:
                is_expr = False
            if ok and is_expr and "..." not in m.group(2):
                out.append(f"assert ({m.group(1)}) == {value!r}, ({m.group(1)})")
                continue
        out.append(line)
    return "\n".join(out) + "\n"


def _run_python(block: Block, ns: dict[str, Any], page: Path, env: dict[str, str], monkeypatch):
    for k in list(os.environ):
        if k.startswith(("OPENAI_", "ALLYFEEDBACK_")):
            monkeypatch.delenv(k)
    for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        if k in env:
            monkeypatch.setenv(k, env[k])
        else:
            monkeypatch.delenv(k, raising=False)
    code = compile(_checked_source(block.code), f"{page.name}:{block.line}", "exec")
    exec(code, ns)


def _not_run(command: str) -> str | None:
    for prefix, why in NOT_RUN.items():
        if command.startswith(prefix):
            return why
    return None


def _check_extras(command: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(project["project"]["optional-dependencies"])
    for group in re.findall(r"\.\[([\w,-]+)\]", command):
        for extra in group.split(","):
            assert extra in extras, f"{command!r} names extra {extra!r}, which does not exist"


def _shell_commands(code: str) -> list[str]:
    joined = code.replace("\\\n", " ")
    commands = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        elif raw.startswith((" ", "\t")) or not line or line.startswith("#"):
            continue  # output lines in console blocks, blanks, comments
        commands.append(line)
    return commands


def _run_shell(block: Block, cwd: Path, env: dict[str, str], where: str) -> None:
    script = []
    for command in _shell_commands(block.code):
        if _not_run(command):
            if command.startswith("pip install"):
                _check_extras(command)
            continue
        quoted = command.replace("'", "'\\''")
        script.append(
            f"{{ {command}\n}} </dev/null 2>>.stderr\n"
            f"rc=$?; if [ $rc -gt 1 ]; then echo 'exit '$rc': {quoted}' >&2; exit 9; fi"
        )
    if not script:
        return
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = (cwd / ".stderr").read_text() if (cwd / ".stderr").exists() else ""
    assert result.returncode == 0, f"{where}: {result.stderr}\n{errors}"
    assert "Traceback" not in errors + result.stderr, f"{where}: {errors}"


def _check_toml(block: Block, cwd: Path, where: str) -> None:
    data = tomllib.loads(block.code)  # must parse, whatever it is
    first = block.code.splitlines()[0]
    m = re.match(r"#\s*([\w./-]+\.toml)\s*$", first)
    if not m:
        return
    path = cwd / m.group(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.code, encoding="utf-8")
    rules = data.get("rules")
    if isinstance(rules, list) and rules and all(isinstance(r, dict) for r in rules):
        from allyfeedback.rule_examples import example_failures
        from allyfeedback.ruleset import load_ruleset

        ruleset = load_ruleset((str(path),))
        assert {r["id"] for r in rules} <= {r.id for r in ruleset}
        assert example_failures(ruleset, [str(path)]) == [], where
    elif path.name in ("allyfeedback.toml", "pyproject.toml"):
        from allyfeedback.settings import load_settings

        load_settings(path)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_on_the_page_runs(page, tmp_path, stand_in, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for block in blocks(page):
        where = f"{page.relative_to(ROOT)}:{block.line}"
        env = _env(block.llm, stand_in)
        if block.lang == "python":
            _run_python(block, ns, page, env, monkeypatch)
        elif block.lang in ("bash", "console", "sh", "shell"):
            _run_shell(block, tmp_path, env, where)
        elif block.lang == "toml":
            _check_toml(block, tmp_path, where)
        elif block.lang == "json":
            json.loads(block.code)
        elif block.lang in ("text", ""):
            continue
        else:
            pytest.fail(f"{where}: no way to run a {block.lang!r} block; add one here")
        ran += 1
    if page.name == "README.md" and page.parent == ROOT:
        assert ran >= 3


def test_harness_checks_literals():
    # The harness itself: a wrong literal must fail, a right one pass.
    ns: dict[str, Any] = {}
    exec(_checked_source("x = 2\nx  # 2\n"), ns)
    with pytest.raises(AssertionError):
        exec(_checked_source("x = 2\nx  # 3\n"), ns)
