"""The check stage: read the fleet, resolve every cluster, apply the rules; all errors at once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location, errors_of
from kkpgen.kkp import defaults
from kkpgen.kkp.catalog import KKP_VERSION_FORM, Catalog, KKPRelease, kkp_minor, load_catalog
from kkpgen.kkp.charts import load_charts
from kkpgen.kkp.registry import REGISTRY, run
from kkpgen.kkp.subject import Change, Finding, FleetChange, RuleContext, Subject
from kkpgen.models.labels import KKP_VERSION_ANNOTATION
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
from kkpgen.source.repository import CONFIG_FILE, SourceTree, read_tree
from kkpgen.source.sourcemap import format_field


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
    known_line = KKP_VERSION_FORM.fullmatch(wanted) and catalog.newest_patch(kkp_minor(wanted))
    message, hint = (
        _line_known_by_patches(wanted, catalog, flag=bool(opts.kkp_version))
        if known_line
        else (
            f"KKP version {wanted!r} ({kkp_minor(wanted)}) is not in kkpgen's catalog"
            if KKP_VERSION_FORM.fullmatch(wanted)
            else f"KKP version {wanted!r} is not a version like v2.20.9 (ASCII digits, "
            "nothing before or after)",
            f"use one of {', '.join(sorted(catalog.releases))} or a patch kkpgen has "
            f"facts for ({_patch_ranges(catalog)})",
        )
    )
    raise KkpgenError(
        [Diagnostic("kkp.version.unsupported", where, KKP_VERSION_ANNOTATION, message, hint)]
    )


def _line_known_by_patches(wanted: str, catalog: Catalog, *, flag: bool) -> tuple[str, str]:
    """A KKP line kkpgen knows by its patches (v2.21+): a bare minor, or a patch it has no
    facts for (newer than kkpgen, or never released)."""
    minor = kkp_minor(wanted) or ""
    patches = sorted((v for v in catalog.patches if kkp_minor(v) == minor), key=_patch_number)
    newest = patches[-1]
    what = (
        f"{wanted!r} names the line {minor}, not a patch"
        if wanted.count(".") == 1
        else f"KKP {wanted!r} is not a patch kkpgen has facts for"
    )
    use = f"--kkp-version {newest}" if flag else f'kkpgen/kkp-version: "{newest}"'
    return (
        f"{what}; kkpgen knows {patches[0]}..{newest}",
        f"use {use} (or the patch you run), or update kkpgen for a newer patch",
    )


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
    findings = _run_rules(opts, only=only, tree=tree)
    if errors_of(findings.everything()):
        raise KkpgenError(findings.everything())
    return findings.checked(findings.clusters)


def check_fleet_partially(
    opts: SourceOptions, *, tree: SourceTree | None = None
) -> tuple[CheckedFleet, tuple[Diagnostic, ...]]:
    """The clusters that pass, and the errors of those that fail (for a base ref, whose
    failing clusters the head may be fixing). What fails the whole fleet raises as in
    check_fleet: a spec file that does not load, kubermatic.yaml, the KKP version, no cluster."""
    findings = _run_rules(opts, only=(), tree=tree)
    if errors_of(findings.shared):
        raise KkpgenError(findings.everything())
    passing = [(cluster, found) for cluster, found in findings.clusters if not errors_of(found)]
    failures = errors_of(d for _, found in findings.clusters for d in found)
    return findings.checked(passing), tuple(sorted(failures, key=Diagnostic.sort_key))


def _run_rules(opts: SourceOptions, *, only: Sequence[str], tree: SourceTree | None) -> _Findings:
    catalog = load_catalog()
    tree = tree if tree is not None else read_tree(opts.repo, opts.ref)
    require_config(tree)
    fleet = load_fleet(tree)
    require_clusters(fleet)
    release = _release(fleet, opts, catalog)
    base, base_problems = _load_base(opts)
    base_release = _base_release(base, base_problems, opts, catalog)
    ctx = RuleContext(catalog, release, fleet.config, load_charts(), base_release)
    shared = [*_in_config(run(REGISTRY.config, fleet, ctx), fleet), *base_problems]
    if base is not None and not only:
        change = FleetChange(base, fleet, opts.decommission)
        shared += _in_config(run(REGISTRY.removal, change, ctx), fleet)
    clusters = tuple(
        (resolved, _cluster_findings(Subject(loaded, resolved), previous, ctx=ctx))
        for loaded, resolved, previous in _resolve_all(
            fleet, base=base, release=release, catalog=catalog
        )
        if not only or loaded.name in only
    )
    raise_unknown(only, fleet)
    return _Findings(fleet, release, tuple(shared), clusters)


def _in_config(found: Iterable[Finding], fleet: Fleet) -> Iterator[Diagnostic]:
    """Findings about the fleet; a Violation names a field of kubermatic.yaml."""
    for finding in found:
        if isinstance(finding, Diagnostic):
            yield finding
            continue
        where = fleet.config_source.locate(finding.path) if fleet.config_source else None
        yield Diagnostic(
            finding.code,
            where or Location("kubermatic.yaml"),
            format_field(finding.path),
            finding.message,
            finding.hint,
            finding.severity,
        )


def _cluster_findings(
    subject: Subject, in_base: LoadedCluster | None, *, ctx: RuleContext
) -> tuple[Diagnostic, ...]:
    """One cluster's rules, and its rules base -> head when it is in the base."""
    found = list(run(REGISTRY.cluster, subject, ctx))
    if in_base is not None:
        before = defaults.resolve_cluster(
            in_base,
            catalog=ctx.catalog,
            release=ctx.release,
            is_new=False,
            platform=defaults.PlatformSettings.of(ctx.config),
        )
        found += run(REGISTRY.change, Change(Subject(in_base, before), subject), ctx)
    return tuple(
        f if isinstance(f, Diagnostic) else locate_violation(f, subject.loaded) for f in found
    )


def _base_release(
    base: Fleet | None, problems: Sequence[Diagnostic], opts: SourceOptions, catalog: Catalog
) -> KKPRelease | None:
    """The KKP release the base ran (its own kkpgen/kkp-version); None when --kkp-version
    overrides both sides, the base's kubermatic.yaml did not load (its release is unknown),
    or the base names a release kkpgen does not know."""
    if base is None or opts.kkp_version:
        return None
    if any(d.location.file == CONFIG_FILE for d in problems):
        return None
    annotated = base.config.metadata.annotations.get(KKP_VERSION_ANNOTATION)
    return catalog.release(annotated or catalog.default_kkp_version)


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
