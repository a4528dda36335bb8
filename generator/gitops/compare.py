"""Render the base and head refs in memory (contents.rendered_files) and diff them."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from generator.diagnostics import ExitCode, KkpgenError
from generator.gitops.changes import FleetDiff, RenderedSide, diff_fleets
from generator.output import contents
from generator.source.fleet import load_fleet
from generator.source.repository import read_tree
from generator.spec.check import CheckedFleet, SourceOptions

WORK_TREE = "work tree"
NO_CLUSTERS = "source.no-clusters"  # source.fleet.require_clusters


def _side(
    ref: str, parts: list[tuple[CheckedFleet, tuple[tuple[str, bytes], ...]]]
) -> RenderedSide:
    return RenderedSide(
        ref=ref,
        files={path: data for _, files in parts for path, data in files},
        clusters={c.name: c for checked, _ in parts for c in checked.resolved},
        release=parts[0][0].release if parts else None,
    )


def _cluster_names(opts: SourceOptions) -> tuple[str, ...]:
    try:
        return tuple(c.name for c in load_fleet(read_tree(opts.repo, opts.ref)).clusters)
    except KkpgenError:
        return ()  # unreadable specs: nothing of the base can be rendered


def _base_side(opts: SourceOptions, ref: str) -> RenderedSide:
    """The base may fail the rules: render each cluster that passes, and say what failed."""
    try:
        return _side(ref, [contents.rendered_files(opts)])
    except KkpgenError as error:
        if error.exit_code != ExitCode.INVALID_INPUT:
            raise  # git or environment trouble is not a property of the base
        # A base without clusters (the pull request that adds the first one) is just empty.
        failures = tuple(d for d in error.diagnostics if d.code != NO_CLUSTERS)
    parts = []
    for name in _cluster_names(opts):
        with contextlib.suppress(KkpgenError):
            parts.append(contents.rendered_files(opts, only=(name,)))
    return replace(_side(ref, parts), failures=failures)


def diff_refs(opts: SourceOptions, *, base: str) -> FleetDiff:
    """Both refs rendered as `render` renders them; base-to-head rules are `check --base`'s job."""
    head = _side(opts.ref or WORK_TREE, [contents.rendered_files(replace(opts, base=None))])
    base_side = _base_side(replace(opts, ref=base, base=None), base)
    return diff_fleets(base_side, head, opts.decommission)
