"""Argo CD AppProject, one ApplicationSet per destination kind, and the bootstrap Application.

An ApplicationSet's git files generator reads `<path>/*/<destination>/argocd.json`, which
kkpgen writes into each cluster's folder (`target_file`): adding a cluster adds no file
under argocd/. RollingSync steps roll the Applications out by their rollout wave.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from kkpgen.kkp.waves import wave_order
from kkpgen.models import layout
from kkpgen.render.applications import (
    ARGOCD_NAMESPACE,
    GENERATE_PATHS,
    PROJECT,
    WAVE_LABEL,
    ArgoSettings,
    ArgoTarget,
    destination_of,
    ignore_differences,
    seed_revision_ignores,
    sync_policy,
)
from kkpgen.render.manifest import DESTINATIONS, Destination, dump_yaml

_MANAGED = {"app.kubernetes.io/managed-by": "kkpgen"}


def target_file(target: ArgoTarget) -> tuple[str, str]:
    """(path, text) of the parameters one generated Application is made from."""
    params = {"cluster": target.cluster, "destination": target.destination, "wave": target.wave}
    path = layout.target_path(target.cluster, target.destination)
    return path, json.dumps(params, sort_keys=True) + "\n"


def app_project(settings: ArgoSettings) -> dict[str, object]:
    """The seed's cluster-* namespaces and kube-system of every user cluster, from one repo."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": PROJECT, "namespace": ARGOCD_NAMESPACE, "labels": _MANAGED},
        "spec": {
            "description": "KKP user cluster networking rendered by kkpgen",
            "sourceRepos": [settings.repo_url],
            "destinations": [
                {"name": settings.seed_destination, "namespace": "cluster-*"},
                # User clusters are registered under their cluster name (docs/argocd.md).
                {"name": "*", "namespace": "kube-system"},
            ],
            # CNI CRDs, ClusterRoles and webhooks are cluster-scoped.
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def _rolling_steps(waves: Sequence[str]) -> list[dict[str, object]]:
    """One step per wave in order, then the Applications with no wave (the label is "")."""

    def step(operator: str, values: list[str]) -> dict[str, object]:
        match = {"key": WAVE_LABEL, "operator": operator, "values": values}
        return {"matchExpressions": [match]}

    return [step("In", [w]) for w in waves if w] + [step("In", [""])]


def application_set(
    destination: Destination, settings: ArgoSettings, *, waves: Sequence[str]
) -> dict[str, object]:
    root = settings.path.strip("/")
    path = "{{ .path.path }}"  # the folder of the argocd.json file the generator found
    cluster, wave = "{{ .cluster }}", "{{ .wave }}"
    dest = destination_of(cluster, destination, settings)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": f"kkpgen-{destination}", "namespace": ARGOCD_NAMESPACE},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {
                    "git": {
                        "repoURL": settings.repo_url,
                        "revision": settings.revision,
                        "files": [{"path": layout.target_glob(root, destination)}],
                    }
                }
            ],
            "strategy": {"type": "RollingSync", "rollingSync": {"steps": _rolling_steps(waves)}},
            "template": {
                "metadata": {
                    "name": f"{cluster}-{destination}",
                    "labels": {
                        **_MANAGED,
                        "kkpgen/cluster": cluster,
                        "kkpgen/destination": destination,
                        WAVE_LABEL: wave,
                    },
                    "annotations": {GENERATE_PATHS: "."},
                },
                "spec": {
                    "project": PROJECT,
                    "source": {
                        "repoURL": settings.repo_url,
                        "targetRevision": settings.revision,
                        "path": path,
                    },
                    "destination": dest,
                    "ignoreDifferences": _ignores(destination),
                    # RollingSync syncs them: no automated sync in the template.
                    "syncPolicy": sync_policy(automated=False),
                },
            },
            # A cluster folder deleted from the tree deletes its Application: that must not
            # delete the network of a running cluster (decommission it by hand).
            "syncPolicy": {"preserveResourcesOnDeletion": True},
        },
    }


def _ignores(destination: Destination) -> list[dict[str, object]]:
    """Run-time fields KKP and Kubernetes fill (docs/ownership.md). One template serves every
    cluster, so the tunnel Services' NodePorts are ignored for all of them: where kkpgen pins
    a NodePort it copies the one Kubernetes allocated, so ignoring it loses nothing."""
    if destination == "user-cluster":
        return ignore_differences(ArgoTarget("", "user-cluster"))
    node_ports: list[dict[str, object]] = [
        {
            "group": "",
            "kind": "Service",
            "name": name,
            "jqPathExpressions": [".spec.ports[].nodePort"],
        }
        for name in ("konnectivity-server", "openvpn-server")
    ]
    return seed_revision_ignores(None) + node_ports


def bootstrap(settings: ArgoSettings) -> dict[str, object]:
    """The app of apps: syncs argocd/ (this file too), applied once by hand."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "kkpgen", "namespace": ARGOCD_NAMESPACE, "labels": _MANAGED},
        "spec": {
            "project": "default",  # it creates the kkpgen project, so it cannot be in it
            "source": {
                "repoURL": settings.repo_url,
                "targetRevision": settings.revision,
                "path": layout.argocd_folder(settings.path),
            },
            "destination": {"name": "in-cluster", "namespace": ARGOCD_NAMESPACE},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }


def control_files(settings: ArgoSettings, *, waves: Iterable[str]) -> list[tuple[str, str]]:
    """(path, text) of the files under argocd/ that do not depend on the clusters listed."""
    ordered = sorted(set(waves), key=wave_order)
    objects = [
        ("application-kkpgen-bootstrap.yaml", bootstrap(settings)),
        (f"appproject-{PROJECT}.yaml", app_project(settings)),
    ]
    if settings.mode == "applicationset":
        objects += [
            (f"applicationset-kkpgen-{d}.yaml", application_set(d, settings, waves=ordered))
            for d in DESTINATIONS
        ]
    return [
        (layout.argocd_path(name), f"# Source: kkpgen argocd\n{dump_yaml(body)}")
        for name, body in objects
    ]
