"""A checked fleet rendered in memory: each cluster's (path, bytes) and the Argo CD files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.kkp import defaults
from kkpgen.kkp.catalog import Catalog, load_catalog
from kkpgen.kkp.charts import Chart, load_charts
from kkpgen.kkp.check import CheckedFleet, check_fleet
from kkpgen.models import layout
from kkpgen.models.labels import (
    ARGOCD_MODE_ANNOTATION,
    ARGOCD_PATH_ANNOTATION,
    ARGOCD_REPO_ANNOTATION,
    ARGOCD_REVISION_ANNOTATION,
    DECOMMISSION_LABEL,
    ROLLOUT_WAVE_LABEL,
    SEED_DESTINATION_ANNOTATION,
)
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.render import applications, appsets
from kkpgen.render.engine import Renderer, build_environment, render_release
from kkpgen.render.manifest import (
    DESTINATIONS,
    Manifest,
    dump_yaml,
    kustomization_text,
)
from kkpgen.render.plan import plan_releases
from kkpgen.source.fleet import Fleet, LoadedCluster
from kkpgen.source.repository import SourceTree


def render_cluster(
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


def argo_settings(fleet: Fleet) -> applications.ArgoSettings | None:
    annotations = fleet.config.metadata.annotations
    repo_url = annotations.get(ARGOCD_REPO_ANNOTATION)
    if not repo_url:
        return None
    # whole_fleet.argocd_mode_known refused any other value before the render
    mode = annotations.get(ARGOCD_MODE_ANNOTATION)
    return applications.ArgoSettings(
        repo_url=repo_url,
        revision=annotations.get(ARGOCD_REVISION_ANNOTATION, "HEAD"),
        path=annotations.get(ARGOCD_PATH_ANNOTATION, "rendered"),
        seed_destination=annotations.get(SEED_DESTINATION_ANNOTATION, "in-cluster"),
        mode="applications" if mode == "applications" else "applicationset",
    )


Selected = tuple[ResolvedCluster, LoadedCluster]  # a cluster resolved, and as loaded


def select_clusters(checked: CheckedFleet, names: Iterable[str]) -> list[Selected]:
    """The named clusters in the fleet's order, resolved and as loaded.

    Made before workers fork: a worker then touches only its own share of the fleet. Reading
    an object writes its reference count, and that write copies the object's page out of the
    memory a worker shares with the parent (a whole-fleet loop in every worker cost tens of
    MB each at 10,000 clusters)."""
    wanted = set(names)
    by_name = {c.name: c for c in checked.fleet.clusters}
    return [(c, by_name[c.name]) for c in checked.resolved if c.name in wanted]


def cluster_files(
    checked: CheckedFleet, *, names: Sequence[str], renderer: Renderer
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every named cluster, one cluster at a time (memory stays flat)."""
    return selected_files(checked, select_clusters(checked, names), renderer=renderer)


