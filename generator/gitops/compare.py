"""Render the base and head refs in memory and diff them: only the clusters whose inputs
changed are rendered, one cluster at a time, so memory does not grow with the fleet."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError
from kkpgen.gitops.changes import (
    DiffSide,
    FleetDiff,
    ObjectChange,
    assemble_diff,
    object_changes,
)
from kkpgen.kkp.check import CheckedFleet, check_fleet, check_fleet_partially
from kkpgen.models import layout
from kkpgen.models.layout import ARGOCD_DIR
from kkpgen.models.options import SourceOptions
from kkpgen.output.record import fleet_inputs
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
    (tests/gitops/full_diff.py).
    """
    head = _checked(replace(opts, base=None))
    previous, failures = _checked_base(replace(opts, ref=base, base=None))
    changed = (
        changed_clusters(previous, head)
        if previous is not None
        else frozenset(c.name for c in head[0].resolved)
    )
    by_group = _diff_clusters(previous[0] if previous else None, head[0], changed)
    base_side = _listed(base, previous[0]) if previous is not None else DiffSide(base, {})
    return assemble_diff(
        by_group,
        replace(base_side, failures=failures),
        _listed(opts.ref or WORK_TREE, head[0]),
        opts.decommission,
    )


def _listed(ref: str, checked: CheckedFleet) -> DiffSide:
    """A side for assemble_diff: its clusters and release (the files were diffed already)."""
    return DiffSide(ref, {c.name: c for c in checked.resolved}, checked.release)


Checked = tuple[CheckedFleet, dict[str, str]]  # a checked fleet and its clusters' source digests


def _checked(opts: SourceOptions) -> Checked:
    """The checked fleet at opts.ref and its clusters' source digests (the tree is dropped)."""
    tree = read_tree(opts.repo, opts.ref)
    checked = check_fleet(opts, tree=tree)
    return checked, _source_digests(checked, tree)


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
    return (checked, _source_digests(checked, tree)), failures


def base_failures(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """What fails a base: a base without clusters (the pull request that adds the first one)
    is just empty, and its warnings (e.g. cni.unspecified) name no failure."""
    return tuple(d for d in diagnostics if d.code != NO_CLUSTERS and d.severity == "error")


def _source_digests(checked: CheckedFleet, tree: SourceTree) -> dict[str, str]:
    """Per cluster: a digest of the bytes of kubermatic.yaml, its file and its Addons' files."""
    data = {f.path: f.data for f in tree.files}
    out: dict[str, str] = {}
    for loaded in checked.fleet.clusters:
        sha = hashlib.sha256(data.get(CONFIG_FILE, b""))
        for file in sorted({loaded.source.file, *(a.source.file for a in loaded.addons)}):
            sha.update(b"\0" + file.encode() + b"\0" + data.get(file, b""))
        out[loaded.name] = sha.hexdigest()
    return out


def changed_clusters(base: Checked, head: Checked) -> frozenset[str]:
    """The clusters to render: on one side only, or with different source bytes or different
    render inputs (the incremental record's digests: resolved cluster, Addon variables, and,
    shared by all, the Argo CD settings and who is being decommissioned)."""
    (base_checked, base_sources), (head_checked, head_sources) = base, head
    base_inputs, head_inputs = (fleet_inputs(c) for c in (base_checked, head_checked))
    names = set(base_inputs.clusters) | set(head_inputs.clusters)
    if base_inputs.run != head_inputs.run:
        return frozenset(names)
    return frozenset(
        name
        for name in names
        if base_inputs.clusters.get(name) != head_inputs.clusters.get(name)
        or base_sources.get(name) != head_sources.get(name)
    )


def _diff_clusters(
    base: CheckedFleet | None, head: CheckedFleet, changed: Iterable[str]
) -> dict[str, list[ObjectChange]]:
    """Object changes of the changed clusters, rendered one at a time, and of argocd/
    (base None: a base that renders nothing).

    In `applications` mode argocd/ holds an Application per cluster and destination that
    has files; an unchanged cluster's Applications are the same on both sides, so both
    sides leave them out and only the changed clusters' ones are compared."""
    renderer = Renderer(build_environment())
    present: tuple[set[tuple[str, str]], set[tuple[str, str]]] = (set(), set())
    names = ({c.name for c in base.resolved} if base else set(), {c.name for c in head.resolved})
    by_group: dict[str, list[ObjectChange]] = {}
    for name in sorted(changed):
        sides = []
        for checked, known, written in zip((base, head), names, present, strict=True):
            files = dict(_files(checked, name, renderer) if name in known else ())
            written.update(layout.folder_of(path) for path in files)
            sides.append(files)
        found = object_changes(sides[0], sides[1])
        if found:
            by_group[name] = found
    argocd = object_changes(
        _argocd(base, present[0]),
        _argocd(head, present[1]),
    )
    if argocd:
        by_group[ARGOCD_DIR] = argocd
    return by_group


def _files(
    checked: CheckedFleet | None, name: str, renderer: Renderer
) -> Iterable[tuple[str, bytes]]:
    return contents.cluster_files(checked, names=(name,), renderer=renderer) if checked else ()


def _argocd(checked: CheckedFleet | None, written: set[tuple[str, str]]) -> Mapping[str, bytes]:
    if checked is None:
        return {}
    return dict(contents.argocd_files(checked, present=lambda c, d: (c, d) in written))
