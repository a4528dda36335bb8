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
from kkpgen.gitops.changes import (
    DiffSide,
    FleetDiff,
    ObjectChange,
    assemble_diff,
    object_changes,
)
from kkpgen.gitops.compare import WORK_TREE, base_failures
from kkpgen.kkp.check import CheckedFleet
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
    return diff_fleets(base_side, head, opts.decommission)
