"""One cluster's steps under one KKP release: proposed from the catalog, allowed by the rules.

The order: write what KKP already runs into the spec; leave a deprecated (CVE-affected)
version; the Kubernetes upgrades the next KKP release needs, each after the CNI steps that
make its forced CNI move allowed; the CNI minor steps to the goal; the Konnectivity switch
last (a missing feature gate stops it, not the CNI steps)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import KKPRelease, parse_version, satisfies
from kkpgen.kkp.release_rules import offered_kubernetes_versions
from kkpgen.kkp.transitions import yaml_value
from kkpgen.kkp.upgrade_rules import stored_defaults
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.plan.model import Change, StepKind, Target, Value
from kkpgen.plan.oracle import Oracle, with_spec
from kkpgen.source.fleet import LoadedCluster

_CNI_VERSION = ("spec", "cniPlugin", "version")
_CNI_TYPE = ("spec", "cniPlugin", "type")
_KUBERNETES = ("spec", "version")
_KONNECTIVITY = ("spec", "clusterNetwork", "konnectivityEnabled")
# Scalar clusterNetwork fields a plan may write (KKP keeps their stored defaults).
_PINNABLE = ("ipFamily", "proxyMode", "dnsDomain", "nodeLocalDNSCacheEnabled")
_MAX_STEPS = 64  # a walk that goes on longer is a bug in the catalog, not a plan


@dataclass(frozen=True, slots=True)
class DraftStep:
    """A step before the fleet plan gives it its number."""

    kind: StepKind
    summary: str
    changes: tuple[Change, ...]
    disruptive: bool
    reason: str
    kkp: str


@functools.lru_cache(maxsize=4096)  # compared thousands of times a plan: a plain tuple
def _version(text: str) -> tuple[int, int, int]:
    parsed = parse_version(text)
    return (parsed.major, parsed.minor, parsed.patch) if parsed else (0, 0, 0)


def cni_label(cluster: ResolvedCluster) -> str:
    if cluster.cni.type == "none":
        return "no CNI (none)"
    return f"{cluster.cni.type.capitalize()} {cluster.cni.version}"


def _written(loaded: LoadedCluster) -> dict[tuple[str, ...], Value | None]:
    spec = loaded.cluster.spec
    plugin = spec.cni_plugin
    written = spec.cluster_network.model_dump(by_alias=True, exclude_none=True)
    return {
        _CNI_TYPE: plugin.type if plugin else None,
        _CNI_VERSION: plugin.version if plugin else None,
        _KUBERNETES: spec.version,
        _KONNECTIVITY: spec.cluster_network.konnectivity_enabled,
        **{("spec", "clusterNetwork", name): written.get(name) for name in _PINNABLE},
    }


def changes_between(before: LoadedCluster, after: LoadedCluster) -> tuple[Change, ...]:
    old, new = _written(before), _written(after)
    return tuple(
        Change(path, old.get(path), value)
        for path, value in new.items()
        if value is not None and value != old[path]
    )


def _problem(found: Iterable[Violation]) -> str:
    first = next(iter(found), None)
    return "" if first is None else f"{first.message} ({first.code}; {first.hint})"


@dataclass(slots=True)
class Walk:
    """Steps of one cluster under one release, built one at a time (local to plan_phase)."""

    oracle: Oracle
    release: KKPRelease
    loaded: LoadedCluster
    steps: list[DraftStep] = field(default_factory=list)
    blocked: str = ""

    @property
    def resolved(self) -> ResolvedCluster:
        return self.oracle.resolve(self.loaded, self.release)

    def _take(
        self,
        kind: StepKind,
        after: LoadedCluster,
        summary: str,
        why: tuple[bool, str],
        errors: list[Violation] | None = None,  # the step's errors, when already checked
    ) -> bool:
        """Add the step if the rules allow it; else stop the walk with the rule's reason."""
        if len(self.steps) >= _MAX_STEPS:
            self.blocked = f"more than {_MAX_STEPS} steps: the catalog has no path"
            return False
        if errors is None:
            errors = self.oracle.step_errors(self.loaded, after, self.release)
        if errors:
            self.blocked = f"{summary} is refused: {_problem(errors)}"
            return False
        changes = changes_between(self.loaded, after)
        self.steps.append(DraftStep(kind, summary, changes, why[0], why[1], self.release.version))
        self.loaded = after
        return True

    def sync(self) -> None:
        """The spec says what KKP runs: its forced upgrade, or an unset cniPlugin."""
        now = self.resolved
        if self.blocked or (now.cni.forced_from is None and not now.cni.unspecified):
            return
        after = with_spec(self.loaded, cni=(now.cni.type, now.cni.version))
        if now.cni.unspecified:
            reason = "KKP treats an existing cluster without spec.cniPlugin as Canal v3.8"
        else:
            reason = self.forced_reason(now, now.cni.forced_from or "")
        summary = f"write {cni_label(now)} into the spec (KKP runs it already)"
        self._take("spec-sync", after, summary, (False, reason))

    def pin_defaults(self, following: KKPRelease) -> None:
        """KKP keeps the defaults it stored: one that the next release changes is written
        into the spec first (`kkp.upgrade.default-changed` refuses the upgrade otherwise)."""
        if self.blocked:
            return
        now = self.resolved
        found = stored_defaults(
            self.loaded.cluster.spec, now, self.oracle.resolve(self.loaded, following)
        )
        network = {
            d.path[1]: d.stored
            for d in found
            if d.path[0] == "clusterNetwork"
            and d.path[1] in _PINNABLE
            and isinstance(d.stored, (str, bool))
        }
        cni = any(d.path[0] == "cniPlugin" for d in found)
        unpinned = [d for d in found if d.path[0] != "cniPlugin" and d.path[1] not in network]
        if unpinned:  # a list or a number: the team writes it (the plan edits scalars only)
            name = ".".join(unpinned[0].path)
            self.blocked = (
                f"before KKP {following.version}: set spec.{name}: "
                f"{yaml_value(unpinned[0].stored)} (KKP keeps it; the next default differs)"
            )
            return
        if not network and not cni:
            return
        after = with_spec(
            self.loaded, cni=(now.cni.type, now.cni.version) if cni else None, network=network
        )
        shown = ", ".join(f"{'.'.join(d.path)}: {yaml_value(d.stored)}" for d in found)
        reason = (
            f"KKP {following.version} changes these defaults; KKP keeps the values it stored "
            "when it defaulted the cluster"
        )
        self._take(
            "spec-sync", after, f"write {shown} into the spec (KKP keeps it)", (False, reason)
        )

    def forced_reason(self, cluster: ResolvedCluster, from_version: str) -> str:
        for rule in self.oracle.catalog.forced_upgrades_for(self.release):
            same = rule.cni == cluster.cni.type and _holds(from_version, rule.from_version)
            if same and _holds(cluster.kubernetes_version, rule.kubernetes):
                return rule.reason
        return f"KKP {self.release.version} upgrades {from_version} with this Kubernetes version"

    def cni_to(self, goal: str) -> None:
        """Minor steps to `goal`: each the largest move the rules allow."""
        while not self.blocked and goal and _version(self.resolved.cni.version) < _version(goal):
            if not self.cni_step(goal):
                return

    def cni_allowed(self, goal: str) -> bool:
        """Whether the rules allow any CNI move toward `goal` now."""
        now = self.resolved
        support = self.release.cni.get(now.cni.type)
        current = _version(now.cni.version)
        return any(
            current < _version(v) <= _version(goal)
            and self.oracle.may_move(self.loaded, v, self.release)
            and not self.oracle.step_errors(
                self.loaded, with_spec(self.loaded, cni=(now.cni.type, v)), self.release
            )
            for v in (support.allowed() if support else ())
        )

    def cni_step(self, goal: str) -> bool:
        now = self.resolved
        support = self.release.cni.get(now.cni.type)
        current = _version(now.cni.version)
        candidates = sorted(
            (v for v in (support.allowed() if support else ()) if current < _version(v)),
            key=_version,
            reverse=True,
        )
        candidates = [v for v in candidates if _version(v) <= _version(goal)]
        for version in candidates:
            if not self.oracle.may_move(self.loaded, version, self.release):
                continue
            after = with_spec(self.loaded, cni=(now.cni.type, version))
            if not self.oracle.step_errors(self.loaded, after, self.release):
                summary, why = self._cni_why(now, version)
                return self._take("cni-version", after, summary, why, errors=[])
        if not candidates:
            self.blocked = f"KKP {self.release.version} has no {now.cni.type} version up to {goal}"
            return False
        after = with_spec(self.loaded, cni=(now.cni.type, candidates[-1]))
        return self._take("cni-version", after, *self._cni_why(now, candidates[-1]))

    def _cni_why(self, now: ResolvedCluster, version: str) -> tuple[str, tuple[bool, str]]:
        support = self.release.cni.get(now.cni.type)
        deprecated = support.deprecated.get(now.cni.version) if support else None
        reason = (
            f"{cni_label(now)} is deprecated: {deprecated}"
            if deprecated
            else "KKP moves a CNI one minor version at a time; the CNI pods restart on every node"
        )
        return f"{cni_label(now)} -> {version}", (True, reason)

    def konnectivity(self, reason: str) -> None:
        if self.blocked or self.resolved.network.konnectivity_enabled:
            return
        after = with_spec(self.loaded, konnectivity=True)
        why = f"{reason}; the switch restarts the control plane (apiserver, controller-manager, "
        why += "scheduler): kubectl logs/exec and webhooks fail until the tunnel is up; "
        why += "then set kkpgen/konnectivity-server-port to the seed's konnectivity-server NodePort"
        self._take("konnectivity", after, "OpenVPN -> Konnectivity", (True, why))

    def kubernetes_for(self, target: KKPRelease) -> None:
        """Kubernetes upgrades, one minor at a time, until `target` offers the version."""
        wanted = offered_kubernetes_versions(target, self.oracle.config)
        offered = offered_kubernetes_versions(self.release, self.oracle.config)
        while not self.blocked and wanted and self.resolved.kubernetes_version not in wanted:
            version = _next_kubernetes(self.resolved.kubernetes_version, wanted, offered)
            if version is None:
                self.blocked = (
                    f"KKP {target.version} offers Kubernetes {', '.join(wanted)}; KKP "
                    f"{self.release.version} offers no way there from "
                    f"{self.resolved.kubernetes_version}"
                )
                return
            self.kubernetes_step(version, f"KKP {target.version} does not offer Kubernetes")

    def kubernetes_step(self, version: str, why: str) -> None:
        """One Kubernetes upgrade; a CNI move it forces goes into the spec in the same step,
        after the CNI steps that make that move allowed."""
        while not self.blocked:
            now = self.resolved
            after = with_spec(self.loaded, kubernetes=version)
            forced = self.oracle.resolve(after, self.release)
            summary = f"Kubernetes {now.kubernetes_version} -> {version}"
            reason = f"{why} {now.kubernetes_version}"
            if forced.cni.forced_from is not None:
                after = with_spec(after, cni=(forced.cni.type, forced.cni.version))
                summary += f" (forces {cni_label(now)} -> {forced.cni.version})"
                reason += f"; {self.forced_reason(forced, now.cni.version)}"
            errors = self.oracle.step_errors(self.loaded, after, self.release)
            if not errors:
                self._take("kubernetes", after, summary, (True, reason), errors=[])
                return
            if forced.cni.forced_from is None or not self.cni_step(forced.cni.version):
                self._take("kubernetes", after, summary, (True, reason), errors)  # says why not
                return


