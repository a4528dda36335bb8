"""One-state rules from KKP's validation that depend on the pinned release (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import KKPRelease, parse_version
from kkpgen.kkp.subject import Code, Rule, RuleContext, Subject, rule
from kkpgen.models.kkp_model import KKPModel
from kkpgen.models.kubermatic import KubermaticConfiguration

_CNI = ("spec", "cniPlugin")


def _versions(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "(none)"


def _configured_versions(config: KubermaticConfiguration) -> tuple[str, ...]:
    """spec.versions.versions of the KubermaticConfiguration (KKP v2.20 shape), if written."""
    versions = config.spec.versions
    listed = versions.get("versions") if isinstance(versions, dict) else None
    if not isinstance(listed, list):
        return ()
    return tuple(str(v).removeprefix("v") for v in listed)


def offered_kubernetes_versions(
    release: KKPRelease, config: KubermaticConfiguration
) -> tuple[str, ...] | None:
    """The Kubernetes versions a cluster may run under `release`; None when kkpgen has no
    list (a KKP minor without a pinned patch)."""
    if release.patch is None:
        return None
    return _configured_versions(config) or release.patch.kubernetes_versions


@rule(
    Code(
        "cluster.version.unsupported",
        "error",
        "spec.version",
        "use a Kubernetes version the KKP release offers, or list it in kubermatic.yaml",
    ),
)
def kubernetes_version_supported(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP refuses a Cluster whose version is not in the release's (or configured) list."""
    version = subject.resolved.kubernetes_version
    allowed = offered_kubernetes_versions(ctx.release, ctx.config)
    if allowed is None or parse_version(version) is None:
        return  # no patch pinned: no list to check against; a bad version is reported above
    if version not in allowed:
        yield Violation(
            "cluster.version.unsupported",
            ("spec", "version"),
            f"Kubernetes {version} is not a version KKP {ctx.release.version} offers",
            f"use one of {_versions(allowed)}, or list it in spec.versions.versions "
            "of kubermatic.yaml",
        )


