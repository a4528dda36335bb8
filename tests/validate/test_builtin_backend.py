"""The builtin backend over small output trees written in tmp_path (no network)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError
from kkpgen.validate import BuiltinBackend, Finding, run_validation, validate_tree

RESOLVED = """\
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: eu-1
spec:
  version: "1.23.5"
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: calico-kube-controllers
  namespace: kube-system
  labels:
    app.kubernetes.io/name: canal
spec:
  replicas: 1
  selector:
    matchLabels:
      k8s-app: calico-kube-controllers
  template:
    metadata:
      labels:
        k8s-app: calico-kube-controllers
    spec:
      serviceAccountName: calico-kube-controllers
      containers:
        - name: calico-kube-controllers
          image: quay.io/calico/kube-controllers:v3.22.2
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
"""

VALID = {
    "eu-1/user-cluster/canal/deployment-calico-kube-controllers.yaml": DEPLOYMENT,
    "eu-1/user-cluster/canal/serviceaccount-calico-kube-controllers.yaml": """\
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: calico-kube-controllers
          namespace: kube-system
        """,
    "eu-1/user-cluster/canal/configmap-canal-config.yaml": """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: canal-config
          namespace: kube-system
        data:
          veth_mtu: "1450"
        """,
    "eu-1/user-cluster/canal/clusterrole-calico-kube-controllers.yaml": """\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: calico-kube-controllers
        rules:
          - apiGroups: [""]
            resources: [nodes]
            verbs: [watch, list, get]
        """,
}

FELIX_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: felixconfigurations.crd.projectcalico.org
spec:
  group: crd.projectcalico.org
  names:
    kind: FelixConfiguration
    listKind: FelixConfigurationList
    plural: felixconfigurations
    singular: felixconfiguration
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              type: object
              properties:
                bpfEnabled:
                  type: boolean
                healthPort:
                  type: integer
                natPortRange:
                  anyOf:
                    - type: integer
                    - type: string
                  x-kubernetes-int-or-string: true
"""

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: eu-1-canal
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: kkp-user-clusters
  source:
    repoURL: https://git.example.com/fleet.git
    path: out/eu-1/user-cluster/canal
    targetRevision: main
    directory:
      recurse: true
  destination:
    name: eu-1
    namespace: kube-system
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - ServerSideApply=true
    retry:
      limit: 3
  ignoreDifferences:
    - group: apps
      kind: DaemonSet
      jsonPointers:
        - /spec/template/metadata/annotations
