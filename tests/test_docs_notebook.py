"""docs/notebooks/revoke.ipynb runs from top to bottom in a Jupyter kernel, and shows the
HTML renderings of rules and revoke reports it is there to show.

The kernel is this interpreter: a kernel spec written for the test points at
``sys.executable``, so whatever kernels the machine (or a fresh venv) has installed, the
notebook runs with the ec2revoke under test.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "notebooks" / "revoke.ipynb"
KERNEL = "ec2revoke-docs"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The name of a kernel spec for this interpreter, found first on JUPYTER_PATH."""
    # jupyter_core warns on import unless told which path scheme to use.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "ec2revoke docs", "language": "python"})
    )
    # No real AWS configuration reaches the kernel (it uses the embedded endpoint).
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    return KERNEL


def _outputs(notebook: Any) -> list[dict[str, Any]]:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def test_notebook_executes_and_renders_rules_and_reports(kernel: str, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    runner = NotebookClient(
        notebook,
        kernel_name=kernel,
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    runner.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    outputs = _outputs(notebook)
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    rules = [h for h in html if h.startswith("<code>Rule</code>")]
    reports = [h for h in html if "<table>" in h]
    assert "<code>Rule</code> TCP 22 from 0.0.0.0/0" in rules
    assert len(rules) >= 7, html  # one on its own, then the six risky rules
    assert len(reports) == 3, html  # revoke_ingress, the dry run, revoke_matching
    assert "not found" in reports[0]
    assert "verified gone" in reports[0]
    assert reports[1].count("would revoke") == 2
    assert reports[2].count("<td>revoked</td>") == 2
    last = notebook.cells[-3].outputs[0]["data"]["text/plain"]
    assert "TCP 22 from ::/0" in last
    assert "TCP 22 from 0.0.0.0/0" not in last
    assert "all TCP" not in last
    noise = [o for o in outputs if o.get("name") == "stderr"]
    assert not noise, noise


def test_notebook_is_committed_without_outputs() -> None:
    """Outputs hold random IDs: kept out of the repository, made fresh by the test above."""
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source
            assert cell.execution_count is None, cell.source
