"""One-state rules: each seed rule reports its code, field and line (checked via check_fleet)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from kkpgen.diagnostics import Diagnostic, KkpgenError, format_diagnostic
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from tests.conftest import Repo

Found = tuple[str, str, int | None]  # code, field, line


def _config(
    *, kkp: str = "v2.20", gate: str = "true", addons: str = "[hubble]", url: bool = True
) -> str:
    pattern = '    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"\n' if url else ""
    return (
        "apiVersion: kubermatic.k8c.io/v1\n"
        "kind: KubermaticConfiguration\n"
        "metadata:\n"
        "  name: kubermatic\n"
        "  annotations:\n"
        f'    kkpgen/kkp-version: "{kkp}"\n'
        f"{pattern}"
        "spec:\n"
        f"  featureGates: {{KonnectivityService: {gate}}}\n"
        f"  api: {{accessibleAddons: {addons}}}\n"
    )


def _check(
    root: Path, files: Mapping[str, str], *, config: str | None = None
) -> tuple[Diagnostic, ...]:
    """Write a work tree (kubermatic.yaml + files) and return every diagnostic check_fleet finds."""
    for name, text in {"kubermatic.yaml": config or _config(), **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    try:
        return check_fleet(SourceOptions(repo=root)).diagnostics
    except KkpgenError as error:
        return error.diagnostics


def _found(diagnostics: tuple[Diagnostic, ...], *prefixes: str) -> list[Found]:
    return [(d.code, d.field, d.location.line) for d in diagnostics if d.code.startswith(prefixes)]


def _cluster(tmp_path: Path, text: str, config: str | None = None) -> tuple[Diagnostic, ...]:
    return _check(tmp_path, {"clusters/c1.yaml": text}, config=config)


def _only(diagnostics: tuple[Diagnostic, ...], code: str) -> Diagnostic:
    (match,) = [d for d in diagnostics if d.code == code]
    return match


def _assert_valid(diagnostics: tuple[Diagnostic, ...]) -> None:
    assert [format_diagnostic(d) for d in diagnostics if d.severity == "error"] == []


UNKNOWN_FIELD = """\
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata:
      name: c1
    spec:
      version: "1.23.6"
      cloud: {aws: {}}
      cniPlugin:
        type: canal
        verison: v3.22
    """


@pytest.mark.parametrize(
    ("text", "found", "hint"),
    [
        (
            UNKNOWN_FIELD,
            ("schema.extra-forbidden", "spec.cniPlugin.verison", 10),
            "did you mean 'version'?",
        ),
        (
            """\
            apiVersion: kubermatic.k8c.io/v1
            kind: Cluster
            metadata:
              name: c1
            spec:
              version: "1.23.6"
              cloud: {aws: {}}
              clusterNetwork:
                proxyMod: iptables
            """,
            ("schema.extra-forbidden", "spec.clusterNetwork.proxyMod", 9),
            "did you mean 'proxyMode'?",
        ),
        (
            """\
            apiVersion: kubermatic.k8c.io/v1
            kind: Cluster
            metadata:
              name: c1
            spec:
              version: "1.23.6"
              cloud: {aws: {}}
              flavour: large
            """,
            ("schema.extra-forbidden", "spec.flavour", 8),
            "remove the field; KKP does not know it",
        ),
    ],
    ids=["cni-plugin-typo", "cluster-network-typo", "no-close-match"],
)
def test_unknown_field_is_an_error_with_a_did_you_mean_hint(
    tmp_path: Path, text: str, found: Found, hint: str
) -> None:
    diagnostics = _cluster(tmp_path, text)
    assert _found(diagnostics, "schema.") == [found]
    assert diagnostics[0].hint == hint


def test_unknown_field_message_is_formatted_like_a_compiler(tmp_path: Path) -> None:
    (diagnostic,) = _cluster(tmp_path, UNKNOWN_FIELD)
    assert format_diagnostic(diagnostic) == (
        "clusters/c1.yaml:10:5: error[schema.extra-forbidden]: spec.cniPlugin.verison: "
        "unknown field 'verison'\n"
        "  hint: did you mean 'version'?"
    )


@pytest.mark.parametrize(
    ("network", "found", "hint"),
    [
        (
            'konnectivityEnabled: "yes"',
            ("schema.bool-type", "spec.clusterNetwork.konnectivityEnabled", 9),
            "use true or false without quotes",
        ),
        (
            'nodeLocalDNSCacheEnabled: "true"',
            ("schema.bool-type", "spec.clusterNetwork.nodeLocalDNSCacheEnabled", 9),
            "use true or false without quotes",
        ),
        (
            "proxyMode: userspace",
            ("schema.literal-error", "spec.clusterNetwork.proxyMode", 9),
            "use one of: 'ipvs', 'iptables', 'ebpf' or 'nftables'",
        ),
        (
            "pods: {cidrBlocks: 10.0.0.0/8}",
            ("schema.tuple-type", "spec.clusterNetwork.pods.cidrBlocks", 9),
            "fix the value's type",
        ),
    ],
    ids=["quoted-bool", "quoted-true", "unknown-proxy-mode", "string-instead-of-list"],
)
def test_wrong_type_is_an_error_at_the_field(
    tmp_path: Path, network: str, found: Found, hint: str
) -> None:
    diagnostics = _cluster(
        tmp_path,
        f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {{aws: {{}}}}
          clusterNetwork:
            {network}
        """,
    )
    assert _found(diagnostics, "schema.") == [found]
    assert diagnostics[0].hint == hint


