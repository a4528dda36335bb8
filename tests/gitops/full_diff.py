"""The whole-tree diff, the oracle `kkpgen diff` is tested against: both whole trees
rendered and held in memory, a failing base checked once per cluster.

`diff` never runs it (at 10,000 clusters it holds GBs and its time grows with the square);
tests/gitops/test_compare.py and bench/bench_diff.py --full compare diff_refs with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import replace

from kkpgen.diagnostics import ExitCode, KkpgenError
from kkpgen.gitops import upgrade_effects
from kkpgen.gitops.changes import (
    DiffSide,
    FleetDiff,
    ObjectChange,
    UpgradeParts,
    assemble_diff,
    object_changes,
)
from kkpgen.gitops.compare import WORK_TREE, _why, base_failures
from kkpgen.kkp.check import CheckedFleet, check_fleet_partially
from kkpgen.models import layout
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.source.fleet import load_fleet
from kkpgen.source.repository import read_tree


def group_changes(changes: Iterable[ObjectChange]) -> dict[str, list[ObjectChange]]:
    """Object changes by their top folder: a cluster's name, or "argocd"."""
    by_group: dict[str, list[ObjectChange]] = {}
    for change in changes:
        by_group.setdefault(layout.group_of(change.path), []).append(change)
    return by_group


Rendered = tuple[DiffSide, dict[str, bytes]]  # a side, and every file `render` writes there


def diff_fleets(base: Rendered, head: Rendered, decommission: tuple[str, ...] = ()) -> FleetDiff:
    """Group the object changes by cluster and add each cluster's disruption summary;
    `decommission`: deleted clusters whose deletion --decommission confirms."""
    by_group = group_changes(object_changes(base[1], head[1]))
    return assemble_diff(by_group, base[0], head[0], decommission)


def _side(ref: str, parts: list[tuple[CheckedFleet, tuple[tuple[str, bytes], ...]]]) -> Rendered:
    side = DiffSide(
        ref=ref,
        clusters={c.name: c for checked, _ in parts for c in checked.resolved},
        release=parts[0][0].release if parts else None,
    )
    return side, {path: data for _, files in parts for path, data in files}


def _cluster_names(opts: SourceOptions) -> tuple[str, ...]:
    try:
        return tuple(c.name for c in load_fleet(read_tree(opts.repo, opts.ref)).clusters)
    except KkpgenError:
        return ()  # unreadable specs: nothing of the base can be rendered


def _base_side(opts: SourceOptions, ref: str) -> Rendered:
    """The base may fail the rules: render each cluster that passes, and say what failed."""
    try:
        return _side(ref, [contents.rendered_files(opts)])
    except KkpgenError as error:
        if error.exit_code != ExitCode.INVALID_INPUT:
            raise  # git or environment trouble is not a property of the base
        failures = base_failures(error.diagnostics)
    parts = []
    for name in _cluster_names(opts):
        with contextlib.suppress(KkpgenError):
            parts.append(contents.rendered_files(opts, only=(name,)))
    side, files = _side(ref, parts)
    return replace(side, failures=failures), files


def diff_refs_in_full(opts: SourceOptions, *, base: str) -> FleetDiff:
    """Both whole trees rendered and held in memory, a failing base one `check` per cluster:
    the reference diff_refs must match."""
    head = _side(opts.ref or WORK_TREE, [contents.rendered_files(replace(opts, base=None))])
    base_side = _base_side(replace(opts, ref=base, base=None), base)
    old, new = (side[0].release for side in (base_side, head))
    if old is None or new is None or old.version == new.version or not base_side[1]:
        return diff_fleets(base_side, head, opts.decommission)
    return _upgrade_in_full(opts, base_side, head, (old.version, new.version))


def _upgrade_in_full(
    opts: SourceOptions, base: Rendered, head: Rendered, releases: tuple[str, str]
) -> FleetDiff:
    """A KKP upgrade: the whole head tree rendered again at the base's release; a cluster of
    both refs whose head spec passes there has the spec's changes base -> that tree, and
    KKP's that tree -> head; the others have all their changes base -> head."""
    old = releases[0]
    at_old = replace(opts, base=None, kkp_version=old)
    tree = read_tree(opts.repo, opts.ref)
    reasons: dict[str, str] = {}
    try:
        checked, failures = check_fleet_partially(at_old, tree=tree)
    except KkpgenError as error:
        checked, failures = None, ()
        everywhere = _why(error.diagnostics[0], old, "kubermatic.yaml")
        reasons = dict.fromkeys(base[0].clusters, everywhere)
    for failure in reversed(failures):
        reasons[failure.cluster or ""] = _why(failure, old, "its head spec")
    middle = dict(contents.output_files(checked, only=(), kept=())) if checked else {}
    spec_heads = {c.name: c for c in checked.resolved} if checked else {}
    separated = set(spec_heads) & set(base[0].clusters) & set(head[0].clusters) - set(reasons)
    team = {p: d for p, d in head[1].items() if layout.group_of(p) not in separated}
    team |= {p: d for p, d in middle.items() if layout.group_of(p) in separated}
    team |= {p: d for p, d in head[1].items() if layout.group_of(p) == layout.ARGOCD_DIR}
    changes = {
        name: upgrade_effects.kkp_changes(
            _folder(middle, name),
            _folder(head[1], name),
            proxy_modes=upgrade_effects.proxy_modes_of(spec_heads[name], head[0].clusters[name]),
            base_release=old,
        )
        for name in separated
    }
    changes |= {
        name: upgrade_effects.unseparated(reason)
        for name, reason in reasons.items()
        if name in base[0].clusters and name in head[0].clusters
    }
    parts = UpgradeParts(
        old, head[0].release.version if head[0].release else "", spec_heads, changes
    )
    by_group = group_changes(object_changes(base[1], team))
    return assemble_diff(by_group, base[0], head[0], opts.decommission, parts)


def _folder(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {p: d for p, d in files.items() if layout.group_of(p) == name}
