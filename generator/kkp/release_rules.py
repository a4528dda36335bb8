"""One-state rules from KKP's validation that depend on the pinned release (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import parse_version
from kkpgen.kkp.subject import Code, Rule, RuleContext, Subject, rule
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
    patch = ctx.release.patch
    version = subject.resolved.kubernetes_version
    if patch is None or parse_version(version) is None:
        return  # no patch pinned: no list to check against; a bad version is reported above
    allowed = _configured_versions(ctx.config) or patch.kubernetes_versions
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


RULES: tuple[Rule[Subject], ...] = (
    kubernetes_version_supported,
    cni_none_has_no_version,
    expose_strategy_valid,
)
