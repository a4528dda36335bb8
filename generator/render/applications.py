"""Argo CD Applications that sync each cluster's user-cluster and seed folders (render stage)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from generator.render.manifest import Destination, dump_yaml
from generator.spec.models.kubermatic import ROLLOUT_WAVE_LABEL

ARGOCD_NAMESPACE = "argocd"
ARGOCD_DIR = "argocd"
PROJECT = "kkpgen"  # the AppProject every generated Application belongs to
WAVE_LABEL = ROLLOUT_WAVE_LABEL  # the Cluster label, copied onto its Applications
# Argo CD regenerates an Application's manifests only when a commit touches these paths
# (relative to its source path): a commit to one cluster leaves the others' caches alone.
GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
ArgoMode = Literal["applicationset", "applications"]


@dataclass(frozen=True, slots=True)
class ArgoSettings:
    repo_url: str
    revision: str  # the branch Argo CD follows
    path: str  # where the rendered tree lives inside repo_url
    seed_destination: str  # Argo CD cluster name of the seed
    mode: ArgoMode = "applicationset"  # kkpgen/argocd-mode


@dataclass(frozen=True, slots=True)
class ArgoTarget:
    cluster: str
    destination: Destination
    wave: str = ""  # the cluster's kkpgen/rollout-wave label


def destination_of(cluster: str, destination: Destination, settings: ArgoSettings) -> object:
    """A user cluster is registered in Argo CD under its own name (docs/argocd.md)."""
    seed = destination == "seed"
    return {
        "name": settings.seed_destination if seed else cluster,
        "namespace": f"cluster-{cluster}" if seed else "kube-system",
    }


def sync_policy() -> dict[str, object]:
    return {
        "automated": {"prune": True, "selfHeal": True},
        # Calico CRDs exceed the 256 KiB last-applied annotation of client-side apply.
        "syncOptions": ["ServerSideApply=true", "CreateNamespace=false"],
        "retry": {
            "limit": 5,
            "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
        },
    }


def _application(target: ArgoTarget, settings: ArgoSettings) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"{target.cluster}-{target.destination}",
            "namespace": ARGOCD_NAMESPACE,
            "labels": {
                "app.kubernetes.io/managed-by": "kkpgen",
                "kkpgen/cluster": target.cluster,
                "kkpgen/destination": target.destination,
                WAVE_LABEL: target.wave,
            },
            "annotations": {GENERATE_PATHS: "."},
            # Deleting the Application removes what it deployed.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": PROJECT,
            "source": {
                "repoURL": settings.repo_url,
                "targetRevision": settings.revision,
                # kustomization.yaml in the folder: Argo CD builds it with Kustomize.
                "path": f"{settings.path.strip('/')}/{target.cluster}/{target.destination}",
            },
            "destination": destination_of(target.cluster, target.destination, settings),
            "syncPolicy": sync_policy(),
        },
    }


def application_files(
    targets: Iterable[ArgoTarget], settings: ArgoSettings
) -> list[tuple[str, str]]:
    """(path, text) of one Application per cluster and destination, under argocd/."""
    files = []
    for target in sorted(set(targets), key=lambda t: (t.cluster, t.destination)):
        text = f"# Source: kkpgen argocd\n{dump_yaml(_application(target, settings))}"
        files.append((f"{ARGOCD_DIR}/application-{target.cluster}-{target.destination}.yaml", text))
    return files
