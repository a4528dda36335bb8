"""The check stage: read the fleet, resolve every cluster, apply the rules; all errors at once."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location, errors_of
from kkpgen.kkp import access, defaults, rules, transitions
from kkpgen.kkp.catalog import KKP_VERSION_FORM, Catalog, KKPRelease, kkp_minor, load_catalog
from kkpgen.kkp.charts import Chart, load_charts
from kkpgen.kkp.subject import RuleContext, Subject
from kkpgen.kkp.variables import check_addon_variables
from kkpgen.models.labels import (
    APISERVER_URL_ANNOTATION,
    ARGOCD_MODE_ANNOTATION,
    ARGOCD_PATH_ANNOTATION,
    ARGOCD_REPO_ANNOTATION,
    ARGOCD_REVISION_ANNOTATION,
    DECOMMISSION_LABEL,
    KKP_VERSION_ANNOTATION,
    NODE_ACCESS_NETWORK_ANNOTATION,
    SEED_DESTINATION_ANNOTATION,
)
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import (
    Fleet,
    LoadedCluster,
    load_fleet,
    load_fleet_partially,
    locate_violation,
    require_clusters,
    require_config,
)
from kkpgen.source.repository import SourceTree, read_tree


@dataclass(frozen=True, slots=True)
class CheckedFleet:
    fleet: Fleet
    release: KKPRelease
    resolved: tuple[ResolvedCluster, ...]
    diagnostics: tuple[Diagnostic, ...]  # warnings and notices (errors are raised)


def _release(fleet: Fleet, opts: SourceOptions, catalog: Catalog) -> KKPRelease:
    annotated = fleet.config.metadata.annotations.get(KKP_VERSION_ANNOTATION)
    wanted = opts.kkp_version or annotated or catalog.default_kkp_version
    release = catalog.release(wanted)
    if release is not None:
        return release
    where = (
        fleet.config_source.locate(("metadata", "annotations", KKP_VERSION_ANNOTATION))
        if fleet.config_source and not opts.kkp_version
        else Location("--kkp-version")
    )
    raise KkpgenError(
        [
            Diagnostic(
                "kkp.version.unsupported",
                where,
                KKP_VERSION_ANNOTATION,
                f"KKP version {wanted!r} ({kkp_minor(wanted)}) is not in kkpgen's catalog"
                if KKP_VERSION_FORM.fullmatch(wanted)
                else f"KKP version {wanted!r} is not a version like v2.20.9 (ASCII digits, "
                "nothing before or after)",
                f"use one of {', '.join(sorted(catalog.releases))} or a patch kkpgen has "
                f"facts for ({_patch_ranges(catalog)})",
            )
        ]
    )


_CONFIG_ANNOTATIONS = (
    KKP_VERSION_ANNOTATION,
    APISERVER_URL_ANNOTATION,
    ARGOCD_MODE_ANNOTATION,
    ARGOCD_REPO_ANNOTATION,
    ARGOCD_REVISION_ANNOTATION,
    ARGOCD_PATH_ANNOTATION,
    SEED_DESTINATION_ANNOTATION,
    NODE_ACCESS_NETWORK_ANNOTATION,
)
# Whole-value forms (fullmatch, ASCII): what is written into every Application.
_SETTING_FORMS = {
    ARGOCD_PATH_ANNOTATION: (
        re.compile(r"/?[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*/?"),
        "a folder of the repository such as rendered/fleet (no '..', spaces or newlines)",
    ),
    ARGOCD_REVISION_ANNOTATION: (
        re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*"),
        "a branch, tag or commit such as main, v1.2.0 or HEAD",
    ),
    SEED_DESTINATION_ANNOTATION: (
        re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"),
        "the Argo CD cluster name of the seed, a DNS name such as in-cluster",
    ),
    NODE_ACCESS_NETWORK_ANNOTATION: (
        re.compile(
            r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
            r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])"
        ),
        "the seed-controller-manager's -node-access-network, an IPv4 CIDR such as 10.254.0.0/16",
    ),
}
_READ_GATES = ("KonnectivityService",)


def _config_diagnostic(
    fleet: Fleet, key: tuple[str, ...], code: str, texts: tuple[str, str]
) -> Diagnostic:
    where = fleet.config_source.locate(key) if fleet.config_source else Location("kubermatic.yaml")
    return Diagnostic(code, where, ".".join(key), texts[0], texts[1])


def _config_settings(fleet: Fleet) -> Iterator[Diagnostic]:
    """kkpgen's annotations and the feature gates it reads: a typo is an error, not a
    setting silently ignored, and values are checked whole before they reach any file."""
    annotations = fleet.config.metadata.annotations
    for key in sorted(k for k in annotations if k.startswith("kkpgen/")):
        path = ("metadata", "annotations", key)
        if key not in _CONFIG_ANNOTATIONS:
            close = difflib.get_close_matches(key, _CONFIG_ANNOTATIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            yield _config_diagnostic(
                fleet,
                path,
                "config.annotation.unknown",
                (
                    f"unknown kkpgen annotation {key!r} in kubermatic.yaml",
                    hint + f"kkpgen reads: {', '.join(_CONFIG_ANNOTATIONS)}",
                ),
            )
        elif key in _SETTING_FORMS:
            form, what = _SETTING_FORMS[key]
            value = annotations[key]
            bad = not form.fullmatch(value) or ".." in value.split("/") or ".." in value
            if bad and not (key == ARGOCD_PATH_ANNOTATION and value == ""):
                yield _config_diagnostic(
                    fleet,
                    path,
                    "config.annotation.invalid",
                    (f"{key} {value!r} is not valid", f"write {what}"),
                )
    for gate in sorted(fleet.config.spec.feature_gates):
        close = difflib.get_close_matches(gate, _READ_GATES, n=1, cutoff=0.8)
        if close and close[0] != gate:
            yield _config_diagnostic(
                fleet,
                ("spec", "featureGates", gate),
                "config.feature-gate.unknown",
                (
                    f"feature gate {gate!r} is not a KKP feature gate kkpgen knows",
                    f"did you mean {close[0]!r}?",
                ),
            )


def _config_problems(fleet: Fleet) -> list[Diagnostic]:
    """URLs in kubermatic.yaml are copied into every Application or cluster: no secrets."""
    problems = list(_config_settings(fleet))
    annotations = fleet.config.metadata.annotations
    for key in (ARGOCD_REPO_ANNOTATION, APISERVER_URL_ANNOTATION):
        value = annotations.get(key)
        if value and access.has_credentials(value):
            path = ("metadata", "annotations", key)
            problems.append(
                Diagnostic(
                    "config.url.credentials",
                    fleet.config_source.locate(path) if fleet.config_source else Location(""),
                    f"metadata.annotations.{key}",
                    f"{key} carries credentials (user info before '@', or a query string such as "
                    "?private_token=); kkpgen would copy "
                    "them into every generated file that names this URL",
                    "remove them: Argo CD reads repository credentials from its own Secrets",
                )
            )
    return problems


def _load_base(opts: SourceOptions) -> tuple[Fleet | None, list[Diagnostic]]:
    """The base fleet, and its own errors as warnings about the base: a pull request that
    fixes (or deletes) a broken file of the base must pass. Its clusters that do not load
    count as new, so no transition is checked for them."""
    if opts.base is None:
        return None, []
    base, problems = load_fleet_partially(read_tree(opts.repo, opts.base))
    return base, [
        Diagnostic(
            d.code,
            replace(d.location, ref=opts.base),
            d.field,
            f"in the base {opts.base}: {d.message}",
            f"{d.hint} (a problem of the base: it does not fail this check; transitions of "
            "the clusters it holds are not checked)",
            "warning",
            d.cluster,
        )
        for d in problems
    ]


def decommission_hint(name: str, command: str) -> str:
    """Both ways to delete a cluster: the label first, or the flag that confirms it."""
    return (
        f'first merge the label {DECOMMISSION_LABEL}: "true" on the cluster, then delete its '
        f"file; or, if the cluster is being decommissioned now, re-run with --decommission "
        f"{name} ({command} --decommission {name})"
    )


def _removed_clusters(base: Fleet, head: Fleet, confirmed: Sequence[str]) -> list[Diagnostic]:
    """A cluster deleted from the repository takes its Applications with it, and Argo CD
    would prune the CNI of a running cluster: only a decommissioned cluster may go (the
    label in the base, or --decommission NAME)."""
    found = [d for n in confirmed if (d := _unknown_decommission(n, base, head)) is not None]
    for loaded in base.clusters:
        if head.cluster(loaded.name) is not None:
            continue
        labelled = loaded.cluster.metadata.labels.get(DECOMMISSION_LABEL) == "true"
        marked = labelled or loaded.name in confirmed
        found.append(
            Diagnostic(
                "cluster.removed" if not marked else "cluster.decommissioned",
                replace(loaded.locate(("metadata", "name")), ref=base.ref),
                "metadata.name",
                f"cluster {loaded.name!r} is deleted"
                + (
                    " (it was marked for decommissioning)"
                    if marked
                    else "; its Applications and the network of a running cluster would be pruned"
                ),
                (
                    "nothing more to do: this change deletes the cluster's folder and its "
                    "Applications"
                    if marked
                    else decommission_hint(loaded.name, f"kkpgen check --base {base.ref}")
                ),
                "notice" if marked else "error",
                loaded.name,
            )
        )
    return found


def _unknown_decommission(name: str, base: Fleet, head: Fleet) -> Diagnostic | None:
    """--decommission names a cluster this change deletes; a typo must not pass unnoticed."""
    if base.cluster(name) is not None and head.cluster(name) is None:
        return None
    deleted = [c.name for c in base.clusters if head.cluster(c.name) is None]
    why = "is still in the repository" if head.cluster(name) is not None else "is not in the base"
    return Diagnostic(
        "cluster.decommission.unknown",
        Location("--decommission"),
        "",
        f"--decommission {name}: cluster {name!r} {why}, so this change does not delete it",
        f"clusters this change deletes: {', '.join(deleted) or '(none)'}",
    )


def _patch_ranges(catalog: Catalog) -> str:
    by_minor: dict[str, list[str]] = {}
    for patch in catalog.patches:
        by_minor.setdefault(kkp_minor(patch) or "", []).append(patch)
    return ", ".join(
        f"{min(p, key=_patch_number)}..{max(p, key=_patch_number)}"
        for _, p in sorted(by_minor.items())
    )


def _patch_number(version: str) -> int:
    return int(version.rsplit(".", 1)[1])


def _resolve_all(
    fleet: Fleet, *, base: Fleet | None, release: KKPRelease, catalog: Catalog
) -> Iterator[tuple[LoadedCluster, ResolvedCluster, LoadedCluster | None]]:
    platform = defaults.PlatformSettings.of(fleet.config)
    before = {c.name: c for c in base.clusters} if base else {}  # not a scan per cluster
    for loaded in fleet.clusters:
        previous = before.get(loaded.name)
        is_new = base is not None and previous is None
        resolved = defaults.resolve_cluster(
            loaded, catalog=catalog, release=release, is_new=is_new, platform=platform
        )
        yield loaded, resolved, previous


_ClusterFindings = tuple[ResolvedCluster, tuple[Diagnostic, ...]]


@dataclass(frozen=True, slots=True)
class _Findings:
    """What the check stage found about the whole fleet, and about each cluster it checked."""

    fleet: Fleet
    release: KKPRelease
    shared: tuple[Diagnostic, ...]  # kubermatic.yaml, the base ref, deleted clusters
    clusters: tuple[_ClusterFindings, ...]  # in the fleet's order

    def everything(self) -> list[Diagnostic]:
        return [*self.shared, *(d for _, found in self.clusters for d in found)]

    def checked(self, clusters: Sequence[_ClusterFindings]) -> CheckedFleet:
        found = sorted(
            [*self.shared, *(d for _, f in clusters for d in f)], key=Diagnostic.sort_key
        )
        return CheckedFleet(self.fleet, self.release, tuple(c for c, _ in clusters), tuple(found))


def check_fleet(
    opts: SourceOptions, *, only: Sequence[str] = (), tree: SourceTree | None = None
) -> CheckedFleet:
    """Load and check every cluster (or those named); raise KkpgenError with all errors found.
    `tree`: the spec files, when the caller has read them already (default: read opts.ref)."""
    findings = _check(opts, only=only, tree=tree)
    if errors_of(findings.everything()):
        raise KkpgenError(findings.everything())
    return findings.checked(findings.clusters)


def check_fleet_partially(
    opts: SourceOptions, *, tree: SourceTree | None = None
) -> tuple[CheckedFleet, tuple[Diagnostic, ...]]:
    """The clusters that pass, and the errors of those that fail (for a base ref, whose
    failing clusters the head may be fixing). What fails the whole fleet raises as in
    check_fleet: a spec file that does not load, kubermatic.yaml, the KKP version, no cluster."""
    findings = _check(opts, only=(), tree=tree)
    if errors_of(findings.shared):
        raise KkpgenError(findings.everything())
    passing = [(cluster, found) for cluster, found in findings.clusters if not errors_of(found)]
    failures = errors_of(d for _, found in findings.clusters for d in found)
    return findings.checked(passing), tuple(sorted(failures, key=Diagnostic.sort_key))


def _check(opts: SourceOptions, *, only: Sequence[str], tree: SourceTree | None) -> _Findings:
    catalog = load_catalog()
    tree = tree if tree is not None else read_tree(opts.repo, opts.ref)
    require_config(tree)
    fleet = load_fleet(tree)
    require_clusters(fleet)
    release = _release(fleet, opts, catalog)
    base, base_problems = _load_base(opts)
    ctx = RuleContext(catalog, release, fleet.config)
    shared: list[Diagnostic] = _config_problems(fleet) + base_problems
    if base is not None and not only:
        shared += _removed_clusters(base, fleet, opts.decommission)
    charts = load_charts()
    clusters = tuple(
        (resolved, _cluster_findings(Subject(loaded, resolved), previous, ctx=ctx, charts=charts))
        for loaded, resolved, previous in _resolve_all(
            fleet, base=base, release=release, catalog=catalog
        )
        if not only or loaded.name in only
    )
    raise_unknown(only, fleet)
    return _Findings(fleet, release, tuple(shared), clusters)


def _cluster_findings(
    subject: Subject, base: LoadedCluster | None, *, ctx: RuleContext, charts: Mapping[str, Chart]
) -> tuple[Diagnostic, ...]:
    """One cluster's rules, its transitions from the base, and its Addon variables."""
    loaded, resolved = subject.loaded, subject.resolved
    violations = list(rules.check(subject, ctx))
    if base is not None:
        before = defaults.resolve_cluster(
            base,
            catalog=ctx.catalog,
            release=ctx.release,
            is_new=False,
            platform=defaults.PlatformSettings.of(ctx.config),
        )
        violations += transitions.check(
            before,
            resolved,
            specs=(base.cluster.spec, loaded.cluster.spec),
            catalog=ctx.catalog,
            release=ctx.release,
        )
    found = [locate_violation(v, loaded) for v in violations]
    # KKP defaults an empty accessibleAddons list to its DefaultAccessibleAddons.
    accessible = ctx.config.spec.api.accessible_addons or ctx.catalog.default_accessible_addons(
        ctx.release
    )
    return (*found, *check_addon_variables(loaded, charts, accessible=accessible))


def raise_unknown(only: Sequence[str], fleet: Fleet) -> None:
    missing = [name for name in only if fleet.cluster(name) is None]
    if missing:
        names = ", ".join(c.name for c in fleet.clusters) or "(none)"
        raise KkpgenError(
            [
                Diagnostic(
                    "cluster.unknown",
                    Location("clusters/"),
                    "",
                    f"no cluster named {missing[0]!r}",
                    f"known clusters: {names}",
                )
            ]
        )
