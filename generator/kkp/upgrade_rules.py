"""A change of kkpgen/kkp-version between base and head is a KKP upgrade: the clusters KKP's
new release would refuse, or would run differently from what kkpgen renders, must move first,
under the release they run now (issue 21 item 6)."""

from __future__ import annotations

from collections.abc import Iterator

from kkpgen.diagnostics import Violation
from kkpgen.kkp import defaults
from kkpgen.kkp.catalog import KKPRelease
from kkpgen.kkp.subject import Change, Code, Rule, RuleContext, rule
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


RULES: tuple[Rule[Change], ...] = (kkp_upgrade_allowed,)
