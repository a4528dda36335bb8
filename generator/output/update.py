"""Render into <out>: check, render what changed, stage beside <out>, validate, swap it in."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.kkp.check import CheckedFleet, check_fleet, raise_unknown
from kkpgen.models import layout
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.output.drift import DriftReport, Progress, find_drift
from kkpgen.output.recheck import (
    Recheck,
    diagnostic_order,
    file_records,
    recheck,
    sources_digest,
)
from kkpgen.output.record import (
    ChangePlan,
    OutputInputs,
    cluster_record,
    fleet_inputs,
    foreign_entries,
    parse_inputs,
    plan_changes,
    record_bytes,
    write_record,
)
from kkpgen.output.staging import (
    Stager,
    check_location,
    check_owned,
    commit,
    discard,
    output_lock,
    remove_file,
    replace_folder,
)
from kkpgen.output.tree import read_file, walk
from kkpgen.output.workers import counted, write_warmed
from kkpgen.render.applications import ClusterArgo
from kkpgen.render.contents import (
    Selected,
    argocd_files,
    argocd_tree,
    cluster_argo,
    cluster_files,
    select_clusters,
    selected_files,
    shard_names,
)
from kkpgen.render.engine import Renderer, build_environment
from kkpgen.source.repository import CLUSTERS_DIR, SourceTree, read_tree


@dataclass(frozen=True, slots=True)
class RenderResult:
    clusters: int
    files: int
    notices: tuple[Diagnostic, ...] = field(default_factory=tuple)
    rendered: int = 0  # clusters rendered again; the others kept their output as it was


@dataclass(frozen=True, slots=True)
class RenderOptions:
    out: Path
    only: tuple[str, ...] = ()  # render these clusters; keep the others' folders as they are
    shard: tuple[int, int] | None = None  # (k, n): render the k-th of n shards (1-based)
    jobs: int = 1  # worker processes for a large render
    validate: bool = False
    backend: str = "auto"
    kubeconform: str | None = None
    schema_cache: Path | None = None
    progress: Progress | None = None  # told (clusters done, clusters to render) as they are
    full: bool = False  # render every cluster again, whatever the folder records say


def render_fleet(opts: SourceOptions, render: RenderOptions) -> RenderResult:
    """Check, render what changed, stage beside <out>, validate, then swap it in."""
    target = check_location(render.out, clusters=opts.repo / CLUSTERS_DIR)
    if render.out.is_symlink():  # swap the folder it names, and leave the link a link
        render = replace(render, out=target)
    tree = read_tree(opts.repo, opts.ref)
    raw = record_bytes(render.out)
    old = parse_inputs(raw)
    quick_path = not (render.only or render.full or render.validate)
    if quick_path and render.shard is None:
        quick = recheck(opts, old, tree)
        result = _render_rechecked(quick, old, raw, render) if quick and old and raw else None
        if result is not None:
            return result
    checked = check_fleet(opts, tree=tree)
    # The checked fleet lives to the end of the run: the collector need not scan it again
    # and again while rendering (7% of a 1,000-cluster render). Freed by refcount as usual.
    gc.freeze()
    return _render_checked(checked, tree, opts, render)


def output_drift(
    opts: SourceOptions, render: RenderOptions, *, progress: Progress | None = None
) -> DriftReport:
    """`render --check`: what a render would change in <out>, with nothing written."""
    checked = check_fleet(opts)  # the spec files at opts.ref
    gc.freeze()
    select = (render.only, render.shard)
    return find_drift(checked, out=render.out, select=select, progress=progress)


def _render_checked(
    checked: CheckedFleet, tree: SourceTree, opts: SourceOptions, render: RenderOptions
) -> RenderResult:
    raise_unknown(render.only, checked.fleet)  # --cluster typo: not a silent no-op
    diagnostics = _ordered_diagnostics(checked)
    if render.shard is not None:
        names = shard_names([c.name for c in checked.resolved], *render.shard)
        names = [n for n in names if not render.only or n in render.only]
        if not names:  # an empty `only` means every cluster: render nothing instead
            notice = _empty_shard(render.shard, len(checked.resolved))
            return RenderResult(len(checked.resolved), 0, (*diagnostics, notice))
        render = replace(render, only=tuple(names))
    files, shared = file_records(checked, tree, diagnostics)
    # Records made against --base hold transition findings: never reuse them (recheck.py).
    inputs = fleet_inputs(checked)
    sources = "" if opts.base is not None else sources_digest(tree, opts, inputs.run)
    inputs = replace(inputs, sources=sources, files=files, shared=shared)
    result = RenderResult(len(checked.resolved), 0, tuple(diagnostics))
    facts = {c.name: cluster_argo(c) for c in checked.resolved}
    with output_lock(render.out):
        check_owned(render.out)
        plan = plan_changes(None, inputs, out=render.out, only=render.only, full=render.full)
        renderer = Renderer(build_environment())
        count, swapped = 0, False
        warned: tuple[Diagnostic, ...] = ()
        if plan.render or plan.removed or render.validate or not _is_folder(render.out):
            one = _one_folder_changes(plan, render.out)
            written = (
                _replace_one(checked, plan.render[0], render, inputs, renderer) if one else None
            )
            if written is None:  # the whole tree, argocd/ with it
                written = _replace_all(checked, plan, render, inputs=inputs, renderer=renderer)
                facts = {}
            count, swapped = written, True
        if facts:
            everyone = {**plan.facts, **facts}
            synced, warned = _sync_argocd_after(render.out, inputs, everyone, swapped=swapped)
            count += synced
        write_record(render.out, inputs)
    notices = (*result.notices, *warned)
    return replace(result, files=count, rendered=len(plan.render), notices=notices)


def _empty_shard(shard: tuple[int, int], clusters: int) -> Diagnostic:
    index, count = shard
    return Diagnostic(
        "render.shard-empty",
        Location(""),
        "",
        f"shard {index}/{count} holds none of the {clusters} clusters: nothing rendered, "
        "the output is as it was",
        "nothing to do: the other shards render every cluster",
        severity="notice",
    )


def _render_rechecked(
    quick: Recheck, old: OutputInputs, raw: bytes, render: RenderOptions
) -> RenderResult | None:
    """The common pull request: few spec files changed. None: take the full path."""
    names = [name for record in quick.kept.values() for name in record.clusters]
    if any(name not in old.clusters for name in names):
        return None  # a memo that does not add up: check everything
    clusters = {name: old.clusters[name] for name in names}
    found = [d for record in quick.kept.values() for d in record.diagnostics]
    files, shared, settings = dict(quick.kept), old.shared, old.settings
    checked = quick.checked
    facts: dict[str, ClusterArgo] = {}
    if checked is not None:
        fresh = _ordered_diagnostics(checked)
        records, shared = file_records(checked, quick.changed, fresh)
        files.update(records)
        clusters.update(fleet_inputs(checked).clusters)
        facts = {c.name: cluster_argo(c) for c in checked.resolved}
        found += fresh
    else:
        found += shared
    inputs = OutputInputs(old.run, clusters, quick.sources, files, shared, settings)
    result = RenderResult(len(clusters), 0, tuple(sorted(found, key=diagnostic_order)))
    with output_lock(render.out):
        check_owned(render.out)
        if record_bytes(render.out) != raw:
            return None  # another run rendered in between
        plan = plan_changes(old, inputs, out=render.out, only=())
        count, swapped = 0, False
        if plan.render or plan.removed:
            written = _replace_rechecked(checked, plan, render, inputs)
            if written is None:
                return None
            count, swapped = written, True
        everyone = {**plan.facts, **facts}
        synced, warned = _sync_argocd_after(render.out, inputs, everyone, swapped=swapped)
        write_record(render.out, inputs)
    notices = (*result.notices, *warned)
    return replace(result, files=count + synced, rendered=len(plan.render), notices=notices)


def _replace_rechecked(
    checked: CheckedFleet | None, plan: ChangePlan, render: RenderOptions, inputs: OutputInputs
) -> int | None:
    """_replace_one for the one cluster of a changed spec file; None (the full path) for
    anything else, such as the folder of an unchanged cluster that was tampered with."""
    if checked is None or not _one_folder_changes(plan, render.out):
        return None
    if plan.render[0] not in {c.name for c in checked.resolved}:
        return None
    return _replace_one(checked, plan.render[0], render, inputs, Renderer(build_environment()))


def _ordered_diagnostics(checked: CheckedFleet) -> list[Diagnostic]:
    """The check's warnings and notices, in the order both paths print them."""
    return sorted(checked.diagnostics, key=diagnostic_order)


