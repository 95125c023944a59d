"""No two modules of the package import each other, not even inside a function (an
import under ``if TYPE_CHECKING:`` is for types only and does not count). Such a pair
once joined ``models`` and ``render``; a cycle like that makes either module hard to
change or load alone."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "allyfeedback"


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports at run time, at any depth."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom) and child.level == 1:
                if child.module:
                    found.add(child.module.split(".")[0])
                else:
                    found.update(alias.name for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return found


def test_no_two_modules_import_each_other() -> None:
    imports = {path.stem: _imports(path) for path in PACKAGE.glob("*.py")}
    assert "render" in imports["models"] and "models" not in imports["render"]
    mutual = sorted(
        (a, b) for a in imports for b in imports[a] if a < b and a in imports.get(b, set())
    )
    assert mutual == []
