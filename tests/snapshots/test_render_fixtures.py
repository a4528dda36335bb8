"""Snapshots of every manifest the example fleets render: a readable diff per change.

Two fleets: `fixtures/` (the README's example, on the newest KKP) and the example fleet of
KKP v2.20 (`tests/fleets/kkp-v2.20`), whose groups are named `v2.20-<folder>`.

Most files are the same bytes in several clusters (a kube-proxy RBAC object, a seed
kustomization). Each distinct file is stored once, under the first cluster (in the order
below) that renders it; every cluster's index snapshot names, per file, the cluster whose
snapshot holds its bytes. A cluster's test checks its index and the files it holds, so a
shared file is checked once, and a change that reaches every cluster alike changes one
snapshot file in place.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from tests.conftest import EXAMPLE_FLEET, V2_20_FLEET, RenderFleet

FLEETS = {"": EXAMPLE_FLEET, "v2.20-": V2_20_FLEET}  # a group's prefix: its fleet


def _groups(prefix: str, fleet: Path) -> list[str]:
    """The folders of a fleet's rendered tree, named for the snapshots, in holder order."""
    clusters = sorted(p.stem for p in (fleet / "clusters").glob("*.yaml"))
    return [f"{prefix}{folder}" for folder in [*clusters, "argocd"]]


GROUPS = [group for prefix, fleet in FLEETS.items() for group in _groups(prefix, fleet)]


class YamlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yaml"


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, render_fleet: RenderFleet
) -> dict[str, Path]:
    """{prefix: the rendered tree} of each fleet."""
    work = tmp_path_factory.mktemp("snap")
    return {
        prefix: render_fleet(fleet, out=work / f"rendered-{prefix or 'example'}").out
        for prefix, fleet in FLEETS.items()
    }


def _folder(rendered: dict[str, Path], group: str) -> Path:
    prefix = "v2.20-" if group.startswith("v2.20-") else ""
    return rendered[prefix] / group.removeprefix(prefix)


def _files(rendered: dict[str, Path], group: str) -> dict[str, str]:
    """{snapshot name: text} of one folder's YAML files (name: the path joined by __)."""
    folder = _folder(rendered, group)
    return {
        "__".join(p.relative_to(folder).with_suffix("").parts): p.read_text()
        for p in sorted(folder.rglob("*.yaml"))
    }


@pytest.fixture(scope="module")
def holders(rendered: dict[str, Path]) -> dict[str, str]:
    """{text: the first group that renders it}: where each distinct file's snapshot is."""
    first: dict[str, str] = {}
    for group in GROUPS:
        for text in _files(rendered, group).values():
            first.setdefault(text, group)
    return first


@pytest.fixture
def yaml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.with_defaults(extension_class=YamlSnapshot)


@pytest.mark.parametrize("group", GROUPS)
def test_rendered_manifests_match_their_snapshots(
    group: str, rendered: dict[str, Path], holders: dict[str, str], yaml_snapshot: SnapshotAssertion
) -> None:
    files = _files(rendered, group)
    assert files, f"nothing rendered for {group}"
    index = f"# {group}\n" + "".join(f"{name}: {holders[text]}\n" for name, text in files.items())
    assert index == yaml_snapshot(name="index")
    for name, text in files.items():
        if holders[text] == group:
            assert text == yaml_snapshot(name=name)


def test_no_two_snapshot_files_hold_the_same_bytes() -> None:
    """Issue 20: each distinct snapshot is stored once (this layout, or any snapshot added)."""
    seen: dict[bytes, str] = {}
    copies = []
    for path in sorted((Path(__file__).parent / "__snapshots__").rglob("*.*")):
        first = seen.setdefault(path.read_bytes(), path.name)
        if first != path.name:
            copies.append(f"{path.name} = {first}")
    assert copies == []