def _holds(version: str, constraint: str) -> bool:
    try:
        return satisfies(version, constraint)
    except ValueError:
        return False


def _minor(version: str) -> tuple[int, int]:
    major, minor, _ = _version(version)
    return major, minor


def _next_kubernetes(
    current: str, wanted: tuple[str, ...], offered: tuple[str, ...] | None
) -> str | None:
    """The lowest version `wanted` reachable from `current`, or the newest patch of the next
    minor on the way (Kubernetes upgrades one minor at a time)."""
    now = _version(current)
    reachable = [v for v in wanted if _version(v) > now and (offered is None or v in offered)]
    if not reachable:
        return None
    goal = min(reachable, key=_version)
    major, minor = _minor(current)
    if _minor(goal) <= (major, minor + 1):
        return goal
    on_the_way = [
        v for v in (offered or ()) if _minor(v) == (major, minor + 1) and _version(v) > now
    ]
    return max(on_the_way, key=_version) if on_the_way else None


def cni_goal(
    cluster: ResolvedCluster, release: KKPRelease, following: KKPRelease | None, target: Target
) -> str:
    """The CNI version this phase ends at ("" when the CNI has none)."""
    support = release.cni.get(cluster.cni.type)
    if support is None or cluster.cni.type == "none":
        return ""
    current = cluster.cni.version
    if following is None and target == "latest":
        return support.latest()
    keep = following.cni.get(cluster.cni.type) if following else support
    if keep is None:
        return current  # the next release's rules say why the type cannot stay
    if current in (keep.allowed() if following else keep.supported):
        return current  # the next release keeps it (leaving a deprecated one is tried first)
    above = [
        v
        for v in keep.supported
        if v in support.supported and _version(v) >= _version(current) and v != current
    ]
    return min(above, key=_version) if above else current
