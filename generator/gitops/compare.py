"""Render the base and head refs in memory and diff them: only the clusters whose inputs
changed are rendered, one cluster at a time, so memory does not grow with the fleet."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError
from kkpgen.gitops import upgrade_effects
from kkpgen.gitops.changes import (
    DiffSide,
    FleetDiff,
    KkpChanges,
    ObjectChange,
    UpgradeParts,
    assemble_diff,
    object_changes,
)
from kkpgen.kkp.check import CheckedFleet, check_fleet, check_fleet_partially
from kkpgen.models import layout
from kkpgen.models.layout import ARGOCD_DIR
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.output.record import OutputInputs, fleet_inputs
from kkpgen.render import contents
from kkpgen.render.engine import Renderer, build_environment
from kkpgen.source.repository import SourceTree, read_tree

WORK_TREE = "work tree"
NO_CLUSTERS = "source.no-clusters"  # source.fleet.require_clusters
CONFIG_FILE = "kubermatic.yaml"


def diff_refs(opts: SourceOptions, *, base: str) -> FleetDiff:
    """Both refs rendered as `render` renders them; base-to-head rules are `check --base`'s job.

    Both fleets are checked whole (the head must pass; every cluster's disruptions count),
    but only the clusters whose inputs differ are rendered, one at a time: an unchanged
    cluster renders the same bytes on both sides (the incremental render relies on that too).
    A base that fails the rules counts with the clusters that pass there; the others are
    absent from it, as in the whole-tree oracle the tests compare with
    (tests/gitops/full_diff.py). When kkpgen/kkp-version changes, the head specs are also
    checked at the base's release, so KKP's changes are told apart from the spec's.
    """
    head = _checked(replace(opts, base=None), read_tree(opts.repo, opts.ref))
    previous, failures = _checked_base(replace(opts, ref=base, base=None))
    changed = (
        changed_clusters(previous, head)
        if previous is not None
        else frozenset(c.name for c in head.fleet.resolved)
    )
    middle = _spec_heads(opts, previous, head)
    by_group, parts = _diff_clusters(previous, head, changed, middle)
    base_side = _listed(base, previous.fleet) if previous is not None else DiffSide(base, {})
    return assemble_diff(
        by_group,
        replace(base_side, failures=failures),
        _listed(opts.ref or WORK_TREE, head.fleet),
        opts.decommission,
        parts,
    )


def _listed(ref: str, checked: CheckedFleet) -> DiffSide:
    """A side for assemble_diff: its clusters and release (the files were diffed already)."""
    return DiffSide(ref, {c.name: c for c in checked.resolved}, checked.release)


@dataclass(frozen=True, slots=True)
class Checked:
    """A checked fleet, and digests of the bytes it was read from (the tree is dropped)."""

    fleet: CheckedFleet
    config: str  # kubermatic.yaml
    sources: dict[str, str]  # per cluster: its spec file and its Addons' files
    inputs: OutputInputs  # what the incremental render compares (output/record.py)
    resolved: dict[str, ResolvedCluster]  # fleet.resolved by name


def _checked(opts: SourceOptions, tree: SourceTree) -> Checked:
    """The checked fleet at opts.ref (the tree is dropped after)."""
    return _digested(check_fleet(opts, tree=tree), tree)


def _digested(checked: CheckedFleet, tree: SourceTree) -> Checked:
    data = {f.path: f.data for f in tree.files}
    sources: dict[str, str] = {}
    for loaded in checked.fleet.clusters:
        sha = hashlib.sha256()
        for file in sorted({loaded.source.file, *(a.source.file for a in loaded.addons)}):
            sha.update(b"\0" + file.encode() + b"\0" + data.get(file, b""))
        sources[loaded.name] = sha.hexdigest()
    config = hashlib.sha256(data.get(CONFIG_FILE, b"")).hexdigest()
    by_name = {c.name: c for c in checked.resolved}
    return Checked(checked, config, sources, fleet_inputs(checked), by_name)


def _checked_base(opts: SourceOptions) -> tuple[Checked | None, tuple[Diagnostic, ...]]:
    """The base's clusters that pass the rules, and the errors of those that fail, from one
    read of its tree. None: nothing of the base passes, so it renders nothing (not even
    argocd/), as when kubermatic.yaml or a spec file fails or the base has no cluster."""
    try:
        tree = read_tree(opts.repo, opts.ref)
        checked, failures = check_fleet_partially(opts, tree=tree)
    except KkpgenError as error:
        if error.exit_code != ExitCode.INVALID_INPUT:
            raise  # git or environment trouble is not a property of the base
        return None, base_failures(error.diagnostics)
    if not checked.resolved:
        return None, failures
    return _digested(checked, tree), failures


def base_failures(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """What fails a base: a base without clusters (the pull request that adds the first one)
    is just empty, and its warnings (e.g. cni.unspecified) name no failure."""
    return tuple(d for d in diagnostics if d.code != NO_CLUSTERS and d.severity == "error")


def same_inputs(base: Checked, head: Checked, name: str, *, read_config: bool = False) -> bool:
    """The cluster renders the same bytes on both sides: the same source bytes and the same
    render inputs (the incremental record's digests: resolved cluster, Addon variables, and,
    shared by all, the KKP release, the Argo CD settings, who is being decommissioned).
    `read_config`: kubermatic.yaml not compared byte for byte (a head checked at the base's
    release by --kkp-version differs there in kkpgen/kkp-version): what of it a render reads
    is in the inputs, the run digest (Argo CD settings, platform, release) and each
    cluster's resolved document, as the incremental render compares them."""
    same_config = read_config or base.config == head.config
    return (
        base.inputs.run == head.inputs.run
        and same_config
        and name in base.sources
        and name in head.sources
        and base.inputs.clusters.get(name) == head.inputs.clusters.get(name)
        and base.sources.get(name) == head.sources.get(name)
    )


def changed_clusters(base: Checked, head: Checked) -> frozenset[str]:
    """The clusters to render: on one side only, or whose inputs differ (same_inputs)."""
    names = set(base.inputs.clusters) | set(head.inputs.clusters)
    return frozenset(name for name in names if not same_inputs(base, head, name))


@dataclass(frozen=True, slots=True)
class SpecHeads:
    """On a KKP upgrade: the head's specs checked at the base's release."""

    base: str  # the base's KKP release
    head: str
    checked: Checked | None  # None: the head's kubermatic.yaml fails at the base's release
    failures: Mapping[str, str]  # why a cluster's head spec fails there

    def reason(self, name: str) -> str:
        """Why KKP's changes to this cluster cannot be told from the spec's ("": they can)."""
        if self.checked is None:
            return self.failures[""]
        return self.failures.get(name, "")


def _spec_heads(opts: SourceOptions, base: Checked | None, head: Checked) -> SpecHeads | None:
    """None unless kkpgen/kkp-version differs between the refs. The head is read again (one
    tree is held at a time)."""
    if base is None or base.fleet.release.version == head.fleet.release.version:
        return None
    old, new = base.fleet.release.version, head.fleet.release.version
    at_old = replace(opts, base=None, kkp_version=old)
    tree = read_tree(opts.repo, opts.ref)
    try:
        checked, failures = check_fleet_partially(at_old, tree=tree)
    except KkpgenError as error:
        if error.exit_code != ExitCode.INVALID_INPUT:
            raise
        return SpecHeads(old, new, None, {"": _why(error.diagnostics[0], old, "kubermatic.yaml")})
    why = {d.cluster: _why(d, old, "its head spec") for d in reversed(failures) if d.cluster}
    return SpecHeads(old, new, _digested(checked, tree), why)


def _why(failure: Diagnostic, release: str, what: str) -> str:
    return (
        f"{what} does not pass at KKP {release} ({failure.code}: {failure.message}), so what "
        "KKP changes is in the object changes, together with the spec's"
    )


class _ClusterDiffer:
    """Renders one cluster at a time, on each side; on a KKP upgrade also the head spec at
    the base's release, unless it is the base's spec (then the base's files are reused)."""

    def __init__(self, base: Checked | None, head: Checked, middle: SpecHeads | None) -> None:
        self.renderer = Renderer(build_environment())
        self.base, self.head, self.middle = base, head, middle
        self.present: tuple[set[tuple[str, str]], set[tuple[str, str]]] = (set(), set())
        self.kkp: dict[str, KkpChanges] = {}

    def files(self, checked: Checked | None, name: str, written: set[tuple[str, str]]) -> Files:
        if checked is None or name not in checked.sources:
            return {}
        files = dict(contents.cluster_files(checked.fleet, names=(name,), renderer=self.renderer))
        written.update(layout.folder_of(path) for path in files)
        return files

    def cluster(self, name: str) -> list[ObjectChange]:
        """The object changes of the spec (on a KKP upgrade; the others go to self.kkp)."""
        before = self.files(self.base, name, self.present[0])
        after = self.files(self.head, name, self.present[1])
        if self.middle is None or not before or not after:
            return object_changes(before, after)
        reason, spec_heads = self.middle.reason(name), self.middle.checked
        if reason or spec_heads is None or self.base is None:
            self.kkp[name] = upgrade_effects.unseparated(reason)
            return object_changes(before, after)
        reused = same_inputs(self.base, spec_heads, name, read_config=True)
        middle = before if reused else self.files(spec_heads, name, set())
        modes = upgrade_effects.proxy_modes_of(spec_heads.resolved[name], self.head.resolved[name])
        self.kkp[name] = upgrade_effects.kkp_changes(
            middle, after, proxy_modes=modes, base_release=self.middle.base
        )
        return object_changes(before, middle)

    def upgrade_parts(self) -> UpgradeParts | None:
        if self.middle is None:
            return None
        heads = self.middle.checked
        spec_heads = heads.resolved if heads else {}
        return UpgradeParts(self.middle.base, self.middle.head, spec_heads, self.kkp)


Files = dict[str, bytes]


def _diff_clusters(
    base: Checked | None, head: Checked, changed: Iterable[str], middle: SpecHeads | None
) -> tuple[dict[str, list[ObjectChange]], UpgradeParts | None]:
    """Object changes of the changed clusters, rendered one at a time, and of argocd/
    (base None: a base that renders nothing); on a KKP upgrade, what KKP changes.

    In `applications` mode argocd/ holds an Application per cluster and destination that
    has files; an unchanged cluster's Applications are the same on both sides, so both
    sides leave them out and only the changed clusters' ones are compared."""
    differ = _ClusterDiffer(base, head, middle)
    everywhere = set(base.sources) & set(head.sources) if middle and base else set()
    by_group: dict[str, list[ObjectChange]] = {}
    for name in sorted(set(changed) | everywhere):
        found = differ.cluster(name)
        if found:
            by_group[name] = found
    argocd = object_changes(
        _argocd(base.fleet if base else None, differ.present[0]),
        _argocd(head.fleet, differ.present[1]),
    )
    if argocd:
        by_group[ARGOCD_DIR] = argocd
    return by_group, differ.upgrade_parts()


def _argocd(checked: CheckedFleet | None, written: set[tuple[str, str]]) -> Mapping[str, bytes]:
    if checked is None:
        return {}
    return dict(contents.argocd_files(checked, present=lambda c, d: (c, d) in written))