"""


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"eu-1/resolved.yaml": RESOLVED, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        source = (
            "" if name.endswith("resolved.yaml") else f"# Source: chart/templates/{path.name}\n"
        )
        path.write_text(source + textwrap.dedent(text), encoding="utf-8")
    return root


def check(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    root = make_tree(tmp_path / "out", files)
    return validate_tree(root, backend=BuiltinBackend(), cache_dir=tmp_path / "cache")


def test_valid_objects_pass_and_resolved_cluster_is_not_validated(tmp_path: Path) -> None:
    assert check(tmp_path, VALID) == []


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("replicas: 1", "replicas: one", "spec.replicas", "'one' is not of type 'integer', 'null'"),
        (
            "          image: quay",
            "          imag: quay",
            "spec.template.spec.containers[0].imag",
            "unknown field 'imag'",
        ),
        (
            "- name: calico-kube-controllers\n          image:",
            "- image:",
            "spec.template.spec.containers[0].name",
            "missing required field 'name'",
        ),
    ],
    ids=["wrong-type", "unknown-field", "missing-required-field"],
)
def test_invalid_deployment_gives_a_finding_with_file_and_field(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    file = "eu-1/user-cluster/canal/deployment-calico-kube-controllers.yaml"
    assert old in DEPLOYMENT
    findings = check(tmp_path, {file: DEPLOYMENT.replace(old, new, 1)})
    expected = Finding(
        file=file,
        kind="Deployment",
        name="calico-kube-controllers",
        message=message,
        field=field,
        backend="builtin",
    )
    assert findings == [expected]


def test_crd_in_the_tree_validates_its_custom_objects(tmp_path: Path) -> None:
    felix = """\
        apiVersion: crd.projectcalico.org/v1
        kind: FelixConfiguration
        metadata:
          name: default
        spec:
          bpfEnabled: "yes"
          natPortRange: 32768
          healthPorts: 9099
        """
    findings = check(
        tmp_path,
        {
            "eu-1/user-cluster/canal/customresourcedefinition-felixconfigurations.yaml": FELIX_CRD,
            "eu-1/user-cluster/canal/felixconfiguration-default.yaml": felix,
        },
    )
    assert [(f.file, f.kind, f.field, f.message) for f in findings] == [
        (
            "eu-1/user-cluster/canal/felixconfiguration-default.yaml",
            "FelixConfiguration",
            "spec.bpfEnabled",
            "'yes' is not of type 'boolean'",
        ),
        (
            "eu-1/user-cluster/canal/felixconfiguration-default.yaml",
            "FelixConfiguration",
            "spec.healthPorts",
            "unknown field 'healthPorts'",
        ),
    ]


def test_unknown_kind_is_a_finding_not_a_skip(tmp_path: Path) -> None:
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    findings = check(tmp_path, {"eu-1/user-cluster/x/widget-w.yaml": widget})
    assert [(f.file, f.message) for f in findings] == [
        ("eu-1/user-cluster/x/widget-w.yaml", "no schema for example.com/v1/Widget")
    ]


def test_valid_argocd_application_passes(tmp_path: Path) -> None:
    assert check(tmp_path, {"argocd/application-eu-1-canal.yaml": APPLICATION}) == []


def test_invalid_argocd_application_gives_findings(tmp_path: Path) -> None:
    broken = APPLICATION.replace("prune: true", 'prune: "yes"').replace("path:", "paths:")
    findings = check(tmp_path, {"argocd/application-eu-1-canal.yaml": broken})
    assert [(f.kind, f.field, f.message) for f in findings] == [
        ("Application", "spec.source.paths", "unknown field 'paths'"),
        ("Application", "spec.syncPolicy.automated.prune", "'yes' is not of type 'boolean'"),
    ]


def test_argocd_appproject_missing_spec_is_a_finding(tmp_path: Path) -> None:
    project = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\n"
    findings = check(tmp_path, {"argocd/appproject-p.yaml": project})
    assert [(f.field, f.message) for f in findings] == [("spec", "missing required field 'spec'")]


def test_unparsable_yaml_is_a_finding(tmp_path: Path) -> None:
    findings = check(tmp_path, {"eu-1/seed/canal/configmap-x.yaml": "data: [unclosed\n"})
    assert len(findings) == 1
    assert findings[0].file == "eu-1/seed/canal/configmap-x.yaml"
    # the wording differs between libyaml and pure-Python PyYAML; the line does not
    assert findings[0].message.startswith("cannot parse YAML: ")
    assert findings[0].message.endswith("(line 3)")


def test_findings_are_sorted_by_file(tmp_path: Path) -> None:
    bad = DEPLOYMENT.replace("replicas: 1", "replicas: one")
    findings = check(
        tmp_path,
        {
            "eu-1/user-cluster/zz/deployment-a.yaml": bad,
            "eu-1/seed/aa/deployment-b.yaml": bad,
        },
    )
    assert [f.file for f in findings] == [
        "eu-1/seed/aa/deployment-b.yaml",
        "eu-1/user-cluster/zz/deployment-a.yaml",
    ]


def test_run_validation_raises_validation_failed_with_display_paths(tmp_path: Path) -> None:
    file = "eu-1/user-cluster/canal/deployment-calico-kube-controllers.yaml"
    root = make_tree(
        tmp_path / ".out.tmp-1", {file: DEPLOYMENT.replace("replicas: 1", "replicas: x")}
    )
    with pytest.raises(KkpgenError) as caught:
        run_validation(
            root, backend="builtin", kubeconform=None, cache_dir=tmp_path / "c", display_root="out"
        )
    assert caught.value.exit_code == ExitCode.VALIDATION_FAILED
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.location.file, diagnostic.field) == (
        "validate.schema",
        f"out/{file}",
        "spec.replicas",
    )
    assert diagnostic.message == (
        "Deployment/calico-kube-controllers: 'x' is not of type 'integer', 'null'"
    )


PDB_V1BETA1 = """\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: konnectivity-agent
  namespace: kube-system
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: konnectivity-agent
"""


@pytest.mark.parametrize(
    ("kubernetes", "found"),
    [("1.23.5", []), ("1.25.0", ["no schema for policy/v1beta1/PodDisruptionBudget"])],
    ids=["served-until-1.24", "removed-in-1.25"],
)
def test_a_policy_v1beta1_pdb_is_valid_on_clusters_that_still_serve_it(
    tmp_path: Path, kubernetes: str, found: list[str]
) -> None:
    """KKP v2.17-v2.20 apply policy/v1beta1 PDBs; the bundled schemas start at 1.25."""
    files = {
        "eu-1/resolved.yaml": RESOLVED.replace('"1.23.5"', f'"{kubernetes}"'),
        "eu-1/user-cluster/konnectivity/poddisruptionbudget-konnectivity-agent.yaml": PDB_V1BETA1,
    }
    assert [f.message for f in check(tmp_path, files)] == found


def _reject_wrong_type(tmp_path: Path) -> list[Finding]:
    file = "eu-1/user-cluster/canal/deployment-calico-kube-controllers.yaml"
    return check(tmp_path, {file: DEPLOYMENT.replace("replicas: 1", "replicas: one", 1)})


def test_a_schema_replaced_in_the_cache_is_built_again_not_trusted(tmp_path: Path) -> None:
    """A schema cache replaced with {} made validate pass what it had rejected (issue 23)."""
    assert len(_reject_wrong_type(tmp_path)) == 1
    for schema in (tmp_path / "cache").glob("*/deployment-apps-v1.json"):
        schema.write_text("{}\n")
    assert len(_reject_wrong_type(tmp_path)) == 1
    (schema,) = (tmp_path / "cache").glob("*/deployment-apps-v1.json")
    assert schema.read_text() != "{}\n"


def test_a_schema_cache_others_can_write_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    (cache / "planted").mkdir()
    assert len(_reject_wrong_type(tmp_path)) == 1
    assert [p.name for p in cache.iterdir()] == ["planted"]  # built elsewhere, for this run
