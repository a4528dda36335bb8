"""The output tree as schema checks see it: which files, which Kubernetes version, which CRDs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from kkpgen.models.layout import ARGOCD_DIR, RESOLVED, is_manifest
from kkpgen.source.libyaml import SafeLoader
from kkpgen.validate.crd import CustomResourceDefinition, parse_crd
from kkpgen.validate.finding import Finding

# Our own rendered output, parsed only to check it: no source positions are needed, so this
# is plain PyYAML (libyaml's loader when built with it: ~10x faster on a large tree).


@dataclass(frozen=True, slots=True)
class FileGroup:
    """Files validated against one schema folder: one cluster's, or the Argo CD objects."""

    files: tuple[Path, ...]
    kubernetes_version: str | None  # None: the newest bundled schemas
    crds: tuple[CustomResourceDefinition, ...]


def read_documents(path: Path) -> list[object]:
    """The YAML documents of `path`, empty ones dropped; raises yaml.YAMLError/OSError."""
    with path.open("rb") as stream:
        return [d for d in yaml.load_all(stream, Loader=SafeLoader) if d is not None]


def yaml_problem(error: yaml.YAMLError) -> str:
    """The problem and line, without the absolute path PyYAML puts in str(error)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        return f"{error.problem} (line {error.problem_mark.line + 1})"
    return str(error)


def plan_groups(
    root: Path, *, kubernetes_version: str | None
) -> tuple[list[FileGroup], list[Finding]]:
    groups: list[FileGroup] = []
    findings: list[Finding] = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = tuple(sorted(_manifests(directory, root=root)))
        if not files:
            continue
        version = kubernetes_version
        if version is None and directory.name != ARGOCD_DIR:
            version, problem = _cluster_version(directory / RESOLVED, root=root)
            findings.extend(problem)
        groups.append(FileGroup(files=files, kubernetes_version=version, crds=_crds(files, root)))
    return groups, findings


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _manifests(directory: Path, *, root: Path) -> Iterator[Path]:
    for path in directory.rglob("*"):
        # Not resolved.yaml, not kustomization.yaml: no Kubernetes object.
        if (
            path.suffix in {".yaml", ".yml"}
            and path.is_file()
            and is_manifest(relative(path, root))
        ):
            yield path


def _cluster_version(resolved: Path, *, root: Path) -> tuple[str | None, list[Finding]]:
    """spec.version of the resolved Cluster ("1.23.5"); a Finding if it cannot be read."""
    try:
        documents = read_documents(resolved)
        spec = documents[0].get("spec") if documents and isinstance(documents[0], dict) else None
        version = spec.get("version") if isinstance(spec, dict) else None
        if isinstance(version, str):
            return version, []
        problem = "spec.version is missing or not a string"
    except yaml.YAMLError as error:
        problem = f"cannot parse it: {yaml_problem(error)}"
    except OSError as error:
        problem = f"cannot read it: {error.strerror}"
    finding = Finding(
        file=relative(resolved, root),
        kind="Cluster",
        name=resolved.parent.name,
        message=f"{problem}; validated against the newest bundled Kubernetes schemas",
        field="spec.version",
        backend="",
    )
    return None, [finding]


def _crds(files: tuple[Path, ...], root: Path) -> tuple[CustomResourceDefinition, ...]:
    found: list[CustomResourceDefinition] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            if "CustomResourceDefinition" not in text:  # cheap filter before parsing
                continue
            documents = list(yaml.load_all(text, Loader=SafeLoader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the backend reports the unreadable file itself
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                crd = parse_crd(relative(path, root), document)
                if crd is not None:
                    found.append(crd)
    return tuple(found)