def _one_folder_changes(plan: ChangePlan, out: Path) -> bool:
    """One existing cluster changed and nothing else: swap just its folder (atomic)."""
    return len(plan.render) == 1 and not plan.removed and _is_folder(out / plan.render[0])


def _sync_argocd(out: Path, inputs: OutputInputs, facts: Mapping[str, ClusterArgo]) -> int:
    """Make argocd/ what the fleet's clusters now call for, on every path (issue 22: a wave
    changed in one cluster left the ApplicationSets' steps stale). `facts` has every
    cluster's: those just checked, and those plan_changes read from the records of the
    folders it keeps. Returns the files written, 0 when argocd/ was current. Also removes
    the fleet-wide record of kkpgen 0.1."""
    everyone = {name: facts[name] for name in sorted(inputs.clusters)}
    wanted = dict(
        argocd_tree(inputs.settings, everyone, present=lambda c, d: _is_folder(out / c / d))
    )
    count = 0
    if not _holds_argocd(out, wanted):
        with Stager(out) as stager:
            for path, data in wanted.items():
                stager.write(path, data)
            replace_folder(stager.finish(), layout.ARGOCD_DIR)
            count = stager.count
    remove_file(out, layout.LEGACY_INPUTS_FILE)
    return count


def _holds_argocd(out: Path, wanted: Mapping[str, bytes]) -> bool:
    """argocd/ holds exactly `wanted`: regular files, read through no link and bounded (a
    committed tree is input: issue 23); no argocd/ holds exactly nothing."""
    folder = out / layout.ARGOCD_DIR
    if not _is_folder(folder):
        return not wanted and not os.path.lexists(folder)
    entries = list(walk(str(folder)))
    if any(e.kind != "file" for e in entries):
        return False
    if {layout.argocd_path(e.path) for e in entries} != wanted.keys():
        return False
    return all(read_file(f"{out}/{path}", len(data)) == data for path, data in wanted.items())


