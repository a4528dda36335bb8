"""KKP v2.21-v2.31 defaulting per patch (DefaultClusterSpec, DefaultClusterNetwork,
GetDefaultProxyMode), each case inline."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kkpgen import pipeline
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.defaults import resolve_cluster
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import load_fleet
from kkpgen.source.repository import read_tree
from tests.conftest import CONFIG

CATALOG = load_catalog()


def _resolve(tmp_path: Path, kkp: str, spec: str, *, is_new: bool = True) -> ResolvedCluster:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(CONFIG.replace('"v2.20"', f'"{kkp}"'))
    (tmp_path / "clusters" / "c1.yaml").write_text(textwrap.dedent(spec))
    fleet = load_fleet(read_tree(tmp_path, None))
    release = CATALOG.release(kkp)
    assert release is not None
    return resolve_cluster(fleet.clusters[0], catalog=CATALOG, release=release, is_new=is_new)


def _cluster(version: str, cloud: str = "aws: {}", spec: str = "") -> str:
    return (
        "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: c1\nspec:\n"
        f'  version: "{version}"\n  cloud:\n    dc: eu\n    {cloud}\n'
        + textwrap.indent(textwrap.dedent(spec), "  ")
    )


@pytest.mark.parametrize(
    ("kkp", "kubernetes", "cloud", "mode"),
    [
        ("v2.31.0", "1.34.10", "aws: {}", "ipvs"),
        ("v2.31.0", "1.35.7", "aws: {}", "nftables"),
        ("v2.31.0", "1.35.7", "hetzner: {}", "iptables"),
        ("v2.30.6", "1.35.3", "hetzner: {}", "nftables"),
        ("v2.30.6", "1.34.5", "hetzner: {}", "iptables"),
        ("v2.29.10", "1.33.5", "aws: {}", "ipvs"),
    ],
    ids=[
        "v2.31-1.34-ipvs",
        "v2.31-1.35-nftables",
        "v2.31-hetzner-stays-on-iptables",
        "v2.30-hetzner-1.35-gets-nftables",
        "v2.30-hetzner-1.34-iptables",
        "v2.29-no-nftables",
    ],
)
def test_the_default_proxy_mode_follows_the_patch_the_kubernetes_minor_and_hetzner(
    tmp_path: Path, kkp: str, kubernetes: str, cloud: str, mode: str
) -> None:
    resolved = _resolve(tmp_path, kkp, _cluster(kubernetes, cloud))
    assert resolved.network.proxy_mode == mode


@pytest.mark.parametrize(
    ("kkp", "kubernetes", "cni"),
    [("v2.23.19", "1.26.9", ("canal", "v3.27")), ("v2.24.0", "1.27.3", ("cilium", "1.14.3"))],
    ids=["v2.23-canal", "v2.24-cilium"],
)
def test_a_new_cluster_without_cni_plugin_gets_cilium_from_v2_24(
    tmp_path: Path, kkp: str, kubernetes: str, cni: tuple[str, str]
) -> None:
    resolved = _resolve(tmp_path, kkp, _cluster(kubernetes))
    assert (resolved.cni.type, resolved.cni.version) == cni


def test_a_dual_stack_cluster_gets_both_families_default_ranges_and_mask_sizes(
    tmp_path: Path,
) -> None:
    spec = _cluster("1.34.10", spec="clusterNetwork:\n  ipFamily: IPv4+IPv6\n")
    network = _resolve(tmp_path, "v2.31.0", spec).network
    assert network.pods_cidr_blocks == ("172.25.0.0/16", "fd01::/48")
    assert network.services_cidr_blocks == ("10.240.16.0/20", "fd02::/108")
    assert (network.node_cidr_mask_size_ipv4, network.node_cidr_mask_size_ipv6) == (24, 64)
    assert network.dual_stack


def test_kkp_v2_21_defaults_the_ipv6_services_range_to_a_slash_120(tmp_path: Path) -> None:
    spec = _cluster("1.23.17", spec="clusterNetwork:\n  ipFamily: IPv4+IPv6\n")
    network = _resolve(tmp_path, "v2.21.15", spec).network
    assert network.services_cidr_blocks == ("10.240.16.0/20", "fd02::/120")


def test_two_pods_ranges_without_ip_family_mean_dual_stack(tmp_path: Path) -> None:
    spec = _cluster(
        "1.34.10",
        spec="""\
        clusterNetwork:
          pods: {cidrBlocks: ["10.0.0.0/16", "fd00::/56"]}
        """,
    )
    network = _resolve(tmp_path, "v2.31.0", spec).network
    assert network.ip_family == "IPv4+IPv6"
    assert network.services_cidr_blocks == ("10.240.16.0/20", "fd02::/108")


def test_an_ipv4_cluster_gets_only_the_ipv4_mask_size(tmp_path: Path) -> None:
    network = _resolve(tmp_path, "v2.31.0", _cluster("1.34.10")).network
    assert network.ip_family == "IPv4"
    assert (network.node_cidr_mask_size_ipv4, network.node_cidr_mask_size_ipv6) == (24, 0)


@pytest.mark.parametrize(
    ("expose", "agent_ip"),
    [("Tunneling", "100.64.30.10"), ("NodePort", "")],
    ids=["tunneling-gets-the-default", "nodeport-has-none"],
)
def test_the_tunneling_agent_ip_is_defaulted_for_the_tunneling_strategy_only(
    tmp_path: Path, expose: str, agent_ip: str
) -> None:
    spec = _cluster("1.34.10", spec=f"exposeStrategy: {expose}\n")
    assert _resolve(tmp_path, "v2.31.0", spec).network.tunneling_agent_ip == agent_ip


@pytest.mark.parametrize(
    ("kkp", "kubernetes", "enabled"),
    [("v2.26.0", "1.28.5", True), ("v2.25.18", "1.28.5", False)],
    ids=["v2.26-konnectivity-is-mandatory", "v2.25-openvpn-by-default"],
)
def test_konnectivity_is_on_without_saying_from_v2_26(
    tmp_path: Path, kkp: str, kubernetes: str, enabled: bool
) -> None:
    assert _resolve(tmp_path, kkp, _cluster(kubernetes)).network.konnectivity_enabled is enabled


@pytest.mark.parametrize(
    ("kubernetes", "tag"),
    [("1.33.5", "v0.33.1"), ("1.35.7", "v0.34.0"), ("1.36.3", "v0.35.0")],
    ids=["1.33", "1.35", "1.36"],
)
def test_kkp_v2_31_picks_the_konnectivity_agent_by_kubernetes_minor(
    kubernetes: str, tag: str
) -> None:
    release = CATALOG.release("v2.31.0")
    images = CATALOG.images_for(
        release=release, cni="canal", cni_version="v3.31", kubernetes_version=kubernetes
    )
    assert images["konnectivity_agent"] == f"registry.k8s.io/kas-network-proxy/proxy-agent:{tag}"


def test_kkp_v2_22_13_forces_canal_v3_23_with_kubernetes_1_26(tmp_path: Path) -> None:
    spec = _cluster("1.26.9", spec="cniPlugin: {type: canal, version: v3.22}\n")
    cni = _resolve(tmp_path, "v2.22.13", spec, is_new=False).cni
    assert (cni.version, cni.forced_from) == ("v3.23", "v3.22")


def test_kkp_v2_25_forces_no_canal_upgrade(tmp_path: Path) -> None:
    spec = _cluster("1.27.9", spec="cniPlugin: {type: canal, version: v3.22}\n")
    cni = _resolve(tmp_path, "v2.25.18", spec, is_new=False).cni
    assert (cni.version, cni.forced_from) == ("v3.22", None)


def test_resolve_keeps_a_v2_31_cluster_kkp_shaped_and_is_idempotent(tmp_path: Path) -> None:
    """From v2.21 clusterNetwork carries ipFamily and mask sizes, and ipvs only for proxyMode
    ipvs; from v2.22 the URL is status.address.url. Resolving the output prints it again."""
    spec = _cluster("1.35.7", "hetzner: {}", "clusterNetwork: {ipFamily: IPv4+IPv6}\n")
    _resolve(tmp_path, "v2.31.0", spec)
    document = pipeline.resolved_document(SourceOptions(repo=tmp_path), "c1")
    network = document["spec"]["clusterNetwork"]  # type: ignore[index]
    assert network["ipFamily"] == "IPv4+IPv6"
    assert (network["nodeCidrMaskSizeIPv4"], network["nodeCidrMaskSizeIPv6"]) == (24, 64)
    assert network["proxyMode"] == "iptables"
    assert "ipvs" not in network
    assert "address" not in document
    assert document["status"] == {"address": {"url": "https://c1.kkp.example.com:6443"}}
    (tmp_path / "clusters" / "c1.yaml").write_text(json.dumps(document))
    assert pipeline.resolved_document(SourceOptions(repo=tmp_path), "c1") == document


def test_a_new_edge_cluster_without_cni_plugin_gets_canal(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, "v2.31.0", _cluster("1.34.10", "edge: {}"))
    assert (resolved.cni.type, resolved.cni.version) == ("canal", "v3.31")
