"""The package's import graph: layers, no cycles, stages that do not know each other.

Read from the source with ``ast`` (every ``import`` statement, wherever it is), so a
function-local import cannot hide an edge. The ranks are the ones drawn in
docs/architecture.md: a module imports only lower ranks, or its own package where the
rank allows it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str) -> Iterator[tuple[ast.stmt, str]]:
    """(statement, imported pipeline module) for every runtime import in ``tree``."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            skip.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in MODULES:
                    yield node, f"{target}.{alias.name}"
                elif target in MODULES:
                    yield node, target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield node, alias.name


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for _, target in _imports(tree, name):
            # Importing a submodule runs its package's __init__: that edge is implied.
            if target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def rank(module: str) -> tuple[int, str]:
    """(rank, group): a module may import a lower rank, or its own group."""
    name = module.removeprefix("pipeline").removeprefix(".")
    top, _, rest = name.partition(".")
    if name in ("", "models", "errors") or top == "models":
        return 0, "base"
    if top == "infra":
        return 1, "infra"
    if top == "po" or name == "text.langs":
        return 2, "po"
    if name == "config":
        return 3, "config"
    if top == "text" or name == "workspace":
        return 4, "text"
    if top == "stages":
        return 5, "stages." + rest.partition(".")[0]
    if top == "reporters":
        return 5, "reporters"
    if name in ("build", "shards"):
        return 6, "build"
    return 7, "cli"


def test_every_module_has_a_rank() -> None:
    assert "pipeline.cli" in MODULES and "pipeline.build" in MODULES
    assert rank("pipeline.stages.a11y.runner") == (5, "stages.a11y")
    assert rank("pipeline.stages.update") == (5, "stages.update")


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, targets in _graph().items():
        mine = rank(module)
        for target in sorted(targets):
            theirs = rank(target)
            if theirs[0] < mine[0] or theirs[1] == mine[1]:
                continue
            wrong.append(f"{module} (rank {mine[0]}, {mine[1]}) imports {target} "
                         f"(rank {theirs[0]}, {theirs[1]})")
    assert not wrong, "\n".join(wrong)


def test_no_stage_imports_another_stage_or_a_reporter() -> None:
    wrong = [f"{module} imports {target}"
             for module, targets in _graph().items() if rank(module)[1].startswith("stages.")
             for target in targets
             if (rank(target)[1].startswith("stages.") and rank(target)[1] != rank(module)[1])
             or rank(target)[1] == "reporters"]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not cycles, cycles


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_are_at_the_top(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    inside = [f"{MODULES[module].relative_to(PACKAGE.parent)}:{node.lineno}"
              for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not inside, f"imports inside functions: {inside}"


def test_the_graph_reader_sees_what_it_must() -> None:
    """A function-local import and a relative import are edges; TYPE_CHECKING is not."""
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from pipeline.build import build\n"
              "def f():\n    from pipeline.cli import main\n"
              "from . import errors\n")
    edges = {target for _, target in _imports(ast.parse(source), "pipeline.config")}
    assert edges == {"pipeline.cli", "pipeline.errors"}