@pytest.mark.parametrize(
    ("version", "found"),
    [
        ("1.30", [("schema.string-type", "spec.version", 6)]),
        ("1.23", [("schema.string-type", "spec.version", 6)]),
        ('"1.23"', [("cluster.version.invalid", "spec.version", 6)]),
        ('"latest"', [("cluster.version.invalid", "spec.version", 6)]),
        ("1.23.6", []),
        ('"v1.23.6"', []),
    ],
    ids=[
        "unquoted-1.30",
        "unquoted-1.23",
        "quoted-minor-only",
        "not-a-version",
        "unquoted-full-version",
        "v-prefixed",
    ],
)
def test_kubernetes_version_must_be_a_quoted_full_version(
    tmp_path: Path, version: str, found: list[Found]
) -> None:
    diagnostics = _cluster(
        tmp_path,
        f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: {version}
          cloud: {{aws: {{}}}}
        """,
    )
    assert _found(diagnostics, "schema.", "cluster.version") == found


def test_unquoted_version_hint_says_to_quote_it(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: 1.30
          cloud: {aws: {}}
        """,
    )
    diagnostic = _only(diagnostics, "schema.string-type")
    assert format_diagnostic(diagnostic).startswith(
        "clusters/c1.yaml:6:3: error[schema.string-type]: spec.version: "
        "Input should be a valid string (got 1.3)\n"
        "  hint: quote the value"
    )
    assert "YAML reads 1.30 as the number 1.3" in diagnostic.hint


@pytest.mark.parametrize(
    ("kkp", "plugin", "found"),
    [
        (
            "v2.20",
            "{type: canal, version: v3.23}",
            [("cni.version.unsupported", "spec.cniPlugin.version", 8)],
        ),
        (
            "v2.20",
            "{type: cilium, version: v1.10}",
            [("cni.version.unsupported", "spec.cniPlugin.version", 8)],
        ),
        (
            "v2.18",
            "{type: canal, version: v3.20}",
            [("cni.version.unsupported", "spec.cniPlugin.version", 8)],
        ),
        (
            "v2.17",
            "{type: canal, version: v3.19}",
            [("cni.version.unsupported", "spec.cniPlugin.version", 8)],
        ),
        (
            "v2.18",
            "{type: cilium, version: v1.11}",
            [("cni.type.unsupported", "spec.cniPlugin.type", 8)],
        ),
        ("v2.18", "{type: cilium}", [("cni.type.unsupported", "spec.cniPlugin.type", 8)]),
        ("v2.20", "{type: canal, version: v3.19}", []),
        ("v2.19", "{type: cilium, version: v1.11}", []),
        ("v2.18", "{type: canal, version: v3.19}", []),
        ("v2.17", "{type: canal, version: v3.8}", []),
    ],
    ids=[
        "canal-3.23-on-2.20",
        "cilium-1.10-on-2.20",
        "canal-3.20-on-2.18",
        "canal-3.19-on-2.17",
        "cilium-on-2.18",
        "cilium-default-on-2.18",
        "canal-3.19-on-2.20",
        "cilium-on-2.19",
        "canal-3.19-on-2.18",
        "canal-3.8-on-2.17",
    ],
)
def test_cni_version_must_be_supported_by_the_kkp_version(
    tmp_path: Path, kkp: str, plugin: str, found: list[Found]
) -> None:
    diagnostics = _cluster(
        tmp_path,
        f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.21.8"
          cloud: {{aws: {{}}}}
          cniPlugin: {plugin}
        """,
        _config(kkp=kkp),
    )
    assert _found(diagnostics, "cni.type", "cni.version") == found


def test_unsupported_cni_version_message_lists_the_supported_ones(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.22.9"
          cloud: {aws: {}}
          cniPlugin:
            type: canal
            version: v3.23
        """,
    )
    assert format_diagnostic(_only(diagnostics, "cni.version.unsupported")) == (
        "clusters/c1.yaml:10:5: error[cni.version.unsupported]: spec.cniPlugin.version: "
        "Canal 'v3.23' is not supported by KKP v2.20\n"
        "  hint: use one of v3.19, v3.20, v3.21, v3.22, or remove the field to get the "
        "default v3.22"
    )


