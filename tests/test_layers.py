"""The core never imports the web layer: igsn_graph/ knows nothing of FastAPI, Starlette or api/."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"fastapi", "starlette", "api", "uvicorn"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_does_not_import_the_web_layer() -> None:
    core = Path(__file__).resolve().parents[1] / "igsn_graph"
    bad = {str(p.relative_to(core)): _imports(p) & FORBIDDEN for p in core.rglob("*.py")}
    # the CLI starts the server by import string only; uvicorn itself is the one exception there
    bad = {k: v - ({"uvicorn"} if k == "cli.py" else set()) for k, v in bad.items()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_only_validation_imports_pyshacl() -> None:
    core = Path(__file__).resolve().parents[1] / "igsn_graph"
    users = sorted(str(p.relative_to(core)) for p in core.rglob("*.py") if "pyshacl" in _imports(p))
    assert users == ["validation.py"]
