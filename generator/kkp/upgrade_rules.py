"""A change of kkpgen/kkp-version between base and head is a KKP upgrade: the clusters KKP's
new release would refuse, or would run differently from what kkpgen renders, must move first,
under the release they run now (issue 21 item 6)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kkpgen.diagnostics import Violation
from kkpgen.kkp import defaults
from kkpgen.kkp.catalog import KKPRelease
from kkpgen.kkp.subject import Change, Code, Rule, RuleContext, rule
from kkpgen.kkp.transitions import yaml_value
from kkpgen.models.cluster import ClusterSpec
from kkpgen.models.resolved import ResolvedCluster

_CNI = ("spec", "cniPlugin")
_NET = ("spec", "clusterNetwork")


@rule(
    Code(
        "kkp.upgrade.openvpn",
        "error",
        "spec.clusterNetwork.konnectivityEnabled",
        "move the cluster to Konnectivity under the KKP release it runs, then upgrade KKP",
    ),
    Code(
        "kkp.upgrade.cni-version",
        "error",
        "spec.cniPlugin.version",
        "upgrade the CNI under the KKP release it runs to one the new release accepts",
    ),
    Code(
        "kkp.upgrade.kubernetes-version",
        "error",
        "spec.version",
        "upgrade Kubernetes under the KKP release it runs to one the new release offers",
    ),
    Code(
        "kkp.upgrade.default-changed",
        "error",
        "spec.clusterNetwork.* or spec.cniPlugin.*",
        "write the value KKP stored for the cluster into its spec, then upgrade KKP",
    ),
)
def kkp_upgrade_allowed(change: Change, ctx: RuleContext) -> Iterator[Violation]:
    """A change of kkpgen/kkp-version: the base cluster as the base's release resolves it,
    against the head's release."""
    if ctx.base_release is None or ctx.base_release.version == ctx.release.version:
        return
    before = defaults.resolve_cluster(
        change.base.loaded,
        catalog=ctx.catalog,
        release=ctx.base_release,
        is_new=False,
        platform=defaults.PlatformSettings.of(ctx.config),
    )
    head = change.head.resolved
    yield from kkp_upgrade_problems(before, head, base=ctx.base_release, release=ctx.release)
    yield from changed_defaults(
        change.head.loaded.cluster.spec, before, head, base=ctx.base_release, release=ctx.release
    )


def kkp_upgrade_problems(
    before: ResolvedCluster, head: ResolvedCluster, *, base: KKPRelease, release: KKPRelease
) -> Iterator[Violation]:
    """Issue 21 item 6: a change of kkpgen/kkp-version is a KKP upgrade. A cluster the new
    release would refuse must move first, under the release it runs now: OpenVPN before
    v2.26, a CNI version the new release drops, a Kubernetes version it no longer offers."""
    if base.version == release.version:
        return
    step = f"KKP {base.version} -> {release.version}"
    patch = release.patch
    if (
        not before.network.konnectivity_enabled
        and patch is not None
        and "konnectivity_mandatory" in patch.capabilities
    ):
        yield Violation(
            "kkp.upgrade.openvpn",
            (*_NET, "konnectivityEnabled"),
            f"cluster {head.name!r} still uses OpenVPN, which {release.version} removed ({step})",
            f"first set konnectivityEnabled: true on {head.name!r} and roll it out under "
            f"KKP {base.version}, then change kkpgen/kkp-version",
        )
    support = release.cni.get(before.cni.type)
    if before.cni.type != "none" and (
        support is None or before.cni.version not in support.allowed()
    ):
        offered = ", ".join(support.supported) if support else "(none)"
        yield Violation(
            "kkp.upgrade.cni-version",
            (*_CNI, "version"),
            f"cluster {head.name!r} runs {before.cni.type.capitalize()} {before.cni.version}, "
            f"which KKP {release.version} no longer accepts ({step})",
            f"first upgrade {head.name!r} one minor at a time under KKP {base.version} to a "
            f"version {release.version} accepts ({offered}), then change kkpgen/kkp-version",
        )
    offered_kubernetes = patch.kubernetes_versions if patch is not None else ()
    if offered_kubernetes and before.kubernetes_version not in offered_kubernetes:
        yield Violation(
            "kkp.upgrade.kubernetes-version",
            ("spec", "version"),
            f"cluster {head.name!r} runs Kubernetes {before.kubernetes_version}, which KKP "
            f"{release.version} does not offer ({step})",
            f"first upgrade {head.name!r} under KKP {base.version} to a Kubernetes version "
            f"{release.version} offers (from {offered_kubernetes[0]}), then change "
            "kkpgen/kkp-version",
        )


