"""The render half of the pipeline: rendered files in memory, and the render into <out>."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import argocd, defaults
from generator.catalog import CATALOG_PATH, Catalog, load_catalog
from generator.charts import CHARTS_DIR, Chart, load_charts
from generator.diagnostics import Diagnostic, KkpgenError, Location
from generator.incremental import (
    INPUTS_FILE,
    ChangePlan,
    OutputInputs,
    cluster_digest,
    digest_files,
    plan_changes,
    read_inputs,
    run_digest,
)
from generator.loader import Fleet, locate_violation
from generator.manifests import DESTINATIONS, KUSTOMIZATION, Manifest, dump_yaml, kustomization_text
from generator.models.kubermatic import (
    ARGOCD_PATH_ANNOTATION,
    ARGOCD_REPO_ANNOTATION,
    ARGOCD_REVISION_ANNOTATION,
    SEED_DESTINATION_ANNOTATION,
)
from generator.models.resolved import ResolvedCluster
from generator.pipeline import CheckedFleet, SourceOptions, check_fleet, raise_unknown
from generator.plan import plan_releases, tunnel_port_notice
from generator.render import Renderer, build_environment, render_release
from generator.workers import write_in_workers
from generator.writer import Stager, check_owned, commit, discard, output_lock, replace_folder


@dataclass(frozen=True, slots=True)
class RenderResult:
    checked: CheckedFleet
    files: int
    notices: tuple[Diagnostic, ...] = field(default_factory=tuple)


def _render_cluster(
    cluster: ResolvedCluster, *, charts: Mapping[str, Chart], renderer: Renderer, catalog: Catalog
) -> list[Manifest]:
    images = catalog.images_for(
        release=catalog.release(cluster.kkp_version),
        cni=cluster.cni.type,
        cni_version=cluster.cni.version,
        kubernetes_version=cluster.kubernetes_version,
    )
    manifests: list[Manifest] = []
    for release in plan_releases(cluster):
        manifests.extend(
            render_release(
                release,
                chart=charts[release.chart],
                renderer=renderer,
                images=images,
            )
        )
    seen: dict[str, Manifest] = {}
    for manifest in manifests:
        if manifest.path in seen:
            raise KkpgenError(
                [
                    Diagnostic(
                        "render.duplicate-object",
                        Location(f"charts/{manifest.chart}/templates/{manifest.template}"),
                        "",
                        f"two objects render to {manifest.path}",
                        "give each object of a chart a distinct kind and name",
                    )
                ]
            )
        seen[manifest.path] = manifest
    return manifests


def _argo_settings(fleet: Fleet) -> argocd.ArgoSettings | None:
    annotations = fleet.config.metadata.annotations
    repo_url = annotations.get(ARGOCD_REPO_ANNOTATION)
    if not repo_url:
        return None
    return argocd.ArgoSettings(
        repo_url=repo_url,
        revision=annotations.get(ARGOCD_REVISION_ANNOTATION, "HEAD"),
        path=annotations.get(ARGOCD_PATH_ANNOTATION, "rendered"),
        seed_destination=annotations.get(SEED_DESTINATION_ANNOTATION, "in-cluster"),
    )


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


def _cluster_files(
    checked: CheckedFleet, *, names: Sequence[str], renderer: Renderer
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every named cluster, one cluster at a time (memory stays flat)."""
    catalog = load_catalog()
    charts = load_charts()
    wanted = set(names)
    by_name = {c.name: c for c in checked.fleet.clusters}
    for cluster in checked.resolved:
        if cluster.name not in wanted:
            continue
        manifests = _render_cluster(cluster, charts=charts, renderer=renderer, catalog=catalog)
        for manifest in sorted(manifests, key=lambda m: m.path):
            yield manifest.path, manifest.text.encode()
        for destination in DESTINATIONS:
            resources = [
                f"{m.chart}/{m.file_name}" for m in manifests if m.destination == destination
            ]
            if resources:
                path = f"{cluster.name}/{destination}/{KUSTOMIZATION}"
                yield path, kustomization_text(resources).encode()
        document = defaults.resolved_document(by_name[cluster.name], cluster)
        yield f"{cluster.name}/resolved.yaml", dump_yaml(document).encode()


def _argocd_files(
    checked: CheckedFleet, *, present: Callable[[str, str], bool]
) -> Iterator[tuple[str, bytes]]:
    settings = _argo_settings(checked.fleet)
    if settings is None:
        return
    targets = [
        argocd.ArgoTarget(cluster.name, destination)
        for cluster in checked.resolved
        for destination in DESTINATIONS
        if present(cluster.name, destination)
    ]
    for path, text in argocd.application_files(targets, settings):
        yield path, text.encode()


def _output_files(
    checked: CheckedFleet, *, only: Sequence[str], kept: Sequence[argocd.ArgoTarget]
) -> Iterator[tuple[str, bytes]]:
    """Everything `render` writes for these clusters, in memory (diff, the Argo CD plugin)."""
    names = [c.name for c in checked.resolved if not only or c.name in only]
    files = dict(_cluster_files(checked, names=names, renderer=Renderer(build_environment())))
    written = {tuple(path.split("/")[:2]) for path in files}
    kept_targets = {(t.cluster, t.destination) for t in kept}
    yield from files.items()
    yield from _argocd_files(
        checked, present=lambda c, d: (c, d) in written or (c, d) in kept_targets
    )


