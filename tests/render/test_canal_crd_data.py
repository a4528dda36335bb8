"""The canal chart's CRD data files: every Canal version kkpgen can render has its CRDs, each
CRD its identity and a schema, and tools/canal_crds.py writes v1beta1 CRDs as kkpgen's v1."""

from __future__ import annotations

from typing import Any, cast

import pytest

from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.charts import CHARTS_DIR, ChartFiles, load_chart_file
from kkpgen.render.engine import build_environment
from tools.canal_crds import _as_v1, split
from tools.kkp_addon_facts import Json

CRDS = cast("dict[str, Any]", load_chart_file(CHARTS_DIR, "canal", "crds.yaml"))
SCHEMAS = cast("dict[str, Any]", load_chart_file(CHARTS_DIR, "canal", "crd-schemas.yaml"))


def _canal_versions() -> set[str]:
    """Every Canal version of the catalog and of every recorded KKP patch."""
    catalog = load_catalog()
    versions = set(catalog.cni_versions["canal"])
    for release in (*catalog.releases.values(), *catalog.patches.values()):
        support = release.cni["canal"]
        versions |= {*support.supported, *support.deprecated}
    return versions


def test_every_canal_version_kkpgen_knows_has_its_crds() -> None:
    assert sorted(_canal_versions() - set(CRDS["canal"])) == []


def test_every_canal_version_a_kkp_patch_offers_has_its_capabilities() -> None:
    """Without its catalog entry a version would render with no capability at all."""
    catalog = load_catalog()
    assert sorted(_canal_versions() - set(catalog.cni_versions["canal"])) == []


@pytest.mark.parametrize("version", sorted(CRDS["canal"]))
def test_each_crd_of_a_version_has_an_identity(version: str) -> None:
    assert sorted(set(CRDS["canal"][version]) - set(CRDS["crds"])) == []


def test_the_crds_calico_had_at_v3_22_keep_kkpgens_typed_schemas() -> None:
    kinds = {CRDS["crds"][name]["names"]["kind"] for name in CRDS["canal"]["v3.22"]}
    assert sorted(kinds - set(SCHEMAS["kinds"])) == []
    assert SCHEMAS["default"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_the_environment_reads_chart_files_through_its_files_global() -> None:
    files = build_environment().globals["files"]
    assert isinstance(files, ChartFiles)
    assert files.get("canal", "crds.yaml") is CRDS  # read once per process


def test_a_v1beta1_crd_becomes_the_v1_crd_kkpgen_renders() -> None:
    spec: dict[str, Json] = {
        "group": "g",
        "scope": "Cluster",
        "version": "v1",
        "names": {"kind": "K", "plural": "ks"},
    }
    assert _as_v1(dict(spec)) == {
        "group": "g",
        "scope": "Cluster",
        "names": {"kind": "K", "plural": "ks", "listKind": "KList"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    }


def test_a_version_keeps_only_what_differs_from_the_identity() -> None:
    identity: dict[str, Json] = {
        "group": "g",
        "names": {"kind": "K"},
        "scope": "Cluster",
        "versions": [{"n": 1}],
    }
    data = split(
        {
            "v1.0": {"k.g": {**identity, "scope": "Namespaced", "annotations": None}},
            "v2.0": {
                "k.g": {**identity, "annotations": {"a": "b"}, "preserveUnknownFields": False}
            },
        }
    )
    assert data["crds"] == {"k.g": identity}
    assert data["canal"] == {
        "v1.0": {"k.g": {"scope": "Namespaced"}},
        "v2.0": {"k.g": {"annotations": {"a": "b"}, "preserveUnknownFields": False}},
    }
