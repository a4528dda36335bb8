"""The Argo CD Applications ignore exactly the fields KKP or Kubernetes fill at run time, and
the Calico CRD schemas KKP's canal addon owns."""

from __future__ import annotations

from pathlib import Path

import jq

from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render.applications import ArgoTarget, ignore_differences
from kkpgen.render.contents import cluster_argo
from tests.conftest import CONFIG, cluster_yaml

CRD_SCHEMAS = ".spec.versions[].schema"


def _deleted(path: str, document: object) -> object:
    """What Argo CD compares after ignoring `path`: the document with what the jq path
    selects deleted (libjq, the reference for Argo CD's gojq)."""
    return jq.compile(f"del({path})").input_value(document).first()


def test_the_user_cluster_application_ignores_the_ca_bundle_and_the_crd_schemas() -> None:
    assert ignore_differences(ArgoTarget("c1", "user-cluster")) == [
        {
            "group": "apiregistration.k8s.io",
            "kind": "APIService",
            "name": "v1beta1.metrics.k8s.io",
            "jsonPointers": ["/spec/caBundle"],
        },
        {
            "group": "apiextensions.k8s.io",
            "kind": "CustomResourceDefinition",
            "jqPathExpressions": [CRD_SCHEMAS],
        },
    ]


def test_the_crd_ignore_deletes_only_the_schemas() -> None:
    """KKP's canal addon applies Calico's generated schemas, kkpgen shorter ones: Argo CD
    leaves the schema to KKP and still compares names, versions, served and storage."""
    schema = {"openAPIV3Schema": {"type": "object"}}
    versions = [
        {"name": "v1", "served": True, "storage": True, "schema": schema},
        {"name": "v2", "served": False, "storage": False, "schema": schema},
    ]
    document = {"spec": {"group": "crd.projectcalico.org", "versions": versions}}
    kept = [{k: v for k, v in version.items() if k != "schema"} for version in versions]
    assert _deleted(CRD_SCHEMAS, document) == {
        "spec": {"group": "crd.projectcalico.org", "versions": kept}
    }


REVISIONS = '.spec.template.metadata.labels | .[keys[] | select(endswith("-revision"))]'


def _revision_ignore(name: str) -> dict[str, object]:
    return {
        "group": "apps",
        "kind": "Deployment",
        "name": name,
        "namespace": "cluster-c1",
        "jqPathExpressions": [REVISIONS],
    }


def test_the_seed_application_ignores_a_node_port_until_it_is_annotated() -> None:
    unpinned = ArgoTarget("c1", "seed", unpinned_node_ports=("openvpn-server",))
    assert ignore_differences(unpinned) == [
        _revision_ignore("metrics-server"),
        _revision_ignore("openvpn-server"),
        {
            "group": "",
            "kind": "Service",
            "name": "openvpn-server",
            "namespace": "cluster-c1",
            "jqPathExpressions": [".spec.ports[].nodePort"],
        },
    ]
    assert ignore_differences(ArgoTarget("c1", "seed")) == [
        _revision_ignore("metrics-server"),
        _revision_ignore("openvpn-server"),
    ]


def test_the_revision_ignore_deletes_exactly_kkps_volume_revision_labels() -> None:
    """KKP labels the seed pod templates with run-time resource versions
    (resources.VolumeRevisionLabels); Argo CD deletes what the jq path selects before it
    compares. jq (the reference for Argo CD's gojq) shows the path selects only those."""
    labels = {"app": "openvpn-server", "ca-secret-revision": "7", "x-configmap-revision": "9"}
    document = {"spec": {"template": {"metadata": {"labels": labels}}}}
    assert _deleted(REVISIONS, document) == {
        "spec": {"template": {"metadata": {"labels": {"app": "openvpn-server"}}}}
    }


PINNED = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata:
  name: konnectivity
spec:
  name: konnectivity
  cluster:
    name: agent-pinned
  variables:
    serverPort: 31000
"""


def test_only_a_tunnel_service_whose_node_port_nobody_fixed_is_left_to_kubernetes(
    tmp_path: Path,
) -> None:
    """The seed Application ignores the NodePort of the tunnel server Service only where
    Kubernetes allocates it: not with the Tunneling expose strategy, nor a port pinned by
    the chart's Addon variable."""
    agent = "clusterNetwork: {konnectivityEnabled: true}\n"
    specs = {
        "vpn": cluster_yaml("vpn"),
        "tunneling": cluster_yaml("tunneling", extra="exposeStrategy: Tunneling\n"),
        "agent": cluster_yaml("agent", extra=agent),
        "agent-pinned": cluster_yaml("agent-pinned", extra=agent) + PINNED,
    }
    (tmp_path / "clusters").mkdir()
    gates = "    KonnectivityService: true\n"
    config = CONFIG.replace(gates, gates + "    TunnelingExposeStrategy: true\n", 1)
    assert config != CONFIG
    (tmp_path / "kubermatic.yaml").write_text(config)
    for name, text in specs.items():
        (tmp_path / "clusters" / f"{name}.yaml").write_text(text)
    checked = check_fleet(SourceOptions(repo=tmp_path))
    unpinned = {c.name: cluster_argo(c).unpinned_node_ports for c in checked.resolved}
    assert unpinned == {
        "agent": ("konnectivity-server",),
        "agent-pinned": (),
        "tunneling": (),
        "vpn": ("openvpn-server",),
    }
