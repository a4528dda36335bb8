"""Argo CD Applications that sync each cluster's user-cluster and seed folders (render stage)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from generator.render.manifest import Destination, dump_yaml

ARGOCD_NAMESPACE = "argocd"
ARGOCD_DIR = "argocd"


@dataclass(frozen=True, slots=True)
class ArgoSettings:
    repo_url: str
    revision: str  # the branch Argo CD follows
    path: str  # where the rendered tree lives inside repo_url
    seed_destination: str  # Argo CD cluster name of the seed


@dataclass(frozen=True, slots=True)
class ArgoTarget:
    cluster: str
    destination: Destination
    # Labelled kkpgen/decommission: "true": deleting its Application deletes what it deployed.
    decommissioning: bool = False
    # Seed Services whose NodePort Kubernetes allocates because kkpgen does not know it yet
    # (no kkpgen/*-server-port annotation or serverPort value): see docs/ownership.md.
    unpinned_node_ports: tuple[str, ...] = ()


# Fields KKP fills at run time in objects kkpgen renders (docs/ownership.md): Argo CD must not
# undo them. The metrics-server APIService's caBundle is set by KKP's user-cluster controller.
_USER_CLUSTER_IGNORES: tuple[dict[str, object], ...] = (
    {
        "group": "apiregistration.k8s.io",
        "kind": "APIService",
        "name": "v1beta1.metrics.k8s.io",
        "jsonPointers": ["/spec/caBundle"],
    },
)


def ignore_differences(target: ArgoTarget) -> list[dict[str, object]]:
    """The Application's ignoreDifferences: run-time fields KKP or Kubernetes fill."""
    if target.destination != "seed":
        return [dict(entry) for entry in _USER_CLUSTER_IGNORES]
    return [
        {
            "group": "",
            "kind": "Service",
            "name": name,
            "namespace": f"cluster-{target.cluster}",
            "jqPathExpressions": [".spec.ports[].nodePort"],
        }
        for name in sorted(target.unpinned_node_ports)
    ]


def _application(target: ArgoTarget, settings: ArgoSettings) -> dict[str, object]:
    seed = target.destination == "seed"
    ignores = ignore_differences(target)
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
            },
            # No resources finalizer on a running cluster: deleting its Application (a
            # deleted spec file, a renamed cluster) must not delete its CNI and kube-proxy.
            # A cluster marked for decommissioning gets it, so its network goes with it.
            **(
                {"finalizers": ["resources-finalizer.argocd.argoproj.io"]}
                if target.decommissioning
                else {}
            ),
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": settings.repo_url,
                "targetRevision": settings.revision,
                # kustomization.yaml in the folder: Argo CD builds it with Kustomize.
                "path": f"{settings.path.strip('/')}/{target.cluster}/{target.destination}",
            },
            "destination": {
                "name": settings.seed_destination if seed else target.cluster,
                "namespace": f"cluster-{target.cluster}" if seed else "kube-system",
            },
            **({"ignoreDifferences": ignores} if ignores else {}),
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                # Calico CRDs exceed the 256 KiB last-applied annotation of client-side apply.
                # RespectIgnoreDifferences: a sync keeps the ignored live values, too.
                "syncOptions": [
                    "ServerSideApply=true",
                    "CreateNamespace=false",
                    "RespectIgnoreDifferences=true",
                ],
                "retry": {
                    "limit": 5,
                    "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
                },
            },
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
