"""gitops/changes: the disruption a deleted cluster file causes, unless the deletion is
confirmed by the label a PR merged first or by --decommission."""

from __future__ import annotations

from pathlib import Path

from kkpgen.gitops.changes import ObjectChange, disruptions, object_changes
from kkpgen.kkp.catalog import load_catalog
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
    assert gone.message == (
        "the cluster's spec file is deleted, but the cluster was not marked for "
        "decommissioning: its Applications go, and a running cluster loses its CNI "
        "wherever Argo CD prunes"
    )
    assert gone.action.endswith("(kkpgen diff --base <base> --decommission running)")
    assert disruptions(clusters["leaving"], None, release=None) == ()
    assert len(disruptions(clusters["unsure"], None, release=None)) == 1
    confirmed = ("origin/main", "other running")
    assert disruptions(clusters["running"], None, release=None, confirmed=confirmed) == ()
    (other,) = disruptions(clusters["unsure"], None, release=None, confirmed=confirmed)
    assert "(kkpgen diff --base origin/main --decommission unsure)" in other.action


KUBERNETES = {"canal-legacy": '"1.21.14"', "canal-old": '"1.22.5"', "canal-new": '"1.22.5"'}


def _network(tmp_path: Path) -> dict[str, ResolvedCluster]:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(CONFIG)
    specs = {
        "canal": "cniPlugin: {type: canal, version: v3.22}\n",
        "canal-old": "cniPlugin: {type: canal, version: v3.20}\n",
        "canal-new": "cniPlugin: {type: canal, version: v3.21}\n",
        "cilium": "cniPlugin: {type: cilium, version: v1.11}\n",
        "canal-legacy": "cniPlugin: {type: canal, version: v3.8}\n",
        "konnectivity": "cniPlugin: {type: canal, version: v3.22}\n"
        "clusterNetwork: {konnectivityEnabled: true}\n",
    }
    for name, extra in specs.items():
        # Kubernetes versions that force no CNI upgrade
        version = KUBERNETES.get(name, '"1.23.6"')
        spec = cluster_yaml(name, version=version, extra=extra)
        (tmp_path / "clusters" / f"{name}.yaml").write_text(spec)
    return {c.name: c for c in check_fleet(SourceOptions(repo=tmp_path)).resolved}


def test_a_cni_or_tunnel_change_is_a_disruption_that_asks_for_a_maintenance_window(
    tmp_path: Path,
) -> None:
    c = _network(tmp_path)
    (migration,) = disruptions(c["canal"], c["cilium"], release=None)
    assert migration.code == "disruption.cni-migration"
    assert migration.action == "plan a maintenance window"
    (version,) = disruptions(c["canal-old"], c["canal-new"], release=None)
    assert (version.code, version.action) == ("disruption.cni-version", "plan a maintenance window")
    (to_vpn,) = disruptions(c["konnectivity"], c["canal"], release=None)
    assert to_vpn.code == "disruption.konnectivity-switch"
    assert to_vpn.message.startswith("switching Konnectivity -> OpenVPN restarts most ")
    assert to_vpn.action == "plan a maintenance window"
    (to_konnectivity,) = disruptions(c["canal"], c["konnectivity"], release=None)
    assert to_konnectivity.message.startswith("switching OpenVPN -> Konnectivity restarts ")


def test_each_changed_file_is_a_unified_diff_of_its_lines() -> None:
    base = {"c/a.yaml": b"a: 1\nb: 2\nc: 3\n", "c/gone.yaml": b"x: 1\n"}
    head = {"c/a.yaml": b"a: 1\nb: 9\nc: 3\n", "c/new.yaml": b"y: 1"}
    assert object_changes(base, head) == [
        ObjectChange(
            "c/a.yaml",
            "changed",
            "--- a/c/a.yaml\n+++ b/c/a.yaml\n@@ -1,3 +1,3 @@\n a: 1\n-b: 2\n+b: 9\n c: 3\n",
        ),
        ObjectChange(
            "c/gone.yaml", "removed", "--- a/c/gone.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-x: 1\n"
        ),
        ObjectChange(
            "c/new.yaml", "added", "--- /dev/null\n+++ b/c/new.yaml\n@@ -0,0 +1 @@\n+y: 1\n"
        ),
    ]


def test_a_deprecated_cni_version_says_why_and_what_to_upgrade_to(tmp_path: Path) -> None:
    legacy = _network(tmp_path)["canal-legacy"]
    release = load_catalog().releases["v2.20"]
    (deprecated,) = disruptions(legacy, legacy, release=release)
    assert deprecated.code == "disruption.deprecated-version"
    assert deprecated.message == (
        "Canal v3.8 is deprecated (uses v1beta1 CRDs that Kubernetes 1.22 removed; KKP upgrades "
        "it with the Kubernetes upgrade) and still in use"
    )
    assert deprecated.action == "upgrade soon to v3.22"
    (unknown,) = disruptions(legacy, legacy, release=None)
    assert (unknown.message, unknown.action) == (
        "Canal v3.8 is deprecated and still in use",
        "upgrade soon",
    )
