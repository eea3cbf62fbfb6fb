"""Architecture: no import cycles in simcrm, short functions in the engine.

The import graph is read from the source (``ast``), so it sees every ``import`` and
``from ... import`` statement, those inside functions too, and the string given to
:func:`simcrm._lazy.lazy_import`; an edge goes from a module to every simcrm module
it names.  A cycle of any length, at module level or lazy, fails the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simcrm"

MAX_FUNCTION_LINES = 80
"""Longest function allowed in the checked layers [lines of code, docstring not counted]."""


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package (a package is its __init__)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict) -> str | None:
    """The longest prefix of ``name`` that is a simcrm module."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _imported_names(module: str, path: Path, modules: dict) -> set[str]:
    """Dotted names a module imports (absolute), wherever the statement is — except in an
    ``if TYPE_CHECKING:`` block, which is never run (annotations only)."""
    is_pkg = path.name == "__init__.py"
    names = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = {id(n) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
                   for stmt in node.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_pkg else 0)]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module
            # `from a import b` imports the module a.b if there is one, else a
            names.update(f"{src}.{a.name}" if f"{src}.{a.name}" in modules else src
                         for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_import"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(node.args[0].value)
    return names


def import_graph() -> dict[str, set[str]]:
    """simcrm module -> the simcrm modules it imports."""
    modules = _modules()
    graph = {}
    for mod, path in modules.items():
        deps = {_resolve(n, modules) for n in _imported_names(mod, path, modules)}
        graph[mod] = {d for d in deps if d is not None and d != mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_the_graph_sees_lazy_and_function_level_imports():
    g = import_graph()
    assert "simcrm.engine.evaluate" in g["simcrm.engine.run"]
    assert "simcrm.engine.parallel" in g["simcrm.engine.run"]  # through lazy_import
    assert "simcrm.levers" in g["simcrm.model.business_case"]  # `from simcrm import levers`
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles between simcrm modules:\n" + "\n".join(
        " <-> ".join(c) for c in found)


def _long_functions(folder: Path, limit: int) -> list[str]:
    """Functions (methods and nested ones too) of more than ``limit`` lines of code."""
    out = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            n = node.end_lineno - node.lineno + 1
            doc = node.body[0]
            if (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                    and isinstance(doc.value.value, str)):
                n -= doc.end_lineno - doc.lineno + 1
            if n > limit:
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                           f"{node.name} ({n} lines)")
    return out


@pytest.mark.parametrize("layer", ["engine"])
def test_functions_are_short(layer):
    long = _long_functions(PACKAGE / layer, MAX_FUNCTION_LINES)
    assert not long, f"functions longer than {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)
