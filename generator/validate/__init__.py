"""Schema checks of the output tree (stage: validate): Finding, Backend, validate_tree()."""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.source.private import cache_home
from kkpgen.validate.builtin import BuiltinBackend
from kkpgen.validate.finding import Backend, Finding, environment_error
from kkpgen.validate.kubeconform import KubeconformBackend
from kkpgen.validate.schemas import build_schema_dir, usable_cache
from kkpgen.validate.tree import plan_groups

__all__ = ["Backend", "BuiltinBackend", "Finding", "KubeconformBackend", "select_backend"]
__all__ += ["default_cache_dir", "run_validation", "validate_tree"]

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
        hint=f"{_INSTALL}, pass --kubeconform PATH, or use --backend builtin",
    )


def _usable(path: str) -> str:
    resolved = shutil.which(path) or path
    if not (Path(resolved).is_file() and os.access(resolved, os.X_OK)):
        raise environment_error(
            "validate.kubeconform.unusable",
            message=f"kubeconform at {path!r} is not an executable file",
            hint=(
                f"point --kubeconform at the kubeconform binary, {_INSTALL}, "
                "or use --backend builtin"
            ),
        )
    return resolved


Progress = Callable[[int, int], None]  # (files checked, files in all)
_BATCH = 2_000  # files per backend call: progress moves, kubeconform starts rarely


def validate_tree(
    root: Path,
    *,
    backend: Backend,
    cache_dir: Path | None,
    kubernetes_version: str | None = None,
    progress: Progress | None = None,
) -> list[Finding]:
    """Findings for every manifest under `root`, sorted by file then field.

    Each cluster is checked against the schemas of its Kubernetes version (spec.version in
    `<cluster>/resolved.yaml`, unless `kubernetes_version` overrides it) plus the CRDs rendered
    for that cluster; `argocd/` against the newest bundle and the Argo CD schemas."""
    groups, findings = plan_groups(root, kubernetes_version=kubernetes_version)
    by_schema_dir: dict[Path, list[Path]] = defaultdict(list)
    with usable_cache(cache_dir) as usable:
        for group in groups:
            schema_dir = build_schema_dir(
                cache_dir=usable, kubernetes_version=group.kubernetes_version, crds=group.crds
            )
            by_schema_dir[schema_dir].extend(group.files)
        total, done = sum(len(files) for files in by_schema_dir.values()), 0
        for schema_dir, files in sorted(by_schema_dir.items()):
            ordered = sorted(files)
            for start in range(0, len(ordered), _BATCH):
                batch = ordered[start : start + _BATCH]
                findings.extend(backend.validate(batch, root=root, schema_dir=schema_dir))
                done += len(batch)
                if progress is not None:
                    progress(done, total)
    return sorted(findings, key=Finding.sort_key)


def default_cache_dir() -> Path | None:
    """$XDG_CACHE_HOME/kkpgen/schemas, else ~/.cache/kkpgen/schemas (XDG base directories)."""
    home = cache_home()  # none: a temporary folder for this run (schemas.usable_cache)
    return None if home is None else home / "kkpgen" / "schemas"


def run_validation(  # noqa: PLR0913  keyword-only, one per flag of `validate`
    root: Path,
    *,
    backend: str,
    kubeconform: str | None,
    cache_dir: Path | None,
    display_root: str = "",
    progress: Progress | None = None,
) -> int:
    """What pipeline.py calls: validate `root`; raise KkpgenError (exit 3) on any Finding,
    else return the number of files checked. `display_root` is how file names are shown
    (the final `out/`, not the staging folder)."""
    names: dict[str, BackendName] = {name: name for name in get_args(BackendName)}
    if backend not in names:
        diagnostic = Diagnostic(
            code="validate.backend.unknown",
            location=Location(file=""),
            field="",
            message=f"unknown validation backend {backend!r}",
            hint=f"use one of {', '.join(names)}",
        )
        raise KkpgenError([diagnostic], exit_code=ExitCode.USAGE)
    chosen = select_backend(names[backend], kubeconform_path=kubeconform)
    counted: list[int] = [0]

    def seen(done: int, total: int) -> None:
        counted[0] = total
        if progress is not None:
            progress(done, total)

    cache = cache_dir or default_cache_dir()
    findings = validate_tree(root, backend=chosen, cache_dir=cache, progress=seen)
    if findings:
        diagnostics = [f.to_diagnostic(prefix=display_root) for f in findings]
        raise KkpgenError(diagnostics, exit_code=ExitCode.VALIDATION_FAILED)
    return counted[0]
