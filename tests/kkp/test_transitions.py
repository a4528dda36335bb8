"""Base -> head rules: what KKP lets a cluster update change (CNI type and version, network)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kkpgen.diagnostics import Diagnostic, KkpgenError, format_diagnostic
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.check import check_fleet
from kkpgen.kkp.defaults import resolve_cluster
from kkpgen.kkp.transitions import upgrade_targets
from kkpgen.models.options import SourceOptions
from kkpgen.source.fleet import load_fleet
from kkpgen.source.repository import SourceFile, SourceTree
from tests.conftest import CONFIG, Repo, cluster_yaml, without_tunnel_notice

Found = tuple[str, str, int | None]  # code, field, line
CATALOG = load_catalog()
UNSAFE_UPGRADE = 'unsafe-cni-upgrade: "true"\n'
UNSAFE_MIGRATION = 'unsafe-cni-migration: "true"\n'


def _spec(kubernetes: str, cni: str | None = None, *, net: str = "", labels: str = "") -> str:
    """cluster_yaml: without labels cniPlugin is on line 9, with one label on line 11."""
    extra = (f"cniPlugin: {cni}\n" if cni else "") + net
    return cluster_yaml("c1", version=f'"{kubernetes}"', extra=extra, labels=labels)


def _transition(make_repo: Callable[..., Repo], base: str, head: str) -> tuple[Diagnostic, ...]:
    repo = make_repo(base={"clusters/c1.yaml": base}, head={"clusters/c1.yaml": head})
    try:
        checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    except KkpgenError as error:
        return without_tunnel_notice(error.diagnostics)
    return without_tunnel_notice(checked.diagnostics)


def _found(diagnostics: tuple[Diagnostic, ...], *codes: str) -> list[Found]:
    return [(d.code, d.field, d.location.line) for d in diagnostics if d.code.startswith(codes)]


TYPE_IMMUTABLE = "cni.type.immutable"
# Specs here omit cniPlugin; an existing cluster without it gets this warning (tested in
# test_removing_cni_plugin_is_forbidden and tests/kkp/test_rules.py).
UNSPECIFIED = "cni.unspecified"


@pytest.mark.parametrize(
    ("base", "head", "found"),
    [
        (
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            _spec("1.23.6", "{type: cilium, version: v1.11}"),
            [(TYPE_IMMUTABLE, "spec.cniPlugin.type", 9)],
        ),
        (
            _spec("1.23.6", "{type: cilium, version: v1.11}"),
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            [(TYPE_IMMUTABLE, "spec.cniPlugin.type", 9)],
        ),
        (
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            _spec("1.23.6", "{type: none}"),
            [(TYPE_IMMUTABLE, "spec.cniPlugin.type", 9)],
        ),
        (
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            _spec("1.23.6", "{type: cilium, version: v1.11}", labels=UNSAFE_MIGRATION),
            [],
        ),
        (
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            [],
        ),
    ],
    ids=["canal-to-cilium", "cilium-to-canal", "canal-to-none", "migration-label", "unchanged"],
)
def test_cni_type_change_is_forbidden_without_migration_label(
    make_repo: Callable[..., Repo], base: str, head: str, found: list[Found]
) -> None:
    diagnostics = _transition(make_repo, base, head)
    assert _found(diagnostics, "cni.type") == found


def test_cni_type_change_message_names_the_migration_label(
    make_repo: Callable[..., Repo],
) -> None:
    diagnostics = _transition(
        make_repo,
        _spec("1.23.6", "{type: canal, version: v3.22}"),
        _spec("1.23.6", "{type: cilium, version: v1.11}"),
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:9:15: error[cni.type.immutable]: spec.cniPlugin.type: "
        "CNI type cannot change from 'canal' to 'cilium' after cluster creation\n"
        "  hint: keep 'canal', unless the unsafe-cni-migration label is present for a manual "
        "CNI migration"
    ]


TOO_LARGE = "cni.version.upgrade-too-large"
DOWNGRADE = "cni.version.downgrade"
VERSION = "spec.cniPlugin.version"


@pytest.mark.parametrize(
    ("base", "head", "found"),
    [
        (
            _spec("1.22.9", "{type: canal, version: v3.20}"),
            _spec("1.22.9", "{type: canal, version: v3.21}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.21}"),
            _spec("1.22.9", "{type: canal, version: v3.22}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.19}"),
            _spec("1.22.9", "{type: canal, version: v3.21}"),
            [(TOO_LARGE, VERSION, 9)],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.19}"),
            _spec("1.22.9", "{type: canal, version: v3.22}"),
            [(TOO_LARGE, VERSION, 9)],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.19}"),
            _spec("1.22.9", "{type: canal, version: v3.21}", labels=UNSAFE_UPGRADE),
            [],
        ),
        (
            _spec("1.21.8", "{type: canal, version: v3.8}"),
            _spec("1.21.8", "{type: canal, version: v3.22}"),
            [],
        ),
        (
            _spec("1.21.8", "{type: canal, version: v3.8}"),
            _spec("1.21.8", "{type: canal, version: v3.19}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.20}"),
            _spec("1.22.9", "{type: canal}"),
            [(TOO_LARGE, VERSION, 9)],
        ),
    ],
    ids=[
        "one-minor-up",
        "one-minor-up-to-latest",
        "two-minor-up",
        "three-minor-up",
        "two-minor-up-with-unsafe-label",
        "from-deprecated-to-latest",
        "from-deprecated-to-oldest-supported",
        "removed-version-defaults-two-minor-up",
    ],
)
def test_cni_version_upgrade_is_one_minor_at_a_time(
    make_repo: Callable[..., Repo], base: str, head: str, found: list[Found]
) -> None:
    diagnostics = _transition(make_repo, base, head)
    assert _found(diagnostics, "cni.version.upgrade", "cni.version.downgrade") == found


def test_too_large_upgrade_message_names_the_unsafe_label(make_repo: Callable[..., Repo]) -> None:
    diagnostics = _transition(
        make_repo,
        _spec("1.22.9", "{type: canal, version: v3.19}"),
        _spec("1.22.9", "{type: canal, version: v3.21}"),
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:9:28: error[cni.version.upgrade-too-large]: spec.cniPlugin.version: "
        "cannot upgrade CNI from v3.19 to v3.21: only one minor version at a time\n"
        '  hint: upgrade step by step, or label the cluster unsafe-cni-upgrade: "true" unless '
        "you cannot take the risk"
    ]


@pytest.mark.parametrize(
    ("base", "head", "found"),
    [
        # KKP validateCNIUpdate allows one minor either way.
        (
            _spec("1.22.9", "{type: canal, version: v3.21}"),
            _spec("1.22.9", "{type: canal, version: v3.20}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.22}"),
            _spec("1.22.9", "{type: canal, version: v3.19}"),
            [(DOWNGRADE, VERSION, 9)],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.22}"),
            _spec("1.22.9", "{type: canal, version: v3.19}", labels=UNSAFE_UPGRADE),
            [],
        ),
    ],
    ids=["one-minor-down-is-allowed", "three-minor-down", "unsafe-label"],
)
def test_cni_version_downgrade_beyond_one_minor_is_forbidden_without_unsafe_label(
    make_repo: Callable[..., Repo], base: str, head: str, found: list[Found]
) -> None:
    diagnostics = _transition(make_repo, base, head)
    assert _found(diagnostics, "cni.version.upgrade", "cni.version.downgrade") == found


def test_downgrade_message(make_repo: Callable[..., Repo]) -> None:
    diagnostics = _transition(
        make_repo,
        _spec("1.22.9", "{type: canal, version: v3.21}"),
        _spec("1.22.9", "{type: canal, version: v3.19}"),
    )
    assert [format_diagnostic(d) for d in diagnostics] == [
        "clusters/c1.yaml:9:28: error[cni.version.downgrade]: spec.cniPlugin.version: "
        "CNI version cannot go down from v3.21 to v3.19\n"
        '  hint: keep v3.21, or label the cluster unsafe-cni-upgrade: "true" and take '
        "responsibility for the downgrade"
    ]


@pytest.mark.parametrize(
    ("base", "head", "found"),
    [
        (
            _spec("1.22.9", "{type: canal, version: v3.20}"),
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.19}"),
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.20}"),
            _spec("1.23.6", "{type: canal}"),
            [],
        ),
        (
            _spec("1.22.9", "{type: canal, version: v3.20}"),
            _spec("1.22.9", "{type: canal, version: v3.22}"),
            [(TOO_LARGE, VERSION, 9)],
        ),
    ],
    ids=[
        "k8s-1.23-from-3.20",
        "k8s-1.23-from-3.19",
        "k8s-1.23-default-version",
        "k8s-1.22-no-exception",
    ],
)
def test_canal_3_22_transition_is_allowed_with_kubernetes_1_23(
    make_repo: Callable[..., Repo], base: str, head: str, found: list[Found]
) -> None:
    diagnostics = _transition(make_repo, base, head)
    assert _found(diagnostics, "cni.version.upgrade", "cni.version.downgrade") == found


def test_forced_upgrade_with_kubernetes_upgrade_is_no_transition_error(
    make_repo: Callable[..., Repo],
) -> None:
    diagnostics = _transition(
        make_repo,
        _spec("1.22.9", "{type: canal, version: v3.20}"),
        _spec("1.23.6", "{type: canal, version: v3.20}"),
    )
    assert _found(diagnostics, "cni.") == [("cni.version.forced-upgrade", VERSION, 9)]
    assert diagnostics[0].severity == "warning"


@pytest.mark.parametrize(
    ("base", "head", "found"),
    [
        # Without cniPlugin the head is Canal v3.8 as KKP's migration makes it, and says so.
        (
            _spec("1.23.6", "{type: canal, version: v3.22}"),
            _spec("1.23.6"),
            [("cni.removed", "spec", 5), ("cni.unspecified", "spec", 5)],
        ),
        (
            _spec("1.23.6", "{type: cilium, version: v1.11}"),
            _spec("1.23.6"),
            [("cni.removed", "spec", 5), ("cni.unspecified", "spec", 5)],
        ),
        (_spec("1.23.6"), _spec("1.23.6"), [("cni.unspecified", "spec", 5)]),
        (_spec("1.23.6"), _spec("1.23.6", "{type: canal, version: v3.22}"), []),
    ],
    ids=["canal-removed", "cilium-removed", "never-written", "written-later"],
)
def test_removing_cni_plugin_is_forbidden(
    make_repo: Callable[..., Repo], base: str, head: str, found: list[Found]
) -> None:
    diagnostics = _transition(make_repo, base, head)
    assert _found(diagnostics, "cni.") == found
    if found and found[0][0] == "cni.removed":
        assert format_diagnostic(diagnostics[0]).startswith(
            "clusters/c1.yaml:5:1: error[cni.removed]: spec: "
            "spec.cniPlugin cannot be removed from an existing cluster\n"
            "  hint: restore cniPlugin: {type: "
        )


def test_removed_cni_plugin_hint_restores_it(make_repo: Callable[..., Repo]) -> None:
    diagnostics = _transition(
        make_repo, _spec("1.23.6", "{type: cilium, version: v1.11}"), _spec("1.23.6")
    )
    assert diagnostics[0].hint == 'restore cniPlugin: {type: cilium, version: "v1.11"}'


NET = "spec.clusterNetwork"


@pytest.mark.parametrize(
    ("base_net", "head_net", "found"),
    [
        (
            "",
            "clusterNetwork:\n  pods: {cidrBlocks: [10.10.0.0/16]}\n",
            [("network.pods-cidr.immutable", f"{NET}.pods.cidrBlocks", 10)],
        ),
        (
            "",
            "clusterNetwork:\n  services: {cidrBlocks: [10.20.0.0/20]}\n",
            [("network.services-cidr.immutable", f"{NET}.services.cidrBlocks", 10)],
        ),
        (
            "",
            "clusterNetwork:\n  proxyMode: iptables\n",
            [("network.proxy-mode.immutable", f"{NET}.proxyMode", 10)],
        ),
        (
            "clusterNetwork: {proxyMode: iptables}\n",
            "clusterNetwork: {}\n",
            [("network.proxy-mode.immutable", f"{NET}.proxyMode", 9)],
        ),
        (
            "",
            "clusterNetwork:\n  dnsDomain: example.org\n",
            [("network.dns-domain.immutable", f"{NET}.dnsDomain", 10)],
        ),
        (
            "",
            "clusterNetwork:\n  nodeLocalDNSCacheEnabled: false\n",
            [("network.node-local-dns.immutable", f"{NET}.nodeLocalDNSCacheEnabled", 10)],
        ),
        (
            "",
            "clusterNetwork:\n  proxyMode: ipvs\n  dnsDomain: cluster.local\n"
            "  pods: {cidrBlocks: [172.25.0.0/16]}\n  nodeLocalDNSCacheEnabled: true\n",
            [],
        ),
    ],
    ids=[
        "pods-cidr",
        "services-cidr",
        "proxy-mode",
        "proxy-mode-back-to-default",
        "dns-domain",
        "node-local-dns-cache",
        "defaults-written-out",
    ],
)
def test_cluster_network_settings_are_immutable(
    make_repo: Callable[..., Repo], base_net: str, head_net: str, found: list[Found]
) -> None:
    diagnostics = _transition(
        make_repo, _spec("1.23.6", net=base_net), _spec("1.23.6", net=head_net)
    )
    immutable = [f for f in _found(diagnostics, "network.") if f[0].endswith(".immutable")]
    assert immutable == found


def test_immutable_network_message_names_both_values(make_repo: Callable[..., Repo]) -> None:
    diagnostics = _transition(
        make_repo,
        _spec("1.23.6"),
        _spec("1.23.6", net="clusterNetwork:\n  pods: {cidrBlocks: [10.10.0.0/16]}\n"),
    )
    assert [format_diagnostic(d) for d in diagnostics if d.code != UNSPECIFIED] == [
        "clusters/c1.yaml:10:12: error[network.pods-cidr.immutable]: "
        "spec.clusterNetwork.pods.cidrBlocks: pods.cidrBlocks cannot change on an existing "
        "cluster ([172.25.0.0/16] -> [10.10.0.0/16])\n"
        "  hint: restore [172.25.0.0/16]; create a new cluster for a different network"
    ]


def test_immutable_flag_hint_is_written_as_yaml(make_repo: Callable[..., Repo]) -> None:
    diagnostics = _transition(
        make_repo,
        _spec("1.23.6"),
        _spec("1.23.6", net="clusterNetwork:\n  nodeLocalDNSCacheEnabled: false\n"),
    )
    assert [(d.message, d.hint) for d in diagnostics if d.code != UNSPECIFIED] == [
        (
            "nodeLocalDNSCacheEnabled cannot change on an existing cluster (true -> false)",
            "restore true; create a new cluster for a different network",
        )
    ]


@pytest.mark.parametrize(
    ("base_net", "head_net", "to"),
    [
        ("", "clusterNetwork:\n  konnectivityEnabled: true\n", "Konnectivity"),
        (
            "clusterNetwork: {konnectivityEnabled: true}\n",
            "clusterNetwork:\n  konnectivityEnabled: false\n",
            "OpenVPN",
        ),
    ],
    ids=["to-konnectivity", "back-to-openvpn"],
)
def test_konnectivity_switch_gives_a_notice(
    make_repo: Callable[..., Repo], base_net: str, head_net: str, to: str
) -> None:
    diagnostics = _transition(
        make_repo, _spec("1.23.6", net=base_net), _spec("1.23.6", net=head_net)
    )
    assert [format_diagnostic(d) for d in diagnostics if d.code != UNSPECIFIED] == [
        "clusters/c1.yaml:10:5: notice[network.konnectivity.switch]: "
        f"spec.clusterNetwork.konnectivityEnabled: switching to {to} restarts most "
        "control-plane components\n"
        "  hint: do it in a maintenance window"
    ]


def test_a_new_cluster_in_head_has_no_transition_checks(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _spec("1.22.9", "{type: canal, version: v3.19}")},
        head={"clusters/c2.yaml": cluster_yaml("c2", extra="cniPlugin: {type: cilium}\n")},
    )
    checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    assert without_tunnel_notice(checked.diagnostics) == ()
    assert [c.is_new for c in checked.resolved] == [False, True]


def test_without_cni_plugin_a_new_cluster_gets_the_default_and_an_existing_one_canal_3_8(
    make_repo: Callable[..., Repo],
) -> None:
    # c1 is in the base (existing): KKP's migration made it Canal v3.8, kept on 1.21.
    # c2 is new in head: KKP's defaulting gives it the release default, without a warning.
    repo = make_repo(
        base={"clusters/c1.yaml": _spec("1.21.8")},
        head={"clusters/c2.yaml": cluster_yaml("c2", version='"1.21.8"')},
    )
    checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    assert [(c.name, c.cni.type, c.cni.version) for c in checked.resolved] == [
        ("c1", "canal", "v3.8"),
        ("c2", "canal", "v3.22"),
    ]
    assert [
        (d.location.file, d.code) for d in checked.diagnostics if d.code.startswith("cni.")
    ] == [("clusters/c1.yaml", "cni.unspecified")]


def _targets(text: str, kkp: str = "v2.20") -> tuple[str, ...]:
    tree = SourceTree(None, (SourceFile("clusters/c1.yaml", text.encode()),))
    (loaded,) = load_fleet(tree).clusters
    release = CATALOG.releases[kkp]
    resolved = resolve_cluster(loaded, catalog=CATALOG, release=release, is_new=False)
    return upgrade_targets(resolved, catalog=CATALOG, release=release)


@pytest.mark.parametrize(
    ("text", "kkp", "targets"),
    [
        (_spec("1.22.9", "{type: canal, version: v3.19}"), "v2.20", ("v3.20",)),
        (_spec("1.22.9", "{type: canal, version: v3.20}"), "v2.20", ("v3.21",)),
        (_spec("1.22.9", "{type: canal, version: v3.21}"), "v2.20", ("v3.22",)),
        (_spec("1.22.9", "{type: canal, version: v3.22}"), "v2.20", ()),
        (_spec("1.22.9", "{type: canal, version: v3.20}"), "v2.19", ("v3.21",)),
        (
            _spec("1.21.8", "{type: canal, version: v3.8}"),
            "v2.20",
            ("v3.19", "v3.20", "v3.21", "v3.22"),
        ),
        (_spec("1.21.8", "{type: canal, version: v3.8}"), "v2.18", ("v3.19",)),
        (
            _spec("1.22.9", "{type: canal, version: v3.19}", labels=UNSAFE_UPGRADE),
            "v2.20",
            ("v3.20", "v3.21", "v3.22"),
        ),
        (_spec("1.22.9", "{type: cilium, version: v1.11}"), "v2.20", ()),
        (_spec("1.22.9", "{type: none}"), "v2.20", ()),
        (_spec("1.21.8", "{type: canal, version: v3.8}"), "v2.17", ()),
    ],
    ids=[
        "one-minor-up-from-3.19",
        "one-minor-up-from-3.20",
        "one-minor-up-to-latest",
        "at-latest",
        "kkp-2.19-latest-is-3.21",
        "all-higher-from-deprecated",
        "from-deprecated-on-2.18",
        "all-higher-with-unsafe-label",
        "cilium-single-version",
        "none-cni",
        "kkp-2.17-only-3.8",
    ],
)
def test_upgrade_targets_list_what_the_kkp_dialog_offers(
    text: str, kkp: str, targets: tuple[str, ...]
) -> None:
    assert _targets(text, kkp) == targets


def _pinned(patch: str) -> str:
    return CONFIG.replace('"v2.20"', f'"{patch}"')


@pytest.mark.parametrize(
    ("patch", "base", "head", "found"),
    [
        # v2.20.0-v2.20.4: validateCNIUpdate has no transitions table; only leaving a
        # deprecated version skips the one-minor rule.
        ("v2.20.0", ("1.21.8", "v3.8"), ("1.21.8", "v3.22"), []),
        ("v2.20.4", ("1.21.12", "v3.8"), ("1.22.9", "v3.8"), []),  # forced to v3.22
        ("v2.20.4", ("1.22.9", "v3.20"), ("1.23.6", "v3.20"), [(TOO_LARGE, VERSION, 9)]),
        ("v2.20.4", ("1.22.9", "v3.21"), ("1.23.6", "v3.21"), []),
        # v2.20.5+: allowedCNIVersionTransitions (3.8 -> anything newer; <3.22 -> 3.22 on
        # Kubernetes >= 1.23) replaces the deprecated-version rule.
        ("v2.20.5", ("1.21.12", "v3.8"), ("1.22.9", "v3.8"), []),
        ("v2.20.5", ("1.22.9", "v3.20"), ("1.23.6", "v3.20"), []),
        ("v2.20.16", ("1.22.9", "v3.19"), ("1.23.6", "v3.22"), []),
        ("v2.20.16", ("1.22.9", "v3.19"), ("1.22.9", "v3.21"), [(TOO_LARGE, VERSION, 9)]),
    ],
    ids=[
        "2.20.0-from-deprecated",
        "2.20.4-forced-from-deprecated",
        "2.20.4-refuses-the-forced-jump-to-3.22",
        "2.20.4-forced-one-minor",
        "2.20.5-forced-from-3.8-by-table",
        "2.20.5-table-allows-the-forced-jump-to-3.22",
        "2.20.16-table-allows-3.22-on-1.23",
        "2.20.16-two-minors-outside-the-table",
    ],
)
def test_allowed_cni_version_changes_follow_each_patch(
    make_repo: Callable[..., Repo],
    patch: str,
    base: tuple[str, str],
    head: tuple[str, str],
    found: list[Found],
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _spec(base[0], f"{{type: canal, version: {base[1]}}}")},
        head={"clusters/c1.yaml": _spec(head[0], f"{{type: canal, version: {head[1]}}}")},
        config=_pinned(patch),
    )
    options = SourceOptions(repo=repo.path, ref="HEAD", base="base")
    try:
        diagnostics = check_fleet(options).diagnostics
    except KkpgenError as error:
        diagnostics = error.diagnostics
    assert _found(diagnostics, "cni.version.upgrade", "cni.version.downgrade") == found


def _refused(
    make_repo: Callable[..., Repo], patch: str, change: tuple[str, str, str, str], code: str
) -> list[str]:
    """The printed diagnostics with this code when c1 goes from (Kubernetes, Canal) in base
    to (Kubernetes, Canal) in head on this pinned patch, which must refuse it."""
    base_k8s, base_cni, head_k8s, head_cni = change
    repo = make_repo(
        base={"clusters/c1.yaml": _spec(base_k8s, f"{{type: canal, version: {base_cni}}}")},
        head={"clusters/c1.yaml": _spec(head_k8s, f"{{type: canal, version: {head_cni}}}")},
        config=_pinned(patch),
    )
    with pytest.raises(KkpgenError) as caught:
        check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    return [format_diagnostic(d) for d in caught.value.diagnostics if d.code == code]


def test_the_refused_forced_jump_names_the_patch_and_the_step(
    make_repo: Callable[..., Repo],
) -> None:
    texts = _refused(make_repo, "v2.20.4", ("1.22.9", "v3.20", "1.23.6", "v3.20"), TOO_LARGE)
    assert texts == [
        "clusters/c1.yaml:9:28: error[cni.version.upgrade-too-large]: spec.cniPlugin.version: "
        "KKP v2.20.4 upgrades Canal to v3.22 with Kubernetes 1.23.6 and refuses the jump from "
        "v3.20: only one minor version at a time\n"
        '  hint: first move cniPlugin.version to "v3.21" with the old Kubernetes version, or '
        'label the cluster unsafe-cni-upgrade: "true" unless you cannot take the risk (KKP '
        "v2.20.5 and later allow this jump)"
    ]


IMMUTABLE = "cni.version.immutable"
# (patch, (Kubernetes, Canal) in base, the same in head, labels in head)
CHANGES = {
    # KKP v2.18's webhook: a set cniPlugin is immutable, whatever the labels say.
    "2.18-refuses": ("v2.18.5", ("1.21.8", "v3.8"), ("1.21.8", "v3.19"), ""),
    "2.18-label-does-not-help": (
        "v2.18.5",
        ("1.21.8", "v3.8"),
        ("1.21.8", "v3.19"),
        UNSAFE_UPGRADE,
    ),
}


@pytest.mark.parametrize("case", list(CHANGES.values()), ids=list(CHANGES))
def test_kkp_2_18_keeps_a_set_cni_plugin_immutable(
    make_repo: Callable[..., Repo], case: tuple[str, tuple[str, str], tuple[str, str], str]
) -> None:
    patch, base, head, labels = case
    head_spec = _spec(head[0], f"{{type: canal, version: {head[1]}}}", labels=labels)
    repo = make_repo(
        base={"clusters/c1.yaml": _spec(base[0], f"{{type: canal, version: {base[1]}}}")},
        head={"clusters/c1.yaml": head_spec},
        config=_pinned(patch),
    )
    with pytest.raises(KkpgenError) as caught:
        check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    line = 11 if labels else 9
    assert _found(caught.value.diagnostics, "cni.version.") == [(IMMUTABLE, VERSION, line)]


@pytest.mark.parametrize(
    ("patch", "base", "head", "version"),
    [
        # KKP v2.18 forces no upgrade on a set cniPlugin: v3.8 stays v3.8 with Kubernetes 1.22.
        ("v2.18.5", ("1.21.8", "v3.8"), ("1.22.5", "v3.8"), "v3.8"),
        # v2.19 validates CNI updates: leaving a deprecated version is allowed.
        ("v2.19.0", ("1.21.8", "v3.8"), ("1.21.8", "v3.19"), "v3.19"),
    ],
    ids=["2.18-no-forced-upgrade", "2.19-allows"],
)
def test_what_kkp_2_18_and_2_19_allow(
    make_repo: Callable[..., Repo],
    patch: str,
    base: tuple[str, str],
    head: tuple[str, str],
    version: str,
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _spec(base[0], f"{{type: canal, version: {base[1]}}}")},
        head={"clusters/c1.yaml": _spec(head[0], f"{{type: canal, version: {head[1]}}}")},
        config=_pinned(patch),
    )
    checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    assert _found(checked.diagnostics, IMMUTABLE, "cni.version.upgrade") == []
    assert [c.cni.version for c in checked.resolved] == [version]


def test_kkp_2_18_fills_an_unset_cni_plugin_with_kubernetes_1_22(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _spec("1.21.8")},
        head={"clusters/c1.yaml": _spec("1.22.5")},
        config=_pinned("v2.18.5"),
    )
    checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    assert _found(checked.diagnostics, "cni.version.") == []
    assert [(c.cni.version, c.cni.forced_from) for c in checked.resolved] == [("v3.19", "v3.8")]


def test_the_immutable_message_names_the_patch_and_the_way_out(
    make_repo: Callable[..., Repo],
) -> None:
    texts = _refused(make_repo, "v2.18.5", ("1.21.8", "v3.8", "1.21.8", "v3.19"), IMMUTABLE)
    assert texts == [
        "clusters/c1.yaml:9:28: error[cni.version.immutable]: spec.cniPlugin.version: KKP "
        "v2.18.5 keeps spec.cniPlugin immutable once it is set: CNI version changes come with "
        "KKP v2.19 (no label lifts this)\n"
        '  hint: keep cniPlugin: {type: canal, version: "v3.8"}, or, once the seeds run KKP '
        "v2.19 or later, set kkpgen/kkp-version to that patch"
    ]
