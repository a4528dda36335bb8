"""The fleet plan: the KKP releases on the way to --to-kkp, each cluster's steps under each of
them, numbered so that one number is one pull request, and the KKP upgrades between."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.kkp.catalog import Catalog, KKPRelease, kkp_minor, load_catalog, parse_version
from kkpgen.kkp.check import check_fleet_partially
from kkpgen.kkp.waves import wave_order
from kkpgen.models.labels import ROLLOUT_WAVE_LABEL
from kkpgen.models.options import SourceOptions
from kkpgen.plan.model import ClusterPlan, FleetPlan, KkpUpgrade, Step, Target
from kkpgen.plan.oracle import Oracle, with_spec
from kkpgen.plan.walk import DraftStep, Walk, cni_goal, cni_label
from kkpgen.source.fleet import LoadedCluster
from kkpgen.source.repository import CONFIG_FILE, SourceTree


def _unknown_release(wanted: str, why: str, catalog: Catalog) -> KkpgenError:
    known = sorted(catalog.releases, key=lambda v: parse_version(v) or 0)
    return KkpgenError(
        [
            Diagnostic(
                "plan.kkp.unknown",
                Location("--to-kkp"),
                "",
                f"cannot plan to KKP {wanted!r}: {why}",
                f"use a release kkpgen's catalog knows ({', '.join(known)}; a patch such as "
                f"{max(catalog.patches, key=lambda v: parse_version(v) or 0, default='v2.20.9')})",
            )
        ]
    )


def _newest_of_minor(catalog: Catalog, minor: str) -> KKPRelease | None:
    patches = [v for v in catalog.patches if kkp_minor(v) == minor]
    if patches:
        return catalog.patches[max(patches, key=lambda v: parse_version(v) or 0)]
    return catalog.releases.get(minor)


def kkp_path(catalog: Catalog, current: KKPRelease, to_kkp: str | None) -> tuple[KKPRelease, ...]:
    """The releases to upgrade through, one KKP minor at a time (the newest known patch of
    each minor on the way), ending at `to_kkp`; () when the fleet is there already."""
    if to_kkp is None:
        return ()
    target = catalog.release(to_kkp)
    if target is None:
        raise _unknown_release(to_kkp, "not in kkpgen's catalog", catalog)
    now, then = parse_version(current.version), parse_version(target.version)
    if now is None or then is None or then < now or then.major != now.major:
        raise _unknown_release(to_kkp, f"the fleet runs KKP {current.version}", catalog)
    if target.version == current.version:
        return ()
    path = []
    for minor in range(now.minor + 1, then.minor):
        release = _newest_of_minor(catalog, f"v{now.major}.{minor}")
        if release is None:
            raise _unknown_release(to_kkp, f"the catalog has no KKP v{now.major}.{minor}", catalog)
        path.append(release)
    return (*path, target)


def _konnectivity_reason(walk: Walk, following: KKPRelease | None, target: Target) -> str | None:
    if walk.resolved.network.konnectivity_enabled or not walk.release.konnectivity:
        return None
    if following is not None:
        refused = [
            v
            for v in walk.oracle.state_errors(walk.loaded, following)
            if v.path[-1:] == ("konnectivityEnabled",)
        ]
        after = with_spec(walk.loaded, konnectivity=True)
        if refused and not walk.oracle.state_errors(after, following):
            return f"KKP {following.version}: {refused[0].message}"
    if target == "latest":
        return "target latest: Konnectivity replaces the legacy OpenVPN tunnel"
    return None


def plan_phase(
    loaded: LoadedCluster,
    *,
    oracle: Oracle,
    releases: tuple[KKPRelease, KKPRelease | None],
    target: Target,
) -> Walk:
    """The steps under releases[0] that reach the target, or meet releases[1]'s rules."""
    release, following = releases
    walk = Walk(oracle, release, loaded)
    walk.sync()
    # A deprecated (CVE-affected) version goes first: steps, each the largest allowed toward
    # the goal as if this release were the last, until the version is no longer deprecated
    # (a plan made again after any of them gives the same remaining steps). Before a KKP
    # upgrade only where this release allows a move (a later one may).
    while not walk.blocked and walk.resolved.cni.deprecated:
        goal = cni_goal(walk.resolved, release, None, target)
        if following is not None and not walk.cni_allowed(goal):
            break
        if not walk.cni_step(goal):
            break
    if following is not None:
        walk.kubernetes_for(following)
    walk.cni_to(cni_goal(walk.resolved, release, following, target))
    reason = _konnectivity_reason(walk, following, target)  # last: a missing gate stops it
    if reason is not None:
        walk.konnectivity(reason)
    if following is not None:
        walk.pin_defaults(following)
    if following is not None and not walk.blocked:
        errors = oracle.state_errors(walk.loaded, following)
        if errors:
            first = errors[0]
            walk.blocked = (
                f"before KKP {following.version}: {first.message} ({first.code}; {first.hint})"
            )
    return walk


