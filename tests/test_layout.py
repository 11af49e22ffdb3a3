"""The shape of the package: layers, public surfaces, one run-folder contract, no import cycles,
functions that fit on a screen.

Read from the source (every `import`, also those inside functions), so a lazy import cannot
hide a cycle. A name imported from a package's `__init__` counts as an import of the module
that defines it (the package's `har.public` table says which).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "har"
MAX_LINES = 80

# Lowest first. A module imports only from its own layer or lower ones.
LAYERS = [
    {"har", "har.errors", "har.io", "har.config", "har.metrics", "har.logging"},
    {"har.data"},
    {"har.augment", "har.models", "har.validation", "har.synth"},
    {"har.training"},
    {"har.export"},
    {"har.sweep", "har.stream", "har.ablate"},
    {"har.cli"},
]
TOP_LEVEL_MODULES = {"__init__", "config", "errors", "io", "metrics", "logging"}
METRIC_NAMES = {"val/accuracy", "val/macro_f1", "test/accuracy", "test/macro_f1"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _public_tables(modules: dict[str, Path]) -> dict[str, dict[str, str]]:
    """Package -> its `har.public(__name__, {name: "module[:attribute]"})` table, read from the source."""
    tables = {}
    for module, path in modules.items():
        if path.name != "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "public":
                tables[module] = ast.literal_eval(node.args[1])
    return tables


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the har modules it imports (`from har.x import y` counts har.x.y if a module,
    or the module defining `y` if `har.x` names it publicly)."""
    tables = _public_tables(modules)

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
                table = tables.get(node.module, {})
                names = []
                for alias in node.names:
                    if alias.name in table:
                        names.append(f"{node.module}.{table[alias.name].partition(':')[0]}")
                    elif f"{node.module}.{alias.name}" in modules:
                        names.append(f"{node.module}.{alias.name}")
                    else:
                        names.append(node.module)
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


def _package(module: str) -> str:
    """`har.data.sources.csv_format` -> `har.data`; top-level modules are their own package."""
    return ".".join(module.split(".")[:2])


def _layer(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if _package(module) in layer)


def _string_constants(path: Path):
    """Every string constant of a module but its docstrings, with its line."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and ast.get_docstring(node, clean=False) is not None
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_top_level_holds_only_the_low_modules():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL_MODULES
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {f"har.{p}" for p in packages} | {f"har.{m}" for m in top - {"__init__"}} | {"har"} == set().union(
        *LAYERS
    ), "every package has a layer"


def test_no_module_imports_from_a_higher_layer():
    graph = _imports(_modules())
    upward = sorted(
        f"{module} -> {other}"
        for module, others in graph.items()
        for other in others
        if _layer(other) > _layer(module)
    )
    assert upward == []


def test_no_import_cycle_between_packages():
    graph = _imports(_modules())
    packages: dict[str, set[str]] = {}
    for module, others in graph.items():
        packages.setdefault(_package(module), set()).update(
            _package(o) for o in others if _package(o) != _package(module)
        )
    for package in packages:
        packages.setdefault(package, set())
    cycles = sorted(p for p in packages if p in _reachable(packages, p))
    assert cycles == [], f"packages on an import cycle: {cycles}"


def test_no_import_cycle_among_har_modules():
    graph = _imports(_modules())
    cycles = sorted(m for m in graph if m in _reachable(graph, m))
    assert cycles == [], f"modules on an import cycle: {cycles}"


def test_packages_use_each_other_through_their_public_surface():
    """Across packages only `from har.<package> import <public name>`: no reaching into modules."""
    modules = _modules()
    tables = _public_tables(modules)
    reaching = []
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("har."):
                targets = [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [(alias.name, None) for alias in node.names if alias.name.startswith("har.")]
            else:
                continue
            for target, name in targets:
                package = _package(target)
                if package == _package(module) or package not in tables:
                    continue  # its own package, or a top-level module
                if target != package or (name is not None and name not in tables[package]):
                    reaching.append(f"{module}:{node.lineno} {target}{'.' + name if name else ''}")
    assert reaching == []


def test_public_names_are_not_module_names():
    """A public name equal to a submodule's would be replaced by the module once anything imports it."""
    modules = _modules()
    clashes = [
        f"{package}.{name}"
        for package, table in _public_tables(modules).items()
        for name in table
        if f"{package}.{name}" in modules
    ]
    assert clashes == []


def test_no_run_folder_file_name_outside_the_contract():
    from har.training import run_folder

    names = set(run_folder.FILE_NAMES)
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path == Path(run_folder.__file__):
            continue
        for line, text in _string_constants(path):
            if text in names or any(text.endswith("/" + name) for name in names):
                found.append(f"{path.relative_to(PACKAGE)}:{line} {text!r}")
    assert found == []


def test_metric_names_are_spelled_in_one_place():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "metrics.py":
            continue
        for line, text in _string_constants(path):
            if any(text == name or text.endswith("/" + name) for name in METRIC_NAMES):
                found.append(f"{path.relative_to(PACKAGE)}:{line} {text!r}")
    assert found == []


def test_importing_har_changes_no_environment_and_loads_no_tensorflow():
    """`import har` and every package's `__init__` set no variable and import no TensorFlow,
    Optuna or W&B (a command checks its config in a second); the entry points set the environment."""
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    code = (
        "import os, sys; before = dict(os.environ)\n"
        f"import har; [__import__('har.' + p) for p in {packages!r}]\n"
        "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'optuna', 'wandb') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    environment = {
        k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "MPLCONFIGDIR", "TF_CPP_MIN_LOG_LEVEL")
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("har.export", "har.sweep"),  # the command line resolves study= to a run folder
        ("har.data", "har.augment"),  # the pipeline receives augmentation as a callable
        ("har.models", "har.synth"),
        ("har.data", "optuna"),
        ("har.models", "optuna"),
        ("har.export", "optuna"),
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