def test_cilium_on_kkp_2_18_names_the_cni_types_it_supports(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.21.8"
          cloud: {aws: {}}
          cniPlugin: {type: cilium, version: v1.11}
        """,
        _config(kkp="v2.18"),
    )
    assert format_diagnostic(_only(diagnostics, "cni.type.unsupported")) == (
        "clusters/c1.yaml:8:15: error[cni.type.unsupported]: spec.cniPlugin.type: "
        "CNI 'cilium' is not supported by KKP v2.18\n"
        "  hint: use one of: canal, none"
    )


DEPRECATED = """\
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata:
      name: c1
    spec:
      version: "1.21.8"
      cloud: {aws: {}}
      cniPlugin:
        type: canal
        version: v3.8
    """
V38_REASON = (
    "uses v1beta1 CRDs that Kubernetes 1.22 removed; KKP upgrades it with the Kubernetes upgrade"
)


def test_deprecated_cni_version_is_an_error_for_a_new_cluster(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo(base={}, head={"clusters/c1.yaml": DEPRECATED})
    with pytest.raises(KkpgenError) as caught:
        check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.field, diagnostic.location.line) == (
        "cni.version.deprecated",
        "spec.cniPlugin.version",
        10,
    )
    assert format_diagnostic(diagnostic) == (
        "clusters/c1.yaml:10:5: error[cni.version.deprecated]: spec.cniPlugin.version: "
        f"Canal 'v3.8' is deprecated and cannot be used for new clusters ({V38_REASON})\n"
        "  hint: use one of v3.19, v3.20, v3.21, v3.22"
    )
    assert diagnostic.location.ref == "HEAD"


def test_deprecated_cni_version_is_a_warning_for_an_existing_cluster(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": DEPRECATED}, head={})
    checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    (diagnostic,) = checked.diagnostics
    assert (diagnostic.code, diagnostic.field, diagnostic.location.line) == (
        "cni.version.deprecated",
        "spec.cniPlugin.version",
        10,
    )
    assert format_diagnostic(diagnostic) == (
        "clusters/c1.yaml:10:5: warning[cni.version.deprecated]: spec.cniPlugin.version: "
        f"Canal 'v3.8' is deprecated ({V38_REASON})\n"
        "  hint: upgrade to v3.22 soon; any higher version is allowed from a deprecated one"
    )


def test_without_base_every_cluster_counts_as_existing(tmp_path: Path) -> None:
    diagnostics = _check(tmp_path, {"clusters/c1.yaml": DEPRECATED})
    assert [(d.code, d.severity) for d in diagnostics] == [("cni.version.deprecated", "warning")]


def test_forced_cni_upgrade_is_a_warning_at_the_version(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {aws: {}}
          cniPlugin: {type: canal, version: v3.20}
        """,
    )
    assert format_diagnostic(_only(diagnostics, "cni.version.forced-upgrade")) == (
        "clusters/c1.yaml:8:28: warning[cni.version.forced-upgrade]: spec.cniPlugin.version: "
        "KKP upgrades Canal v3.20 to v3.22 with Kubernetes 1.23.6; kkpgen renders v3.22\n"
        '  hint: set spec.cniPlugin.version: "v3.22" so the spec says what runs'
    )


def _network_cluster(plugin: str, network: str) -> str:
    """A cluster whose cniPlugin is on line 8 and whose clusterNetwork items start on line 10."""
    return textwrap.dedent("""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {{aws: {{}}}}
          cniPlugin: {plugin}
          clusterNetwork:
        {network}""").format(
        plugin=plugin, network=textwrap.indent(textwrap.dedent(network), "    ")
    )


EBPF = "network.proxy-mode.ebpf-requires-cilium"
EBPF_KONN = "network.proxy-mode.ebpf-requires-konnectivity"


