"""The folders are layers: no module imports from a layer above its own.

From the bottom: errors and results; the wire (with the generated tables it reads);
HTTP; the rule builder; the safe revoke; the client and the public faces; then the
command line, the fleet and the testing kit, which use the public faces.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ec2revoke"
RANK = {
    "_errors": 0,
    "_results": 0,
    "_generated": 1,
    "_wire": 1,
    "_http": 2,
    "_rules": 3,
    "_revoke": 4,
    "_client": 5,
    "codec": 5,
    "shapes": 5,
    "__init__": 5,
    "cli": 6,
    "fleet": 6,
    "testing": 6,
}


def layer_of(module: str) -> str:
    """The layer of ``ec2revoke.x.y``: ``x``, or ``__init__`` for a public name of the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "__init__"


def imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ec2revoke"):
            if node.module == "ec2revoke":
                found += [f"ec2revoke.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("ec2revoke")]
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_folder_and_top_module_has_a_layer() -> None:
    tops = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    tops -= {"py", "__pycache__", "py.typed"}
    assert {t for t in tops if not t.startswith(".")} <= set(RANK) | {"py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_up_a_layer(path: Path) -> None:
    me = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    mine = RANK[layer_of(me)]
    upward = [m for m in imports(path) if RANK[layer_of(m)] > mine]
    assert not upward, f"{me} (layer {mine}) imports from above: {upward}"
