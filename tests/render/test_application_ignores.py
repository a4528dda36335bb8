"""The Argo CD Applications ignore exactly the fields KKP or Kubernetes fill at run time."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from generator.render.applications import ArgoTarget, ignore_differences


def test_the_user_cluster_application_ignores_the_metrics_apiservice_ca_bundle() -> None:
    assert ignore_differences(ArgoTarget("c1", "user-cluster")) == [
        {
            "group": "apiregistration.k8s.io",
            "kind": "APIService",
            "name": "v1beta1.metrics.k8s.io",
            "jsonPointers": ["/spec/caBundle"],
        }
    ]


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
    jq = shutil.which("jq")
    if jq is None:
        pytest.skip("jq is not installed")
    labels = {"app": "openvpn-server", "ca-secret-revision": "7", "x-configmap-revision": "9"}
    document = json.dumps({"spec": {"template": {"metadata": {"labels": labels}}}})
    result = subprocess.run(
        [jq, "-c", f"del({REVISIONS})"], input=document, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == {
        "spec": {"template": {"metadata": {"labels": {"app": "openvpn-server"}}}}
    }
