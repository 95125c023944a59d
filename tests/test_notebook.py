"""examples/explore.ipynb runs top to bottom in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install '.[test]' brings nbformat")
nbclient = pytest.importorskip("nbclient", reason="pip install '.[test]' brings nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "explore.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_runs_without_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    html = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    assert html, "the Feedback should render itself as HTML"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "No model configured" in text and "micro F1" in text
    # The hard-wrapped email's revision keeps whole sentences ("I'm sorry.hard with a
    # newborn." was once printed here).
    revision_cell = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "Hi Jamie," in revision_cell and not re.search(r"[.!?][A-Za-z]", revision_cell)
    assert os.environ.get("OPENAI_API_KEY") is None