def _sync_argocd_after(
    out: Path, inputs: OutputInputs, facts: Mapping[str, ClusterArgo], *, swapped: bool
) -> tuple[int, tuple[Diagnostic, ...]]:
    """_sync_argocd, and once a cluster's folder was swapped in a failure to write argocd/
    (a full disk) is a warning, not a failed run: never exit 4 with <out> changed (issue
    23). The next render finds argocd/ stale and makes it again."""
    try:
        return _sync_argocd(out, inputs, facts), ()
    except KkpgenError as error:
        if not swapped or len(error.diagnostics) != 1:
            raise
        (problem,) = error.diagnostics
    warning = replace(
        problem,
        code="output.argocd-not-written",
        message=f"{problem.message}: the cluster's folder was replaced, argocd/ was not",
        hint="nothing to do now: the next render makes argocd/ again; free disk space before it",
        severity="warning",
    )
    return 0, (warning,)


def _is_folder(path: Path) -> bool:
    """A folder, and no link to one: kkpgen never reads or keeps through a link (issue 23)."""
    return path.is_dir() and not path.is_symlink()


def _replace_one(
    checked: CheckedFleet,
    name: str,
    render: RenderOptions,
    inputs: OutputInputs,
    renderer: Renderer,
) -> int | None:
    """Swap in the one changed folder; None (nothing written) when its destinations changed,
    or when the folder is missing from <out>."""
    with Stager(render.out) as stager:
        for path, data in cluster_files(checked, names=[name], renderer=renderer):
            stager.write(path, data)
        _mark(stager, next(c for c in checked.resolved if c.name == name), inputs)
        staged = stager.finish()
        same_shape = {p.name for p in (staged.root / name).iterdir() if p.is_dir()} == {
            p.name for p in (render.out / name).iterdir() if p.is_dir()
        }
        if not same_shape:
            discard(staged)
            return None
        if render.validate:
            _validate_staged(staged.root, render)
        replace_folder(staged, name)
        return stager.count


def _mark(stager: Stager, cluster: ResolvedCluster, inputs: OutputInputs) -> None:
    """Put the cluster's own record into its staged folder, listing the files just written
    there: it is swapped in with it."""
    files = stager.take_listing(f"{cluster.name}/")
    record = cluster_record(inputs.run, inputs.clusters[cluster.name], cluster_argo(cluster), files)
    stager.mark(layout.record_path(cluster.name), record)


def _replace_all(
    checked: CheckedFleet,
    plan: ChangePlan,
    render: RenderOptions,
    *,
    inputs: OutputInputs,
    renderer: Renderer,
) -> int:
    with Stager(render.out) as stager:
        for name in plan.keep:
            stager.link_folder(name)
        stager.keep_foreign(foreign_entries(render.out, inputs.clusters))
        selected = select_clusters(checked, plan.render)  # before the fork (contents.py)

        def files(share: Sequence[Selected]) -> Iterator[tuple[str, bytes]]:
            """A share's files; each cluster's record is marked right after them, by the
            process that wrote them (1,000 records written by the parent alone took 0.4 s)."""
            for one in share:
                yield from selected_files(checked, (one,), renderer=renderer)
                _mark(stager, one[0], inputs)

        if render.jobs > 1 and len(plan.render) >= 2 * render.jobs:
            by_workers = write_warmed(  # the parent's own writes count in stager.count
                selected,
                jobs=render.jobs,
                files=files,
                write=stager.write,
                progress=render.progress,
            )
            stager.count += by_workers
        else:
            for path, data in counted(files(selected), len(plan.render), render.progress):
                stager.write(path, data)
        for path, data in argocd_files(
            checked, present=lambda c, d: (stager.root / c / d).is_dir()
        ):
            stager.write(path, data)
        staged = stager.finish()
        if render.validate:
            _validate_staged(staged.root, render)
        commit(staged)
        return stager.count


def _validate_staged(root: Path, render: RenderOptions) -> None:
    # Imported here: jsonschema adds 0.2 s to the start of every command that does not validate.
    from kkpgen.validate import run_validation

    run_validation(
        root,
        backend=render.backend,
        kubeconform=render.kubeconform,
        cache_dir=render.schema_cache,
        display_root=str(render.out),
    )