def selected_files(
    checked: CheckedFleet, selected: Sequence[Selected], *, renderer: Renderer
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the selected clusters, one cluster at a time."""
    catalog = load_catalog()
    charts = load_charts()
    settings = argo_settings(checked.fleet)
    sets = settings is not None and settings.mode == "applicationset"
    for cluster, loaded in selected:
        manifests = render_cluster(cluster, charts=charts, renderer=renderer, catalog=catalog)
        for manifest in sorted(manifests, key=lambda m: m.path):
            yield manifest.path, manifest.text.encode()
        for destination in DESTINATIONS:
            resources = [
                f"{m.chart}/{m.file_name}" for m in manifests if m.destination == destination
            ]
            if resources:
                path = layout.kustomization_path(cluster.name, destination)
                yield path, kustomization_text(resources).encode()
                if sets:  # what the ApplicationSet of this destination kind reads
                    target = applications.ArgoTarget(cluster.name, destination, wave=_wave(cluster))
                    path, text = appsets.target_file(target)
                    yield path, text.encode()
        document = defaults.resolved_document(loaded, cluster)
        yield layout.resolved_path(cluster.name), dump_yaml(document).encode()


def _unpinned_node_ports(cluster: ResolvedCluster) -> tuple[str, ...]:
    """The seed tunnel Service whose NodePort Kubernetes allocates (kkpgen renders none)."""
    if cluster.expose_strategy == "Tunneling":
        return ()  # Tunneling fixes the ports: no NodePort Service to allocate
    konnectivity = cluster.network.konnectivity_enabled
    chart = "konnectivity" if konnectivity else "openvpn"
    port = cluster.address.konnectivity_port if konnectivity else cluster.address.openvpn_port
    pinned = port or any(
        addon.name == chart and addon.variables.get("serverPort") for addon in cluster.addons
    )
    return () if pinned else ("konnectivity-server" if konnectivity else "openvpn-server",)


def cluster_argo(cluster: ResolvedCluster) -> applications.ClusterArgo:
    return applications.ClusterArgo(
        wave=_wave(cluster),
        decommissioning=cluster.labels.get(DECOMMISSION_LABEL) == "true",
        unpinned_node_ports=_unpinned_node_ports(cluster),
    )


def argocd_files(
    checked: CheckedFleet, *, present: Callable[[str, str], bool]
) -> Iterator[tuple[str, bytes]]:
    facts = {cluster.name: cluster_argo(cluster) for cluster in checked.resolved}
    return argocd_tree(argo_settings(checked.fleet), facts, present=present)


def argocd_tree(
    settings: applications.ArgoSettings | None,
    facts: Mapping[str, applications.ClusterArgo],
    *,
    present: Callable[[str, str], bool],
) -> Iterator[tuple[str, bytes]]:
    """The files under argocd/: from the settings and each cluster's facts, which a render
    of one cluster reads from the others' folder records (output/record.py)."""
    if settings is None:
        return
    files = appsets.control_files(settings, waves={f.wave for f in facts.values()})
    if settings.mode == "applications":
        targets = [
            applications.ArgoTarget(
                name,
                destination,
                decommissioning=argo.decommissioning,
                unpinned_node_ports=argo.unpinned_node_ports if destination == "seed" else (),
                wave=argo.wave,
            )
            for name, argo in facts.items()
            for destination in DESTINATIONS
            if present(name, destination)
        ]
        files += applications.application_files(targets, settings)
    for path, text in sorted(files):
        yield path, text.encode()


def _wave(cluster: ResolvedCluster) -> str:
    return cluster.labels.get(ROLLOUT_WAVE_LABEL, "")


def output_files(
    checked: CheckedFleet, *, only: Sequence[str], kept: Sequence[applications.ArgoTarget]
) -> Iterator[tuple[str, bytes]]:
    """Everything `render` writes for these clusters, in memory (diff, the Argo CD plugin)."""
    names = [c.name for c in checked.resolved if not only or c.name in only]
    files = dict(cluster_files(checked, names=names, renderer=Renderer(build_environment())))
    written = {layout.folder_of(path) for path in files}
    kept_targets = {(t.cluster, t.destination) for t in kept}
    yield from files.items()
    yield from argocd_files(
        checked, present=lambda c, d: (c, d) in written or (c, d) in kept_targets
    )


def rendered_files(
    opts: SourceOptions, *, only: Sequence[str] = (), tree: SourceTree | None = None
) -> tuple[CheckedFleet, tuple[tuple[str, bytes], ...]]:
    """Check and render in memory: the (path, bytes) `render` writes, nothing written."""
    checked = check_fleet(opts, only=only, tree=tree)
    return checked, tuple(output_files(checked, only=only, kept=()))


def shard_of(name: str, count: int) -> int:
    """The shard (1-based, of `count`) a cluster is in: by a hash of its name, so adding or
    removing a cluster never moves another one to a different CI machine."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % count + 1


def shard_names(names: Sequence[str], index: int, count: int) -> list[str]:
    """The clusters of shard `index` of `count`."""
    return [name for name in names if shard_of(name, count) == index]
