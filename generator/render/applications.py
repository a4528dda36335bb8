"""Argo CD Applications that sync each cluster's user-cluster and seed folders (render stage)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kkpgen.models import layout
from kkpgen.models.labels import ROLLOUT_WAVE_LABEL, ArgoMode
from kkpgen.render.manifest import Destination, dump_yaml

ARGOCD_NAMESPACE = "argocd"
PROJECT = "kkpgen"  # the AppProject every generated Application belongs to
WAVE_LABEL = ROLLOUT_WAVE_LABEL  # the Cluster label, copied onto its Applications
# Argo CD regenerates an Application's manifests only when a commit touches these paths
# (relative to its source path): a commit to one cluster leaves the others' caches alone.
GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"


@dataclass(frozen=True, slots=True)
class ArgoSettings:
    repo_url: str
    revision: str  # the branch Argo CD follows
    path: str  # where the rendered tree lives inside repo_url
    seed_destination: str  # Argo CD cluster name of the seed
    mode: ArgoMode = "applicationset"  # kkpgen/argocd-mode


@dataclass(frozen=True, slots=True)
class ClusterArgo:
    """What a cluster's Argo CD objects are made from, besides its name and its folders."""

    wave: str = ""  # the cluster's kkpgen/rollout-wave label
    decommissioning: bool = False  # labelled kkpgen/decommission: "true"
    unpinned_node_ports: tuple[str, ...] = ()  # seed Services, see ArgoTarget


@dataclass(frozen=True, slots=True)
class ArgoTarget:
    cluster: str
    destination: Destination
    # Labelled kkpgen/decommission: "true": deleting its Application deletes what it deployed.
    decommissioning: bool = False
    # Seed Services whose NodePort Kubernetes allocates because kkpgen does not know it yet
    # (no kkpgen/*-server-port annotation or serverPort value): see docs/ownership.md.
    unpinned_node_ports: tuple[str, ...] = ()
    wave: str = ""  # the cluster's kkpgen/rollout-wave label


# Fields KKP owns in objects kkpgen renders (docs/ownership.md): Argo CD must not undo them.
# The metrics-server APIService's caBundle is set by KKP's user-cluster controller at run
# time. The only CRDs in a user cluster's tree are Calico's (canal), whose schemas KKP's addon
# carries as Calico generates them; kkpgen's are shorter, so KKP's apply owns the schema.
_USER_CLUSTER_IGNORES: tuple[dict[str, object], ...] = (
    {
        "group": "apiregistration.k8s.io",
        "kind": "APIService",
        "name": "v1beta1.metrics.k8s.io",
        "jsonPointers": ["/spec/caBundle"],
    },
    {
        "group": "apiextensions.k8s.io",
        "kind": "CustomResourceDefinition",
        "jqPathExpressions": [".spec.versions[].schema"],
    },
)


# KKP's seed-controller-manager labels the pod templates of these seed Deployments with the
# resource version of each mounted Secret and ConfigMap (resources.VolumeRevisionLabels,
# "<name>-secret-revision", "<name>-configmap-revision"); only KKP knows them at run time.
REVISION_LABELS = '.spec.template.metadata.labels | .[keys[] | select(endswith("-revision"))]'
SEED_REVISION_DEPLOYMENTS = ("metrics-server", "openvpn-server")


def seed_revision_ignores(namespace: str | None) -> list[dict[str, object]]:
    return [
        {
            "group": "apps",
            "kind": "Deployment",
            "name": name,
            **({"namespace": namespace} if namespace else {}),
            "jqPathExpressions": [REVISION_LABELS],
        }
        for name in SEED_REVISION_DEPLOYMENTS
    ]


def ignore_differences(target: ArgoTarget) -> list[dict[str, object]]:
    """The Application's ignoreDifferences: run-time fields KKP or Kubernetes fill."""
    if target.destination != "seed":
        return [dict(entry) for entry in _USER_CLUSTER_IGNORES]
    namespace = f"cluster-{target.cluster}"
    node_ports: list[dict[str, object]] = [
        {
            "group": "",
            "kind": "Service",
            "name": name,
            "namespace": namespace,
            "jqPathExpressions": [".spec.ports[].nodePort"],
        }
        for name in sorted(target.unpinned_node_ports)
    ]
    return seed_revision_ignores(namespace) + node_ports


def destination_of(cluster: str, destination: Destination, settings: ArgoSettings) -> object:
    """A user cluster is registered in Argo CD under its own name (docs/argocd.md)."""
    seed = destination == "seed"
    return {
        "name": settings.seed_destination if seed else cluster,
        "namespace": f"cluster-{cluster}" if seed else "kube-system",
    }


def sync_policy(*, automated: bool = True) -> dict[str, object]:
    """automated=False for an ApplicationSet's template under RollingSync: its controller
    syncs the generated Applications step by step itself, turns their automated sync off
    and logs a warning for each template that sets it (Argo CD's Progressive Syncs)."""
    return {
        **({"automated": {"prune": True, "selfHeal": True}} if automated else {}),
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
    }


def _application(target: ArgoTarget, settings: ArgoSettings) -> dict[str, object]:
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
                WAVE_LABEL: target.wave,
            },
            "annotations": {GENERATE_PATHS: "."},
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
            "project": PROJECT,
            "source": {
                "repoURL": settings.repo_url,
                "targetRevision": settings.revision,
                # kustomization.yaml in the folder: Argo CD builds it with Kustomize.
                "path": layout.destination_folder(
                    settings.path, target.cluster, target.destination
                ),
            },
            "destination": destination_of(target.cluster, target.destination, settings),
            **({"ignoreDifferences": ignores} if ignores else {}),
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
        name = layout.application_file_name(target.cluster, target.destination)
        files.append((layout.argocd_path(name), text))
    return files
