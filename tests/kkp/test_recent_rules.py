"""KKP v2.21-v2.31 validation per patch, and a KKP upgrade as a change (issue 21 items 5
and 6), each case inline."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kkpgen.diagnostics import Diagnostic, KkpgenError
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from tests.conftest import CONFIG, TUNNEL_PORT_NOTICE, Repo

Found = tuple[str, str, int | None]


def _config(kkp: str) -> str:
    return CONFIG.replace('"v2.20"', f'"{kkp}"')


def _cluster(name: str, version: str, spec: str = "", cloud: str = "aws: {}") -> str:
    """A Cluster whose `spec` lines start at line 9."""
    return (
        f"apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: {name}\nspec:\n"
        f'  version: "{version}"\n  cloud:\n    {cloud}\n'
        + textwrap.indent(textwrap.dedent(spec), "  ")
    )


def _check(root: Path, kkp: str, clusters: dict[str, str]) -> tuple[Diagnostic, ...]:
    (root / "clusters").mkdir(parents=True, exist_ok=True)
    (root / "kubermatic.yaml").write_text(_config(kkp))
    for name, text in clusters.items():
        (root / "clusters" / f"{name}.yaml").write_text(text)
    try:
        return check_fleet(SourceOptions(repo=root)).diagnostics
    except KkpgenError as error:
        return error.diagnostics


def _found(diagnostics: tuple[Diagnostic, ...], *prefixes: str) -> list[Found]:
    return [
        (d.code, d.field, d.location.line)
        for d in diagnostics
        if d.code.startswith(prefixes) and d.code != TUNNEL_PORT_NOTICE
    ]


def _errors(diagnostics: tuple[Diagnostic, ...]) -> list[Found]:
    return [(d.code, d.field, d.location.line) for d in diagnostics if d.severity == "error"]


V2_31_FLEET = {
    "canal": _cluster("canal", "1.34.10", "cniPlugin: {type: canal, version: v3.31}\n"),
    "cilium": _cluster(
        "cilium",
        "1.35.7",
        "cniPlugin: {type: cilium, version: 1.19.4}\nclusterNetwork: {proxyMode: ebpf}\n",
        cloud="openstack: {}",
    ),
    "none": _cluster(
        "none",
        "1.33.13",
        'cniPlugin: {type: none, version: ""}\nclusterNetwork: {proxyMode: ebpf}\n',
        cloud="bringyourown: {}",
    ),
    "hetzner-dual": _cluster(
        "hetzner-dual",
        "1.35.7",
        """\
        cniPlugin: {type: cilium}
        clusterNetwork:
          ipFamily: IPv4+IPv6
          pods: {cidrBlocks: ["172.25.0.0/16", "fd01::/48"]}
          services: {cidrBlocks: ["10.240.16.0/20", "fd02::/108"]}
          nodeCidrMaskSizeIPv4: 24
          nodeCidrMaskSizeIPv6: 64
        """,
        cloud="hetzner: {}",
    ),
    "canal-dual": _cluster(
        "canal-dual",
        "1.34.10",
        "cniPlugin: {type: canal, version: v3.30}\nclusterNetwork: {ipFamily: IPv4+IPv6}\n",
    ),
}


def test_a_v2_31_0_fleet_of_canal_cilium_ebpf_none_hetzner_and_dual_stack_checks_clean(
    tmp_path: Path,
) -> None:
    diagnostics = _check(tmp_path, "v2.31.0", V2_31_FLEET)
    assert _errors(diagnostics) == []
    assert [d.code for d in diagnostics if d.severity == "warning"] == []


def test_konnectivity_cannot_be_disabled_from_v2_26(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.34.10", "clusterNetwork: {konnectivityEnabled: false}\n")
    diagnostics = _check(tmp_path, "v2.31.0", {"c1": spec})
    assert _found(diagnostics, "network.konnectivity") == [
        ("network.konnectivity.mandatory", "spec.clusterNetwork.konnectivityEnabled", 9)
    ]
    (found,) = [d for d in diagnostics if d.code == "network.konnectivity.mandatory"]
    assert found.location.file == "clusters/c1.yaml"
    assert "Konnectivity can no longer be disabled" in found.message


def test_openvpn_is_deprecated_but_accepted_at_v2_24_and_v2_25(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.28.5", "clusterNetwork: {konnectivityEnabled: false}\n")
    diagnostics = _check(tmp_path, "v2.25.18", {"c1": spec})
    assert _errors(diagnostics) == []
    (found,) = [d for d in diagnostics if d.code == "network.openvpn.deprecated"]
    assert (found.severity, found.field, found.location.line) == (
        "warning",
        "spec.clusterNetwork.konnectivityEnabled",
        9,
    )
    assert "removed in v2.26" in found.message


def test_openvpn_is_not_deprecated_at_v2_23(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.26.9", "clusterNetwork: {konnectivityEnabled: false}\n")
    codes = [d.code for d in _check(tmp_path, "v2.23.19", {"c1": spec})]
    assert "network.openvpn.deprecated" not in codes


def test_konnectivity_needs_no_feature_gate_from_v2_22(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.24.17", "clusterNetwork: {konnectivityEnabled: true}\n")
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(
        _config("v2.22.13").replace("KonnectivityService: true", "{}")
    )
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    assert _errors(check_fleet(SourceOptions(repo=tmp_path)).diagnostics) == []


@pytest.mark.parametrize(
    ("kkp", "kubernetes", "found"),
    [
        ("v2.26.0", "1.28.5", []),
        (
            "v2.25.18",
            "1.28.5",
            [("network.proxy-mode.ebpf-requires-cilium", "spec.clusterNetwork.proxyMode", 10)],
        ),
    ],
    ids=["v2.26-allows-ebpf-with-none", "v2.25-refuses-it"],
)
def test_ebpf_with_cni_none_is_allowed_from_v2_26(
    tmp_path: Path, kkp: str, kubernetes: str, found: list[Found]
) -> None:
    spec = _cluster(
        "c1",
        kubernetes,
        'cniPlugin: {type: none, version: ""}\n'
        "clusterNetwork: {proxyMode: ebpf, konnectivityEnabled: true}\n",
    )
    assert _found(_check(tmp_path, kkp, {"c1": spec}), "network.proxy-mode") == found


def test_nftables_is_refused_before_v2_30(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.31.5", "clusterNetwork: {proxyMode: nftables}\n")
    assert _found(_check(tmp_path, "v2.29.10", {"c1": spec}), "network.proxy-mode") == [
        ("network.proxy-mode.unsupported", "spec.clusterNetwork.proxyMode", 9)
    ]


def test_ip_family_is_unknown_to_kkp_v2_20(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.23.6", "clusterNetwork:\n  ipFamily: IPv4\n")
    assert _found(_check(tmp_path, "v2.20.9", {"c1": spec}), "cluster.field") == [
        ("cluster.field.unsupported", "spec.clusterNetwork.ipFamily", 10)
    ]


def test_tunneling_agent_ip_is_unknown_to_kkp_v2_21(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.23.17", "clusterNetwork:\n  tunnelingAgentIP: 100.64.30.10\n")
    assert _found(_check(tmp_path, "v2.21.15", {"c1": spec}), "cluster.field") == [
        ("cluster.field.unsupported", "spec.clusterNetwork.tunnelingAgentIP", 10)
    ]


def test_canal_below_v3_22_refuses_dual_stack(tmp_path: Path) -> None:
    spec = _cluster(
        "c1",
        "1.22.17",
        "cniPlugin: {type: canal, version: v3.21}\nclusterNetwork: {ipFamily: IPv4+IPv6}\n",
    )
    assert _found(_check(tmp_path, "v2.21.15", {"c1": spec}), "cni.canal") == [
        ("cni.canal.dual-stack", "spec.cniPlugin.version", 9)
    ]


@pytest.mark.parametrize(
    ("network", "found"),
    [
        (
            'ipFamily: IPv4\npods: {cidrBlocks: ["10.0.0.0/16", "fd00::/56"]}\n',
            [
                # the services default follows ipFamily: one IPv4 range for two pods ranges
                ("network.cidr.services-missing", "spec.clusterNetwork.services.cidrBlocks", 9),
                ("network.ip-family.mismatch", "spec.clusterNetwork.ipFamily", 10),
            ],
        ),
        (
            'pods: {cidrBlocks: ["fd00::/56", "10.0.0.0/16"]}\n',
            [
                ("network.cidr.invalid", "spec.clusterNetwork.pods.cidrBlocks[0]", 10),
                ("network.cidr.invalid", "spec.clusterNetwork.pods.cidrBlocks[1]", 10),
            ],
        ),
        (
            'pods: {cidrBlocks: ["10.0.0.0/16", "fd00::/56"]}\n'
            'services: {cidrBlocks: ["10.96.0.0/12"]}\n',
            [("network.cidr.services-missing", "spec.clusterNetwork.services.cidrBlocks", 11)],
        ),
    ],
    ids=["ipv4-with-two-ranges", "ipv6-first", "one-services-range-for-two-pods-ranges"],
)
def test_dual_stack_ranges_are_one_ipv4_then_one_ipv6(
    tmp_path: Path, network: str, found: list[Found]
) -> None:
    spec = _cluster("c1", "1.34.10", "clusterNetwork:\n" + textwrap.indent(network, "  "))
    assert _found(_check(tmp_path, "v2.31.0", {"c1": spec}), "network.") == found


def test_a_deprecated_cilium_version_warns_with_its_cve(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.34.10", "cniPlugin: {type: cilium, version: 1.18.8}\n")
    diagnostics = _check(tmp_path, "v2.31.0", {"c1": spec})
    (found,) = [d for d in diagnostics if d.code == "cni.version.deprecated"]
    assert (found.severity, found.field, found.location.line) == (
        "warning",
        "spec.cniPlugin.version",
        9,
    )
    assert "Cilium '1.18.8' is deprecated (CVE-2026-41520)" in found.message
    assert (
        found.hint == 'upgrade one minor at a time towards 1.19.4: next cniPlugin.version: "1.19.4"'
    )


def test_a_cluster_on_cilium_1_15_is_told_the_next_minor_step(tmp_path: Path) -> None:
    """KKP v2.31 changelog: clusters on Cilium 1.15.x must upgrade one minor at a time."""
    spec = _cluster("c1", "1.34.10", "cniPlugin: {type: cilium, version: 1.15.16}\n")
    (found,) = [
        d for d in _check(tmp_path, "v2.31.0", {"c1": spec}) if d.code == "cni.version.deprecated"
    ]
    assert found.hint.endswith('next cniPlugin.version: "1.16.9"')


def _new_cluster(make_repo: Callable[..., Repo], kkp: str, spec: str) -> tuple[Diagnostic, ...]:
    """The diagnostics of `spec` as a cluster absent at the base ref (a new cluster)."""
    repo = make_repo(base={}, head={"clusters/c2.yaml": spec}, config=_config(kkp))
    try:
        return check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base")).diagnostics
    except KkpgenError as error:
        return error.diagnostics


def test_a_new_cluster_on_a_deprecated_cilium_version_is_accepted_with_its_cve(
    make_repo: Callable[..., Repo],
) -> None:
    """KKP v2.21+ validate a new cluster against supported and deprecated versions alike
    (GetAllowedCNIPluginVersions); only the dashboard stops offering deprecated ones."""
    spec = _cluster("c2", "1.34.10", "cniPlugin: {type: cilium, version: 1.18.2}\n")
    (found,) = [
        d for d in _new_cluster(make_repo, "v2.31.0", spec) if d.code == "cni.version.deprecated"
    ]
    assert found.severity == "warning"
    assert "CVE-2025-64715, CVE-2026-26963, CVE-2026-33726, CVE-2026-41520" in found.message


@pytest.mark.parametrize(
    ("kkp", "kubernetes", "version", "supported"),
    [
        ("v2.31.0", "1.34.10", "v3.21", "v3.29, v3.30, v3.31"),
        ("v2.26.13", "1.30.12", "v3.19", "v3.26, v3.27, v3.28"),
        ("v2.21.15", "1.22.17", "v3.19", "v3.20, v3.21, v3.22, v3.23"),
    ],
    ids=["v2.31-canal-v3.21", "v2.26-canal-v3.19", "v2.21-canal-v3.19"],
)
def test_a_new_cluster_on_a_deprecated_canal_version_is_accepted_with_a_warning_that_works(
    make_repo: Callable[..., Repo], kkp: str, kubernetes: str, version: str, supported: str
) -> None:
    spec = _cluster("c2", kubernetes, f"cniPlugin: {{type: canal, version: {version}}}\n")
    diagnostics = _new_cluster(make_repo, kkp, spec)
    assert _errors(diagnostics) == []
    (found,) = [d for d in diagnostics if d.code == "cni.version.deprecated"]
    assert (found.severity, found.field, found.location.line) == (
        "warning",
        "spec.cniPlugin.version",
        9,
    )
    assert found.message == (
        f"Canal {version!r} is deprecated (KKP {kkp} no longer offers it); KKP's webhook "
        "still accepts it for a new cluster"
    )
    assert found.hint == f"use one of {supported} for a new cluster"
    first = supported.split(", ")[0]
    fixed = spec.replace(f"version: {version}", f"version: {first}")
    assert [d for d in _new_cluster(make_repo, kkp, fixed) if d.code.startswith("cni.")] == []


def _upgrade(
    make_repo: Callable[..., Repo], kkp: tuple[str, str], base: str, head: str | None = None
) -> tuple[Diagnostic, ...]:
    repo = make_repo(
        base={"clusters/c1.yaml": base},
        head={"kubermatic.yaml": _config(kkp[1]), "clusters/c1.yaml": head or base},
        config=_config(kkp[0]),
    )
    try:
        return check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base")).diagnostics
    except KkpgenError as error:
        return error.diagnostics


def test_a_kkp_upgrade_refuses_a_kubernetes_version_the_new_release_drops(
    make_repo: Callable[..., Repo],
) -> None:
    spec = _cluster("c1", "1.32.13", "cniPlugin: {type: cilium, version: 1.18.10}\n")
    diagnostics = _upgrade(make_repo, ("v2.30.6", "v2.31.0"), spec)
    (found,) = [d for d in diagnostics if d.code.startswith("kkp.upgrade")]
    assert (found.code, found.field, found.location.line) == (
        "kkp.upgrade.kubernetes-version",
        "spec.version",
        6,
    )
    assert "cluster 'c1'" in found.message
    assert "KKP v2.30.6 -> v2.31.0" in found.message
    assert found.hint.startswith("first upgrade 'c1' under KKP v2.30.6")


def test_a_kkp_upgrade_to_v2_26_refuses_a_cluster_on_openvpn(
    make_repo: Callable[..., Repo],
) -> None:
    spec = _cluster("c1", "1.28.5", "cniPlugin: {type: canal, version: v3.26}\n")
    diagnostics = _upgrade(make_repo, ("v2.25.18", "v2.26.0"), spec)
    # konnectivityEnabled is not written: the error points at spec
    assert _found(diagnostics, "kkp.upgrade") == [
        ("kkp.upgrade.openvpn", "spec.clusterNetwork.konnectivityEnabled", 5)
    ]
    (found,) = [d for d in diagnostics if d.code == "kkp.upgrade.openvpn"]
    assert "cluster 'c1' still uses OpenVPN" in found.message
    assert "konnectivityEnabled: true" in found.hint


def test_a_kkp_upgrade_refuses_a_cni_version_the_new_release_drops(
    make_repo: Callable[..., Repo],
) -> None:
    spec = _cluster(
        "c1",
        "1.29.4",
        "cniPlugin: {type: canal, version: v3.20}\nclusterNetwork: {konnectivityEnabled: true}\n",
    )
    diagnostics = _upgrade(make_repo, ("v2.26.13", "v2.27.0"), spec)
    assert _found(diagnostics, "kkp.upgrade") == [
        ("kkp.upgrade.cni-version", "spec.cniPlugin.version", 9)
    ]
    (found,) = [d for d in diagnostics if d.code == "kkp.upgrade.cni-version"]
    assert "Canal v3.20, which KKP v2.27.0 no longer accepts" in found.message


def test_a_kkp_upgrade_of_a_ready_cluster_is_clean(make_repo: Callable[..., Repo]) -> None:
    spec = _cluster("c1", "1.34.10", "cniPlugin: {type: cilium, version: 1.18.10}\n")
    assert _errors(_upgrade(make_repo, ("v2.30.6", "v2.31.0"), spec)) == []


@pytest.mark.parametrize(
    ("kkp", "old", "new", "found"),
    [
        ("v2.31.0", "1.17.16", "1.18.10", []),
        (
            "v2.31.0",
            "1.17.16",
            "1.19.4",
            [("cni.version.upgrade-too-large", "spec.cniPlugin.version", 9)],
        ),
        ("v2.31.0", "1.18.8", "1.18.10", []),
        (
            "v2.22.13",
            "1.13.0",
            "1.13.4",
            [("cni.version.upgrade-too-large", "spec.cniPlugin.version", 9)],
        ),
    ],
    ids=["one-minor", "two-minors", "patch-within-a-minor", "v2.22-patch-needs-the-label"],
)
def test_cilium_moves_one_minor_at_a_time(
    make_repo: Callable[..., Repo], kkp: str, old: str, new: str, found: list[Found]
) -> None:
    def spec(cilium: str) -> str:
        return _cluster(
            "c1",
            "1.34.10" if kkp == "v2.31.0" else "1.24.17",
            f"cniPlugin: {{type: cilium, version: {cilium}}}\n",
        )

    diagnostics = _upgrade(make_repo, (kkp, kkp), spec(old), spec(new))
    assert _found(diagnostics, "cni.version.upgrade", "cni.version.downgrade") == found


@pytest.mark.parametrize(
    ("kkp", "spec", "cloud", "found"),
    [
        ("v2.27.12", "kyverno: {enabled: true}\n", "aws: {}", [("spec.kyverno", 9)]),
        ("v2.28.0", "kyverno: {enabled: true}\n", "aws: {}", []),
        ("v2.31.0", "", "packet: {}", [("spec.cloud.packet", 8)]),
        ("v2.28.13", "", "packet: {}", []),
        ("v2.20.9", "imagePullSecret: {name: pull}\n", "aws: {}", [("spec.imagePullSecret", 9)]),
        ("v2.20", "kubelb: {enabled: true}\n", "aws: {}", [("spec.kubelb", 9)]),
    ],
    ids=[
        "kyverno-before-v2.28",
        "kyverno-at-v2.28",
        "packet-gone-in-v2.29",
        "packet-at-v2.28",
        "image-pull-secret-before-v2.21",
        "minor-alone-is-its-.0-patch",
    ],
)
def test_a_field_the_release_crd_lacks_is_refused(
    tmp_path: Path, kkp: str, spec: str, cloud: str, found: list[tuple[str, int]]
) -> None:
    version = {"v2.27.12": "1.29.4", "v2.28.0": "1.29.4", "v2.28.13": "1.30.9"}.get(
        kkp, "1.34.10" if kkp == "v2.31.0" else "1.23.6"
    )
    diagnostics = _check(tmp_path, kkp, {"c1": _cluster("c1", version, spec, cloud=cloud)})
    assert [(field, line) for code, field, line in _found(diagnostics, "cluster.field")] == found


def test_a_top_level_address_is_refused_from_v2_22(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.34.10") + "address: {url: 'https://c1.example.com:6443'}\n"
    assert _found(_check(tmp_path, "v2.31.0", {"c1": spec}), "cluster.field") == [
        ("cluster.field.unsupported", "address", 9)
    ]


def test_status_address_url_is_the_apiserver_url_from_v2_22(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.34.10") + "status:\n  address: {url: 'https://c1.example.com:6443'}\n"
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(
        _config("v2.31.0").replace(
            '    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"\n', ""
        )
    )
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    (resolved,) = check_fleet(SourceOptions(repo=tmp_path)).resolved
    assert resolved.address.url == "https://c1.example.com:6443"
    assert resolved.address.written_at == ("status", "address", "url")


@pytest.mark.parametrize(
    ("kkp", "message"),
    [
        ("v2.31", "'v2.31' names the line v2.31, not a patch; kkpgen knows v2.31.0..v2.31.0"),
        (
            "v2.30.9",
            "KKP 'v2.30.9' is not a patch kkpgen has facts for; kkpgen knows v2.30.0..v2.30.6",
        ),
    ],
    ids=["bare-minor", "unknown-patch"],
)
def test_a_line_known_by_its_patches_needs_one_of_them(
    tmp_path: Path, kkp: str, message: str
) -> None:
    (diagnostic,) = _check(tmp_path, kkp, {"c1": _cluster("c1", "1.34.10")})
    assert (diagnostic.code, diagnostic.location.file, diagnostic.location.line) == (
        "kkp.version.unsupported",
        "kubermatic.yaml",
        6,
    )
    assert diagnostic.message == message
    newest = "v2.31.0" if kkp == "v2.31" else "v2.30.6"
    assert diagnostic.hint.startswith(f'use kkpgen/kkp-version: "{newest}"')


@pytest.mark.parametrize(
    ("expose", "found"),
    [
        ("Tunneling", []),
        (
            "NodePort",
            [("network.tunneling-agent-ip.unused", "spec.clusterNetwork.tunnelingAgentIP", 11)],
        ),
    ],
    ids=["tunneling", "nodeport"],
)
def test_a_tunneling_agent_ip_needs_the_tunneling_strategy(
    tmp_path: Path, expose: str, found: list[Found]
) -> None:
    spec = _cluster(
        "c1",
        "1.34.10",
        f"exposeStrategy: {expose}\nclusterNetwork:\n  tunnelingAgentIP: 100.64.30.20\n",
    )
    (tmp_path / "clusters").mkdir()
    gates = "KonnectivityService: true\n    TunnelingExposeStrategy: true"
    (tmp_path / "kubermatic.yaml").write_text(
        _config("v2.31.0").replace("KonnectivityService: true", gates)
    )
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    try:
        diagnostics = check_fleet(SourceOptions(repo=tmp_path)).diagnostics
    except KkpgenError as error:
        diagnostics = error.diagnostics
    assert _found(diagnostics, "network.tunneling") == found


def test_an_existing_cluster_without_cni_plugin_gets_the_release_default_where_canal_v3_8_is_gone(
    tmp_path: Path,
) -> None:
    (found,) = [
        d
        for d in _check(tmp_path, "v2.31.0", {"c1": _cluster("c1", "1.34.10")})
        if d.code == "cni.unspecified"
    ]
    assert "as Cilium 1.19.4 (the release's default)" in found.message
    assert found.hint.startswith('add under spec: cniPlugin: {type: cilium, version: "1.19.4"}')


@pytest.mark.parametrize(
    ("network", "found"),
    [
        ('pods: {cidrBlocks: ["10.0.0.0/24"]}\n', [("network.node-mask.too-short", 9)]),
        ('pods: {cidrBlocks: ["10.0.0.0/24"]}\nnodeCidrMaskSizeIPv4: 26\n', []),
        ('pods: {cidrBlocks: ["10.0.0.0/23"]}\n', []),
    ],
    ids=["default-mask-24-on-a-slash-24", "mask-26", "slash-23"],
)
def test_the_node_mask_size_is_longer_than_the_pods_prefix(
    tmp_path: Path, network: str, found: list[tuple[str, int]]
) -> None:
    spec = _cluster("c1", "1.34.10", "clusterNetwork:\n" + textwrap.indent(network, "  "))
    diagnostics = _check(tmp_path, "v2.31.0", {"c1": spec})
    assert [(code, line) for code, _, line in _found(diagnostics, "network.")] == found


def test_a_kkp_upgrade_refuses_a_default_the_new_release_changes_and_the_hint_works(
    make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    """KKP v2.30.6 gives Hetzner clusters on Kubernetes 1.35 nftables, v2.31.0 iptables; KKP
    stored nftables when it created the cluster and keeps it, so kkpgen must not render
    iptables. The hint pins the stored value under the old release; then the upgrade passes."""
    canal = "cniPlugin: {type: canal, version: v3.31}\n"
    spec = _cluster("c1", "1.35.7", canal, cloud="hetzner: {}")
    diagnostics = _upgrade(make_repo, ("v2.30.6", "v2.31.0"), spec)
    assert _found(diagnostics, "kkp.upgrade") == [
        ("kkp.upgrade.default-changed", "spec.clusterNetwork.proxyMode", 5)
    ]
    (found,) = [d for d in diagnostics if d.code == "kkp.upgrade.default-changed"]
    assert "changes from 'nftables' to 'iptables' (KKP v2.30.6 -> v2.31.0)" in found.message
    hint = "first set spec.clusterNetwork.proxyMode: 'nftables' in 'c1' under KKP v2.30.6"
    assert found.hint.startswith(hint)
    # the hint, followed: the value written under v2.30.6 changes nothing there ...
    pinned = _cluster(
        "c1", "1.35.7", canal + "clusterNetwork: {proxyMode: nftables}\n", "hetzner: {}"
    )
    assert _errors(_upgrade(make_repo, ("v2.30.6", "v2.30.6"), spec, pinned)) == []
    # ... and the upgrade that follows keeps nftables
    assert _errors(_upgrade(make_repo, ("v2.30.6", "v2.31.0"), pinned)) == []
    _check(tmp_path, "v2.31.0", {"c1": pinned})
    (resolved,) = check_fleet(SourceOptions(repo=tmp_path)).resolved
    assert resolved.network.proxy_mode == "nftables"


def test_a_kkp_upgrade_refuses_a_default_cni_version_the_new_release_changes(
    make_repo: Callable[..., Repo],
) -> None:
    """Canal without a version: v2.29.10's default is v3.30, v2.30.6's v3.31; KKP keeps the
    stored v3.30 (a CNI upgrade is the team's step, with its own disruption)."""
    spec = _cluster("c1", "1.33.5", "cniPlugin: {type: canal}\n")
    found = _found(_upgrade(make_repo, ("v2.29.10", "v2.30.6"), spec), "kkp.upgrade")
    assert found == [("kkp.upgrade.default-changed", "spec.cniPlugin.version", 9)]


def test_a_kkp_upgrade_fills_a_field_the_old_release_did_not_have(
    make_repo: Callable[..., Repo],
) -> None:
    """KKP v2.21 added the node mask sizes; its defaulting fills them on the next update."""
    spec = _cluster(
        "c1",
        "1.22.17",
        "cniPlugin: {type: canal, version: v3.22}\nclusterNetwork: {proxyMode: ipvs, "
        "pods: {cidrBlocks: [172.25.0.0/16]}, services: {cidrBlocks: [10.240.16.0/20]}}\n",
    )
    found = _found(_upgrade(make_repo, ("v2.20.16", "v2.21.0"), spec), "kkp.upgrade.default")
    assert found == []


def test_cilium_v1_12_is_refused_where_kkp_has_no_addon_for_it(tmp_path: Path) -> None:
    spec = _cluster("c1", "1.28.9", "cniPlugin: {type: cilium, version: v1.12}\n")
    diagnostics = _check(tmp_path, "v2.26.0", {"c1": spec})
    assert _errors(diagnostics) == [("cni.cilium.addon-removed", "spec.cniPlugin.version", 9)]
    (refused,) = [d for d in diagnostics if d.code == "cni.cilium.addon-removed"]
    assert refused.message == (
        "KKP v2.26.0 has no addon for Cilium v1.12: it removed the legacy cilium and hubble "
        "addons, so it would apply no CNI to this cluster"
    )
    assert refused.hint == (
        'set cniPlugin.version: "1.13.14" (KKP installs Cilium 1.13 and newer as a Helm chart '
        "and deletes the legacy Addons), or keep kkpgen/kkp-version at a KKP v2.25 patch until "
        "then"
    )


@pytest.mark.parametrize(
    ("kkp", "cilium"),
    [("v2.26.0", "1.13.14"), ("v2.25.18", "v1.12"), ("v2.25.18", "v1.11")],
    ids=["the-hint-applied", "v1.12-with-the-addon", "v1.11-with-the-addon"],
)
def test_cilium_with_an_addon_or_a_helm_chart_is_not_refused(
    tmp_path: Path, kkp: str, cilium: str
) -> None:
    spec = _cluster("c1", "1.28.9", f"cniPlugin: {{type: cilium, version: {cilium}}}\n")
    assert _found(_check(tmp_path, kkp, {"c1": spec}), "cni.cilium.addon") == []
