"""Stages import only earlier stages: load -> resolve -> rules -> plan -> render -> write."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "generator"

# Rank of each module in the one-way flow; a module may import only modules of lower rank.
RANKS = {
    "diagnostics": 0,
    "models": 1,
    "yamlsrc": 1,
    "fastyaml": 0.5,  # PyYAML's bytes and values, faster; used by manifests and render
    "gitsource": 1,
    "catalog": 2,
    "loader": 3,
    "defaults": 4,
    "rules": 5,
    "transitions": 5,
    "charts": 6,
    "plan": 7,
    "manifests": 7,
    "incremental": 9,
    "memo": 7,
    "render": 8,
    "argocd": 8,
    "writer": 9,
    "workers": 9,
    "validate": 10,
    "pipeline": 11,
    "recheck": 11.1,  # checks only the spec files changed since the last render
    "outputfiles": 11.2,  # rendered files in memory
    "rendering": 11.5,
    "specschema": 2,  # spec models -> JSON Schema, for editors (kkpgen schema)
    "cmp": 9,  # Argo CD plugin contract over rendered files
    "diffing": 9,  # two rendered trees -> object changes and disruption warnings
    "diffreport": 10,
    "scaffold": 9,  # kkpgen init writes a new repository
    "refdiff": 12,  # renders base and head through the pipeline
    "cli": 13,
    "__main__": 14,
    "__init__": 0,
}


def _module_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from generator import x, y
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("generator.")
            )
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_modules_import_only_earlier_stages(path: Path) -> None:
    module = _module_of(path)
    assert module in RANKS, f"{module} has no place in the flow; add it to RANKS"
    for imported in _imports(path) - {module}:
        assert imported in RANKS, f"{path.name} imports unknown module {imported}"
        assert RANKS[imported] < RANKS[module], f"{module} imports later stage {imported}"


def test_only_the_cli_prints() -> None:
    offenders = [
        p.name
        for p in SOURCES
        if _module_of(p) != "cli"
        and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
            for n in ast.walk(ast.parse(p.read_text()))
        )
    ]
    assert offenders == []
