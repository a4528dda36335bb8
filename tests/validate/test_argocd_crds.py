"""The Argo CD objects against Argo CD's own CRDs (recorded by tools/argocd_crds.py)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from kkpgen.validate import BuiltinBackend, KubeconformBackend, validate_tree
from kkpgen.validate.argocd import DATA, argocd_schemas
from kkpgen.validate.schemas import build_schema_dir
from tests.conftest import V2_20_FLEET, Repo, git
from tests.validate.test_builtin_backend import APPLICATION
from tests.validate.test_kubeconform_backend import stand_in
from tools.argocd_crds import document, without_descriptions

HYDRATED = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: eu-1-hydrated
  namespace: argocd
spec:
  project: default
  sourceHydrator:
    drySource:
      repoURL: https://git.example.com/fleet.git
      targetRevision: main
      path: rendered/eu-1/user-cluster
    syncSource:
      targetBranch: environments/prod
      path: eu-1/user-cluster
  destination:
    name: eu-1
    namespace: kube-system
"""


def _check(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str, str]]:
    root = tmp_path / "out"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    findings = validate_tree(root, backend=BuiltinBackend(), cache_dir=tmp_path / "cache")
    return [(f.file, f.field, f.message) for f in findings]


def _recorded_source() -> dict[str, str]:
    """The `source` header of the recorded schemas: repository, tag and commit."""
    header = json.loads((resources.files("kkpgen.validate") / DATA).read_bytes())["source"]
    return {key: value for key, value in header.items() if isinstance(value, str)}


def test_recorded_schemas_name_their_source_and_cover_the_three_kinds() -> None:
    source = _recorded_source()
    assert source["repository"] == "argoproj/argo-cd"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", source["tag"])
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    schemas = {kind: schema for _, kind, schema in argocd_schemas()}
    # and KKP's ApplicationInstallation (data/kkp-schemas.json, tools/argocd_crds.py --kkp)
    assert sorted(schemas) == [
        "AppProject",
        "Application",
        "ApplicationInstallation",
        "ApplicationSet",
    ]
    spec = schemas["Application"]["properties"]["spec"]["properties"]  # type: ignore[index]
    assert "sourceHydrator" in spec
    appset = schemas["ApplicationSet"]["properties"]["spec"]["properties"]  # type: ignore[index]
    assert "rollingSync" in appset["strategy"]["properties"]


def test_both_backends_read_the_argo_cd_crd_schemas_from_the_schema_folder(
    tmp_path: Path,
) -> None:
    folder = build_schema_dir(cache_dir=tmp_path, kubernetes_version="1.30.1", crds=[])
    application = json.loads((folder / "application-argoproj-v1alpha1.json").read_text())
    assert "sourceHydrator" in application["properties"]["spec"]["properties"]
    assert application["properties"]["spec"]["additionalProperties"] is False
    for name in ("applicationset-argoproj-v1alpha1.json", "appproject-argoproj-v1alpha1.json"):
        assert (folder / name).is_file()


