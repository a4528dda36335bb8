"""Defaulting applies the seed's table, KKP's CNI defaults and its forced CNI upgrades."""

from __future__ import annotations

import textwrap

import pytest

from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.defaults import (
    PlatformSettings,
    dns_service_ip,
    resolve_address,
    resolve_cluster,
)
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import LoadedCluster, load_fleet
from kkpgen.source.repository import SourceFile, SourceTree

CATALOG = load_catalog()


def _loaded(
    spec: str = "", *, version: str = '"1.23.6"', cloud: str = "aws: {}", top: str = ""
) -> LoadedCluster:
    """One Cluster `c1`; `spec` is YAML added under spec, `top` at the top level."""
    text = textwrap.dedent("""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: {version}
          cloud:
            {cloud}
        """).format(version=version, cloud=cloud)
    text += textwrap.indent(textwrap.dedent(spec), "  ") + textwrap.dedent(top)
    tree = SourceTree(None, (SourceFile("clusters/c1.yaml", text.encode()),))
    (loaded,) = load_fleet(tree).clusters
    return loaded


def _resolve(
    spec: str = "", *, version: str = '"1.23.6"', cloud: str = "aws: {}", kkp: str = "v2.20"
) -> ResolvedCluster:
    release = CATALOG.releases[kkp]
    return resolve_cluster(
        _loaded(spec, version=version, cloud=cloud), catalog=CATALOG, release=release, is_new=False
    )


def test_omitted_network_fields_get_the_seed_defaults() -> None:
    network = _resolve().network
    assert network.proxy_mode == "ipvs"
    assert network.pods_cidr_blocks == ("172.25.0.0/16",)
    assert network.services_cidr_blocks == ("10.240.16.0/20",)
    assert network.dns_domain == "cluster.local"
    assert network.ipvs_strict_arp is True
    assert network.node_local_dns_cache_enabled is True
    assert network.konnectivity_enabled is False
    assert network.dns_service_ip == "10.240.16.10"


def test_kubevirt_clusters_get_their_own_default_ranges() -> None:
    network = _resolve(cloud="kubevirt: {}").network
    assert network.pods_cidr_blocks == ("172.26.0.0/16",)
    assert network.services_cidr_blocks == ("10.241.0.0/20",)
    assert network.dns_service_ip == "10.241.0.10"


def test_written_ranges_win_over_the_kubevirt_defaults() -> None:
    network = _resolve(
        """\
        clusterNetwork:
          pods: {cidrBlocks: [10.10.0.0/16]}
          services: {cidrBlocks: [10.20.0.0/24]}
        """,
        cloud="kubevirt: {}",
    ).network
    assert network.pods_cidr_blocks == ("10.10.0.0/16",)
    assert network.services_cidr_blocks == ("10.20.0.0/24",)


def test_written_network_fields_win_over_defaults() -> None:
    network = _resolve("""\
        clusterNetwork:
          dnsDomain: cluster.local
          nodeLocalDNSCacheEnabled: false
          konnectivityEnabled: true
        """).network
    assert (network.node_local_dns_cache_enabled, network.konnectivity_enabled) == (False, True)


@pytest.mark.parametrize(
    ("network", "proxy_mode", "strict_arp"),
    [
        ("{}", "ipvs", True),
        ("{proxyMode: ipvs}", "ipvs", True),
        # KKP defaults strictArp to true whatever the proxyMode (pkg/addon/template.go).
        ("{proxyMode: iptables}", "iptables", True),
        ("{proxyMode: ebpf}", "ebpf", True),
        ("{proxyMode: ipvs, ipvs: {strictArp: false}}", "ipvs", False),
        ("{proxyMode: iptables, ipvs: {strictArp: true}}", "iptables", True),
        ("{ipvs: {}}", "ipvs", True),
    ],
    ids=[
        "default-ipvs",
        "ipvs",
        "iptables",
        "ebpf",
        "explicit-false-wins",
        "explicit-true-wins",
        "empty-ipvs-block",
    ],
)
def test_strict_arp_is_true_unless_written_as_kkp_defaults_it(
    network: str, proxy_mode: str, strict_arp: bool
) -> None:
    resolved = _resolve(f"clusterNetwork: {network}\n").network
    assert (resolved.proxy_mode, resolved.ipvs_strict_arp) == (proxy_mode, strict_arp)