def rendered_files(
    opts: SourceOptions, *, only: Sequence[str] = ()
) -> tuple[CheckedFleet, tuple[tuple[str, bytes], ...]]:
    """Check and render in memory: the (path, bytes) `render` writes, nothing written."""
    checked = check_fleet(opts, only=only)
    return checked, tuple(_output_files(checked, only=only, kept=()))


def _fleet_inputs(checked: CheckedFleet) -> OutputInputs:
    settings = _argo_settings(checked.fleet)
    run = run_digest(digest_files(CATALOG_PATH.parent), digest_files(CHARTS_DIR), repr(settings))
    by_name = {c.name: c for c in checked.fleet.clusters}
    clusters = {
        cluster.name: cluster_digest(
            defaults.resolved_document(by_name[cluster.name], cluster),
            [(a.name, a.variables) for a in cluster.addons],
        )
        for cluster in checked.resolved
    }
    return OutputInputs(run, clusters)


def shard_names(names: Sequence[str], index: int, count: int) -> list[str]:
    """The clusters of shard `index` of `count`: by a hash of the name, so adding or removing
    a cluster never moves another one to a different CI machine."""
    return [
        name
        for name in names
        if int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % count == index - 1
    ]


def render_fleet(opts: SourceOptions, render: RenderOptions) -> RenderResult:
    """Check, render what changed, stage beside <out>, validate, then swap it in."""
    checked = check_fleet(opts)
    raise_unknown(render.only, checked.fleet)  # --cluster typo: not a silent no-op
    if render.shard is not None:
        names = shard_names([c.name for c in checked.resolved], *render.shard)
        render = replace(
            render, only=tuple(n for n in names if not render.only or n in render.only)
        )
    with output_lock(render.out):
        check_owned(render.out)
        inputs = _fleet_inputs(checked)
        old = read_inputs(render.out) if render.out.is_dir() else None
        plan = plan_changes(old, inputs, out=render.out, only=render.only)
        renderer = Renderer(build_environment())
        if not plan.render and not plan.removed and old == inputs and not render.validate:
            return RenderResult(checked, 0, (*checked.diagnostics, *_render_notices(checked)))
        if _one_folder_changes(plan, old):
            count = _replace_one(checked, plan.render[0], render, inputs=inputs, renderer=renderer)
        else:
            count = _replace_all(checked, plan, render, inputs=inputs, renderer=renderer)
    return RenderResult(checked, count, (*checked.diagnostics, *_render_notices(checked)))


def _render_notices(checked: CheckedFleet) -> list[Diagnostic]:
    by_name = {c.name: c for c in checked.fleet.clusters}
    return [
        locate_violation(violation, by_name[cluster.name])
        for cluster in checked.resolved
        for violation in tunnel_port_notice(by_name[cluster.name], cluster)
    ]


def _one_folder_changes(plan: ChangePlan, old: OutputInputs | None) -> bool:
    """One existing cluster changed and nothing else: swap just its folder (atomic)."""
    return (
        len(plan.render) == 1
        and not plan.removed
        and old is not None
        and (plan.render[0] in old.clusters)
    )


def _replace_one(
    checked: CheckedFleet,
    name: str,
    render: RenderOptions,
    *,
    inputs: OutputInputs,
    renderer: Renderer,
) -> int:
    with Stager(render.out) as stager:
        for path, data in _cluster_files(checked, names=[name], renderer=renderer):
            stager.write(path, data)
        staged = stager.finish()
        same_shape = {p.name for p in (staged.root / name).iterdir() if p.is_dir()} == {
            p.name for p in (render.out / name).iterdir() if p.is_dir()
        }
        if not same_shape:  # destinations changed: the Argo CD folder changes too
            discard(staged)
            plan = ChangePlan((name,), tuple(sorted(set(inputs.clusters) - {name})), ())
            return _replace_all(checked, plan, render, inputs=inputs, renderer=renderer)
        if render.validate:
            _validate_staged(staged.root, render)
        replace_folder(staged, name, record=(INPUTS_FILE, inputs.to_bytes()))
        return stager.count


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
        if render.jobs > 1 and len(plan.render) >= 2 * render.jobs:
            stager.count += write_in_workers(
                plan.render,
                jobs=render.jobs,
                files=lambda names: _cluster_files(checked, names=names, renderer=renderer),
                write=stager.write,
            )
        else:
            for path, data in _cluster_files(checked, names=plan.render, renderer=renderer):
                stager.write(path, data)
        for path, data in _argocd_files(
            checked, present=lambda c, d: (stager.root / c / d).is_dir()
        ):
            stager.write(path, data)
        stager.write(INPUTS_FILE, inputs.to_bytes())
        staged = stager.finish()
        if render.validate:
            _validate_staged(staged.root, render)
        commit(staged)
        return stager.count


def _validate_staged(root: Path, render: RenderOptions) -> None:
    # Imported here: jsonschema adds 0.2 s to the start of every command that does not validate.
    from generator.validate import run_validation

    run_validation(
        root,
        backend=render.backend,
        kubeconform=render.kubeconform,
        cache_dir=render.schema_cache,
        display_root=str(render.out),
    )