@pytest.mark.parametrize(
    ("plugin", "network", "found"),
    [
        (
            "{type: canal}",
            "proxyMode: ebpf\nkonnectivityEnabled: true\n",
            [(EBPF, "spec.clusterNetwork.proxyMode", 10)],
        ),
        (
            "{type: none}",
            "konnectivityEnabled: true\nproxyMode: ebpf\n",
            [(EBPF, "spec.clusterNetwork.proxyMode", 11)],
        ),
        (
            "{type: canal}",
            "proxyMode: ebpf\n",
            [
                (EBPF, "spec.clusterNetwork.proxyMode", 10),
                (EBPF_KONN, "spec.clusterNetwork.proxyMode", 10),
            ],
        ),
        ("{type: cilium}", "proxyMode: ebpf\nkonnectivityEnabled: true\n", []),
        ("{type: canal}", "proxyMode: iptables\n", []),
    ],
    ids=["canal", "none", "canal-without-konnectivity", "cilium", "canal-iptables"],
)
def test_ebpf_proxy_mode_requires_cilium(
    tmp_path: Path, plugin: str, network: str, found: list[Found]
) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster(plugin, network))
    assert _found(diagnostics, "network.proxy-mode") == found


@pytest.mark.parametrize(
    ("network", "found"),
    [
        ("proxyMode: ebpf\n", [(EBPF_KONN, "spec.clusterNetwork.proxyMode", 10)]),
        (
            "proxyMode: ebpf\nkonnectivityEnabled: false\n",
            [(EBPF_KONN, "spec.clusterNetwork.proxyMode", 10)],
        ),
        ("proxyMode: ebpf\nkonnectivityEnabled: true\n", []),
    ],
    ids=["konnectivity-default", "konnectivity-false", "konnectivity-true"],
)
def test_ebpf_proxy_mode_requires_konnectivity(
    tmp_path: Path, network: str, found: list[Found]
) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster("{type: cilium, version: v1.11}", network))
    assert _found(diagnostics, "network.proxy-mode") == found


def test_ebpf_messages_name_the_way_out(tmp_path: Path) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster("{type: canal}", "proxyMode: ebpf\n"))
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:10:5: error[network.proxy-mode.ebpf-requires-cilium]: "
        "spec.clusterNetwork.proxyMode: ebpf proxy mode is valid only for Cilium CNI, not 'canal'\n"
        "  hint: use proxyMode ipvs or iptables, or the cilium CNI",
        "clusters/c1.yaml:10:5: error[network.proxy-mode.ebpf-requires-konnectivity]: "
        "spec.clusterNetwork.proxyMode: ebpf proxy mode can be used only when Konnectivity is "
        "enabled\n"
        "  hint: set spec.clusterNetwork.konnectivityEnabled: true, or use ipvs/iptables",
    ]


KONN_GATE = "network.konnectivity.feature-gate"


@pytest.mark.parametrize(
    ("gate", "network", "found"),
    [
        (
            "false",
            "konnectivityEnabled: true\n",
            [(KONN_GATE, "spec.clusterNetwork.konnectivityEnabled", 10)],
        ),
        (
            "{}",
            "proxyMode: iptables\nkonnectivityEnabled: true\n",
            [(KONN_GATE, "spec.clusterNetwork.konnectivityEnabled", 11)],
        ),
        ("true", "konnectivityEnabled: true\n", []),
        ("false", "konnectivityEnabled: false\n", []),
    ],
    ids=["gate-off", "gate-missing", "gate-on", "konnectivity-off"],
)
def test_konnectivity_requires_the_konnectivity_service_feature_gate(
    tmp_path: Path, gate: str, network: str, found: list[Found]
) -> None:
    config = _config(gate=gate)
    if gate == "{}":
        config = config.replace("  featureGates: {KonnectivityService: {}}\n", "")
    diagnostics = _check(
        tmp_path, {"clusters/c1.yaml": _network_cluster("{type: canal}", network)}, config=config
    )
    assert _found(diagnostics, "network.konnectivity") == found


def test_konnectivity_gate_message_points_at_kubermatic_yaml(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        _network_cluster("{type: canal}", "konnectivityEnabled: true\n"),
        _config(gate="false"),
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:10:5: error[network.konnectivity.feature-gate]: "
        "spec.clusterNetwork.konnectivityEnabled: Konnectivity is enabled but the "
        "KonnectivityService feature gate is not\n"
        "  hint: set spec.featureGates.KonnectivityService: true in kubermatic.yaml, or "
        "konnectivityEnabled: false to keep OpenVPN"
    ]


