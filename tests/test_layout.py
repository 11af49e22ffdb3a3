"""The shape of the package: no import cycles, seams kept, functions that fit on a screen.

Read from the source (every `import`, also those inside functions), so a lazy import cannot
hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "har"
MAX_LINES = 80


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the har modules it imports (`from har.x import y` counts har.x.y if a module)."""

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = [f"{node.module}.{alias.name}" for alias in node.names]
                names = [n for n in submodules if n in modules] or [node.module]
            else:
                continue
            found |= {owner(n) for n in names if n.split(".")[0] == "har"} - {None, module}
        graph[module] = found
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for other in graph[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen


def test_no_import_cycle_among_har_modules():
    graph = _imports(_modules())
    cycles = sorted(m for m in graph if m in _reachable(graph, m))
    assert cycles == [], f"modules on an import cycle: {cycles}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("har.export", "har.sweep.driver"),  # export reads a study through har.sweep.best
        ("har.data", "har.augment"),  # the pipeline receives augmentation as a callable
        ("har.models", "har.synth"),
        ("har.data", "optuna"),
        ("har.models", "optuna"),
    ],
)
def test_seams(package, forbidden):
    modules = _modules()
    graph = _imports(modules)
    mine = [m for m in graph if m == package or m.startswith(package + ".")]
    reached = set(mine).union(*(_reachable(graph, m) for m in mine))
    if forbidden in modules or forbidden.startswith("har."):
        assert not {m for m in reached if m == forbidden or m.startswith(forbidden + ".")}
    else:  # a third-party package: no module reached from `package` imports it
        sources = "\n".join(modules[m].read_text() for m in reached)
        assert f"import {forbidden}" not in sources and f"from {forbidden}" not in sources


def test_functions_fit_on_a_screen():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []
