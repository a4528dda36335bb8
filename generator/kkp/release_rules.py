"""One-state rules from KKP's validation that depend on the pinned release (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import KKPRelease, parse_version
from kkpgen.kkp.subject import RuleContext, Subject
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
# spec.clusterNetwork fields KKP added after v2.20: (field, capability of the patches that
# know it, the first release with it).
_NEWER_NETWORK_FIELDS = (
    ("ipFamily", "dual_stack", "v2.21"),
    ("nodeCidrMaskSizeIPv4", "dual_stack", "v2.21"),
    ("nodeCidrMaskSizeIPv6", "dual_stack", "v2.21"),
    ("tunnelingAgentIP", "tunneling_agent_ip", "v2.22"),
)


def network_fields_known_to_the_release(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """A Cluster is KKP-shaped for its release: a field KKP added later is unknown to an older
    KKP (its API server would drop it, and Argo CD would show drift forever)."""
    written = subject.loaded.cluster.spec.cluster_network.model_dump(
        by_alias=True, exclude_none=True
    )
    for name, capability, since in _NEWER_NETWORK_FIELDS:
        if name in written and not _has(ctx, capability):
            yield Violation(
                "cluster.field.unsupported",
                (*_NET, name),
                f"KKP {ctx.release.version} has no spec.clusterNetwork.{name} "
                f"(KKP {since} and later)",
                f"remove the field, or set kkpgen/kkp-version to a {since} or later patch",
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


def nftables_needs_the_release(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP resources.AllProxyModes: nftables from v2.30."""
    if subject.resolved.network.proxy_mode == "nftables" and not _has(ctx, "proxy_mode_nftables"):
        yield Violation(
            "network.proxy-mode.unsupported",
            (*_NET, "proxyMode"),
            f"proxyMode nftables is not supported by KKP {ctx.release.version} (v2.30 and later)",
            "use ipvs or iptables, or set kkpgen/kkp-version to a v2.30 or later patch",
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
