"""The package's shape: imports point one way, functions fit on a screen, every failure has one root."""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import hospsim
from hospsim.errors import HospsimError

PACKAGE = Path(hospsim.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """hospsim modules that `name` imports anywhere in its file (at the top or inside a function)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
            targets = submodules or [base]     # `from pkg import mod` depends on mod; `from pkg import f` on pkg
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "hospsim":
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walker_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert _cycles(import_graph()) == [], "modules that import each other (directly or round a loop)"


def test_command_modules_never_import_the_cli():
    graph = import_graph()
    offenders = sorted(m for m, deps in graph.items() if "hospsim.cli" in deps and m != "hospsim.__main__")
    assert offenders == [], "command modules take params_from from hospsim.commandline, not hospsim.cli"


SIMULATION_STAGES = ("hospsim.population", "hospsim.workforce", "hospsim.identity", "hospsim.documents",
                     "hospsim.daily", "hospsim.events", "hospsim.oltp.generate")
WRITERS = ("hospsim.sinks", "hospsim.run")


def test_the_simulation_stages_import_no_writer():
    """Pure stages: params, a random generator and state in, frames out; files are written at the edge."""
    graph = import_graph()
    stages = [m for m in graph if m.startswith(SIMULATION_STAGES)]
    assert len(stages) > 10
    offenders = {m: sorted(d for d in graph[m] if d in WRITERS) for m in stages}
    assert {m: w for m, w in offenders.items() if w} == {}


MAX_FUNCTION_LINES = 80


def test_functions_fit_on_a_screen():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def _exception_classes() -> list[type]:
    found = {}
    for name in _modules():
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


@pytest.mark.parametrize("cls", [c for c in _exception_classes() if not c.__name__.startswith("_")],
                         ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_public_exception_has_the_one_root(cls):
    """Private ones (a leading underscore) are raised and caught inside their module."""
    assert issubclass(cls, HospsimError), f"{cls.__qualname__} should derive from hospsim.errors.HospsimError"
