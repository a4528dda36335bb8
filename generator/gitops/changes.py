"""Two rendered trees -> per-cluster object changes (unified diffs) and disruption warnings."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kkpgen.diagnostics import Diagnostic
from kkpgen.gitops.fields import FieldChange
from kkpgen.kkp.catalog import KKPRelease
from kkpgen.kkp.whole_fleet import decommission_hint
from kkpgen.models.labels import DECOMMISSION_LABEL, ROLLOUT_WAVE_LABEL
from kkpgen.models.layout import ARGOCD_DIR
from kkpgen.models.resolved import ResolvedCluster

ChangeKind = Literal["added", "removed", "changed"]
ClusterStatus = Literal["added", "removed", "changed", "unchanged"]
MAINTENANCE = "plan a maintenance window"
FailOn = Literal["disruption", "change"]


@dataclass(frozen=True, slots=True)
class DiffSide:
    """One ref of a diff: the clusters checked there (the files are diffed cluster by
    cluster, compare.py), the KKP release, and why it fails the rules."""

    ref: str  # as the user named it; "work tree" for the checkout
    clusters: Mapping[str, ResolvedCluster]
    release: KKPRelease | None = None
    failures: tuple[Diagnostic, ...] = ()  # why this ref fails the rules (base side only)


@dataclass(frozen=True, slots=True)
class ObjectChange:
    path: str  # output path, "<cluster>/<destination>/<chart>/<kind>-<name>.yaml"
    kind: ChangeKind
    diff: str  # unified diff; added and removed objects diff against nothing


@dataclass(frozen=True, slots=True)
class Disruption:
    code: str  # stable id: "disruption.cni-version"
    message: str  # what happens to the running cluster, in plain language
    action: str  # what to do about it: "plan a maintenance window", "upgrade soon"


@dataclass(frozen=True, slots=True)
class KkpObject:
    """One object a KKP upgrade adds, removes or changes in a cluster."""

    path: str  # in the cluster's folder: "user-cluster/canal/daemonset-canal.yaml"
    kind: ChangeKind
    title: str  # "DaemonSet kube-system/canal"
    fields: tuple[FieldChange, ...]  # what differs, for a changed object
    diff: str  # the unified diff


@dataclass(frozen=True, slots=True)
class KkpChanges:
    """What KKP itself changes in one cluster: its head spec rendered at the base release
    and at the head release (gitops/upgrade_effects.py)."""

    objects: tuple[KkpObject, ...] = ()
    disruptions: tuple[Disruption, ...] = ()
    # why KKP's changes could not be told from the spec's ("" when they were): they are
    # then in the cluster's object changes, with the spec's
    unseparated: str = ""


@dataclass(frozen=True, slots=True)
class KkpStep:
    """A change of kkpgen/kkp-version between the base and the head."""

    base: str  # "v2.30.6"
    head: str  # "v2.31.0"
    unchanged: tuple[str, ...] = ()  # the clusters in both refs in which KKP changes nothing


@dataclass(frozen=True, slots=True)
class ClusterDiff:
    name: str  # the cluster, or "argocd" for the Argo CD Applications
    status: ClusterStatus
    objects: tuple[ObjectChange, ...]  # on a KKP upgrade: the spec's changes only
    disruptions: tuple[Disruption, ...]
    wave: str = ""  # the kkpgen/rollout-wave label (head, else base); "" when it has none
    kkp: KkpChanges | None = None  # what a KKP upgrade changes in it (None: no upgrade)

    @property
    def all_disruptions(self) -> tuple[Disruption, ...]:
        """The spec's disruptions, then the KKP upgrade's."""
        return self.disruptions + (self.kkp.disruptions if self.kkp else ())


@dataclass(frozen=True, slots=True)
class FleetDiff:
    base_ref: str
    head_ref: str
    base_failures: tuple[Diagnostic, ...]  # the base fails the rules: its output is partial
    clusters: tuple[ClusterDiff, ...]  # only those with changes or disruptions, sorted
    kkp_step: KkpStep | None = None  # the KKP upgrade between the refs, if any

    @property
    def changed(self) -> bool:
        return any(c.objects or (c.kkp and c.kkp.objects) for c in self.clusters)

    @property
    def disruptive(self) -> bool:
        return any(c.all_disruptions for c in self.clusters)

    def holds(self, what: FailOn) -> bool:
        """`diff --fail-on`: a disruption, or any change (an object or a disruption)."""
        return self.disruptive if what == "disruption" else self.changed or self.disruptive


def _cni(cluster: ResolvedCluster) -> str:
    return f"{cluster.cni.type.capitalize()} {cluster.cni.version}"


def _cni_change(base: ResolvedCluster, head: ResolvedCluster) -> Iterator[Disruption]:
    if base.cni.type != head.cni.type:
        yield Disruption(
            "disruption.cni-migration",
            f"CNI migration {_cni(base)} -> {_cni(head)}: pod networking is down until every "
            "node runs the new CNI and its pods are recreated",
            MAINTENANCE,
        )
    elif base.cni.version != head.cni.version:
        yield Disruption(
            "disruption.cni-version",
            f"CNI version change {_cni(base)} -> {head.cni.version}: the CNI pods restart on "
            "every node and pod connectivity drops while they do",
            MAINTENANCE,
        )


def _konnectivity_switch(base: ResolvedCluster, head: ResolvedCluster) -> Iterator[Disruption]:
    before, after = base.network.konnectivity_enabled, head.network.konnectivity_enabled
    if before != after:
        names = ("Konnectivity", "OpenVPN") if before else ("OpenVPN", "Konnectivity")
        yield Disruption(
            "disruption.konnectivity-switch",
            f"switching {names[0]} -> {names[1]} restarts most control-plane components "
            "(apiserver, controller-manager, scheduler); kubectl logs/exec/port-forward and "
            "webhooks fail until the new tunnel is up",
            MAINTENANCE,
        )


def _forced_upgrade(base: ResolvedCluster, head: ResolvedCluster) -> Iterator[Disruption]:
    forced = head.cni.forced_from is not None and base.cni.version != head.cni.version
    if forced and base.kubernetes_version != head.kubernetes_version:
        yield Disruption(
            "disruption.forced-cni-upgrade",
            f"the Kubernetes upgrade {base.kubernetes_version} -> {head.kubernetes_version} "
            f"forces {_cni(base)} -> {head.cni.version}: KKP upgrades the CNI together with "
            "Kubernetes, so both disruptions happen in one rollout",
            f'{MAINTENANCE}; set spec.cniPlugin.version: "{head.cni.version}" so the spec '
            "says what runs",
        )


def _deprecated(head: ResolvedCluster, release: KKPRelease | None) -> Iterator[Disruption]:
    if not head.cni.deprecated:
        return
    support = release.cni.get(head.cni.type) if release else None
    reason = support.deprecated.get(head.cni.version, "") if support else ""
    latest = f" to {support.latest()}" if support else ""
    yield Disruption(
        "disruption.deprecated-version",
        f"{_cni(head)} is deprecated{f' ({reason})' if reason else ''} and still in use",
        f"upgrade soon{latest}",
    )


def _removed(base: ResolvedCluster, confirmed: bool, ref: str) -> Iterator[Disruption]:
    """A deleted cluster file deletes its Applications; unless the cluster was marked for
    decommissioning first (or --decommission confirms it), that cluster is still running
    (check --base refuses it)."""
    if base.labels.get(DECOMMISSION_LABEL) != "true" and not confirmed:
        yield Disruption(
            "disruption.cluster-removed",
            "the cluster's spec file is deleted, but the cluster was not marked for "
            "decommissioning: its Applications go, and a running cluster loses its CNI "
            "wherever Argo CD prunes",
            decommission_hint(base.name, f"kkpgen diff --base {ref}"),
        )


def disruptions(
    base: ResolvedCluster | None,
    head: ResolvedCluster | None,
    *,
    release: KKPRelease | None,
    confirmed: tuple[str, str] | None = None,
    spec_head: ResolvedCluster | None = None,
) -> tuple[Disruption, ...]:
    """What the change from base to head does to the running cluster, worst first.
    `confirmed`: (base ref, --decommission names joined by spaces) of a diff. `spec_head`:
    on a KKP upgrade, the head spec at the base's release: the spec's own change is base ->
    spec_head (what KKP changes is gitops/upgrade_effects.py's)."""
    if head is None:
        if base is None:
            return ()
        ref, names = confirmed or ("<base>", "")
        return tuple(_removed(base, base.name in names.split(), ref))
    found: list[Disruption] = []
    if base is not None:
        after = spec_head or head
        found += _forced_upgrade(base, after)
        found += _cni_change(base, after)
        found += _konnectivity_switch(base, after)
    found += _deprecated(head, release)
    return tuple(found)


def _unified(path: str, before: bytes | None, after: bytes | None) -> str:
    old = before.decode().splitlines(keepends=True) if before is not None else []
    new = after.decode().splitlines(keepends=True) if after is not None else []
    lines = difflib.unified_diff(
        old,
        new,
        fromfile=f"a/{path}" if before is not None else "/dev/null",
        tofile=f"b/{path}" if after is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else f"{line}\n" for line in lines)


def object_changes(base: Mapping[str, bytes], head: Mapping[str, bytes]) -> list[ObjectChange]:
    """Every output file added, removed or changed between the two trees, sorted by path."""
    changes: list[ObjectChange] = []
    for path in sorted(set(base) | set(head)):
        before, after = base.get(path), head.get(path)
        if before == after:
            continue
        kind: ChangeKind = "added" if before is None else "removed" if after is None else "changed"
        changes.append(ObjectChange(path, kind, _unified(path, before, after)))
    return changes


def _status(name: str, base: DiffSide, head: DiffSide) -> ClusterStatus:
    if name == ARGOCD_DIR:
        return "changed"
    if name not in base.clusters:
        return "added"
    return "removed" if name not in head.clusters else "changed"


def _wave(name: str, base: DiffSide, head: DiffSide) -> str:
    cluster = head.clusters.get(name) or base.clusters.get(name)
    return cluster.labels.get(ROLLOUT_WAVE_LABEL, "") if cluster is not None else ""


@dataclass(frozen=True, slots=True)
class UpgradeParts:
    """On a KKP upgrade: the head specs resolved at the base's release (the clusters that
    pass there), and what KKP changes in each cluster of both refs (gitops/upgrade_effects.py)."""

    base: str  # the base's KKP release
    head: str
    spec_heads: Mapping[str, ResolvedCluster]
    changes: Mapping[str, KkpChanges]


def assemble_diff(
    by_group: Mapping[str, Sequence[ObjectChange]],
    base: DiffSide,
    head: DiffSide,
    decommission: tuple[str, ...] = (),
    upgrade: UpgradeParts | None = None,
) -> FleetDiff:
    """The FleetDiff of these object changes, grouped by cluster (and "argocd")."""
    confirmed = (base.ref, " ".join(decommission))
    clusters: list[ClusterDiff] = []
    kkp = upgrade.changes if upgrade else {}
    for name in sorted(set(by_group) | set(head.clusters)):
        objects = tuple(by_group.get(name, ()))
        found = disruptions(
            base.clusters.get(name),
            head.clusters.get(name),
            release=head.release,
            confirmed=confirmed,
            spec_head=upgrade.spec_heads.get(name) if upgrade else None,
        )
        changes = kkp.get(name)
        if changes == KkpChanges():
            changes = None
        if not objects and not found and changes is None:
            continue
        status = (
            _status(name, base, head)
            if objects
            else "changed"
            if changes and changes.objects
            else "unchanged"
        )
        wave = _wave(name, base, head)
        clusters.append(ClusterDiff(name, status, objects, found, wave, changes))
    step = None
    if upgrade is not None:
        quiet = tuple(sorted(name for name, c in kkp.items() if c == KkpChanges()))
        step = KkpStep(upgrade.base, upgrade.head, quiet)
    return FleetDiff(base.ref, head.ref, base.failures, tuple(clusters), step)
