"""Stages import only earlier stages: diagnostics -> models -> source -> kkp -> plan -> render ->
validate -> output -> gitops -> pipeline -> cli. No exceptions: the shared vocabulary
(`diagnostics`, `models`) is the ground floor, which every later stage may import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "generator"

# Rank of each top-level part of generator/ in the one-way flow.
RANKS = {
    "__init__": 0,
    "diagnostics": 0,
    "models": 1,
    "source": 2,
    "kkp": 3,
    "plan": 4,  # upgrade steps: reads kkp/'s rules, renders nothing
    "render": 5,
    "validate": 6,
    "output": 7,
    "gitops": 8,
    "pipeline": 9,
    "cli": 10,
    "__main__": 11,
}
MAX_TOP_LEVEL_MODULES = 6
MAX_MODULE_LINES = 600

SOURCES = sorted(PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> str:
    """The import name: the folder generator/ installs as the package kkpgen."""
    parts = ("kkpgen", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    """Every kkpgen module the file imports, as dotted names (`from a import b` gives a.b
    when a.b is a module, else a)."""
    modules = {_dotted(p) for p in SOURCES}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kkpgen"):
            assert node.module is not None
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kkpgen"))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_modules_import_only_earlier_stages(path: Path) -> None:
    module = _dotted(path)
    stage = _stage(module)
    assert stage in RANKS, f"{stage} has no place in the flow; add it to RANKS"
    for imported in _imports(path) - {module, "kkpgen"}:
        target = _stage(imported)
        assert target in RANKS, f"{module} imports unknown part {imported}"
        if target == stage:
            continue
        assert RANKS[target] < RANKS[stage], f"{module} imports later stage {imported}"


def test_no_import_cycles_between_modules() -> None:
    graph = {_dotted(p): _imports(p) - {"kkpgen"} for p in SOURCES}
    done: set[str] = set()

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, f"import cycle: {' -> '.join((*trail, node))}"
        if node in done:
            return
        for imported in sorted(graph.get(node, set()) - {node}):
            visit(imported, (*trail, node))
        done.add(node)

    for node in sorted(graph):
        visit(node, ())


def test_the_top_level_holds_only_what_every_stage_shares() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_over_the_size_budget() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in SOURCES
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_two_module_names_differ_only_by_a_suffix() -> None:
    names = sorted({p.stem for p in SOURCES if not p.stem.startswith("_")})
    clashes = [(a, b) for a in names for b in names if a != b and b.startswith(a) and len(a) >= 4]
    assert clashes == []


def test_only_the_cli_prints() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in SOURCES
        if _stage(_dotted(p)) != "cli"
        and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
            for n in ast.walk(ast.parse(p.read_text()))
        )
    ]
    assert offenders == []