@rule(
    Code("cni.none.version", "error", "spec.cniPlugin.version", "remove spec.cniPlugin.version"),
)
def cni_none_has_no_version(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """KKP: the only version of CNI `none` is "" (cni/version.go supportedCNIPluginVersions)."""
    plugin = subject.loaded.cluster.spec.cni_plugin
    if plugin is not None and plugin.type == "none" and plugin.version:
        yield Violation(
            "cni.none.version",
            (*_CNI, "version"),
            f"CNI 'none' has no version, but version {plugin.version!r} is set",
            'remove spec.cniPlugin.version, or set it to ""',
        )


EXPOSE_STRATEGIES = ("NodePort", "LoadBalancer", "Tunneling")
TUNNELING_GATE = "TunnelingExposeStrategy"


@rule(
    Code(
        "cluster.expose-strategy.unsupported",
        "error",
        "spec.exposeStrategy",
        "use NodePort, LoadBalancer or Tunneling",
    ),
    Code(
        "cluster.expose-strategy.tunneling-gate",
        "error",
        "spec.exposeStrategy",
        "enable the TunnelingExposeStrategy feature gate, or use NodePort or LoadBalancer",
    ),
)
def expose_strategy_valid(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP ValidateClusterSpec: a known exposeStrategy; Tunneling needs its feature gate."""
    strategy = subject.resolved.expose_strategy
    path = ("spec", "exposeStrategy")
    if strategy not in EXPOSE_STRATEGIES:
        yield Violation(
            "cluster.expose-strategy.unsupported",
            path,
            f"exposeStrategy {strategy!r} is not one KKP knows",
            f"use one of {', '.join(EXPOSE_STRATEGIES)}",
        )
    elif strategy == "Tunneling" and not ctx.config.feature_enabled(TUNNELING_GATE):
        yield Violation(
            "cluster.expose-strategy.tunneling-gate",
            path,
            f"the Tunneling expose strategy needs the {TUNNELING_GATE} feature gate",
            f"set spec.featureGates.{TUNNELING_GATE}: true in kubermatic.yaml, or use "
            "NodePort or LoadBalancer",
        )


def _has(ctx: RuleContext, capability: str) -> bool:
    patch = ctx.release.patch
    return patch is not None and capability in patch.capabilities


_NET = ("spec", "clusterNetwork")


def _written(model: KKPModel) -> tuple[str, ...]:
    """The fields a spec file wrote (JSON names), whatever their values."""
    fields = type(model).model_fields
    return tuple(fields[name].alias or name for name in sorted(model.model_fields_set))


@rule(
    Code(
        "cluster.field.unsupported",
        "error",
        "spec.* or address",
        "remove the field, or pin a KKP release whose Cluster CRD has it",
    ),
)
def fields_known_to_the_release(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """A Cluster is KKP-shaped for its release: a field the release's Cluster CRD does not have
    (one KKP added later, or removed) would be dropped by its API server, and Argo CD would
    show drift forever. kkpgen's model knows every field of v2.20-v2.31 (recorded per patch
    as clusterFields from ClusterSpec, ClusterNetworkingConfig and CloudSpec)."""
    yield from _top_level_address(subject, ctx)
    known = ctx.catalog.cluster_fields(ctx.release)
    if not known:
        return  # v2.17/v2.18: another API group, no list recorded
    spec = subject.loaded.cluster.spec
    sections: tuple[tuple[tuple[str, ...], str, KKPModel], ...] = (
        (("spec",), "spec", spec),
        (_NET, "clusterNetwork", spec.cluster_network),
        (("spec", "cloud"), "cloud", spec.cloud),
    )
    for prefix, key, model in sections:
        for name in _written(model):
            if name in known.get(key, frozenset()):
                continue
            path = (*prefix, name)
            yield Violation(
                "cluster.field.unsupported",
                path,
                f"KKP {ctx.release.version} has no {'.'.join(path)} (its Cluster CRD lacks "
                "the field)",
                "remove the field, or set kkpgen/kkp-version to a release that has it",
            )


def _top_level_address(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.22+ Clusters have no top-level `address` (it is `status.address`): their API
    server would drop it, and Argo CD would show drift forever."""
    if subject.loaded.cluster.address is None or ctx.release.patch is None:
        return
    if not _has(ctx, "cluster_top_level_address"):
        yield Violation(
            "cluster.field.unsupported",
            ("address",),
            f"KKP {ctx.release.version} has no top-level address; KKP v2.22 moved it to "
            "status.address",
            "move it under status: (status.address.url), or remove it and set "
            "kkpgen/apiserver-url in kubermatic.yaml",
        )


@rule(
    Code(
        "network.konnectivity.mandatory",
        "error",
        "spec.clusterNetwork.konnectivityEnabled",
        "remove konnectivityEnabled or set it to true",
    ),
)
def konnectivity_cannot_be_disabled(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.26+ ValidateClusterNetworkConfig: "Konnectivity can no longer be disabled"."""
    network = subject.loaded.cluster.spec.cluster_network
    if network.konnectivity_enabled is False and _has(ctx, "konnectivity_mandatory"):
        yield Violation(
            "network.konnectivity.mandatory",
            (*_NET, "konnectivityEnabled"),
            f"Konnectivity can no longer be disabled (KKP {ctx.release.version} removed OpenVPN)",
            "remove konnectivityEnabled or set it to true; move the cluster to Konnectivity "
            "before the KKP upgrade to v2.26 or later",
        )


@rule(
    Code(
        "network.openvpn.deprecated",
        "warning",
        "spec.clusterNetwork.konnectivityEnabled",
        "set konnectivityEnabled: true before the KKP upgrade to v2.26",
    ),
)
def openvpn_is_deprecated(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.24-v2.25: OpenVPN is deprecated ("Upgrading all user clusters to Konnectivity is
    strongly recommended"); v2.26 refuses it, and kkpgen refuses the upgrade to v2.26."""
    if (
        not subject.resolved.network.konnectivity_enabled
        and _has(ctx, "openvpn_deprecated")
        and not _has(ctx, "konnectivity_mandatory")
    ):
        yield Violation(
            "network.openvpn.deprecated",
            (*_NET, "konnectivityEnabled"),
            f"OpenVPN is deprecated in KKP {ctx.release.version} and removed in v2.26",
            "set spec.clusterNetwork.konnectivityEnabled: true (a maintenance window: the "
            "control plane restarts) before the KKP upgrade to v2.26",
            severity="warning",
        )


@rule(
    Code(
        "network.tunneling-agent-ip.unused",
        "error",
        "spec.clusterNetwork.tunnelingAgentIP",
        "remove tunnelingAgentIP, or use the Tunneling expose strategy",
    ),
)
def tunneling_agent_ip_needs_tunneling(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """KKP v2.22+ ValidateClusterSpec: "Tunneling agent IP can be configured only for
    Tunneling Expose strategy"."""
    written = subject.loaded.cluster.spec.cluster_network.tunneling_agent_ip
    if written and subject.resolved.expose_strategy != "Tunneling":
        yield Violation(
            "network.tunneling-agent-ip.unused",
            (*_NET, "tunnelingAgentIP"),
            "tunnelingAgentIP can be set only with the Tunneling expose strategy "
            f"(this cluster uses {subject.resolved.expose_strategy})",
            "remove tunnelingAgentIP, or set spec.exposeStrategy: Tunneling",
        )


@rule(
    Code(
        "network.proxy-mode.unsupported",
        "error",
        "spec.clusterNetwork.proxyMode",
        "use ipvs or iptables, or pin a KKP v2.30 or later patch",
    ),
)
def nftables_needs_the_release(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP resources.AllProxyModes: nftables from v2.30."""
    if subject.resolved.network.proxy_mode == "nftables" and not _has(ctx, "proxy_mode_nftables"):
        yield Violation(
            "network.proxy-mode.unsupported",
            (*_NET, "proxyMode"),
            f"proxyMode nftables is not supported by KKP {ctx.release.version} (v2.30 and later)",
            "use ipvs or iptables, or set kkpgen/kkp-version to a v2.30 or later patch",
        )


@rule(
    Code(
        "network.ip-family.mismatch",
        "error",
        "spec.clusterNetwork.ipFamily",
        "one pods CIDR per IP family of ipFamily",
    ),
    Code(
        "network.cidr.services-missing",
        "error",
        "spec.clusterNetwork.services.cidrBlocks",
        "give a services CIDR per pods CIDR",
    ),
)
def ip_family_matches_the_pods(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.21+ ValidateClusterNetworkConfig: ipFamily IPv4 has one pods CIDR, IPv4+IPv6
    two; at least as many services CIDRs as pods CIDRs."""
    if not _has(ctx, "dual_stack"):
        return
    network = subject.resolved.network
    pods, services = network.pods_cidr_blocks, network.services_cidr_blocks
    wanted = 2 if network.dual_stack else 1
    if len(pods) != wanted:
        yield Violation(
            "network.ip-family.mismatch",
            (*_NET, "ipFamily"),
            f"IP family {network.ip_family!r} does not match the {len(pods)} pods CIDR(s) "
            f"{list(pods)}",
            "dual stack: one IPv4 and one IPv6 pods CIDR; IPv4: one IPv4 pods CIDR",
        )
    if len(services) < len(pods):
        yield Violation(
            "network.cidr.services-missing",
            (*_NET, "services", "cidrBlocks"),
            f"{len(pods)} services CIDRs must be provided (one per pods CIDR)",
            "add an IPv6 services CIDR such as fd02::/108",
        )


@rule(
    Code(
        "network.node-mask.too-short",
        "error",
        "spec.clusterNetwork.nodeCidrMaskSizeIPv*",
        "use a node mask size longer than the pods CIDR's prefix",
    ),
)
def node_mask_longer_than_the_pods_prefix(
    subject: Subject, ctx: RuleContext
) -> Iterator[Violation]:
    """KKP v2.21+ validateNodeCIDRMaskSize: "node CIDR mask size (N) must be longer than the
    mask size of the pod CIDR" (after defaulting: 24 for IPv4, 64 for IPv6)."""
    if not _has(ctx, "dual_stack"):
        return
    network = subject.resolved.network
    for name, mask, ipv6 in (
        ("nodeCidrMaskSizeIPv4", network.node_cidr_mask_size_ipv4, False),
        ("nodeCidrMaskSizeIPv6", network.node_cidr_mask_size_ipv6, True),
    ):
        pods = next((b for b in network.pods_cidr_blocks if (":" in b) == ipv6), "")
        prefix = pods.rpartition("/")[2]
        if mask and prefix.isascii() and prefix.isdigit() and int(prefix) >= mask:
            yield Violation(
                "network.node-mask.too-short",
                (*_NET, name),
                f"node CIDR mask size ({mask}) must be longer than the mask size of the pod "
                f"CIDR ({pods})",
                f"use a pods CIDR larger than /{mask}, or set {name} above {prefix}",
            )


@rule(
    Code(
        "cni.canal.dual-stack",
        "error",
        "spec.cniPlugin.version",
        "upgrade Canal to v3.22 or later first, or keep the cluster IPv4",
    ),
)
def canal_dual_stack_needs_v3_22(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.21+: "dual-stack not allowed on Canal CNI version lower than 3.22"."""
    resolved = subject.resolved
    version = parse_version(resolved.cni.version)
    if (
        resolved.cni.type == "canal"
        and resolved.network.dual_stack
        and version is not None
        and (version.major, version.minor) < (3, 22)
        and _has(ctx, "canal_dual_stack_needs_v3_22")
    ):
        yield Violation(
            "cni.canal.dual-stack",
            (*_CNI, "version"),
            f"dual stack is not allowed on Canal {resolved.cni.version} (below v3.22)",
            'upgrade Canal to "v3.22" or later first, or keep the cluster IPv4',
        )


@rule(
    Code(
        "cni.cilium.addon-removed",
        "error",
        "spec.cniPlugin.version",
        "move the cluster to Cilium 1.13 (KKP's Helm chart), or keep a KKP release that has "
        "the cilium addon",
    ),
)
def cilium_legacy_addon_exists(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.26 removed the cilium and hubble addons of Cilium v1.11 and v1.12 (#13229) while
    its webhook still accepts both versions as deprecated: KKP applies no CNI to such a
    cluster, and kkpgen has nothing of KKP's to render for it."""
    cni = subject.resolved.cni
    if (
        cni.type != "cilium"
        or "legacy_addon" not in cni.capabilities
        or not _has(ctx, "cilium_application_installation")
        or _has(ctx, "cilium_legacy_addons")
    ):
        return
    support = ctx.release.cni.get("cilium")
    step = support.next_minor(cni.version) if support is not None else None
    target = f'cniPlugin.version: "{step}"' if step else "a Cilium 1.13 version"
    yield Violation(
        "cni.cilium.addon-removed",
        (*_CNI, "version"),
        f"KKP {ctx.release.version} has no addon for Cilium {cni.version}: it removed the "
        "legacy cilium and hubble addons, so it would apply no CNI to this cluster",
        f"set {target} (KKP installs Cilium 1.13 and newer as a Helm chart and deletes the "
        "legacy Addons), or keep kkpgen/kkp-version at a KKP v2.25 patch until then",
    )


RULES: tuple[Rule[Subject], ...] = (
    kubernetes_version_supported,
    cni_none_has_no_version,
    expose_strategy_valid,
    fields_known_to_the_release,
    konnectivity_cannot_be_disabled,
    openvpn_is_deprecated,
    tunneling_agent_ip_needs_tunneling,
    nftables_needs_the_release,
    ip_family_matches_the_pods,
    node_mask_longer_than_the_pods_prefix,
    canal_dual_stack_needs_v3_22,
    cilium_legacy_addon_exists,
)
