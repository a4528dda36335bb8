"""Snapshots of every manifest the example fleet renders: a readable diff per change.

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

from tests.conftest import V2_20_FLEET, RenderFleet

CLUSTERS = sorted(p.stem for p in (V2_20_FLEET / "clusters").glob("*.yaml"))
GROUPS = [*CLUSTERS, "argocd"]  # the folders of the rendered tree, in holder order


class YamlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yaml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, render_fleet: RenderFleet) -> Path:
    return render_fleet(V2_20_FLEET, out=tmp_path_factory.mktemp("snap") / "rendered").out


def _files(rendered: Path, group: str) -> dict[str, str]:
    """{snapshot name: text} of one folder's YAML files (name: the path joined by __)."""
    return {
        "__".join(p.relative_to(rendered / group).with_suffix("").parts): p.read_text()
        for p in sorted((rendered / group).rglob("*.yaml"))
    }


@pytest.fixture(scope="module")
def holders(rendered: Path) -> dict[str, str]:
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
    group: str, rendered: Path, holders: dict[str, str], yaml_snapshot: SnapshotAssertion
) -> None:
    files = _files(rendered, group)
    assert files, f"nothing rendered for {group}"
    index = "".join(f"{name}: {holders[text]}\n" for name, text in files.items())
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
