"""Facts that differ per KKP release: component images and Konnectivity's existence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from kkpgen.kkp.catalog import load_catalog
from tests.conftest import CONFIG, cluster_yaml

CATALOG = load_catalog()


def _images(kkp: str) -> dict[str, str]:
    return CATALOG.images_for(
        release=CATALOG.release(kkp), cni="canal", cni_version="v3.19", kubernetes_version="1.21.1"
    )


def test_component_images_follow_the_kkp_release() -> None:
    assert _images("v2.17")["openvpn"] == "quay.io/kubermatic/openvpn:v2.5.0-r1"
    assert _images("v2.17")["metrics_server"] == "k8s.gcr.io/metrics-server-amd64:v0.3.6"
    assert _images("v2.18")["konnectivity_agent"].endswith("proxy-agent:v0.0.24")
    assert _images("v2.20")["konnectivity_agent"].endswith("proxy-agent:v0.0.26")
    assert _images("v2.20")["kubeletdnat_controller"].endswith(":v2.20.0")
    assert _images("v2.20")["kube_proxy"] == "k8s.gcr.io/kube-proxy:v1.21.1"


def test_konnectivity_is_refused_on_kkp_2_17(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(CONFIG.replace('"v2.20"', '"v2.17"'))
    spec = cluster_yaml(
        "c1",
        version='"1.20.9"',
        extra="cniPlugin: {type: canal, version: v3.8}\n"
        "clusterNetwork: {konnectivityEnabled: true}\n",
    )
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    result = run_cli(["check", "--repo", str(tmp_path)], expect=1)
    assert "error[network.konnectivity.unsupported]" in result.stderr
    assert "KKP v2.17 has no Konnectivity" in result.stderr