# KKP's defaulting fills a field only while it is empty, and the webhook stores what it
# filled: a default that a new release changes never reaches a cluster that exists. The
# fields below, when the spec leaves them out: (path under spec, written?, resolved value).
_Default = tuple[tuple[str, ...], bool, object]


def _defaulted(spec: ClusterSpec, cluster: ResolvedCluster) -> tuple[_Default, ...]:
    net, cni = cluster.network, spec.cni_plugin
    raw = spec.cluster_network
    return (
        (("cniPlugin", "type"), cni is not None, cluster.cni.type),
        (("cniPlugin", "version"), cni is not None and bool(cni.version), cluster.cni.version),
        (("clusterNetwork", "ipFamily"), raw.ip_family is not None, net.ip_family),
        (
            ("clusterNetwork", "pods", "cidrBlocks"),
            raw.pods is not None and bool(raw.pods.cidr_blocks),
            net.pods_cidr_blocks,
        ),
        (
            ("clusterNetwork", "services", "cidrBlocks"),
            raw.services is not None and bool(raw.services.cidr_blocks),
            net.services_cidr_blocks,
        ),
        (("clusterNetwork", "proxyMode"), raw.proxy_mode is not None, net.proxy_mode),
        (("clusterNetwork", "dnsDomain"), bool(raw.dns_domain), net.dns_domain),
        (
            ("clusterNetwork", "nodeLocalDNSCacheEnabled"),
            raw.node_local_dns_cache_enabled is not None,
            net.node_local_dns_cache_enabled,
        ),
        (
            ("clusterNetwork", "nodeCidrMaskSizeIPv4"),
            raw.node_cidr_mask_size_ipv4 is not None,
            net.node_cidr_mask_size_ipv4,
        ),
    )


@dataclass(frozen=True, slots=True)
class StoredDefault:
    """A field the spec leaves out whose default the new release changes."""

    path: tuple[str, ...]  # below spec: ("clusterNetwork", "proxyMode")
    stored: object  # the old release's default: what KKP stored and keeps
    new: object  # the new release's default: what kkpgen would render


def stored_defaults(
    spec: ClusterSpec, before: ResolvedCluster, head: ResolvedCluster
) -> tuple[StoredDefault, ...]:
    """The defaults KKP keeps and the new release would change. A field the old release did
    not have (a mask size of v2.20: 0) is filled by the new release's defaulting on the next
    update, as kkpgen does: not one of them."""
    olds = {path: value for path, _, value in _defaulted(spec, before)}
    return tuple(
        StoredDefault(path, olds[path], new)
        for path, written, new in _defaulted(spec, head)
        if not written and olds[path] != new and olds[path] not in (0, "")
    )


def changed_defaults(
    spec: ClusterSpec,
    before: ResolvedCluster,
    head: ResolvedCluster,
    *,
    base: KKPRelease,
    release: KKPRelease,
) -> Iterator[Violation]:
    """KKP keeps the value it stored, kkpgen would render the new default, and the two would
    overwrite each other: the spec must say the stored value before the upgrade."""
    step = f"KKP {base.version} -> {release.version}"
    for found in stored_defaults(spec, before, head):
        name = ".".join(found.path)
        old, new = yaml_value(found.stored), yaml_value(found.new)
        yield Violation(
            "kkp.upgrade.default-changed",
            ("spec", *found.path),
            f"cluster {head.name!r} leaves spec.{name} to KKP's default, which changes from "
            f"{old} to {new} ({step}); KKP keeps {old}, the value it stored when it "
            "defaulted the cluster",
            f"first set spec.{name}: {old} in {head.name!r} under KKP {base.version} (it "
            "changes nothing there), then change kkpgen/kkp-version",
        )


RULES: tuple[Rule[Change], ...] = (kkp_upgrade_allowed,)
