"""The check stage: read the fleet, resolve every cluster, apply the rules; all errors at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Diagnostic, KkpgenError, Location, errors_of
from generator.source.fleet import (
    Fleet,
    LoadedCluster,
    load_fleet,
    locate_violation,
    require_clusters,
)
from generator.source.repository import SourceTree, read_tree
from generator.spec import defaults, rules, transitions
from generator.spec.catalog import Catalog, KKPRelease, kkp_minor, load_catalog
from generator.spec.charts import load_charts
from generator.spec.models.kubermatic import (
    KKP_VERSION_ANNOTATION,
)
from generator.spec.models.resolved import ResolvedCluster
from generator.spec.rule_types import RuleContext, Subject
from generator.spec.variables import check_addon_variables


@dataclass(frozen=True, slots=True)
class SourceOptions:
    repo: Path = Path()
    ref: str | None = None  # None: the work tree
    base: str | None = None  # None: every cluster counts as existing
    kkp_version: str | None = None  # overrides the KubermaticConfiguration annotation


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
                f"KKP version {wanted!r} ({kkp_minor(wanted)}) is not in kkpgen's catalog",
                f"use one of {', '.join(sorted(catalog.releases))} or a patch kkpgen has "
                f"facts for ({_patch_ranges(catalog)})",
            )
        ]
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


def check_fleet(
    opts: SourceOptions, *, only: Sequence[str] = (), tree: SourceTree | None = None
) -> CheckedFleet:
    """Load and check every cluster (or those named); raise KkpgenError with all errors found.

    `tree`: the spec files, when the caller has read them already (default: read opts.ref).
    """
    catalog = load_catalog()
    fleet = load_fleet(tree if tree is not None else read_tree(opts.repo, opts.ref))
    require_clusters(fleet)
    release = _release(fleet, opts, catalog)
    base = load_fleet(read_tree(opts.repo, opts.base)) if opts.base else None
    ctx = RuleContext(catalog, release, fleet.config)
    found: list[Diagnostic] = []
    resolved_all: list[ResolvedCluster] = []
    for loaded, resolved, previous in _resolve_all(
        fleet, base=base, release=release, catalog=catalog
    ):
        if only and loaded.name not in only:
            continue
        violations = list(rules.check(Subject(loaded, resolved), ctx))
        if previous is not None:
            before = defaults.resolve_cluster(
                previous,
                catalog=catalog,
                release=release,
                is_new=False,
                platform=defaults.PlatformSettings.of(fleet.config),
            )
            violations += transitions.check(
                before,
                resolved,
                specs=(previous.cluster.spec, loaded.cluster.spec),
                catalog=catalog,
                release=release,
            )
        found.extend(locate_violation(v, loaded) for v in violations)
        resolved_all.append(resolved)
    raise_unknown(only, fleet)
    charts = load_charts()
    found += [
        d
        for loaded in fleet.clusters
        if not only or loaded.name in only
        for d in check_addon_variables(loaded, charts)
    ]
    if errors_of(found):
        raise KkpgenError(found)
    return CheckedFleet(
        fleet, release, tuple(resolved_all), tuple(sorted(found, key=Diagnostic.sort_key))
    )


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