CIDR_INVALID = "network.cidr.invalid"


@pytest.mark.parametrize(
    ("network", "found"),
    [
        (
            "pods: {cidrBlocks: [172.25.0.0]}",
            [(CIDR_INVALID, "spec.clusterNetwork.pods.cidrBlocks[0]", 10)],
        ),
        (
            "pods:\n  cidrBlocks:\n  - 172.25.0.1/16\n",
            [(CIDR_INVALID, "spec.clusterNetwork.pods.cidrBlocks[0]", 12)],
        ),
        (
            "services: {cidrBlocks: [nonsense]}",
            [(CIDR_INVALID, "spec.clusterNetwork.services.cidrBlocks[0]", 10)],
        ),
        (
            "services: {cidrBlocks: [300.1.0.0/16]}",
            [(CIDR_INVALID, "spec.clusterNetwork.services.cidrBlocks[0]", 10)],
        ),
        ("pods: {cidrBlocks: [10.10.0.0/16]}\nservices: {cidrBlocks: [10.20.0.0/20]}", []),
    ],
    ids=["no-prefix-length", "host-bits-set", "not-an-address", "octet-out-of-range", "valid"],
)
def test_cidr_blocks_must_be_valid_networks(
    tmp_path: Path, network: str, found: list[Found]
) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster("{type: canal}", network))
    assert _found(diagnostics, "network.cidr") == found


def test_invalid_cidr_message_names_the_network(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path, _network_cluster("{type: canal}", "pods: {cidrBlocks: [172.25.0.1/16]}")
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:10:25: error[network.cidr.invalid]: "
        "spec.clusterNetwork.pods.cidrBlocks[0]: "
        "pods CIDR '172.25.0.1/16': host bits set; the network is 172.25.0.0/16\n"
        "  hint: write an IPv4 network such as 172.25.0.0/16"
    ]


TOO_MANY = "network.cidr.too-many"


@pytest.mark.parametrize(
    ("network", "found"),
    [
        (
            "pods:\n  cidrBlocks:\n  - 172.25.0.0/16\n  - 172.26.0.0/16\n",
            [(TOO_MANY, "spec.clusterNetwork.pods.cidrBlocks", 11)],
        ),
        (
            "services: {cidrBlocks: [10.240.16.0/20, 10.241.0.0/20]}",
            [(TOO_MANY, "spec.clusterNetwork.services.cidrBlocks", 10)],
        ),
        ("pods: {cidrBlocks: [172.25.0.0/16]}", []),
    ],
    ids=["two-pods-blocks", "two-services-blocks", "one-block"],
)
def test_two_cidr_blocks_are_refused(tmp_path: Path, network: str, found: list[Found]) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster("{type: canal}", network))
    assert _found(diagnostics, "network.cidr") == found
    if found:
        assert format_diagnostic(diagnostics[0]).endswith(
            "CIDR blocks given; KKP uses exactly one\n  hint: keep a single CIDR block"
        )


OVERLAP = "network.cidr.overlap"


@pytest.mark.parametrize(
    ("network", "found"),
    [
        (
            "services: {cidrBlocks: [172.25.128.0/20]}",
            [(OVERLAP, "spec.clusterNetwork.services.cidrBlocks", 10)],
        ),
        (
            "pods: {cidrBlocks: [10.240.0.0/12]}",
            [(OVERLAP, "spec.clusterNetwork.services.cidrBlocks", 9)],
        ),
        (
            "pods: {cidrBlocks: [10.0.0.0/8]}\nservices: {cidrBlocks: [10.96.0.0/12]}",
            [(OVERLAP, "spec.clusterNetwork.services.cidrBlocks", 11)],
        ),
        ("pods: {cidrBlocks: [10.0.0.0/16]}\nservices: {cidrBlocks: [10.1.0.0/16]}", []),
        ("pods: {cidrBlocks: [10.0.0.0/8]}\nservices: {cidrBlocks: [bad]}", []),
    ],
    ids=[
        "services-inside-default-pods",
        "pods-around-default-services",
        "both-written",
        "disjoint",
        "invalid-cidr-reported-elsewhere",
    ],
)
def test_pods_and_services_cidrs_must_not_overlap(
    tmp_path: Path, network: str, found: list[Found]
) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster("{type: canal}", network))
    assert _found(diagnostics, OVERLAP) == found