@dataclass(frozen=True, slots=True)
class _Cluster:
    loaded: LoadedCluster
    state: str
    urgent: str
    failure: str  # why it fails `check` at the ref


def _describe(loaded: LoadedCluster, oracle: Oracle, release: KKPRelease) -> tuple[str, str]:
    resolved = oracle.resolve(loaded, release)
    tunnel = "Konnectivity" if resolved.network.konnectivity_enabled else "OpenVPN"
    state = f"{cni_label(resolved)}, Kubernetes {resolved.kubernetes_version}, {tunnel}"
    support = release.cni.get(resolved.cni.type)
    why = support.deprecated.get(resolved.cni.version, "") if support else ""
    return state, (f"{cni_label(resolved)} is deprecated: {why}" if why else "")


def _numbered(drafts: Sequence[DraftStep], first: int) -> tuple[Step, ...]:
    return tuple(
        Step(first + i, d.kind, d.summary, d.changes, d.disruptive, d.reason, d.kkp)
        for i, d in enumerate(drafts)
    )


def _phases(
    clusters: Sequence[_Cluster], oracle: Oracle, releases: Sequence[KKPRelease], target: Target
) -> tuple[dict[str, list[Step]], dict[str, str], list[KkpUpgrade]]:
    states = {c.loaded.name: c.loaded for c in clusters if not c.failure}
    steps: dict[str, list[Step]] = {c.loaded.name: [] for c in clusters}
    blocked = {c.loaded.name: c.failure for c in clusters if c.failure}
    upgrades: list[KkpUpgrade] = []
    number = 0
    for index, release in enumerate(releases):
        following = releases[index + 1] if index + 1 < len(releases) else None
        walks = {
            name: plan_phase(loaded, oracle=oracle, releases=(release, following), target=target)
            for name, loaded in states.items()
            if name not in blocked
        }
        for name, walk in walks.items():
            steps[name] += _numbered(walk.steps, number + 1)
            states[name] = walk.loaded
            if walk.blocked:
                blocked[name] = walk.blocked
        number += max((len(w.steps) for w in walks.values()), default=0)
        if following is None:
            break
        number += 1
        stuck = tuple(sorted(blocked))
        upgrades.append(KkpUpgrade(number, release.version, following.version, stuck))
        if stuck:
            break
    return steps, blocked, upgrades


def plan_fleet(
    opts: SourceOptions,
    *,
    target: Target,
    to_kkp: str | None = None,
    tree: SourceTree | None = None,
) -> FleetPlan:
    """Plan every cluster of the fleet at opts.ref (or `tree`)."""
    catalog = load_catalog()
    checked, failures = check_fleet_partially(opts, tree=tree)
    oracle = Oracle(catalog, checked.fleet.config)
    by_name = {loaded.name: loaded for loaded in checked.fleet.clusters}
    for resolved in checked.resolved:  # resolved by the check already: not again
        oracle.keep(by_name[resolved.name], checked.release, resolved, checked=True)
    releases = (checked.release, *kkp_path(catalog, checked.release, to_kkp))
    failed = _failures(failures)
    clusters = [
        _Cluster(loaded, *_describe(loaded, oracle, checked.release), failed.get(loaded.name, ""))
        for loaded in checked.fleet.clusters
    ]
    steps, blocked, upgrades = _phases(clusters, oracle, releases, target)
    plans = [
        ClusterPlan(
            c.loaded.name,
            c.loaded.source.file,
            c.loaded.cluster.metadata.labels.get(ROLLOUT_WAVE_LABEL, ""),
            c.state,
            c.urgent,
            "blocked"
            if c.loaded.name in blocked
            else ("planned" if steps[c.loaded.name] else "at-target"),
            tuple(steps[c.loaded.name]),
            blocked.get(c.loaded.name, ""),
        )
        for c in clusters
    ]
    plans.sort(key=lambda p: (not p.urgent, wave_order(p.wave), p.name))
    config_file = checked.fleet.config_source.file if checked.fleet.config_source else CONFIG_FILE
    return FleetPlan(
        checked.release.version,
        releases[-1].version,
        target,
        config_file,
        tuple(plans),
        tuple(upgrades),
    )


def _failures(failures: Sequence[Diagnostic]) -> Mapping[str, str]:
    found: dict[str, str] = {}
    for d in failures:
        where = f"{d.location.file}:{d.location.line}" if d.location.line else d.location.file
        found.setdefault(
            d.cluster, f"fails kkpgen check at {where}: {d.message} ({d.code}; {d.hint})"
        )
    return found
