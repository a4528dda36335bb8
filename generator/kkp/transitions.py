"""Base -> head rules: what KKP allows a cluster update to change (seed; validateCNIUpdate).

Each rule declares its codes (`@rule`) and is listed in RULES, which registry.py runs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import (
    AllowedTransition,
    Catalog,
    KKPRelease,
    parse_version,
    satisfies,
)
from kkpgen.kkp.subject import Change, Code, Rule, RuleContext, rule
from kkpgen.models.cluster import ClusterSpec
from kkpgen.models.resolved import ResolvedCluster

UNSAFE_CNI_UPGRADE_LABEL = "unsafe-cni-upgrade"
UNSAFE_CNI_MIGRATION_LABEL = "unsafe-cni-migration"
_CNI = ("spec", "cniPlugin")
_NET = ("spec", "clusterNetwork")


def _allowed_by_table(
    cni: str,
    old: str,
    new: str,
    *,
    kubernetes_version: str,
    transitions: Sequence[AllowedTransition],
) -> bool:
    return any(
        t.cni == cni
        and satisfies(kubernetes_version, t.kubernetes)
        and satisfies(old, t.from_version)
        and satisfies(new, t.to_version)
        for t in transitions
    )


def version_change_problem(
    base: ResolvedCluster, head: ResolvedCluster, *, catalog: Catalog, release: KKPRelease
) -> Violation | None:
    """Seed: one minor per upgrade, unless unsafe-cni-upgrade, the patch's transitions table
    or (up to v2.20.4) upgrading from a deprecated version."""
    old, new = base.cni.version, head.cni.version
    old_v, new_v = parse_version(old), parse_version(new)
    if old == new or old_v is None or new_v is None or head.cni.type != base.cni.type:
        return None
    if release.cni_plugin_immutable and not base.cni.unspecified:
        return _immutable(base, release=release)
    unsafe = UNSAFE_CNI_UPGRADE_LABEL in head.labels
    support = release.cni.get(head.cni.type)
    # Up to v2.20.4 KKP lets any change leave a deprecated version; from v2.20.5 only the
    # allowedCNIVersionTransitions table does (pkg/validation/cluster.go validateCNIUpdate).
    # A minor alone (no patch pinned) keeps the rule it always had.
    leaves_deprecated = release.patch is None or "cni_upgrade_from_deprecated" in (
        release.patch.capabilities
    )
    from_deprecated = leaves_deprecated and support is not None and old not in support.supported
    path = (*_CNI, "version")
    # KKP validateCNIUpdate: one minor either way (a one-minor downgrade too), else the table;
    # from v2.23 a patch change within one minor (Cilium 1.13.0 -> 1.13.4) as well.
    one_minor = new_v.major == old_v.major and abs(new_v.minor - old_v.minor) == 1
    if new_v.major == old_v.major and new_v.minor == old_v.minor:
        one_minor = one_minor or (
            release.patch is not None and "cni_patch_change_allowed" in release.patch.capabilities
        )
    if new_v < old_v:
        if unsafe or one_minor:
            return None
        return Violation(
            "cni.version.downgrade",
            path,
            f"CNI version cannot go down from {old} to {new}",
            f'keep {old}, or label the cluster {UNSAFE_CNI_UPGRADE_LABEL}: "true" '
            "and take responsibility for the downgrade",
        )
    # KKP validates the result of its forced upgrade like any other change (mutateUpdate runs
    # first), so a pinned patch gets no exemption; v2.20.0-v2.20.4 refuse the forced jump from
    # v3.19/v3.20 to v3.22, which v2.20.5's table allows. A minor alone, and v2.17/v2.18
    # (no validateCNIUpdate), keep the exemption.
    validated = release.patch is not None and "cni_update_validated" in release.patch.capabilities
    forced_unchecked = head.cni.forced_from is not None and not validated
    allowed = one_minor or unsafe or from_deprecated or forced_unchecked
    if allowed or _allowed_by_table(
        head.cni.type,
        old,
        new,
        kubernetes_version=head.kubernetes_version,
        transitions=catalog.transitions_for(release),
    ):
        return None
    return _too_large(base, head, release=release)


def _immutable(base: ResolvedCluster, *, release: KKPRelease) -> Violation:
    return Violation(
        "cni.version.immutable",
        (*_CNI, "version"),
        f"KKP {release.version} keeps spec.cniPlugin immutable once it is set: CNI version "
        "changes come with KKP v2.19 (no label lifts this)",
        f'keep cniPlugin: {{type: {base.cni.type}, version: "{base.cni.version}"}}, or, once the '
        "seeds run KKP v2.19 or later, set kkpgen/kkp-version to that patch",
    )


def _too_large(base: ResolvedCluster, head: ResolvedCluster, *, release: KKPRelease) -> Violation:
    old, new, path = base.cni.version, head.cni.version, (*_CNI, "version")
    old_v = parse_version(old)
    if head.cni.forced_from is not None and old_v is not None:
        return Violation(
            "cni.version.upgrade-too-large",
            path,
            f"KKP {release.version} upgrades {head.cni.type.capitalize()} to {new} with "
            f"Kubernetes {head.kubernetes_version} and refuses the jump from {old}: "
            "only one minor version at a time",
            f'first move cniPlugin.version to "v{old_v.major}.{old_v.minor + 1}" with the old '
            f'Kubernetes version, or label the cluster {UNSAFE_CNI_UPGRADE_LABEL}: "true" '
            "unless you cannot take the risk (KKP v2.20.5 and later allow this jump)",
        )
    return Violation(
        "cni.version.upgrade-too-large",
        path,
        f"cannot upgrade CNI from {old} to {new}: only one minor version at a time",
        f"upgrade step by step, or label the cluster {UNSAFE_CNI_UPGRADE_LABEL}: "
        '"true" unless you cannot take the risk',
    )


def _cni_changes(
    base: ResolvedCluster, head: ResolvedCluster, base_spec: ClusterSpec, head_spec: ClusterSpec
) -> Iterator[Violation]:
    if base_spec.cni_plugin is not None and head_spec.cni_plugin is None:
        yield Violation(
            "cni.removed",
            ("spec",),
            "spec.cniPlugin cannot be removed from an existing cluster",
            f'restore cniPlugin: {{type: {base.cni.type}, version: "{base.cni.version}"}}',
        )
    elif head.cni.type != base.cni.type and UNSAFE_CNI_MIGRATION_LABEL not in head.labels:
        yield Violation(
            "cni.type.immutable",
            (*_CNI, "type"),
            f"CNI type cannot change from {base.cni.type!r} to {head.cni.type!r} "
            "after cluster creation",
            f"keep {base.cni.type!r}, unless the {UNSAFE_CNI_MIGRATION_LABEL} label "
            "is present for a manual CNI migration",
        )


def yaml_value(value: object) -> str:
    """A value as YAML spells it, so the hint can be pasted back: [10.0.0.0/16], true, 'ipvs'."""
    if isinstance(value, tuple):
        return f"[{', '.join(str(item) for item in value)}]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _proxy_mode(base: ResolvedCluster, *, head: ResolvedCluster) -> str:
    """The head's proxyMode, or the base's when KKP lets it change: from v2.20.7 the
    unsafe-cni-migration label allows it (the Canal/ipvs to Cilium/ebpf migration)."""
    migrating = UNSAFE_CNI_MIGRATION_LABEL in head.labels
    if migrating and "proxy_mode_change_with_migration_label" in head.kkp_capabilities:
        return base.network.proxy_mode
    return head.network.proxy_mode


def _network_changes(base: ResolvedCluster, head: ResolvedCluster) -> Iterator[Violation]:
    """KKP validateClusterNetworkingConfigUpdateImmutability."""
    old, new = base.network, head.network
    fields: tuple[tuple[str, tuple[str, ...], object, object], ...] = (
        ("pods-cidr", ("pods", "cidrBlocks"), old.pods_cidr_blocks, new.pods_cidr_blocks),
        (
            "services-cidr",
            ("services", "cidrBlocks"),
            old.services_cidr_blocks,
            new.services_cidr_blocks,
        ),
        ("proxy-mode", ("proxyMode",), old.proxy_mode, _proxy_mode(base, head=head)),
        ("dns-domain", ("dnsDomain",), old.dns_domain, new.dns_domain),
        (
            "node-local-dns",
            ("nodeLocalDNSCacheEnabled",),
            old.node_local_dns_cache_enabled,
            new.node_local_dns_cache_enabled,
        ),
    )
    for code, path, before, after in fields:
        if before != after:
            name = ".".join(path)
            yield Violation(
                f"network.{code}.immutable",
                _NET + path,
                f"{name} cannot change on an existing cluster "
                f"({yaml_value(before)} -> {yaml_value(after)})",
                f"restore {yaml_value(before)}; create a new cluster for a different network",
            )


@rule(
    Code("cni.removed", "error", "spec", "restore spec.cniPlugin as it was"),
    Code("cni.type.immutable", "error", "spec.cniPlugin.type", "keep the CNI type"),
)
def cni_kept(change: Change, _: RuleContext) -> Iterator[Violation]:
    """Seed: the CNI type cannot change after creation, and cniPlugin cannot be removed."""
    base, head = change.base, change.head
    return _cni_changes(
        base.resolved, head.resolved, base.loaded.cluster.spec, head.loaded.cluster.spec
    )


@rule(
    Code("cni.version.immutable", "error", "spec.cniPlugin.version", "keep the CNI version"),
    Code("cni.version.downgrade", "error", "spec.cniPlugin.version", "keep the CNI version"),
    Code(
        "cni.version.upgrade-too-large",
        "error",
        "spec.cniPlugin.version",
        "upgrade one minor version at a time",
    ),
)
def cni_version_step(change: Change, ctx: RuleContext) -> Iterator[Violation]:
    """Seed: one CNI minor per upgrade (version_change_problem)."""
    problem = version_change_problem(
        change.base.resolved, change.head.resolved, catalog=ctx.catalog, release=ctx.release
    )
    if problem is not None:
        yield problem


@rule(
    *(
        Code(
            f"network.{name}.immutable",
            "error",
            f"spec.clusterNetwork.{field}",
            "restore the value",
        )
        for name, field in (
            ("pods-cidr", "pods.cidrBlocks"),
            ("services-cidr", "services.cidrBlocks"),
            ("proxy-mode", "proxyMode"),
            ("dns-domain", "dnsDomain"),
            ("node-local-dns", "nodeLocalDNSCacheEnabled"),
        )
    )
)
def network_kept(change: Change, _: RuleContext) -> Iterator[Violation]:
    """KKP validateClusterNetworkingConfigUpdateImmutability."""
    return _network_changes(change.base.resolved, change.head.resolved)


@rule(
    Code(
        "network.konnectivity.switch",
        "notice",
        "spec.clusterNetwork.konnectivityEnabled",
        "switch in a maintenance window",
    )
)
def konnectivity_switch(change: Change, _: RuleContext) -> Iterator[Violation]:
    """Switching between OpenVPN and Konnectivity restarts the control plane."""
    base, head = change.base.resolved, change.head.resolved
    if base.network.konnectivity_enabled != head.network.konnectivity_enabled:
        to = "Konnectivity" if head.network.konnectivity_enabled else "OpenVPN"
        yield Violation(
            "network.konnectivity.switch",
            (*_NET, "konnectivityEnabled"),
            f"switching to {to} restarts most control-plane components",
            "do it in a maintenance window",
            severity="notice",
        )


def upgrade_targets(
    current: ResolvedCluster, *, catalog: Catalog, release: KKPRelease
) -> tuple[str, ...]:
    """The CNI versions KKP's upgrade dialog offers this cluster now (supported versions only)."""
    support = release.cni.get(current.cni.type)
    if support is None or current.cni.type == "none":
        return ()
    targets = []
    for version in support.supported:
        parsed, now = parse_version(version), parse_version(current.cni.version)
        if version == current.cni.version or parsed is None or now is None or parsed < now:
            continue
        probe = _with_version(current, version)
        if version_change_problem(current, probe, catalog=catalog, release=release) is None:
            targets.append(version)
    return tuple(sorted(targets, key=lambda v: parse_version(v) or 0))


def _with_version(cluster: ResolvedCluster, version: str) -> ResolvedCluster:
    return replace(cluster, cni=replace(cluster.cni, version=version, forced_from=None))


RULES: tuple[Rule[Change], ...] = (
    cni_kept,
    cni_version_step,
    network_kept,
    konnectivity_switch,
)
