"""The kubeconform backend, run against a stand-in executable written into tmp_path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError
from kkpgen.validate import (
    BuiltinBackend,
    KubeconformBackend,
    select_backend,
    validate_tree,
)
from kkpgen.validate.kubeconform import describe

# Imitates kubeconform -output json with python-jsonschema on the same schema files, using
# kubeconform 0.7's wording (santhosh-tekuri/jsonschema v6). CANNED replaces the validation.
STAND_IN = """\
import json, os, sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

HERE = Path(__file__).parent
(HERE / "argv.json").write_text(json.dumps(sys.argv[1:]))
canned = HERE / "canned.json"
if canned.exists():
    spec = json.loads(canned.read_text())
    sys.stdout.write(spec["stdout"])
    sys.stderr.write(spec.get("stderr", ""))
    sys.exit(spec["exit"])

# Go's flag package: flags until "--" or the first argument not starting with "-"
args, options, files = sys.argv[1:], {}, []
while args:
    arg = args.pop(0)
    if arg == "--" or not arg.startswith("-"):
        files = args if arg == "--" else [arg, *args]
        break
    if arg in ("-output", "-schema-location"):
        options[arg] = args.pop(0)
    elif arg not in ("-strict", "-summary=false"):
        sys.exit(f"flag provided but not defined: {arg}")
location = options["-schema-location"]


def message(error):
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "additional properties " + ", ".join(repr(k) for k in extra) + " not allowed"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return "missing property " + ", ".join(repr(k) for k in missing)
    return error.message


results = []
for name in files:
    for doc in yaml.safe_load_all(Path(name).read_text()):
        group_version = doc["apiVersion"].split("/")
        suffix = "-" + group_version[0].split(".")[0].lower()
        suffix += "-" + group_version[1].lower() if len(group_version) > 1 else ""
        path = location.replace("{{ .ResourceKind }}", doc["kind"].lower())
        path = path.replace("{{ .KindSuffix }}", suffix)
        base = {"filename": name, "kind": doc["kind"], "name": doc["metadata"]["name"],
                "version": doc["apiVersion"]}
        if not os.path.exists(path):
            msg = "could not find schema for " + doc["kind"]
            results.append({**base, "status": "statusError", "msg": msg})
            continue
        validator = Draft202012Validator(json.loads(Path(path).read_text()))
        errors = [{"path": "".join("/" + str(p) for p in e.absolute_path), "msg": message(e)}
                  for e in validator.iter_errors(doc)]
        if errors:
            results.append({**base, "status": "statusInvalid", "msg": "invalid",
                            "validationErrors": errors})
print(json.dumps({"resources": results}, indent=2))
sys.exit(1 if results else 0)
"""

RESOLVED = """\
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: eu-1
spec:
  version: "1.30.2"
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: kube-system
data:
  a: b
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: hubble-peer
  namespace: kube-system
spec:
  selector:
    k8s-app: cilium
  ports:
    - port: 443
      targetPort: 4244
      protocol: TCP