def test_overlap_message_names_both_ranges(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path, _network_cluster("{type: canal}", "services: {cidrBlocks: [172.25.128.0/20]}")
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:10:16: error[network.cidr.overlap]: "
        "spec.clusterNetwork.services.cidrBlocks: "
        "services CIDR 172.25.128.0/20 overlaps pods CIDR 172.25.0.0/16\n"
        "  hint: choose disjoint ranges, e.g. pods 172.25.0.0/16 and services 10.240.16.0/20"
    ]


DNS_FIELD = "spec.clusterNetwork.dnsDomain"


@pytest.mark.parametrize(
    ("domain", "found"),
    [
        ("Cluster_Local", [("network.dns-domain.invalid", DNS_FIELD, 10)]),
        ("cluster.local.", [("network.dns-domain.invalid", DNS_FIELD, 10)]),
        ("-cluster.local", [("network.dns-domain.invalid", DNS_FIELD, 10)]),
        ("example.org", [("network.dns-domain.unsupported", DNS_FIELD, 10)]),
        ("cluster.local", []),
    ],
    ids=[
        "uppercase-and-underscore",
        "trailing-dot",
        "leading-dash",
        "valid-not-cluster-local",
        "cluster-local",
    ],
)
def test_dns_domain_must_be_cluster_local(tmp_path: Path, domain: str, found: list[Found]) -> None:
    diagnostics = _cluster(tmp_path, _network_cluster("{type: canal}", f"dnsDomain: {domain}\n"))
    assert _found(diagnostics, "network.dns-domain") == found


def test_dns_domain_messages(tmp_path: Path) -> None:
    invalid = _cluster(
        tmp_path / "a", _network_cluster("{type: canal}", "dnsDomain: Cluster_Local\n")
    )
    other = _cluster(tmp_path / "b", _network_cluster("{type: canal}", "dnsDomain: example.org\n"))
    assert [format_diagnostic(d) for d in invalid + other] == [
        "clusters/c1.yaml:10:5: error[network.dns-domain.invalid]: spec.clusterNetwork.dnsDomain: "
        "dnsDomain 'Cluster_Local' is not a valid DNS name\n"
        "  hint: use lowercase labels separated by dots, e.g. cluster.local",
        "clusters/c1.yaml:10:5: error[network.dns-domain.unsupported]: "
        "spec.clusterNetwork.dnsDomain: "
        "dnsDomain 'example.org' is not accepted by KKP v2.20\n"
        "  hint: use cluster.local or remove the field",
    ]


HUBBLE_DOC = """\
    ---
    apiVersion: kubermatic.k8c.io/v1
    kind: Addon
    metadata:
      name: hubble
      namespace: cluster-c1
    spec:
      name: hubble
      cluster:
        name: {cluster}
    """


