"""Layers of the code, checked by walking every import (``import x`` and ``from x import y``, also those only for
type checkers): the core never imports the web layer, each package imports only the packages below it, no two
parts of ``igsn_graph`` import each other, directly or round about, and tests and benchmarks share ``testkit/``
instead of importing each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "igsn_graph"
FORBIDDEN = {"fastapi", "starlette", "api", "uvicorn"}

#: the packages of igsn_graph/ (and ``db``, the registry database module below them all) and the packages each
#: may import; a package may import the top-level modules (``identifiers``, ``record``…) that do not import it back
#: (the cycle check)
ALLOWED: dict[str, set[str]] = {
    "db": set(),
    "formats": set(),
    "sparql_workers": set(),
    "demo": set(),
    "store": {"formats"},
    "index": {"db", "formats", "store"},
    "registry": {"db", "formats", "store", "index"},
    "harvest": {"db", "formats", "store", "index", "registry"},
    "oai": {"db", "formats", "store", "index", "registry", "harvest"},
    "resolver": {"db", "formats", "store", "index", "registry", "harvest", "oai"},
    "dois": {"db", "formats", "store", "index", "registry", "harvest", "oai", "resolver"},
    "cli": {"db", "formats", "store", "index", "registry", "harvest", "oai", "resolver"},
}

#: imports against the layers that another piece of work is removing: (importing module, imported package)
KNOWN: set[tuple[str, str]] = set()


def _imports(path: Path) -> set[str]:
    """Top-level names of the distributions a file imports (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(path: Path) -> set[str]:
    """The igsn_graph modules a file imports, relative imports resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "igsn_graph")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                if node.module:
                    found.add(".".join([*base, node.module]))
                else:  # from . import x: x may be a module
                    found.update(".".join([*base, a.name]) for a in node.names)
            elif node.module and node.module.split(".")[0] == "igsn_graph":
                found.add(node.module)
    return found


def _part(module: str) -> str:
    """The part of igsn_graph a module belongs to: its package, or itself for a top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "igsn_graph"


def _edges() -> dict[tuple[str, str], set[str]]:
    """(importing part, imported part) → the modules that import so."""
    edges: dict[tuple[str, str], set[str]] = {}
    for path in CORE.rglob("*.py"):
        module = _module_name(path)
        for target in _targets(path):
            a, b = _part(module), _part(target)
            if a != b and b != "igsn_graph":
                edges.setdefault((a, b), set()).add(module.removeprefix("igsn_graph."))
    return edges


def test_core_does_not_import_the_web_layer() -> None:
    bad = {str(p.relative_to(CORE)): _imports(p) & FORBIDDEN for p in CORE.rglob("*.py")}
    # the CLI starts the server by import string only; uvicorn itself is the one exception there
    bad = {k: v - ({"uvicorn"} if k == "cli/serve.py" else set()) for k, v in bad.items()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_only_validation_imports_pyshacl() -> None:
    users = sorted(str(p.relative_to(CORE)) for p in CORE.rglob("*.py") if "pyshacl" in _imports(p))
    assert users == ["validation.py"]


def test_every_package_is_in_the_layer_table() -> None:
    packages = {p.parent.name for p in CORE.glob("*/__init__.py")}
    assert packages | {"db"} == set(ALLOWED)


def test_packages_import_only_the_layers_below_them() -> None:
    wrong = {
        (importer, module, imported)
        for (importer, imported), modules in _edges().items()
        if importer in ALLOWED and imported in ALLOWED and imported not in ALLOWED[importer]
        for module in modules
    }
    assert {(m, b) for _, m, b in wrong} - KNOWN == set()


def test_no_two_parts_import_each_other() -> None:
    """Strongly connected parts (a package or a top-level module), found by Tarjan's algorithm."""
    edges = _edges()
    known = {(m, b) for m, b in KNOWN}
    graph: dict[str, set[str]] = {}
    for (a, b), modules in edges.items():
        if {(m, b) for m in modules} - known:
            graph.setdefault(a, set()).add(b)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[set[str]] = []

    def visit(v: str) -> None:
        order[v] = low[v] = len(order)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(component)

    for v in sorted(graph):
        if v not in order:
            visit(v)
    assert cycles == []


def _importers(folder: str, names: set[str]) -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*.py") if _imports(p) & names)


def test_tests_and_benchmarks_share_testkit_only() -> None:
    assert _importers("tests", {"bench"}) == []
    assert _importers("bench", {"tests"}) == []
    assert _importers("testkit", {"tests", "bench"}) == []
    # the package does not need them (the wheel has neither)
    assert _importers("igsn_graph", {"tests", "bench", "testkit"}) == []
    assert _importers("api", {"tests", "bench", "testkit"}) == []


def _outside_names(tree: ast.Module) -> set[str]:
    """Names a file binds to modules outside the project (``etree``, ``os``…): their privates are theirs to judge."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(
                (a.asname or a.name).split(".")[0]
                for a in node.names
                if a.name.split(".")[0] not in {"igsn_graph", "api"}
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in {"igsn_graph", "api"}:
                names.update(a.asname or a.name for a in node.names)
    return names


def _foreign_privates(path: Path) -> list[str]:
    """``obj._name`` in a file where ``_name`` is not its own: another module's private, reached from outside."""
    tree = ast.parse(path.read_text())
    outside = _outside_names(tree)
    own: set[str] = set()  # privates this file defines (its classes' attributes, functions, module names)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
            own.add(node.attr)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        base = node.value
        if isinstance(base, ast.Name) and (base.id in {"self", "cls"} or base.id in outside):
            continue
        if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
            continue
        if node.attr in own:
            continue
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_reaches_into_another_modules_privates() -> None:
    """Routers and sibling modules call the registry's public methods and modules (``registry.policy``,
    ``registry.reads``, ``Registry.existing``…), never ``registry._…``: a private may change without notice."""
    found = [
        hit
        for folder in ("igsn_graph", "api")
        for path in (ROOT / folder).rglob("*.py")
        for hit in _foreign_privates(path)
    ]
    assert found == []


#: the readers of samples outside the registry that must ask its visibility rule (``registry.reads``: ``resolvable``,
#: ``visible``, ``findable_row``) instead of judging a catalogue row themselves
_ROW_READERS = [*sorted((ROOT / "api").rglob("*.py")), CORE / "entities.py"]


def _judges_visibility(node: ast.AST) -> bool:
    """A catalogue row's status or publicity tested, or whose a draft is asked, outside the registry's rule."""
    if isinstance(node, ast.Attribute):
        return node.attr in {"active", "is_public"} and isinstance(node.value, ast.Name) and node.value.id == "row"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "may_act_for":
        return any(
            isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and a.value.id == "draft" for a in node.args
        )
    return False


def test_no_router_decides_whether_a_sample_may_be_read() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
        for path in _ROW_READERS
        for node in ast.walk(ast.parse(path.read_text()))
        if _judges_visibility(node)
    ]
    assert found == []
