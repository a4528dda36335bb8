"""The fleet laid out the way a team would write it for kustomize, and built with kubectl.

The layout is derived from kkpgen's render so that both build the same objects:

    bases/<destination>-<chart>-<n>/    objects whose exact text two or more clusters share:
                                        one base per distinct set of shared objects of a chart
                                        (e.g. Canal v3.22's CRDs and RBAC, kube-proxy of 1.23.6)
    overlays/<cluster>/<destination>/   kustomization.yaml naming the cluster's bases, plus the
                                        cluster's own objects copied in as local resources

Per-cluster differences are whole resources in the overlay, not patches, with one exception
that kustomize expresses for free: seed objects all live in namespace cluster-<name>, so their
bases leave the namespace out and the overlay sets it with kustomize's `namespace:` field.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.rendered import ClusterRender, objects_in_files

Files = dict[str, str]  # "<chart>/<kind>-<name>.yaml" -> text
Uses = Counter[tuple[str, str, str]]  # (destination, file, text) -> how many clusters have it


@dataclass
class KustomizeTree:
    """Where the layout was written, and what it holds."""

    root: Path
    overlays: list[tuple[str, str]] = field(default_factory=list)  # (cluster, destination)
    bases: dict[tuple[str, frozenset[tuple[str, str]]], str] = field(default_factory=dict)


def without_namespace(cluster: str, files: Files) -> tuple[Files, str | None]:
    """Files with metadata.namespace cut when every object is in cluster-<name>, and that name."""
    namespace = f"cluster-{cluster}"
    line = f"\n  namespace: {namespace}\n"  # metadata's own key: kkpgen indents it by two
    if not files or not all(line in text for text in files.values()):
        return files, None
    return {rel: text.replace(line, "\n", 1) for rel, text in files.items()}, namespace


def write_kustomization(folder: Path, resources: list[str], namespace: str | None) -> None:
    """A kustomization.yaml listing resources (and setting the namespace, if any)."""
    kustomization: dict[str, object] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    }
    if namespace:
        kustomization["namespace"] = namespace
    kustomization["resources"] = resources
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))


def base_for(tree: KustomizeTree, destination: str, chart: str, files: Files) -> str:
    """The base holding exactly these shared objects of one chart, written the first time."""
    key = (f"{destination}/{chart}", frozenset(files.items()))
    if key not in tree.bases:
        name = f"{destination}-{chart}-{sum(k[0] == key[0] for k in tree.bases)}"
        folder = tree.root / "bases" / name
        folder.mkdir(parents=True)
        for rel, text in files.items():
            (folder / Path(rel).name).write_text(text)  # a base holds one chart: no chart folder
        write_kustomization(folder, sorted(Path(rel).name for rel in files), None)
        tree.bases[key] = name
    return tree.bases[key]


def by_chart(files: Files) -> dict[str, Files]:
    """Files grouped by their chart folder."""
    charts: dict[str, Files] = {}
    for rel, text in files.items():
        charts.setdefault(rel.split("/", 1)[0], {})[rel] = text
    return charts


def write_overlay(
    tree: KustomizeTree, cluster: str, destination: str, files: Files, uses: Uses
) -> None:
    """overlays/<cluster>/<destination>: the cluster's bases plus its own objects."""
    files, namespace = without_namespace(cluster, files)
    shared = {rel: text for rel, text in files.items() if uses[destination, rel, text] > 1}
    own = {rel: text for rel, text in files.items() if rel not in shared}
    folder = tree.root / "overlays" / cluster / destination
    bases = [
        f"../../../bases/{base_for(tree, destination, chart, chart_files)}"
        for chart, chart_files in sorted(by_chart(shared).items())
    ]
    for rel, text in own.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    write_kustomization(folder, bases + sorted(own), namespace)
    tree.overlays.append((cluster, destination))


def write_kustomize_tree(clusters: list[ClusterRender], root: Path) -> KustomizeTree:
    """bases/ and overlays/ under root for every cluster and destination."""
    uses: Uses = Counter()
    for cluster in clusters:
        for destination, files in cluster.files.items():
            files, _ = without_namespace(cluster.name, files)
            uses.update((destination, rel, text) for rel, text in files.items())
    tree = KustomizeTree(root)
    for cluster in clusters:
        for destination, files in cluster.files.items():
            write_overlay(tree, cluster.name, destination, files, uses)
    return tree


def build_overlays(tree: KustomizeTree, out: Path, workers: int = 2) -> None:
    """Run `kubectl kustomize` on every overlay, `workers` at a time, into out/."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl is not on PATH")

    def build(overlay: tuple[str, str]) -> None:
        cluster, destination = overlay
        (out / cluster).mkdir(parents=True, exist_ok=True)
        folder = tree.root / "overlays" / cluster / destination
        with (out / cluster / f"{destination}.yaml").open("w") as sink:
            result = subprocess.run(
                [kubectl, "kustomize", str(folder)], stdout=sink, stderr=subprocess.PIPE, text=True
            )
        if result.returncode != 0:
            raise RuntimeError(f"kubectl kustomize {folder} failed:\n{result.stderr[-2000:]}")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(build, tree.overlays))  # list(): re-raises a failed build here


def built_objects(out: Path, cluster: str, destination: str) -> Counter[str]:
    """The objects kubectl kustomize built for one overlay."""
    built = out / cluster / f"{destination}.yaml"
    return objects_in_files([built] if built.exists() else [])