def _with_hubble(plugin: str, cluster: str = "c1") -> str:
    """A cluster (lines 1-8) followed by a hubble Addon whose spec.name is on line 16."""
    return textwrap.dedent(f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {{aws: {{}}}}
          cniPlugin: {plugin}
        """) + textwrap.dedent(HUBBLE_DOC).format(cluster=cluster)


@pytest.mark.parametrize(
    ("plugin", "found"),
    [
        ("{type: canal}", [("addon.hubble.requires-cilium", "spec.name", 16)]),
        ("{type: none}", [("addon.hubble.requires-cilium", "spec.name", 16)]),
        ("{type: cilium}", []),
    ],
    ids=["canal", "none", "cilium"],
)
def test_hubble_addon_requires_cilium(tmp_path: Path, plugin: str, found: list[Found]) -> None:
    diagnostics = _cluster(tmp_path, _with_hubble(plugin))
    assert _found(diagnostics, "addon.hubble") == found


def test_hubble_addon_in_its_own_file_is_located_there(tmp_path: Path) -> None:
    files = {
        "clusters/c1.yaml": _with_hubble("{type: canal}").split("---\n")[0],
        "clusters/c1-hubble.yaml": textwrap.dedent(HUBBLE_DOC).format(cluster="c1"),
    }
    diagnostics = _check(tmp_path, files)
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1-hubble.yaml:8:3: error[addon.hubble.requires-cilium]: spec.name: "
        "the hubble addon needs Cilium CNI; cluster 'c1' runs 'canal'\n"
        "  hint: remove the Addon, or use the cilium CNI"
    ]
    assert diagnostics[0].cluster == "c1"


@pytest.mark.parametrize(
    ("addons", "found"),
    [
        # KKP fills an empty list with DefaultAccessibleAddons, which include hubble.
        ("[]", []),
        ("[cluster-autoscaler]", [("addon.hubble.not-accessible", "spec.name", 16)]),
        ("[hubble]", []),
    ],
    ids=["empty-list-means-kkp-defaults-with-hubble", "other-addons-only", "hubble-accessible"],
)
def test_hubble_addon_must_be_an_accessible_addon(
    tmp_path: Path, addons: str, found: list[Found]
) -> None:
    diagnostics = _cluster(tmp_path, _with_hubble("{type: cilium}"), _config(addons=addons))
    assert _found(diagnostics, "addon.hubble") == found
    if found:
        assert format_diagnostic(diagnostics[0]) == (
            "clusters/c1.yaml:16:3: error[addon.hubble.not-accessible]: spec.name: "
            "the hubble addon is not an accessible addon of this KKP installation\n"
            "  hint: add hubble to spec.api.accessibleAddons in kubermatic.yaml"
        )


def test_addon_naming_an_unknown_cluster_is_an_error(tmp_path: Path) -> None:
    diagnostics = _cluster(tmp_path, _with_hubble("{type: cilium}", cluster="c2"))
    assert _found(diagnostics, "addon.") == [("addon.cluster.unknown", "spec.cluster.name", 18)]
    assert format_diagnostic(diagnostics[0]) == (
        "clusters/c1.yaml:18:5: error[addon.cluster.unknown]: spec.cluster.name: "
        "addon 'hubble' names unknown cluster 'c2'\n"
        "  hint: use one of the clusters defined: c1"
    )


def test_duplicate_cluster_names_across_files_are_an_error(tmp_path: Path) -> None:
    cluster = """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {aws: {}}
        """
    diagnostics = _check(tmp_path, {"clusters/a.yaml": cluster, "clusters/b/c1.yaml": cluster})
    assert _found(diagnostics, "cluster.") == [("cluster.name.duplicate", "metadata.name", 4)]
    assert format_diagnostic(diagnostics[0]) == (
        "clusters/b/c1.yaml:4:3: error[cluster.name.duplicate]: metadata.name: "
        "cluster 'c1' is already defined in clusters/a.yaml\n"
        "  hint: give each cluster its own name; one file per cluster"
    )


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Prod", False),
        ("prod_eu", False),
        ("-prod", False),
        ("prod-", False),
        ("a" * 64, False),
        ("'1.2'", False),
        ("prod-eu-1", True),
        ("a" * 55, True),  # the longest whose seed namespace cluster-<name> is a label
        ("1", True),
    ],
    ids=[
        "uppercase",
        "underscore",
        "leading-dash",
        "trailing-dash",
        "64-chars",
        "dots",
        "dashes",
        "55-chars",
        "digit",
    ],
)
def test_cluster_name_must_be_a_dns_1123_label(tmp_path: Path, name: str, valid: bool) -> None:
    diagnostics = _cluster(
        tmp_path,
        f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: {name}
        spec:
          version: "1.23.6"
          cloud: {{aws: {{}}}}
        """,
    )
    assert _found(diagnostics, "cluster.") == (
        [] if valid else [("cluster.name.invalid", "metadata.name", 4)]
    )


def test_bad_cluster_name_message_gives_an_example(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: Prod_EU
        spec:
          version: "1.23.6"
          cloud: {aws: {}}
        """,
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:4:3: error[cluster.name.invalid]: metadata.name: "
        "cluster name 'Prod_EU' is not a DNS-1123 label\n"
        "  hint: use lowercase letters, digits and '-', at most 63 characters, e.g. 'prod-eu-1'"
    ]


@pytest.mark.parametrize(
    ("address", "url", "found"),
    [
        ("", False, [("cluster.address.missing", "address.url", 1)]),
        ("address: {port: 6443}\n", False, [("cluster.address.missing", "address.url", 8)]),
        (
            "address:\n  url: http://c1.example.com:6443\n",
            False,
            [("cluster.address.invalid", "address.url", 9)],
        ),
        ("address:\n  url: https://:6443\n", True, [("cluster.address.invalid", "address.url", 9)]),
        ("address:\n  url: https://c1.example.com:6443\n", False, []),
        ("", True, []),
    ],
    ids=[
        "no-address-no-pattern",
        "address-without-url",
        "http-url",
        "no-host",
        "address-url",
        "pattern",
    ],
)
def test_apiserver_address_must_be_known(
    tmp_path: Path, address: str, url: bool, found: list[Found]
) -> None:
    text = (
        textwrap.dedent("""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {aws: {}}
        """)
        + address
    )
    diagnostics = _cluster(tmp_path, text, _config(url=url))
    assert _found(diagnostics, "cluster.address") == found


def test_missing_apiserver_address_message_names_both_ways_out(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {aws: {}}
          cniPlugin: {type: canal, version: v3.22}
        """,
        _config(url=False),
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:1:1: error[cluster.address.missing]: address.url: "
        "the apiserver address of the cluster is not known\n"
        "  hint: set address.url (as KKP shows it, e.g. https://<name>.<seed-domain>:6443), "
        "or the kkpgen/apiserver-url annotation in kubermatic.yaml"
    ]


