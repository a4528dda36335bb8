"""Schema checks of the output tree (stage: validate): Finding, Backend, validate_tree()."""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Literal

from generator.validate.builtin import BuiltinBackend
from generator.validate.finding import Backend, Finding, environment_error
from generator.validate.kubeconform import KubeconformBackend
from generator.validate.schemas import build_schema_dir
from generator.validate.tree import plan_groups

__all__ = ["Backend", "BuiltinBackend", "Finding", "KubeconformBackend", "select_backend"]
__all__ += ["validate_tree"]

BackendName = Literal["auto", "kubeconform", "builtin"]
_INSTALL = "install kubeconform (github.com/yannh/kubeconform/releases) and put it on PATH"


def select_backend(name: BackendName, *, kubeconform_path: str | None) -> Backend:
    """auto: kubeconform when given or on PATH, else builtin; kubeconform: it must be usable."""
    if name == "builtin":
        return BuiltinBackend()
    if kubeconform_path is not None:
        return KubeconformBackend(executable=_usable(kubeconform_path))
    found = shutil.which("kubeconform")
    if found is not None:
        return KubeconformBackend(executable=_usable(found))
    if name == "auto":
        return BuiltinBackend()
    raise environment_error(
        "validate.kubeconform.missing",
        message="kubeconform was asked for but is not on PATH",
        hint=f"{_INSTALL}, pass --kubeconform PATH, or use --validator builtin",
    )


def _usable(path: str) -> str:
    resolved = shutil.which(path) or path
    if not (Path(resolved).is_file() and os.access(resolved, os.X_OK)):
        raise environment_error(
            "validate.kubeconform.unusable",
            message=f"kubeconform at {path!r} is not an executable file",
            hint=f"point --kubeconform at the kubeconform binary, or {_INSTALL}",
        )
    return resolved


def validate_tree(
    root: Path, *, backend: Backend, cache_dir: Path, kubernetes_version: str | None = None
) -> list[Finding]:
    """Findings for every manifest under `root`, sorted by file then field.

    Each cluster is checked against the schemas of its Kubernetes version (spec.version in
    `<cluster>/resolved.yaml`, unless `kubernetes_version` overrides it) plus the CRDs rendered
    for that cluster; `argocd/` against the newest bundle and the Argo CD schemas."""
    groups, findings = plan_groups(root, kubernetes_version=kubernetes_version)
    by_schema_dir: dict[Path, list[Path]] = defaultdict(list)
    for group in groups:
        schema_dir = build_schema_dir(
            cache_dir=cache_dir, kubernetes_version=group.kubernetes_version, crds=group.crds
        )
        by_schema_dir[schema_dir].extend(group.files)
    for schema_dir, files in sorted(by_schema_dir.items()):
        findings.extend(backend.validate(sorted(files), root=root, schema_dir=schema_dir))
    return sorted(findings, key=Finding.sort_key)
