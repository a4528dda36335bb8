"""Read Argo CD's CRDs at a release tag and write the JSON schemas kkpgen validates against.

Usage (a git mirror of argoproj/argo-cd, and the release tag to record):

    python tools/argocd_crds.py --git-dir <mirror> v3.5.1 \
        > generator/validate/data/argocd-schemas.json

The same for the KKP CRDs kkpgen renders objects of (ApplicationInstallation, v2.22+):

    python tools/argocd_crds.py --git-dir <kubermatic mirror> --kkp v2.31.0 \
        > generator/validate/data/kkp-schemas.json

Reads `manifests/crds/{application,applicationset,appproject}-crd.yaml` at the tag, converts
each version's openAPIV3Schema with kkpgen's own CRD path (generator/validate/crd.py, the one
that checks CRDs rendered in the tree) and writes one compact JSON document: a `source` header
(repository, tag, commit, files) and the converted schema per (apiVersion, kind). Descriptions
are dropped (validation does not read them); nothing else of Argo CD's YAML is kept.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence

import yaml

from kkpgen.validate.crd import crd_schemas, parse_crd

REPOSITORY = "argoproj/argo-cd"
CRD_FILES = (
    "manifests/crds/application-crd.yaml",
    "manifests/crds/applicationset-crd.yaml",
    "manifests/crds/appproject-crd.yaml",
)
KKP_REPOSITORY = "kubermatic/kubermatic"
KKP_CRD_FILES = ("pkg/crd/k8c.io/apps.kubermatic.k8c.io_applicationinstallations.yaml",)
# schema keywords whose value maps names to schemas: a key there is a field name, not a keyword
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})


class CRDError(Exception):
    """A CRD could not be read at the tag."""


def _git(git_dir: str, *args: str) -> str:
    result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
        ["git", "--git-dir", git_dir, *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CRDError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def without_descriptions(node: object, *, schema_map: bool = False) -> object:
    """`node` with every `description` keyword removed; a field named `description` stays."""
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: without_descriptions(value, schema_map=not schema_map and key in _SCHEMA_MAPS)
        for key, value in node.items()
        if schema_map or key != "description"
    }


def schemas_at(
    git_dir: str, tag: str, files: Sequence[str] = CRD_FILES
) -> list[tuple[str, str, object]]:
    """(apiVersion, kind, JSON schema) of every version of the CRDs in `files` at `tag`."""
    out: list[tuple[str, str, object]] = []
    for path in files:
        document = yaml.safe_load(_git(git_dir, "show", f"{tag}:{path}"))
        crd = parse_crd(path, document)
        if crd is None:
            raise CRDError(f"{tag}: {path} is not a CustomResourceDefinition with versions")
        out.extend((a, k, without_descriptions(s)) for a, k, s in crd_schemas(crd))
    return sorted(out, key=lambda item: (item[0], item[1]))


def document(git_dir: str, tag: str, *, kkp: bool = False) -> str:
    """The package data file: the header first, then the schemas, keys sorted, compact."""
    repository, files = (KKP_REPOSITORY, KKP_CRD_FILES) if kkp else (REPOSITORY, CRD_FILES)
    commit = _git(git_dir, "rev-list", "-n", "1", tag).strip()
    header = {"repository": repository, "tag": tag, "commit": commit, "files": list(files)}
    schemas = [
        _compact({"apiVersion": a, "kind": k, "schema": s})
        for a, k, s in schemas_at(git_dir, tag, files)
    ]
    return f'{{"source":{_compact(header)},"schemas":[{",".join(schemas)}]}}\n'


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", required=True, help="a git mirror of argoproj/argo-cd")
    parser.add_argument("--kkp", action="store_true", help="KKP's CRDs from a kubermatic mirror")
    parser.add_argument("tag", help="an Argo CD (or, with --kkp, KKP) release tag, e.g. v3.5.1")
    args = parser.parse_args(argv)
    try:
        text = document(args.git_dir, args.tag, kkp=args.kkp)
    except CRDError as error:
        print(f"argocd_crds: {error}", file=sys.stderr)  # noqa: T201  a command-line tool
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