"""


def stand_in(tmp_path: Path, *, canned: dict[str, object] | None = None) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "kubeconform"
    script.write_text(f"#!{sys.executable}\n{STAND_IN}", encoding="utf-8")
    script.chmod(0o755)
    if canned is not None:
        (folder / "canned.json").write_text(json.dumps(canned), encoding="utf-8")
    return script


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"eu-1/resolved.yaml": RESOLVED, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Source: cilium/templates/{path.name}\n{text}", encoding="utf-8")
    return root


VALID_TREE = {
    "eu-1/user-cluster/cilium/configmap-cfg.yaml": CONFIGMAP,
    "eu-1/user-cluster/cilium/service-hubble-peer.yaml": SERVICE,
}
INVALID_TREE = {
    "eu-1/user-cluster/cilium/configmap-cfg.yaml": CONFIGMAP.replace("a: b", "a: 1"),
    "eu-1/user-cluster/cilium/service-hubble-peer.yaml": SERVICE.replace("port: 443", "prot: 443"),
    "eu-1/seed/cilium/widget-w.yaml": WIDGET,
}


def test_kubeconform_is_run_strict_offline_on_the_cache(tmp_path: Path) -> None:
    script = stand_in(tmp_path)
    root = make_tree(tmp_path / "out", VALID_TREE)
    backend = KubeconformBackend(executable=str(script))
    cache = tmp_path / "cache"
    assert validate_tree(root, backend=backend, cache_dir=cache) == []
    argv = json.loads((script.parent / "argv.json").read_text())
    assert argv[:4] == ["-strict", "-summary=false", "-output", "json"]
    location = argv[argv.index("-schema-location") + 1]
    assert location.startswith(str(cache.resolve()) + "/v1.30.0-")
    assert location.endswith("/{{ .ResourceKind }}{{ .KindSuffix }}.json")
    assert not any("http" in arg for arg in argv)
    assert "-ignore-missing-schemas" not in argv
    assert argv[argv.index("-schema-location") + 2 :] == [
        "--",
        *(str(root / name) for name in sorted(VALID_TREE)),
    ]


def test_a_tree_whose_path_starts_with_a_dash_is_not_read_as_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = make_tree(Path("-out"), INVALID_TREE)
    backend = KubeconformBackend(executable=str(stand_in(tmp_path)))
    found = validate_tree(root, backend=backend, cache_dir=tmp_path / "cache")
    assert {f.file for f in found} == set(INVALID_TREE)


def kubeconform_output(out: Path) -> dict[str, object]:
    """kubeconform 0.7 -output json for an invalid Service and a kind without schema."""
    return {
        "resources": [
            {
                "filename": str(out / "eu-1/user-cluster/c/service-s.yaml"),
                "kind": "Service",
                "name": "s",
                "version": "v1",
                "status": "statusInvalid",
                "msg": "problem validating schema",
                "validationErrors": [
                    {"path": "/spec/ports/0", "msg": "additional properties 'prot' not allowed"},
                    {"path": "/spec/ports/0", "msg": "missing property 'port'"},
                    {
                        "path": "/metadata/labels/app.kubernetes.io~1name",
                        "msg": "got number, want string",
                    },
                ],
            },
            {
                "filename": str(out / "eu-1/seed/c/widget-w.yaml"),
                "kind": "Widget",
                "name": "w",
                "version": "example.com/v1",
                "status": "statusError",
                "msg": "could not find schema for Widget",
            },
            {
                "filename": "x",
                "kind": "ConfigMap",
                "name": "c",
                "version": "v1",
                "status": "statusValid",
                "msg": "",
            },
        ]
    }


def test_invalid_output_becomes_findings(tmp_path: Path) -> None:
    script = stand_in(
        tmp_path, canned={"stdout": json.dumps(kubeconform_output(tmp_path / "out")), "exit": 1}
    )
    files = [
        tmp_path / "out/eu-1/user-cluster/c/service-s.yaml",
        tmp_path / "out/eu-1/seed/c/widget-w.yaml",
    ]
    findings = KubeconformBackend(executable=str(script)).validate(
        files, root=tmp_path / "out", schema_dir=tmp_path
    )
    service, widget = "eu-1/user-cluster/c/service-s.yaml", "eu-1/seed/c/widget-w.yaml"
    assert {f.backend for f in findings} == {"kubeconform"}
    assert [(f.file, f.kind, f.name, f.field, f.message) for f in findings] == [
        (service, "Service", "s", "spec.ports[0].prot", "unknown field 'prot'"),
        (service, "Service", "s", "spec.ports[0].port", "missing required field 'port'"),
        (
            service,
            "Service",
            "s",
            'metadata.labels["app.kubernetes.io/name"]',
            "got number, want string",
        ),
        (widget, "Widget", "w", "", "no schema for example.com/v1/Widget"),
    ]


@pytest.mark.parametrize(
    "canned",
    [
        {
            "stdout": "",
            "stderr": "failed parsing command line: flag provided but not defined",
            "exit": 1,
        },
        {"stdout": "not json", "exit": 1},
        {"stdout": '{"resources": []}', "exit": 1},
        {"stdout": '{"resources": []}', "exit": 2},
        {"stdout": "", "stderr": "panic: runtime error", "exit": 139},
    ],
    ids=["bad-flag", "garbage", "exit-1-without-findings", "exit-2", "crash"],
)
def test_unusable_kubeconform_is_an_environment_error(
    tmp_path: Path, canned: dict[str, object]
) -> None:
    script = stand_in(tmp_path, canned=canned)
    root = make_tree(tmp_path / "out", VALID_TREE)
    with pytest.raises(KkpgenError) as caught:
        validate_tree(
            root, backend=KubeconformBackend(executable=str(script)), cache_dir=tmp_path / "c"
        )
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert caught.value.diagnostics[0].code == "validate.kubeconform.failed"
    assert "--backend builtin" in caught.value.diagnostics[0].hint


def test_kubeconform_asked_for_but_missing_is_an_environment_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KkpgenError) as caught:
        select_backend("kubeconform", kubeconform_path=None)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert "--kubeconform PATH" in caught.value.diagnostics[0].hint
    with pytest.raises(KkpgenError):
        select_backend("auto", kubeconform_path=str(tmp_path / "nope"))


def test_auto_prefers_kubeconform_on_path_else_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert select_backend("auto", kubeconform_path=None).name == "builtin"
    script = stand_in(tmp_path)
    monkeypatch.setenv("PATH", str(script.parent))
    backend = select_backend("auto", kubeconform_path=None)
    assert isinstance(backend, KubeconformBackend)
    assert backend.executable == str(script)


@pytest.mark.parametrize("tree", [VALID_TREE, INVALID_TREE], ids=["valid", "invalid"])
def test_both_backends_agree(tmp_path: Path, tree: dict[str, str]) -> None:
    root = make_tree(tmp_path / "out", tree)
    cache = tmp_path / "cache"
    kubeconform = KubeconformBackend(executable=str(stand_in(tmp_path)))
    results = [
        [
            (f.file, f.kind, f.name, f.field, f.message)
            for f in validate_tree(root, backend=b, cache_dir=cache)
        ]
        for b in (kubeconform, BuiltinBackend())
    ]
    assert results[0] == results[1]
    assert bool(results[0]) == (tree is INVALID_TREE)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {"path": "/spec", "msg": "additionalProperties 'replica', 'x' not allowed"},
            [("spec.replica", "unknown field 'replica'"), ("spec.x", "unknown field 'x'")],
        ),
        (
            {"path": "", "msg": "missing properties: 'spec'"},
            [("spec", "missing required field 'spec'")],
        ),
    ],
    ids=["v0.6-unknown-fields", "v0.6-missing-at-root"],
)
def test_older_kubeconform_wording_is_understood(
    error: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert list(describe(error)) == expected


# What kubeconform 0.6.7 (built from its tag) printed for a Deployment whose containerPort is
# a string: validationErrors holds only the $ref below /spec; msg names the failure itself.
DEPLOYMENT_0_6: dict[str, object] = {
    "kind": "Deployment",
    "name": "metrics-server",
    "version": "apps/v1",
    "status": "statusInvalid",
    "msg": "problem validating schema. Check JSON formatting: jsonschema: "
    "'/spec/template/spec/containers/0/ports/0/containerPort' does not validate with "
    "file:///c/v1.35.0-41b8571158b2fbc6/deployment-apps-v1.json#/properties/spec/$ref"
    "/properties/template/$ref/properties/spec/$ref/properties/containers/items/$ref"
    "/properties/ports/items/$ref/properties/containerPort/type: expected integer, but got string",
    "validationErrors": [
        {"path": "/spec", "msg": "doesn't validate with '/$defs/io.k8s.api.apps.v1.DeploymentSpec'"}
    ],
}
# The same resource as jsonschema v6 (kubeconform 0.7) words it: every failure, one a line
# (kubeconform turns the newlines into spaces), and "validation failed" for each $ref.
DEPLOYMENT_0_7: dict[str, object] = {
    **DEPLOYMENT_0_6,
    "msg": "problem validating schema. Check JSON formatting: jsonschema validation failed "
    "with 'file:///c/deployment-apps-v1.json#'   - at '/spec': validation failed     "
    "- at '/spec/template/spec/containers/0': additional properties 'imagePullPolicyX' "
    "not allowed     - at '/spec/template/spec/containers/0/ports/0/containerPort': "
    "got string, want integer",
    "validationErrors": [{"path": "/spec", "msg": "validation failed"}],
}
CONTAINER = "spec.template.spec.containers[0]"


def findings_for(tmp_path: Path, result: dict[str, object]) -> list[tuple[str, str]]:
    file = tmp_path / "out/eu-1/user-cluster/m/deployment-metrics-server.yaml"
    stdout = json.dumps({"resources": [{**result, "filename": str(file)}]})
    script = stand_in(tmp_path, canned={"stdout": stdout, "exit": 1})
    found = KubeconformBackend(executable=str(script)).validate(
        [file], root=tmp_path / "out", schema_dir=tmp_path
    )
    return [(f.field, f.message) for f in found]


def test_a_failure_below_a_ref_is_reported_where_it_is(tmp_path: Path) -> None:
    assert findings_for(tmp_path, DEPLOYMENT_0_6) == [
        (f"{CONTAINER}.ports[0].containerPort", "expected integer, but got string")
    ]


def test_every_failure_kubeconform_0_7_names_below_a_ref_is_reported(tmp_path: Path) -> None:
    assert findings_for(tmp_path, DEPLOYMENT_0_7) == [
        (f"{CONTAINER}.imagePullPolicyX", "unknown field 'imagePullPolicyX'"),
        (f"{CONTAINER}.ports[0].containerPort", "got string, want integer"),
    ]


def test_a_ref_with_no_failure_named_below_it_says_how_to_see_them(tmp_path: Path) -> None:
    spec = {"path": "/spec", "msg": "doesn't validate with '/$defs/DeploymentSpec'"}
    other = {"path": "/metadata", "msg": "doesn't validate with '/$defs/ObjectMeta'"}
    result = {**DEPLOYMENT_0_6, "validationErrors": [spec, other]}
    found = findings_for(tmp_path, result)
    assert found[0][0] == f"{CONTAINER}.ports[0].containerPort"
    assert found[1][0] == "metadata"
    assert found[1][1].startswith("doesn't validate with '/$defs/ObjectMeta' (")
    assert "`kkpgen validate OUT --backend builtin`" in found[1][1]
