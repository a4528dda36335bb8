"""The JSON schemas of Argo CD's own CRDs (Application, ApplicationSet, AppProject), and of
the KKP CRDs kkpgen renders objects of (ApplicationInstallation: `data/kkp-schemas.json`,
written by `tools/argocd_crds.py --kkp` from kubermatic/kubermatic's pkg/crd at a tag).

`data/argocd-schemas.json` is written by `tools/argocd_crds.py` from argoproj/argo-cd
`manifests/crds/*-crd.yaml` at a release tag (its `source` header names the tag and commit),
converted by the same path as a CRD rendered in the tree (crd.py). Strictness (no unknown
fields) and `$defs` are added by schemas.standalone. A CRD for these kinds rendered in the
tree replaces these schemas for that cluster.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

JSONObject = dict[str, object]
DATA = "data/argocd-schemas.json"
KKP_DATA = "data/kkp-schemas.json"


def _text(name: str = DATA) -> bytes:
    return (resources.files("kkpgen.validate") / name).read_bytes()


@cache  # immutable package data: read once per process for the schema cache key
def argocd_digest() -> str:
    """A digest of the recorded schemas, part of the schema cache folder's key."""
    return hashlib.sha256(_text() + _text(KKP_DATA)).hexdigest()


def argocd_schemas() -> list[tuple[str, str, JSONObject]]:
    """(apiVersion, kind, schema) per CRD version, Argo CD's and then KKP's; parsed anew, so
    callers may change them."""
    entries = json.loads(_text())["schemas"] + json.loads(_text(KKP_DATA))["schemas"]
    return [(e["apiVersion"], e["kind"], e["schema"]) for e in entries]
