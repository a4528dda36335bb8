"""The schema folder: kubeconform file names, standalone files, version choice, cache reuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kkpgen.validate.crd import parse_crd
from kkpgen.validate.schemas import (
    build_schema_dir,
    bundle_root,
    bundled_versions,
    make_strict,
    pick_bundle,
    schema_file_name,
)


@pytest.mark.parametrize(
    ("api_version", "kind", "name"),
    [
        ("apps/v1", "Deployment", "deployment-apps-v1.json"),
        ("v1", "ConfigMap", "configmap-v1.json"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterrole-rbac-v1.json"),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "customresourcedefinition-apiextensions-v1.json",
        ),
        ("crd.projectcalico.org/v1", "FelixConfiguration", "felixconfiguration-crd-v1.json"),
        ("argoproj.io/v1alpha1", "Application", "application-argoproj-v1alpha1.json"),
    ],
    ids=["group", "core", "dotted-group", "crd", "calico", "argocd"],
)
def test_schema_file_name_follows_kubeconform_kind_suffix(
    api_version: str, kind: str, name: str
) -> None:
    assert schema_file_name(api_version, kind) == name


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [("1.23.5", "1.25.0"), ("1.30.2", "1.30.0"), ("v1.31", "1.31.0"), ("1.99.0", "1.37.0")],
    ids=["older-than-bundles-uses-oldest", "same-minor", "v-prefix", "newer-uses-newest"],
)
def test_bundle_is_the_newest_not_newer_than_the_cluster(wanted: str, chosen: str) -> None:
    assert pick_bundle(wanted, bundled_versions(bundle_root())) == chosen


def test_strict_adds_additional_properties_false_except_preserve_unknown() -> None:
    schema = {
        "properties": {
            "properties": {"properties": {"a": {"type": "string"}}},
            "open": {"properties": {}, "x-kubernetes-preserve-unknown-fields": True},
        }
    }
    assert make_strict(schema) == {
        "properties": {
            "properties": {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
            "open": {"properties": {}, "x-kubernetes-preserve-unknown-fields": True},
        },
        "additionalProperties": False,
    }


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def test_schema_files_are_standalone(tmp_path: Path) -> None:
    folder = build_schema_dir(cache_dir=tmp_path, kubernetes_version="1.30.1", crds=[])
    names = {p.name for p in folder.iterdir()}
    expected = {"deployment-apps-v1.json", "configmap-v1.json", "clusterrole-rbac-v1.json"}
    expected |= {"customresourcedefinition-apiextensions-v1.json"}
    expected |= {"application-argoproj-v1alpha1.json", "appproject-argoproj-v1alpha1.json"}
    assert expected <= names
    assert "_definitions.json" not in names
    for path in folder.iterdir():
        schema = json.loads(path.read_text())
        assert "$id" not in schema
        defs = schema.get("$defs", {})
        for ref in _refs(schema):  # only local refs, each to a definition in the same file
            assert ref.startswith("#/$defs/"), (path.name, ref)
            assert ref.removeprefix("#/$defs/") in defs, (path.name, ref)
    configmap = json.loads((folder / "configmap-v1.json").read_text())
    assert configmap["additionalProperties"] is False


def test_crd_schema_is_built_strict_with_object_meta(tmp_path: Path) -> None:
    crd = parse_crd(
        "c/user-cluster/canal/customresourcedefinition-ippools.yaml",
        {
            "spec": {
                "group": "crd.projectcalico.org",
                "names": {"kind": "IPPool"},
                "versions": [
                    {
                        "name": "v1",
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {
                                        "type": "object",
                                        "properties": {
                                            "cidr": {"type": "string", "nullable": True}
                                        },
                                    }
                                },
                            }
                        },
                    }
                ],
            }
        },
    )
    assert crd is not None
    folder = build_schema_dir(cache_dir=tmp_path, kubernetes_version="1.30.1", crds=[crd])
    schema = json.loads((folder / "ippool-crd-v1.json").read_text())
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False
    assert spec["properties"]["cidr"]["type"] == ["string", "null"]
    assert schema["properties"]["apiVersion"]["enum"] == ["crd.projectcalico.org/v1"]
    assert schema["properties"]["metadata"]["$ref"].endswith("meta.v1.ObjectMeta")
    without = build_schema_dir(cache_dir=tmp_path, kubernetes_version="1.30.1", crds=[])
    assert without != folder  # the CRD set is part of the cache key


def test_second_build_reuses_the_cache(tmp_path: Path) -> None:
    first = build_schema_dir(cache_dir=tmp_path, kubernetes_version="1.30.1", crds=[])
    stamps = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}
    folder_stamp = first.stat().st_mtime_ns
    second = build_schema_dir(cache_dir=tmp_path, kubernetes_version="1.30.9", crds=[])
    assert second == first
    assert first.stat().st_mtime_ns == folder_stamp
    assert {p.name: p.stat().st_mtime_ns for p in second.iterdir()} == stamps
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no staging folder left
