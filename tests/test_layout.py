"""The code goes one way: no import cycle, and each layer imports only the layers below it.

The imports are read from the source (every ``import`` and ``from ... import``, also inside
functions); imports under ``if TYPE_CHECKING:`` are annotations only and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"ava_model": "ava_model", "training": "ava_training", "evaluation": "ava_evaluation"}  # folder: import name

# Lowest first. A module may import its own layer and the layers before it, never one after it.
LAYERS = (
    ("ava_model.errors", "ava_model.locations", "ava_model.templating"),
    ("ava_model.text",),
    ("ava_model.rules",),
    ("ava_model.core",),
    ("ava_model.persistence",),
    ("ava_model.labels",),
    ("ava_model.answer",),
    ("ava_model.accounts",),
    ("ava_model.api", "ava_model"),  # the package root re-exports the api
    ("ava_model.spark",),  # distributed batch scoring: the scorer on Spark executors
    ("ava_training",),
    ("ava_evaluation",),
    ("ava_model.batch", "ava_model.demo", "ava_model.server", "ava_model.cli"),  # the edges
)


def _modules() -> dict[str, Path]:
    found = {}
    for folder, name in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = (name, *path.relative_to(ROOT / folder).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(tree: ast.AST, module: str, is_package: bool, known: dict[str, Path]) -> set[str]:
    """Return the project modules a module imports at run time."""
    found: set[str] = set()
    here = module if is_package else module.rpartition(".")[0]

    def resolve(name: str) -> None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                resolve(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                resolve(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = _modules()
    return {m: _imported(ast.parse(p.read_text(encoding="utf-8")), m, p.name == "__init__.py", known)
            for m, p in known.items()}


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, rank = len(name), i
    assert rank >= 0, f"{module} is in no layer of tests/test_layout.py LAYERS: place it there."
    return rank


def test_there_is_no_import_cycle(graph):
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    assert cycles == [], f"import cycles: {cycles}"


def test_each_layer_imports_only_the_layers_below(graph):
    upward = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps if _layer(d) > _layer(m))
    assert upward == [], "imports that go up a layer:\n" + "\n".join(upward)


def test_the_checker_sees_imports_inside_functions_and_skips_annotations():
    known = {"pkg": Path(), "pkg.low": Path(), "pkg.high": Path()}
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import high\n"
                     "def f():\n    from pkg.low import thing\n")
    assert _imported(tree, "pkg.mid", False, known) == {"pkg.low"}


EDGES = ("ava_model.cli", "ava_model.demo")  # command-line edges: their job is to print


def _prints_and_bare_raises(tree: ast.AST) -> tuple[list[str], list[str]]:
    """Return (functions other than main() that call print, raised built-in exception names) of a module."""
    prints, raises = [], []
    builtin = {"ValueError", "TypeError", "KeyError", "RuntimeError", "Exception", "IndexError", "OSError"}

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print" \
                and function != "main":
            prints.append(f"{function or '<module>'}:{node.lineno}")
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name) and target.id in builtin:
                raises.append(f"{target.id}:{node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return prints, raises


def test_library_code_logs_instead_of_printing_and_raises_ava_errors():
    """Only the CLI edges and the main() of a ``python -m`` script print; errors are AvaError subclasses."""
    found = {}
    for module, path in _modules().items():
        if module in EDGES:
            continue
        prints, raises = _prints_and_bare_raises(ast.parse(path.read_text(encoding="utf-8")))
        if prints or raises:
            found[module] = prints + raises
    assert found == {}, f"print() outside main() or a bare built-in raise: {found}"


def test_the_print_checker_sees_prints_outside_main_and_bare_raises():
    tree = ast.parse("def main():\n    print(1)\ndef helper():\n    print(2)\n    raise ValueError('x')\n"
                     "def ok():\n    raise AvaError('y')\n")
    assert _prints_and_bare_raises(tree) == (["helper:4"], ["ValueError:5"])
