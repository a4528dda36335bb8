"""Snapshots of every manifest the example fleet renders: a readable diff per change."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from kkpgen.models.options import SourceOptions
from kkpgen.output import update

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CLUSTERS = sorted(p.stem for p in (FIXTURES / "clusters").glob("*.yaml"))


class YamlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yaml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("snap") / "rendered"
    update.render_fleet(SourceOptions(repo=FIXTURES), update.RenderOptions(out=out))
    return out


@pytest.fixture
def yaml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.with_defaults(extension_class=YamlSnapshot)


@pytest.mark.parametrize("cluster", [*CLUSTERS, "argocd"])
def test_rendered_manifests_match_their_snapshots(
    cluster: str, rendered: Path, yaml_snapshot: SnapshotAssertion
) -> None:
    files = sorted(p for p in (rendered / cluster).rglob("*.yaml"))
    assert files, f"nothing rendered for {cluster}"
    for path in files:
        name = "__".join(path.relative_to(rendered / cluster).with_suffix("").parts)
        assert path.read_text() == yaml_snapshot(name=name)
