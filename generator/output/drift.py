"""`render --check`: compare <out> with what a render would write, writing nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from kkpgen.output.contents import argocd_files, cluster_files, render_notices, shard_names
from kkpgen.output.recheck import diagnostic_order
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


def _on_disk(folder: Path, prefix: str) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        f"{prefix}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()
    }


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _compare(out: Path, group: str, files: Iterable[tuple[str, bytes]]) -> Iterator[Drift]:
    """One folder of <out> (a cluster's, or argocd/) against the files a render writes there."""
    expected: set[str] = set()
    for path, data in files:
        expected.add(path)
        current = _read(out / path)
        if current != data:
            yield Drift(group, path, "missing" if current is None else "changed")
    for path in sorted(_on_disk(out / group, group) - expected - {record_path(group)}):
        yield Drift(group, path, "extra")


def _selected(
    checked: CheckedFleet, only: Sequence[str], shard: tuple[int, int] | None
) -> list[str]:
    raise_unknown(only, checked.fleet)
    names = [c.name for c in checked.resolved if not only or c.name in only]
    return shard_names(names, *shard) if shard is not None else names


def _strays(out: Path, names: Iterable[str]) -> Iterator[Drift]:
    """Folders of clusters no longer in the repository, and files kkpgen does not write."""
    if not out.is_dir():
        return
    known = {*names, ARGOCD_DIR}
    for entry in sorted(out.iterdir()):
        if entry.name in _NOT_OUTPUT or entry.name in known:
            continue
        if entry.is_dir():
            for path in sorted(_on_disk(entry, entry.name)):
                yield Drift(entry.name, path, "extra")
        else:
            yield Drift("", entry.name, "extra")


def check_output(
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
    notices = sorted((*checked.diagnostics, *render_notices(checked)), key=diagnostic_order)
    return DriftReport(len(names), count, ordered, tuple(notices))


def drift_counts(report: DriftReport) -> Mapping[DriftKind, int]:
    counts: dict[DriftKind, int] = {"missing": 0, "extra": 0, "changed": 0}
    for drift in report.drifts:
        counts[drift.kind] += 1
    return counts