def test_the_kubeconform_backend_finds_what_the_builtin_one_finds(tmp_path: Path) -> None:
    root = tmp_path / "out"
    files = {
        "argocd/application-eu-1-hydrated.yaml": HYDRATED,
        "argocd/application-eu-1-canal.yaml": APPLICATION.replace("prune: true", "prune: 1"),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    found = {}
    for backend in (BuiltinBackend(), KubeconformBackend(executable=str(stand_in(tmp_path)))):
        findings = validate_tree(root, backend=backend, cache_dir=tmp_path / "cache")
        found[backend.name] = [(f.file, f.field) for f in findings]
    assert found["kubeconform"] == found["builtin"]
    assert found["builtin"] == [
        ("argocd/application-eu-1-canal.yaml", "spec.syncPolicy.automated.prune")
    ]


def test_an_application_with_a_source_hydrator_validates(tmp_path: Path) -> None:
    assert _check(tmp_path, {"argocd/application-eu-1-hydrated.yaml": HYDRATED}) == []


def test_a_source_hydrator_without_its_sync_source_is_a_finding(tmp_path: Path) -> None:
    broken = HYDRATED.split("    syncSource:")[0] + "  destination:\n    name: eu-1\n"
    assert _check(tmp_path, {"argocd/application-eu-1-hydrated.yaml": broken}) == [
        (
            "argocd/application-eu-1-hydrated.yaml",
            "spec.sourceHydrator.syncSource",
            "missing required field 'syncSource'",
        )
    ]


def test_a_wrong_field_type_is_reported_with_its_file_and_path(tmp_path: Path) -> None:
    broken = APPLICATION.replace("prune: true", 'prune: "yes"')
    assert _check(tmp_path, {"argocd/application-eu-1-canal.yaml": broken}) == [
        (
            "argocd/application-eu-1-canal.yaml",
            "spec.syncPolicy.automated.prune",
            "'yes' is not of type 'boolean'",
        )
    ]


def test_an_unknown_rolling_sync_field_is_a_finding(tmp_path: Path) -> None:
    appset = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "a", "namespace": "argocd"},
        "spec": {
            "generators": [{"list": {"elements": []}}],
            "strategy": {"type": "RollingSync", "rollingSync": {"stepz": []}},
            "template": {"metadata": {}, "spec": {"project": "p", "destination": {}}},
        },
    }
    findings = _check(tmp_path, {"argocd/applicationset-a.yaml": yaml.safe_dump(appset)})
    assert findings == [
        (
            "argocd/applicationset-a.yaml",
            "spec.strategy.rollingSync.stepz",
            "unknown field 'stepz'",
        )
    ]


@pytest.mark.parametrize("mode", ["applicationset", "applications"])
def test_every_argo_cd_object_of_the_example_fleet_validates(
    mode: str,
    make_repo: Callable[..., Repo],
    run_cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    config = (V2_20_FLEET / "kubermatic.yaml").read_text()
    config = config.replace(
        "  annotations:\n", f'  annotations:\n    kkpgen/argocd-mode: "{mode}"\n'
    )
    specs = {f"clusters/{p.name}": p.read_text() for p in (V2_20_FLEET / "clusters").iterdir()}
    repo = make_repo(base=specs, config=config)
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out), "-q"])
    only_argocd = tmp_path / "argocd-only"
    shutil.copytree(out / "argocd", only_argocd / "argocd")
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in (only_argocd / "argocd").glob("*.yaml")}
    expected = {"Application", "ApplicationSet", "AppProject"}
    assert kinds == (expected if mode == "applicationset" else {"Application", "AppProject"})
    findings = validate_tree(only_argocd, backend=BuiltinBackend(), cache_dir=tmp_path / "cache")
    assert findings == []


def test_the_tool_records_converted_schemas_without_descriptions(tmp_path: Path) -> None:
    mirror = tmp_path / "argo-cd"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "argoproj.io",
            "names": {"kind": "Widget"},
            "versions": [
                {
                    "name": "v1alpha1",
                    "schema": {
                        "openAPIV3Schema": {
                            "description": "dropped",
                            "type": "object",
                            "properties": {
                                "description": {"type": "string", "description": "dropped"},
                                "port": {"x-kubernetes-int-or-string": True},
                            },
                        }
                    },
                }
            ],
        },
    }
    for name in ("application", "applicationset", "appproject"):
        path = mirror / f"manifests/crds/{name}-crd.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(crd))
    git(mirror, "init", "-q", "-b", "main")
    git(mirror, "-c", "user.email=t@x", "-c", "user.name=t", "add", "-A")
    git(mirror, "-c", "user.email=t@x", "-c", "user.name=t", "commit", "-qm", "crds")
    git(mirror, "tag", "v9.9.9")
    commit = git(mirror, "rev-parse", "HEAD").strip()
    recorded = json.loads(document(str(mirror / ".git"), "v9.9.9"))
    assert recorded["source"]["tag"] == "v9.9.9"
    assert recorded["source"]["commit"] == commit
    (widget, *_) = recorded["schemas"]
    assert (widget["apiVersion"], widget["kind"]) == ("argoproj.io/v1alpha1", "Widget")
    properties = widget["schema"]["properties"]
    assert properties["description"] == {"type": "string"}
    assert properties["port"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "description" not in widget["schema"]
    assert without_descriptions({"description": "x", "type": "object"}) == {"type": "object"}
