"""gitops/changes: the disruption a deleted cluster file causes, unless the deletion is
confirmed by the label a PR merged first or by --decommission."""

from __future__ import annotations

from pathlib import Path

from kkpgen.gitops.changes import disruptions
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from tests.conftest import CONFIG, cluster_yaml


def _resolved(tmp_path: Path) -> dict[str, ResolvedCluster]:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(CONFIG)
    specs = {
        "running": cluster_yaml("running"),
        "leaving": cluster_yaml("leaving", labels="kkpgen/decommission: 'true'\n"),
        "unsure": cluster_yaml("unsure", labels="kkpgen/decommission: 'false'\n"),
    }
    for name, text in specs.items():
        (tmp_path / "clusters" / f"{name}.yaml").write_text(text)
    return {c.name: c for c in check_fleet(SourceOptions(repo=tmp_path)).resolved}


def test_a_deleted_cluster_is_a_disruption_unless_labelled_or_confirmed(tmp_path: Path) -> None:
    clusters = _resolved(tmp_path)
    (gone,) = disruptions(clusters["running"], None, release=None)
    assert gone.code == "disruption.cluster-removed"
    assert gone.action.endswith("(kkpgen diff --base <base> --decommission running)")
    assert disruptions(clusters["leaving"], None, release=None) == ()
    assert len(disruptions(clusters["unsure"], None, release=None)) == 1
    confirmed = ("origin/main", "other running")
    assert disruptions(clusters["running"], None, release=None, confirmed=confirmed) == ()
    (other,) = disruptions(clusters["unsure"], None, release=None, confirmed=confirmed)
    assert "(kkpgen diff --base origin/main --decommission unsure)" in other.action