def test_none_cni_gives_a_notice_and_no_error(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "1.23.6"
          cloud: {aws: {}}
          cniPlugin:
            type: none
        """,
    )
    _assert_valid(diagnostics)
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:9:5: notice[cni.none]: spec.cniPlugin.type: CNI 'none': kkpgen "
        "renders no CNI and the cluster will not work until the admin installs one\n"
        "  hint: install a CNI yourself (Helm or a custom addon)"
    ]


def test_a_valid_cluster_has_no_diagnostics(tmp_path: Path) -> None:
    diagnostics = _cluster(
        tmp_path,
        _with_hubble("{type: cilium, version: v1.11}").replace(
            "  cniPlugin: {type: cilium, version: v1.11}\n",
            "  cniPlugin: {type: cilium, version: v1.11}\n"
            "  clusterNetwork: {proxyMode: ebpf, konnectivityEnabled: true}\n",
        ),
    )
    assert diagnostics == ()


@pytest.mark.parametrize(
    ("kubernetes", "message", "hint_version"),
    [
        (
            "1.23.6",
            "KKP treats this existing cluster as Canal v3.8 and upgrades it to v3.22 with "
            "Kubernetes 1.23.6; kkpgen renders Canal v3.22",
            "v3.22",
        ),
        (
            "1.21.8",
            "KKP treats this existing cluster as Canal v3.8 (deprecated); kkpgen renders "
            "Canal v3.8",
            "v3.8",
        ),
    ],
    ids=["forced-to-latest", "kept-at-3.8"],
)
def test_an_existing_cluster_without_cni_plugin_warns_with_the_yaml_to_write(
    tmp_path: Path, kubernetes: str, message: str, hint_version: str
) -> None:
    diagnostics = _cluster(
        tmp_path,
        f"""\
        apiVersion: kubermatic.k8c.io/v1
        kind: Cluster
        metadata:
          name: c1
        spec:
          version: "{kubernetes}"
          cloud: {{aws: {{}}}}
        """,
        _config(),
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:5:1: warning[cni.unspecified]: spec: spec.cniPlugin is not set: "
        + message
        + "\n  hint: add under spec: cniPlugin: {type: canal, version: "
        + f'"{hint_version}"'
        + "} (a new cluster without it would get the release default instead)"
    ]


NODE_ACCESS_CLUSTER = """\
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata: {name: c1}
    spec:
      version: "1.22.5"
      cloud: {aws: {}}
      clusterNetwork: {konnectivityEnabled: false}
    ---
    apiVersion: kubermatic.k8c.io/v1
    kind: Addon
    metadata: {name: openvpn, namespace: cluster-c1}
    spec:
      name: openvpn
      cluster: {name: c1}
      variables: {nodeAccessNetwork: 10.99.0.0/16}
    """


def test_an_addon_node_access_network_points_at_the_one_platform_setting(tmp_path: Path) -> None:
    diagnostic = _only(_cluster(tmp_path, NODE_ACCESS_CLUSTER), "addon.variables.unknown")
    assert diagnostic.field == "spec.variables.nodeAccessNetwork"
    assert diagnostic.location.line == 15
    assert "annotation kkpgen/node-access-network in kubermatic.yaml" in diagnostic.hint


@pytest.mark.parametrize("value", ["10.254.0.0", "10.254.0.0/33", "fd00::/64", "10.254.0.0/16\n"])
def test_a_node_access_network_that_is_not_an_ipv4_cidr_is_refused(
    tmp_path: Path, value: str
) -> None:
    config = _config().replace(
        "  annotations:\n", f"  annotations:\n    kkpgen/node-access-network: {value!r}\n"
    )
    cluster = NODE_ACCESS_CLUSTER.split("    ---")[0]
    diagnostic = _only(_cluster(tmp_path, cluster, config), "config.annotation.invalid")
    assert diagnostic.field == "metadata.annotations.kkpgen/node-access-network"
    assert "10.254.0.0/16" in diagnostic.hint