def _resolve_new(version: str, kkp: str) -> ResolvedCluster:
    release = CATALOG.releases[kkp]
    return resolve_cluster(
        _loaded("", version=version), catalog=CATALOG, release=release, is_new=True
    )


@pytest.mark.parametrize(
    ("kkp", "cni_version"),
    [("v2.20", "v3.22"), ("v2.19", "v3.21"), ("v2.18", "v3.19")],
    ids=["kkp-2.20", "kkp-2.19", "kkp-2.18"],
)
def test_a_new_cluster_without_cni_plugin_is_canal_at_the_release_default(
    kkp: str, cni_version: str
) -> None:
    cni = _resolve_new('"1.21.8"', kkp).cni
    assert (cni.type, cni.version, cni.forced_from, cni.deprecated, cni.unspecified) == (
        "canal",
        cni_version,
        None,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("kkp", "kubernetes", "cni_version", "forced_from"),
    [
        ("v2.20", "1.21.8", "v3.8", None),
        ("v2.20", "1.22.5", "v3.22", "v3.8"),  # mutateUpdate: >= 1.22 forces the latest Canal
        ("v2.19", "1.22.5", "v3.21", "v3.8"),
        ("v2.18", "1.21.8", "v3.8", None),
    ],
    ids=["kkp-2.20-1.21", "kkp-2.20-1.22-forced", "kkp-2.19-1.22-forced", "kkp-2.18-1.21"],
)
def test_an_existing_cluster_without_cni_plugin_is_canal_v3_8_as_kkps_migration_makes_it(
    kkp: str, kubernetes: str, cni_version: str, forced_from: str | None
) -> None:
    cni = _resolve(version=f'"{kubernetes}"', kkp=kkp).cni
    assert (cni.type, cni.version, cni.forced_from, cni.unspecified) == (
        "canal",
        cni_version,
        forced_from,
        True,
    )


@pytest.mark.parametrize(
    ("plugin", "cni_type", "cni_version"),
    [
        ("{type: canal}", "canal", "v3.22"),
        ("{type: cilium}", "cilium", "v1.11"),
        ("{type: none}", "none", ""),
        ("{type: canal, version: v3.20}", "canal", "v3.20"),
    ],
    ids=["canal", "cilium", "none", "version-written"],
)
def test_omitted_cni_version_is_the_default_of_that_type(
    plugin: str, cni_type: str, cni_version: str
) -> None:
    cni = _resolve(f"cniPlugin: {plugin}\n", version='"1.22.9"').cni
    assert (cni.type, cni.version) == (cni_type, cni_version)


def test_capabilities_come_from_the_resolved_version() -> None:
    cni = _resolve("cniPlugin: {type: canal, version: v3.8}\n", version='"1.21.8"').cni
    assert "legacy_rbac_names" in cni.capabilities
    assert cni.deprecated is True


