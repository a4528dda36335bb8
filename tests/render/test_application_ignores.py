"""The Argo CD Applications ignore exactly the fields KKP or Kubernetes fill at run time."""

from __future__ import annotations

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


def test_the_seed_application_ignores_a_node_port_until_it_is_annotated() -> None:
    unpinned = ArgoTarget("c1", "seed", unpinned_node_ports=("openvpn-server",))
    assert ignore_differences(unpinned) == [
        {
            "group": "",
            "kind": "Service",
            "name": "openvpn-server",
            "namespace": "cluster-c1",
            "jqPathExpressions": [".spec.ports[].nodePort"],
        }
    ]
    assert ignore_differences(ArgoTarget("c1", "seed")) == []
