"""Time the validate stage: schema folder build (cold, warm) and each backend over a tree.

Usage: python bench/bench_validate.py OUT
OUT is an output tree (`<cluster>/user-cluster/...`, `argocd/`); when it does not exist or is
empty, a synthetic fleet is written there first (clusters on several Kubernetes versions,
with a Calico CRD and custom objects, and Argo CD Applications).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import yaml

from kkpgen.validate import BuiltinBackend, KubeconformBackend, validate_tree
from kkpgen.validate.schemas import build_schema_dir
from kkpgen.validate.tree import plan_groups

CLUSTERS = 40
VERSIONS = ("1.23.5", "1.30.2", "1.33.1")
IMAGE = "quay.io/calico/node:v3.22.2"
T = TypeVar("T")


def _write(root: Path, name: str, document: Mapping[str, object]) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    source = f"# Source: canal/templates/{path.name}\n"
    path.write_text(source + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _meta(name: str, namespace: str | None = "kube-system") -> dict[str, object]:
    meta: dict[str, object] = {"name": name, "labels": {"app.kubernetes.io/name": "canal"}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _pod(name: str) -> dict[str, object]:
    container = {
        "name": name,
        "image": IMAGE,
        "env": [{"name": f"FELIX_{i}", "value": str(i)} for i in range(20)],
        "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True}],
    }
    return {
        "metadata": {"labels": {"k8s-app": name}},
        "spec": {
            "hostNetwork": True,
            "serviceAccountName": name,
            "containers": [container],
            "volumes": [{"name": "lib-modules", "hostPath": {"path": "/lib/modules"}}],
        },
    }


def _crd() -> dict[str, object]:
    spec_schema = {
        "type": "object",
        "properties": {"bpfEnabled": {"type": "boolean"}, "logSeverityScreen": {"type": "string"}},
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "felixconfigurations.crd.projectcalico.org"},
        "spec": {
            "group": "crd.projectcalico.org",
            "names": {"kind": "FelixConfiguration", "plural": "felixconfigurations"},
            "scope": "Cluster",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {"spec": spec_schema}}
                    },
                }
            ],
        },
    }


def _cluster(root: Path, name: str, version: str) -> None:
    resolved = {"apiVersion": "kubermatic.k8c.io/v1", "kind": "Cluster"}
    _write(root, f"{name}/resolved.yaml", {**resolved, "spec": {"version": version}})
    user = f"{name}/user-cluster/canal"
    selector = {"matchLabels": {"k8s-app": "canal"}}
    _write(
        root,
        f"{user}/daemonset-canal.yaml",
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta("canal"),
            "spec": {"selector": selector, "template": _pod("canal")},
        },
    )
    for i in range(10):
        deployment = {"replicas": 1, "selector": selector, "template": _pod("canal")}
        kind = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(f"d{i}")}
        _write(root, f"{user}/deployment-d{i}.yaml", {**kind, "spec": deployment})
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(f"c{i}")}
        _write(root, f"{user}/configmap-c{i}.yaml", {**cm, "data": {"mtu": "1450"}})
    rules = [{"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list"]}]
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}
    _write(
        root,
        f"{user}/clusterrole-canal.yaml",
        {**role, "metadata": _meta("canal", None), "rules": rules},
    )
    _write(root, f"{user}/customresourcedefinition-felixconfigurations.yaml", _crd())
    felix = {"apiVersion": "crd.projectcalico.org/v1", "kind": "FelixConfiguration"}
    _write(
        root,
        f"{user}/felixconfiguration-default.yaml",
        {**felix, "metadata": {"name": "default"}, "spec": {"bpfEnabled": False}},
    )
    sa = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta("canal", f"cluster-{name}"),
    }
    _write(root, f"{name}/seed/canal/serviceaccount-canal.yaml", sa)
    _application(root, name, user)


def _application(root: Path, name: str, path: str) -> None:
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"{name}-canal", "namespace": "argocd"},
        "spec": {
            "project": "fleet",
            "source": {
                "repoURL": "https://git.example.com/fleet.git",
                "path": path,
                "targetRevision": "main",
            },
            "destination": {"name": name, "namespace": "kube-system"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }
    _write(root, f"argocd/application-{name}-canal.yaml", app)


def ensure_tree(root: Path) -> None:
    if root.is_dir() and any(root.iterdir()):
        return
    for i in range(CLUSTERS):
        _cluster(root, f"cluster-{i:03d}", VERSIONS[i % len(VERSIONS)])


def timed(label: str, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = action()
    print(f"{label:<42} {time.perf_counter() - start:8.3f} s")
    return result


def build_all(root: Path, cache: Path) -> None:
    groups, _ = plan_groups(root, kubernetes_version=None)
    for group in groups:
        build_schema_dir(
            cache_dir=cache, kubernetes_version=group.kubernetes_version, crds=group.crds
        )


def main(out: Path) -> None:
    ensure_tree(out)
    files = sum(1 for _ in out.rglob("*.yaml"))
    print(f"tree: {out} ({files} YAML files)")
    cache = Path(tempfile.mkdtemp(prefix="kkpgen-bench-cache-"))
    try:
        timed("schema build, cold", lambda: build_all(out, cache))
        timed("schema build, warm", lambda: build_all(out, cache))
        findings = timed(
            "validate, builtin",
            lambda: validate_tree(out, backend=BuiltinBackend(), cache_dir=cache),
        )
        print(f"  findings: {len(findings)}")
        kubeconform = shutil.which("kubeconform")
        if kubeconform:
            backend = KubeconformBackend(executable=kubeconform)
            timed(
                "validate, kubeconform",
                lambda: validate_tree(out, backend=backend, cache_dir=cache),
            )
        else:
            print("validate, kubeconform: skipped (not on PATH)")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/bench_validate.py OUT")
    main(Path(sys.argv[1]))
