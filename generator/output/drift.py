"""`render --check`: compare <out> with what a render would write, writing nothing."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kkpgen.diagnostics import Diagnostic
from kkpgen.kkp.check import CheckedFleet, raise_unknown
from kkpgen.models.layout import (
    ARGOCD_DIR,
    OWNER_MARKER,
    folder_of,
    group_of,
    record_path,
)
from kkpgen.output.recheck import diagnostic_order
from kkpgen.output.record import foreign_entries
from kkpgen.output.tree import EntryKind, read_file, walk
from kkpgen.render.contents import argocd_files, cluster_files, shard_names
from kkpgen.render.engine import Renderer, build_environment

DriftKind = Literal["missing", "extra", "changed"]  # as <out> stands against a render
Progress = Callable[[int, int], None]  # (clusters done, clusters in all)
# The marker, not output. kkpgen 0.1's fleet-wide record (LEGACY_INPUTS_FILE) is reported
# as extra: `render` removes it, and the tree merges without it (issue 22).
_NOT_OUTPUT = frozenset({OWNER_MARKER})


@dataclass(frozen=True, slots=True)
class Drift:
    group: str  # the cluster, or "argocd", or "" for a stray file at the top of <out>
    path: str  # relative to <out>
    kind: DriftKind


@dataclass(frozen=True, slots=True)
class DriftReport:
    clusters: int  # clusters compared
    files: int  # files a render would write, compared
    drifts: tuple[Drift, ...]  # sorted by path
    notices: tuple[Diagnostic, ...]

    @property
    def groups(self) -> dict[str, list[Drift]]:
        found: dict[str, list[Drift]] = {}
        for drift in self.drifts:
            found.setdefault(drift.group, []).append(drift)
        return found


def _on_disk(folder: Path, prefix: str) -> dict[str, EntryKind]:
    """Every entry below `folder` but folders, by path: files, links (never followed), and
    anything else. A link where a folder of kkpgen's belongs is itself the one entry."""
    if folder.is_symlink():
        return {prefix: "link"}
    return {f"{prefix}/{e.path}": e.kind for e in walk(str(folder)) if e.kind != "folder"}


def _compare(out: Path, group: str, files: Iterable[tuple[str, bytes]]) -> Iterator[Drift]:
    """One folder of <out> (a cluster's, or argocd/) against the files a render writes there.
    Only regular files reached through no link are read, and only up to the size expected
    (a link to /dev/zero exhausted memory: issue 23); anything else there is `changed`."""
    found = _on_disk(out / group, group)
    expected: set[str] = set()
    for path, data in files:
        expected.add(path)
        kind = found.get(path)
        if kind is None:
            yield Drift(group, path, "missing")
        elif kind != "file" or read_file(f"{out}/{path}", len(data)) != data:
            yield Drift(group, path, "changed")
    for path in sorted(found.keys() - expected - {record_path(group)}):
        yield Drift(group, path, "extra")


def _selected(
    checked: CheckedFleet, only: Sequence[str], shard: tuple[int, int] | None
) -> list[str]:
    raise_unknown(only, checked.fleet)
    names = [c.name for c in checked.resolved if not only or c.name in only]
    return shard_names(names, *shard) if shard is not None else names


def _strays(out: Path, names: Iterable[str]) -> Iterator[Drift]:
    """Folders of clusters no longer in the repository and kkpgen 0.1's fleet-wide record (a
    render removes them). Entries kkpgen did not write are not drift: a render keeps them."""
    if not out.is_dir() or out.is_symlink():
        return
    known = {*names, ARGOCD_DIR, *_NOT_OUTPUT, *foreign_entries(out, names)}
    for entry in sorted(os.scandir(out), key=lambda e: e.name):
        if entry.name in known:
            continue
        if entry.is_dir(follow_symlinks=False):
            for path in sorted(_on_disk(Path(entry.path), entry.name)):
                yield Drift(entry.name, path, "extra")
        else:
            yield Drift("", entry.name, "extra")


def find_drift(
    checked: CheckedFleet,
    *,
    out: Path,
    select: tuple[Sequence[str], tuple[int, int] | None] = ((), None),
    progress: Progress | None = None,
) -> DriftReport:
    """What differs between <out> and a render of `checked`; <out> is only read.

    With --cluster or --shard only those clusters' folders are compared: the Argo CD
    folder and the folders of removed clusters depend on the whole fleet.
    """
    only, shard = select
    names = _selected(checked, only, shard)
    stream = cluster_files(checked, names=names, renderer=Renderer(build_environment()))
    drifts: list[Drift] = []
    written: set[tuple[str, str]] = set()
    count = 0
    for done, (name, files) in enumerate(itertools.groupby(stream, lambda f: group_of(f[0])), 1):
        listed = list(files)
        count += len(listed)
        written.update(folder_of(path) for path, _ in listed)
        drifts += _compare(out, name, listed)
        if progress is not None:
            progress(done, len(names))
    if not only and shard is None:
        argocd = list(argocd_files(checked, present=lambda c, d: (c, d) in written))
        count += len(argocd)
        drifts += _compare(out, ARGOCD_DIR, argocd)
        drifts += _strays(out, names)
    ordered = tuple(sorted(drifts, key=lambda d: d.path))
    notices = sorted(checked.diagnostics, key=diagnostic_order)
    return DriftReport(len(names), count, ordered, tuple(notices))
