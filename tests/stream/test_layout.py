"""The stream package's rooms import one way: no cycles (lazy imports counted), producer and processor apart."""
from __future__ import annotations

import ast
from pathlib import Path

import hospsim.stream

PACKAGE = Path(hospsim.stream.__file__).parent


def _imports() -> dict[str, set[str]]:
    """module -> the hospsim.stream modules it imports, at the top or inside a function."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    graph = {}
    for name in names:
        found = set()
        for node in ast.walk(ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "hospsim.stream":
                found |= {a.name for a in node.names if a.name in names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hospsim.stream."):
                found.add(node.module.rsplit(".", 1)[1])
        graph[name] = found - {name}
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_no_import_cycles_and_producer_and_processor_apart():
    graph = _imports()
    cycles = sorted(name for name in graph if name in _reach(graph, name))
    assert not cycles, f"modules of hospsim.stream on an import cycle: {cycles}"
    assert "processor" not in _reach(graph, "producer") and "producer" not in _reach(graph, "processor")
    assert {"sink", "files"} <= graph["processor"], "the processor composes the sink and the range files"
