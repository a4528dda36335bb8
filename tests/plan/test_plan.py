"""The plan: each cluster's steps from its spec to the target, proposed from the catalog and
allowed by the rules (cases inline: the spec next to the steps it must give)."""

from __future__ import annotations

import textwrap

import pytest

from kkpgen.diagnostics import KkpgenError
from kkpgen.kkp.catalog import load_catalog
from kkpgen.models.options import SourceOptions
from kkpgen.plan.fleet import kkp_path, plan_fleet
from kkpgen.plan.model import ClusterPlan, FleetPlan, Target
from kkpgen.plan.oracle import Oracle
from kkpgen.plan.walk import Walk
from kkpgen.source.fleet import load_fleet
from kkpgen.source.repository import SourceFile, SourceTree
from tests.conftest import cluster_yaml


def config(kkp: str = "v2.20.9", gate: bool = True, versions: str = "") -> str:
    listed = f"\n          versions:\n            versions: [{versions}]" if versions else ""
    return textwrap.dedent(
        f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: KubermaticConfiguration
        metadata:
          name: kubermatic
          annotations:
            kkpgen/kkp-version: "{kkp}"
            kkpgen/apiserver-url: "https://{{name}}.kkp.example.com:6443"
        spec:
          featureGates:
            KonnectivityService: {str(gate).lower()}{listed}
        """
    )


def canal(version: str, kubernetes: str = "1.22.9", konnectivity: bool = True) -> str:
    return f"""\
    cniPlugin:
      type: canal
      version: {version}
    clusterNetwork:
      konnectivityEnabled: {str(konnectivity).lower()}
    """


def tree(
    clusters: dict[str, str], kkp: str = "v2.20.9", gate: bool = True, versions: str = ""
) -> SourceTree:
    files = [SourceFile("kubermatic.yaml", config(kkp, gate, versions).encode())]
    files += [SourceFile(f"clusters/{n}.yaml", t.encode()) for n, t in sorted(clusters.items())]
    return SourceTree(None, tuple(files))


def plan_of(
    clusters: dict[str, str],
    *,
    kkp: str = "v2.20.9",
    target: Target = "latest",
    to_kkp: str | None = None,
    gate: bool = True,
) -> FleetPlan:
    return plan_fleet(SourceOptions(), target=target, to_kkp=to_kkp, tree=tree(clusters, kkp, gate))


def only(plan: FleetPlan) -> ClusterPlan:
    (cluster,) = plan.clusters
    return cluster


def summaries(cluster: ClusterPlan) -> list[str]:
    return [s.summary for s in cluster.steps]


def test_a_canal_3_19_cluster_at_kkp_2_20_9_plans_3_20_3_21_3_22_in_that_order() -> None:
    plan = plan_of({"c1": cluster_yaml("c1", version='"1.22.9"', extra=canal("v3.19"))})
    cluster = only(plan)
    assert summaries(cluster) == [
        "Canal v3.19 -> v3.20",
        "Canal v3.20 -> v3.21",
        "Canal v3.21 -> v3.22",
    ]
    assert [s.number for s in cluster.steps] == [1, 2, 3]
    assert all(s.disruptive and s.kind == "cni-version" for s in cluster.steps)
    assert [c.path for c in cluster.steps[0].changes] == [("spec", "cniPlugin", "version")]
    assert "one minor version at a time" in cluster.steps[0].reason


def test_an_openvpn_cluster_gets_a_disruptive_konnectivity_step() -> None:
    spec = canal("v3.22", konnectivity=False)
    cluster = only(plan_of({"c1": cluster_yaml("c1", version='"1.22.9"', extra=spec)}))
    (step,) = cluster.steps
    assert (step.kind, step.summary, step.disruptive) == (
        "konnectivity",
        "OpenVPN -> Konnectivity",
        True,
    )
    assert step.changes[0].path == ("spec", "clusterNetwork", "konnectivityEnabled")
    assert (step.changes[0].before, step.changes[0].after) == (False, True)
    assert "restarts the control plane" in step.reason


def test_without_the_feature_gate_the_konnectivity_switch_says_what_must_happen_first() -> None:
    spec = canal("v3.21", konnectivity=False)
    plan = plan_of({"c1": cluster_yaml("c1", version='"1.22.9"', extra=spec)}, gate=False)
    cluster = only(plan)
    assert summaries(cluster) == ["Canal v3.21 -> v3.22"]  # the CNI steps still go ahead
    assert cluster.status == "blocked"
    assert "KonnectivityService" in cluster.blocked


def test_a_cluster_at_the_target_says_so() -> None:
    cluster = only(plan_of({"c1": cluster_yaml("c1", version='"1.22.9"', extra=canal("v3.22"))}))
    assert (cluster.status, cluster.steps, cluster.blocked) == ("at-target", (), "")


def test_target_supported_moves_only_what_the_release_deprecates() -> None:
    plan = plan_of(
        {
            "new": cluster_yaml(
                "new", version='"1.21.12"', extra=canal("v3.19", konnectivity=False)
            ),
            "old": cluster_yaml("old", version='"1.21.12"', extra=canal("v3.8")),
        },
        target="supported",
    )
    by_name = {c.name: c for c in plan.clusters}
    assert by_name["new"].status == "at-target"
    assert summaries(by_name["old"]) == ["Canal v3.8 -> v3.19"]


def test_a_deprecated_version_goes_first_with_its_reason_from_the_catalog() -> None:
    plan = plan_of(
        {
            "a-current": cluster_yaml("a-current", version='"1.21.12"', extra=canal("v3.21")),
            "z-old": cluster_yaml("z-old", version='"1.21.12"', extra=canal("v3.8")),
        }
    )
    first = plan.clusters[0]
    assert first.name == "z-old"
    reason = load_catalog().releases["v2.20"].cni["canal"].deprecated["v3.8"]
    assert first.urgent == f"Canal v3.8 is deprecated: {reason}"
    assert first.steps[0].reason == first.urgent
    assert summaries(first) == ["Canal v3.8 -> v3.22"]  # any move leaves a deprecated version


def test_a_forced_upgrade_is_written_into_the_spec_without_disruption() -> None:
    spec = canal("v3.20")
    cluster = only(plan_of({"c1": cluster_yaml("c1", version='"1.23.6"', extra=spec)}))
    (step,) = cluster.steps
    assert (step.kind, step.disruptive) == ("spec-sync", False)
    assert (step.changes[0].before, step.changes[0].after) == ("v3.20", "v3.22")
    assert step.reason == "Kubernetes 1.23 needs Canal v3.22 or newer"  # the catalog's words


def test_a_cluster_that_fails_check_has_no_allowed_path_and_says_why() -> None:
    spec = canal("v3.99")
    cluster = only(plan_of({"c1": cluster_yaml("c1", version='"1.22.9"', extra=spec)}))
    assert cluster.status == "blocked"
    assert cluster.blocked.startswith("fails kkpgen check at clusters/c1.yaml:")
    assert "cni.version.unsupported" in cluster.blocked


def test_clusters_are_grouped_by_rollout_wave() -> None:
    def waved(name: str, wave: str) -> str:
        labels = f'kkpgen/rollout-wave: "{wave}"\n'
        return cluster_yaml(name, version='"1.22.9"', extra=canal("v3.21"), labels=labels)

    plan = plan_of({"a": waved("a", "10"), "b": waved("b", "2"), "c": waved("c", "1")})
    assert [(c.name, c.wave) for c in plan.clusters] == [("c", "1"), ("b", "2"), ("a", "10")]


def _walk(kkp: str, spec: str, kubernetes: str) -> Walk:
    # The platform offers Kubernetes 1.23.6 (spec.versions of kubermatic.yaml), as KKP allows.
    cluster = cluster_yaml("c1", version=f'"{kubernetes}"', extra=spec)
    source = tree({"c1": cluster}, kkp, versions=f"{kubernetes}, 1.23.6")
    fleet = load_fleet(source)
    catalog = load_catalog()
    release = catalog.release(kkp)
    assert release is not None
    return Walk(Oracle(catalog, fleet.config), release, fleet.clusters[0])


def test_kkp_2_20_0_refuses_the_forced_jump_so_cni_steps_come_before_kubernetes_1_23() -> None:
    walk = _walk("v2.20.0", canal("v3.19"), "1.22.5")
    walk.kubernetes_step("1.23.6", "to reach")
    assert walk.blocked == ""
    assert [s.summary for s in walk.steps] == [
        "Canal v3.19 -> v3.20",
        "Canal v3.20 -> v3.21",
        "Kubernetes 1.22.5 -> 1.23.6 (forces Canal v3.21 -> v3.22)",
    ]
    assert "Kubernetes 1.23 needs Canal v3.22 or newer" in walk.steps[-1].reason


def test_kkp_2_20_9_allows_the_forced_jump_with_the_kubernetes_upgrade() -> None:
    walk = _walk("v2.20.9", canal("v3.19"), "1.22.9")
    walk.kubernetes_step("1.23.6", "to reach")
    assert [s.summary for s in walk.steps] == [
        "Kubernetes 1.22.9 -> 1.23.6 (forces Canal v3.19 -> v3.22)"
    ]
    paths = [c.path for c in walk.steps[0].changes]
    assert paths == [("spec", "cniPlugin", "version"), ("spec", "version")]


def test_to_kkp_plans_the_kubernetes_upgrade_the_next_release_needs_then_the_kkp_upgrade() -> None:
    spec = canal("v3.19", konnectivity=False)
    plan = plan_of(
        {"c1": cluster_yaml("c1", version='"1.19.15"', extra=spec)},
        kkp="v2.18.11",
        to_kkp="v2.19.0",
    )
    cluster = only(plan)
    # KKP v2.18 has Konnectivity already: target latest switches under it.
    assert summaries(cluster)[:2] == ["Kubernetes 1.19.15 -> 1.20.13", "OpenVPN -> Konnectivity"]
    assert {s.kkp for s in cluster.steps[:2]} == {"v2.18.11"}
    (upgrade,) = plan.kkp_upgrades
    assert (upgrade.number, upgrade.from_version, upgrade.to_version) == (3, "v2.18.11", "v2.19.0")
    after = [s for s in cluster.steps if s.number > upgrade.number]
    assert [s.summary for s in after] == ["Canal v3.19 -> v3.20", "Canal v3.20 -> v3.21"]
    assert {s.kkp for s in after} == {"v2.19.0"}


def test_a_kkp_upgrade_no_cluster_can_meet_is_blocked_and_names_the_cluster() -> None:
    spec = canal("v3.21")
    plan = plan_of(
        {"c1": cluster_yaml("c1", version='"1.22.17"', extra=spec)},
        kkp="v2.19.15",
        to_kkp="v2.20.0",
    )
    (upgrade,) = plan.kkp_upgrades
    assert upgrade.blocked_by == ("c1",)
    assert "KKP v2.20.0 offers Kubernetes" in only(plan).blocked


def test_the_kkp_path_goes_one_minor_at_a_time_through_the_newest_known_patch() -> None:
    catalog = load_catalog()
    start = catalog.release("v2.18.11")
    assert start is not None
    path = kkp_path(catalog, start, "v2.20.9")
    newest_19 = max(
        (v for v in catalog.patches if v.startswith("v2.19.")), key=lambda v: int(v.split(".")[2])
    )
    assert [r.version for r in path] == [newest_19, "v2.20.9"]


@pytest.mark.parametrize(
    ("to_kkp", "why"),
    [("v2.99.0", "not in kkpgen's catalog"), ("v2.19.0", "the fleet runs KKP v2.20.9")],
    ids=["unknown-release", "downgrade"],
)
def test_to_kkp_that_cannot_be_planned_is_an_error_that_names_the_known_releases(
    to_kkp: str, why: str
) -> None:
    with pytest.raises(KkpgenError) as raised:
        plan_of({"c1": cluster_yaml("c1", extra=canal("v3.22"))}, to_kkp=to_kkp)
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.location.file) == ("plan.kkp.unknown", "--to-kkp")
    assert why in problem.message
    assert "v2.20" in problem.hint
