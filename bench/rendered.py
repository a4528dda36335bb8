"""kkpgen's rendered tree read back as data, and object-level comparison of manifests.

The tools compared in bench/compare_tools.py must build the same Kubernetes objects as kkpgen.
Their files, comments, key order and quoting differ, so objects are compared parsed: each one
as canonical JSON, per cluster and destination, as a multiset.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kkpgen.source.libyaml import SafeLoader  # the sample's large CRDs parse slowly without it

DESTINATIONS = ("user-cluster", "seed")


@dataclass(frozen=True)
class ClusterRender:
    """One cluster as kkpgen rendered it.

    files maps destination -> {"<chart>/<kind>-<name>.yaml": text}; resolved is the cluster's
    spec with every default filled in (OUT/<cluster>/resolved.yaml).
    """

    name: str
    files: dict[str, dict[str, str]]
    resolved: dict[str, Any]


def read_cluster(folder: Path) -> ClusterRender:
    """The object files (not kustomization.yaml) and resolved spec of one rendered cluster."""
    files: dict[str, dict[str, str]] = {}
    for destination in DESTINATIONS:
        base = folder / destination
        files[destination] = {
            path.relative_to(base).as_posix(): path.read_text()
            for path in sorted(base.glob("*/*.yaml"))
        }
    resolved = yaml.safe_load((folder / "resolved.yaml").read_text())
    return ClusterRender(folder.name, files, resolved)


def read_render(out: Path) -> list[ClusterRender]:
    """Every cluster of a `kkpgen render --out OUT` tree, by name."""
    # argocd/ holds Argo CD Applications, which the other tools have no counterpart for
    return [read_cluster(f) for f in sorted(out.iterdir()) if (f / "resolved.yaml").is_file()]


def profile(cluster: ClusterRender) -> tuple[str, ...]:
    """Which object files a cluster has: clusters of one profile differ only in values."""
    return tuple(sorted(f"{d}/{rel}" for d, files in cluster.files.items() for rel in files))


def sample_clusters(clusters: list[ClusterRender], size: int) -> list[ClusterRender]:
    """One cluster of every profile, topped up with evenly spaced clusters to `size`."""
    picked: dict[str, ClusterRender] = {}
    seen: set[tuple[str, ...]] = set()
    for cluster in clusters:
        if profile(cluster) not in seen:
            seen.add(profile(cluster))
            picked[cluster.name] = cluster
    step = max(1, len(clusters) // size)
    for cluster in clusters[::step]:
        if len(picked) >= size:
            break
        picked.setdefault(cluster.name, cluster)
    return sorted(picked.values(), key=lambda c: c.name)


def objects_in(texts: Iterable[str]) -> Counter[str]:
    """The objects of YAML streams, each as canonical JSON (comments and layout dropped)."""
    found: Counter[str] = Counter()
    for text in texts:
        for document in yaml.load_all(text, Loader=SafeLoader):
            if document is not None:
                found[json.dumps(document, sort_keys=True)] += 1
    return found


def objects_in_files(paths: Iterable[Path]) -> Counter[str]:
    """The objects of YAML files, as objects_in."""
    return objects_in(path.read_text() for path in paths)


def describe(canonical: str) -> str:
    """kind namespace/name of an object given as canonical JSON, for messages."""
    obj = json.loads(canonical)
    metadata = obj.get("metadata", {})
    return f"{obj.get('kind')} {metadata.get('namespace', '')}/{metadata.get('name')}"


def difference(expected: Counter[str], actual: Counter[str]) -> str | None:
    """None when both hold the same objects, else what is missing and what is extra."""
    missing, extra = expected - actual, actual - expected
    if not missing and not extra:
        return None
    return (
        f"missing {sorted(describe(o) for o in missing)[:5]}, "
        f"unexpected {sorted(describe(o) for o in extra)[:5]}"
    )


Expected = dict[tuple[str, str], Counter[str]]  # (cluster, destination) -> kkpgen's objects


def expected_objects(clusters: list[ClusterRender]) -> Expected:
    """kkpgen's objects of each cluster and destination, parsed once for every tool's check."""
    return {
        (cluster.name, destination): objects_in(files.values())
        for cluster in clusters
        for destination, files in cluster.files.items()
    }


def verify(tool: str, expected: Expected, built: Callable[[str, str], Counter[str]]) -> str:
    """Exit unless `built(cluster, destination)` holds kkpgen's objects for every sample key."""
    problems: list[str] = []
    for (cluster, destination), objects in expected.items():
        problem = difference(objects, built(cluster, destination))
        if problem:
            problems.append(f"  {cluster}/{destination}: {problem}")
    if problems:
        sys.exit(f"{tool} does not build kkpgen's objects:\n" + "\n".join(problems[:20]))
    total = sum(objects.total() for objects in expected.values())
    clusters = len({cluster for cluster, _ in expected})
    return f"{tool}: all {total} objects of {clusters} sample clusters equal kkpgen's"