@pytest.mark.parametrize(
    ("kubernetes", "plugin", "kkp", "version", "forced_from"),
    [
        ('"1.22.9"', "{type: canal, version: v3.8}", "v2.20", "v3.22", "v3.8"),
        ('"1.22.9"', "{type: canal, version: v3.8}", "v2.19", "v3.21", "v3.8"),
        ('"1.23.6"', "{type: canal, version: v3.8}", "v2.20", "v3.22", "v3.8"),
        ('"1.23.6"', "{type: canal, version: v3.20}", "v2.20", "v3.22", "v3.20"),
        ('"1.23.6"', "{type: canal, version: v3.21}", "v2.20", "v3.22", "v3.21"),
        ('"v1.23.6"', "{type: canal, version: v3.19}", "v2.20", "v3.22", "v3.19"),
        ('"1.22.9"', "{type: canal, version: v3.20}", "v2.20", "v3.20", None),
        ('"1.23.6"', "{type: canal, version: v3.22}", "v2.20", "v3.22", None),
        ('"1.21.8"', "{type: canal, version: v3.8}", "v2.20", "v3.8", None),
        ('"1.23.6"', "{type: cilium, version: v1.11}", "v2.20", "v1.11", None),
        ('"1.23.6"', "{type: none}", "v2.20", "", None),
    ],
    ids=[
        "k8s-1.22-canal-3.8-to-latest",
        "k8s-1.22-canal-3.8-to-latest-of-2.19",
        "k8s-1.23-canal-3.8",
        "k8s-1.23-canal-3.20",
        "k8s-1.23-canal-3.21",
        "k8s-v-prefixed",
        "k8s-1.22-canal-3.20-kept",
        "k8s-1.23-canal-3.22-kept",
        "k8s-1.21-canal-3.8-kept",
        "cilium-never-forced",
        "none-never-forced",
    ],
)
def test_forced_cni_upgrade_follows_the_kubernetes_version(
    kubernetes: str, plugin: str, kkp: str, version: str, forced_from: str | None
) -> None:
    cni = _resolve(f"cniPlugin: {plugin}\n", version=kubernetes, kkp=kkp).cni
    assert (cni.version, cni.forced_from) == (version, forced_from)


@pytest.mark.parametrize(
    ("cidr", "address"),
    [
        ("10.240.16.0/20", "10.240.16.10"),
        ("10.241.0.0/20", "10.241.0.10"),
        ("192.168.0.0/28", "192.168.0.10"),
        ("192.168.0.0/29", ""),
        ("not-a-cidr", ""),
    ],
    ids=["default", "kubevirt-default", "small-range", "range-too-small", "invalid"],
)
def test_dns_service_ip_is_the_tenth_address_of_the_services_range(cidr: str, address: str) -> None:
    assert dns_service_ip(cidr) == address


@pytest.mark.parametrize(
    ("top", "template", "url", "host", "port"),
    [
        (
            "address: {url: 'https://abc.kkp.example.com:6443'}\n",
            None,
            "https://abc.kkp.example.com:6443",
            "abc.kkp.example.com",
            6443,
        ),
        (
            "address: {url: 'https://abc.kkp.example.com:6443'}\n",
            "https://{name}.other:1",
            "https://abc.kkp.example.com:6443",
            "abc.kkp.example.com",
            6443,
        ),
        (
            "",
            "https://{name}.kkp.example.com:6443",
            "https://c1.kkp.example.com:6443",
            "c1.kkp.example.com",
            6443,
        ),
        (
            "",
            "https://{name}.kkp.example.com",
            "https://c1.kkp.example.com",
            "c1.kkp.example.com",
            443,
        ),
        (
            "address: {port: 6443}\n",
            "https://{name}.x.io:6443",
            "https://c1.x.io:6443",
            "c1.x.io",
            6443,
        ),
        ("", None, "", "", 443),
        ("address: {url: 'https://h:notaport'}\n", None, "https://h:notaport", "", 0),
    ],
    ids=[
        "address-url",
        "address-url-wins-over-pattern",
        "pattern",
        "pattern-default-port",
        "address-without-url",
        "unknown",
        "bad-port",
    ],
)
def test_apiserver_address_comes_from_address_url_or_the_pattern(
    top: str, template: str | None, url: str, host: str, port: int
) -> None:
    address = resolve_address(_loaded(top=top), template)
    assert (address.url, address.host, address.port) == (url, host, port)


def test_resolve_cluster_uses_the_apiserver_url_pattern() -> None:
    resolved = resolve_cluster(
        _loaded(),
        catalog=CATALOG,
        release=CATALOG.releases["v2.20"],
        is_new=True,
        platform=PlatformSettings(apiserver_url_template="https://{name}.k.io:6443"),
    )
    assert resolved.address.url == "https://c1.k.io:6443"
    assert resolved.expose_strategy == "NodePort"
    assert (resolved.is_new, resolved.kubernetes_version, resolved.kkp_version) == (
        True,
        "1.23.6",
        "v2.20",
    )
