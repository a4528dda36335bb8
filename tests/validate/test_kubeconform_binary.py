"""The real kubeconform, when it is on PATH: it must find what the built-in backend finds.

Skipped without the binary (CI has none). One failure per object: kubeconform 0.6 names only
the first failure below a $ref (see kubeconform.py), the built-in backend every one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kkpgen.validate import BuiltinBackend, KubeconformBackend, validate_tree
from tests.validate.test_kubeconform_backend import CONFIGMAP, SERVICE, WIDGET, make_tree

KUBECONFORM = shutil.which("kubeconform")
pytestmark = pytest.mark.skipif(KUBECONFORM is None, reason="kubeconform is not on PATH")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: d}
  template:
    metadata:
      labels: {app: d}
    spec:
      containers:
        - name: c
          image: registry.k8s.io/pause:3.9
          ports:
            - containerPort: 8080
"""
VALID = {
    "eu-1/user-cluster/c/configmap-cfg.yaml": CONFIGMAP,
    "eu-1/user-cluster/c/service-hubble-peer.yaml": SERVICE,
    "eu-1/user-cluster/c/deployment-d.yaml": DEPLOYMENT,
}
INVALID = {
    "eu-1/user-cluster/c/configmap-cfg.yaml": CONFIGMAP.replace("a: b", "a: b\n  k: 1"),
    "eu-1/user-cluster/c/configmap-extra.yaml": f"{CONFIGMAP}extra: 1\n",
    "eu-1/user-cluster/c/service-hubble-peer.yaml": SERVICE.replace("443", "https"),
    "eu-1/user-cluster/c/deployment-d.yaml": DEPLOYMENT.replace("image:", "imagen:"),
    "eu-1/user-cluster/c/deployment-no-selector.yaml": DEPLOYMENT.replace(
        "name: d\n", "name: e\n"
    ).replace("  selector:\n    matchLabels: {app: d}\n", ""),
    "eu-1/seed/c/widget-w.yaml": WIDGET,
}


def found(root: Path, cache: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    assert KUBECONFORM is not None
    return {
        backend.name: [
            (f.file, f.kind, f.name, f.field)
            for f in validate_tree(root, backend=backend, cache_dir=cache)
        ]
        for backend in (KubeconformBackend(executable=KUBECONFORM), BuiltinBackend())
    }


def test_the_binary_passes_what_the_builtin_backend_passes(tmp_path: Path) -> None:
    results = found(make_tree(tmp_path / "out", VALID), tmp_path / "cache")
    assert results == {"kubeconform": [], "builtin": []}


def test_the_binary_finds_each_field_the_builtin_backend_finds(tmp_path: Path) -> None:
    results = found(make_tree(tmp_path / "out", INVALID), tmp_path / "cache")
    assert results["kubeconform"] == results["builtin"]
    assert {file for file, *_ in results["builtin"]} == set(INVALID)
    assert (
        "eu-1/user-cluster/c/deployment-d.yaml",
        "Deployment",
        "d",
        "spec.template.spec.containers[0].imagen",
    ) in results["kubeconform"]
