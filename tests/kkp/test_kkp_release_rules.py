"""KKP's own defaulting and validation as kkpgen follows them (issue 13), one rule per test."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kkpgen.diagnostics import Diagnostic, KkpgenError, format_diagnostic
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.check import check_fleet
from kkpgen.kkp.defaults import resolve_cluster
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import load_fleet
from kkpgen.source.repository import read_tree
from tests.conftest import CONFIG, Repo, cluster_yaml

Found = tuple[str, str, int | None]
CATALOG = load_catalog()


def _config(kkp: str = "v2.20.9", gates: str = "KonnectivityService: true") -> str:
    return CONFIG.replace('"v2.20"', f'"{kkp}"').replace("KonnectivityService: true", gates)


def _check(root: Path, cluster: str, *, config: str | None = None) -> tuple[Diagnostic, ...]:
    (root / "clusters").mkdir(parents=True, exist_ok=True)
    (root / "kubermatic.yaml").write_text(config or _config())
    (root / "clusters" / "c1.yaml").write_text(textwrap.dedent(cluster))
    try:
        return check_fleet(SourceOptions(repo=root)).diagnostics
    except KkpgenError as error:
        return error.diagnostics


def _found(diagnostics: tuple[Diagnostic, ...], *prefixes: str) -> list[Found]:
    return [(d.code, d.field, d.location.line) for d in diagnostics if d.code.startswith(prefixes)]


CANAL = "cniPlugin: {type: canal, version: v3.22}\n"


@pytest.mark.parametrize(
    ("kkp", "version", "found"),
    [
        ("v2.20.9", '"1.99.0"', [("cluster.version.unsupported", "spec.version", 6)]),
        ("v2.20.0", '"1.23.6"', [("cluster.version.unsupported", "spec.version", 6)]),
        ("v2.20.9", '"1.23.6"', []),
        ("v2.20", '"1.99.0"', []),
    ],
    ids=["unknown-version", "newer-than-the-patch", "offered", "minor-alone-has-no-list"],
)
def test_a_kubernetes_version_outside_the_release_list_is_refused(
    tmp_path: Path, kkp: str, version: str, found: list[Found]
) -> None:
    spec = cluster_yaml("c1", version=version, extra=CANAL)
    diagnostics = _check(tmp_path, spec, config=_config(kkp))
    assert _found(diagnostics, "cluster.version") == found


def test_the_kubernetes_version_message_lists_what_kkp_offers(tmp_path: Path) -> None:
    spec = cluster_yaml("c1", version='"1.99.0"', extra=CANAL)
    (diagnostic,) = [d for d in _check(tmp_path, spec) if d.code == "cluster.version.unsupported"]
    assert format_diagnostic(diagnostic) == (
        "clusters/c1.yaml:6:3: error[cluster.version.unsupported]: spec.version: "
        "Kubernetes 1.99.0 is not a version KKP v2.20.9 offers\n"
        "  hint: use one of 1.20.13, 1.20.14, 1.21.8, 1.21.12, 1.22.5, 1.22.9, 1.22.15, "
        "1.23.6, 1.23.12, or list it in spec.versions.versions of kubermatic.yaml"
    )


def test_cni_none_with_a_version_is_refused(tmp_path: Path) -> None:
    spec = cluster_yaml("c1", extra="cniPlugin: {type: none, version: v1.0}\n")
    assert _found(_check(tmp_path, spec), "cni.none.version") == [
        ("cni.none.version", "spec.cniPlugin.version", 9)
    ]


@pytest.mark.parametrize(
    ("strategy", "gates", "found"),
    [
        ("Ingress", "{}", [("cluster.expose-strategy.unsupported", "spec.exposeStrategy", 10)]),
        (
            "Tunneling",
            "{}",
            [("cluster.expose-strategy.tunneling-gate", "spec.exposeStrategy", 10)],
        ),
        ("Tunneling", "{TunnelingExposeStrategy: true}", []),
        ("LoadBalancer", "{}", []),
    ],
    ids=["unknown", "tunneling-without-gate", "tunneling-with-gate", "loadbalancer"],
)
def test_an_unknown_expose_strategy_or_tunneling_without_its_gate_is_refused_at_the_spec(
    tmp_path: Path, strategy: str, gates: str, found: list[Found]
) -> None:
    spec = cluster_yaml("c1", extra=CANAL + f"exposeStrategy: {strategy}\n")
    config = _config().replace(
        "    KonnectivityService: true",
        "    KonnectivityService: true"
        + ("\n    TunnelingExposeStrategy: true" if "Tunneling" in gates else ""),
    )
    diagnostics = _check(tmp_path, spec, config=config)
    assert _found(diagnostics, "cluster.expose-strategy") == found


def _resolve(tmp_path: Path, spec: str, *, is_new: bool = False) -> ResolvedCluster:
    (tmp_path / "clusters").mkdir(parents=True, exist_ok=True)
    (tmp_path / "kubermatic.yaml").write_text(_config())
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    fleet = load_fleet(read_tree(tmp_path, None))
    release = CATALOG.release("v2.20.9")
    assert release is not None
    return resolve_cluster(fleet.clusters[0], catalog=CATALOG, release=release, is_new=is_new)


def test_hetzner_clusters_default_to_proxy_mode_iptables(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, cluster_yaml("c1", cloud="hetzner: {}", extra=CANAL))
    assert resolved.network.proxy_mode == "iptables"
    assert resolved.network.ipvs_strict_arp is True


def test_forced_cni_upgrades_apply_on_update_only(tmp_path: Path) -> None:
    spec = cluster_yaml("c1", extra="cniPlugin: {type: canal, version: v3.20}\n")
    created = _resolve(tmp_path / "new", spec, is_new=True)
    updated = _resolve(tmp_path / "old", spec, is_new=False)
    assert created.cni.version == "v3.20"
    assert updated.cni.version == "v3.22"


def test_apiserver_network_policy_is_on_for_new_clusters_only(tmp_path: Path) -> None:
    spec = cluster_yaml("c1", extra=CANAL)
    assert _resolve(tmp_path / "new", spec, is_new=True).has_feature("apiserverNetworkPolicy")
    assert not _resolve(tmp_path / "old", spec).has_feature("apiserverNetworkPolicy")


def _transition(
    make_repo: Callable[..., Repo], base: str, head: str, *, kkp: str
) -> tuple[Diagnostic, ...]:
    repo = make_repo(
        base={"clusters/c1.yaml": base}, head={"clusters/c1.yaml": head}, config=_config(kkp)
    )
    try:
        return check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base")).diagnostics
    except KkpgenError as error:
        return error.diagnostics


@pytest.mark.parametrize(
    ("kkp", "found"),
    [
        ("v2.20.6", [("network.proxy-mode.immutable", "spec.clusterNetwork.proxyMode", 12)]),
        ("v2.20.7", []),
    ],
    ids=["before-v2.20.7", "from-v2.20.7"],
)
def test_a_proxy_mode_change_is_allowed_with_the_unsafe_cni_migration_label_from_v2_20_7(
    make_repo: Callable[..., Repo], kkp: str, found: list[Found]
) -> None:
    net = "clusterNetwork: {{proxyMode: {mode}, konnectivityEnabled: true}}\n"
    labels = 'unsafe-cni-migration: "true"\n'
    base = cluster_yaml("c1", extra=CANAL + net.format(mode="ipvs"), labels=labels)
    head = cluster_yaml(
        "c1",
        extra="cniPlugin: {type: cilium, version: v1.11}\n" + net.format(mode="ebpf"),
        labels=labels,
    )
    assert _found(_transition(make_repo, base, head, kkp=kkp), "network.proxy-mode") == found


@pytest.mark.parametrize(
    ("kkp", "found"),
    [
        ("v2.20.4", [("cni.version.upgrade-too-large", "spec.cniPlugin.version", 9)]),
        ("v2.20.5", []),
    ],
    ids=["v2.20.4-has-no-table", "v2.20.5-allows-it"],
)
def test_the_allowed_transitions_table_differs_by_patch(
    make_repo: Callable[..., Repo], kkp: str, found: list[Found]
) -> None:
    # Kubernetes 1.22 -> 1.23 with Canal v3.20 -> v3.22 written out: two minors at once.
    base = cluster_yaml(
        "c1", version='"1.22.9"', extra="cniPlugin: {type: canal, version: v3.20}\n"
    )
    head = cluster_yaml("c1", version='"1.23.6"', extra=CANAL)
    diagnostics = _transition(make_repo, base, head, kkp=kkp)
    assert _found(diagnostics, "cni.version.upgrade") == found
