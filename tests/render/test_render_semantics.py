"""What each cluster gets, read from the rendered objects (not from snapshots)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from kkpgen.validate import run_validation
from tests.conftest import V2_20_FLEET, RenderFleet, cluster_yaml

HUBBLE = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: hubble, namespace: cluster-c1}
spec: {name: hubble, cluster: {name: c1}}
"""


PORTS = """\
  annotations:
    kkpgen/konnectivity-server-port: "31000"
    kkpgen/openvpn-server-port: "31001"
"""


def _spec(cni: str, proxy: str, konnectivity: bool, *, cloud: str = "aws: {}") -> str:
    version = {"canal": "v3.22", "cilium": "v1.11", "none": '""'}[cni]
    spec = cluster_yaml(
        "c1",
        cloud=cloud,
        extra=f"""\
        cniPlugin: {{type: {cni}, version: {version}}}
        clusterNetwork:
          proxyMode: {proxy}
          konnectivityEnabled: {str(konnectivity).lower()}
        """,
    )
    return spec.replace("  name: c1\n", "  name: c1\n" + PORTS, 1)


def _charts(objects: Mapping[str, Any], destination: str) -> set[str]:
    return {
        p.split("/")[2]
        for p in objects
        if p.startswith(f"c1/{destination}/") and not p.endswith("/kustomization.yaml")
    }


COMBINATIONS = [
    (cni, proxy, konn)
    for cni, proxy, konn in itertools.product(
        ["canal", "cilium", "none"], ["ipvs", "iptables", "ebpf"], [True, False]
    )
    if proxy != "ebpf" or (cni == "cilium" and konn)  # the rules refuse the others
]


@pytest.mark.parametrize(
    ("cni", "proxy", "konnectivity"),
    COMBINATIONS,
    ids=[f"{c}-{p}-{'konnectivity' if k else 'openvpn'}" for c, p, k in COMBINATIONS],
)
def test_each_combination_gets_exactly_its_components(
    cni: str, proxy: str, konnectivity: bool, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec(cni, proxy, konnectivity)}).objects()
    expected = {"metrics-server", "nodelocal-dns", "konnectivity" if konnectivity else "openvpn"}
    expected |= {cni} if cni != "none" else set()
    expected |= {"kube-proxy"} if proxy != "ebpf" else set()
    assert _charts(objects, "user-cluster") == expected
    seed = {"konnectivity"} if konnectivity else {"openvpn", "metrics-server"}
    assert _charts(objects, "seed") == seed
    for path, obj in objects.items():
        if "/seed/" in path and obj.get("metadata", {}).get("namespace") is not None:
            assert obj["metadata"]["namespace"] == "cluster-c1", path


def test_kube_proxy_mode_and_strict_arp_follow_the_spec(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("canal", "iptables", False)}).objects()
    config = yaml.safe_load(
        objects["c1/user-cluster/kube-proxy/configmap-kube-proxy.yaml"]["data"]["config.conf"]
    )
    # KKP renders strictARP true unless the spec says otherwise, whatever the proxyMode.
    assert (config["mode"], config["ipvs"]["strictARP"]) == ("iptables", True)
    assert config["clusterCIDR"] == "172.25.0.0/16"


def test_cilium_replaces_kube_proxy_with_ebpf(tmp_path: Path, render_fleet: RenderFleet) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("cilium", "ebpf", True)}).objects()
    config = objects["c1/user-cluster/cilium/configmap-cilium-config.yaml"]["data"]
    assert config["kube-proxy-replacement"] == "strict"
    assert config["cluster-pool-ipv4-cidr"] == "172.25.0.0/16"
    env = objects["c1/user-cluster/cilium/daemonset-cilium.yaml"]["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    assert {"name": "KUBERNETES_SERVICE_HOST", "value": "c1.kkp.example.com"} in env


def test_cilium_without_ebpf_keeps_kube_proxy_replacement_off(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("cilium", "ipvs", False)}).objects()
    config = objects["c1/user-cluster/cilium/configmap-cilium-config.yaml"]["data"]
    assert config["kube-proxy-replacement"] == "disabled"


def test_konnectivity_agent_and_metrics_server_run_two_replicas_in_the_user_cluster(
    tmp_path: Path,
    render_fleet: RenderFleet,
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("canal", "ipvs", True)}).objects()
    agent = objects["c1/user-cluster/konnectivity/deployment-konnectivity-agent.yaml"]
    metrics = objects["c1/user-cluster/metrics-server/deployment-metrics-server.yaml"]
    assert (agent["spec"]["replicas"], metrics["spec"]["replicas"]) == (2, 2)
    assert agent["metadata"]["namespace"] == metrics["metadata"]["namespace"] == "kube-system"


def test_openvpn_puts_the_server_and_metrics_server_in_the_seed(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("canal", "ipvs", False)}).objects()
    assert "c1/seed/openvpn/deployment-openvpn-server.yaml" in objects
    assert "c1/user-cluster/openvpn/deployment-openvpn-client.yaml" in objects
    assert "c1/seed/metrics-server/deployment-metrics-server.yaml" in objects
    assert "c1/user-cluster/metrics-server/deployment-metrics-server.yaml" not in objects


def test_hubble_ui_service_listens_on_port_80_in_kube_system(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("cilium", "ebpf", True) + HUBBLE}).objects()
    service = objects["c1/user-cluster/hubble/service-hubble-ui.yaml"]
    assert service["metadata"]["namespace"] == "kube-system"
    assert [p["port"] for p in service["spec"]["ports"]] == [80]
    assert "c1/user-cluster/hubble/deployment-hubble-relay.yaml" in objects


def test_kubevirt_pod_cidr_reaches_canal(tmp_path: Path, render_fleet: RenderFleet) -> None:
    objects = render_fleet(
        tmp_path, specs={"c1": _spec("canal", "ipvs", False, cloud="kubevirt: {}")}
    ).objects()
    config = objects["c1/user-cluster/canal/configmap-canal-config.yaml"]["data"]
    assert '"Network": "172.26.0.0/16"' in config["net-conf.json"]


def test_services_cidr_and_dns_domain_reach_nodelocal_dns(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    spec = cluster_yaml("c1", extra="clusterNetwork:\n  services: {cidrBlocks: [10.96.0.0/12]}\n")
    objects = render_fleet(tmp_path, specs={"c1": spec}).objects()
    corefile = objects["c1/user-cluster/nodelocal-dns/configmap-node-local-dns.yaml"]["data"][
        "Corefile"
    ]
    assert "cluster.local:53" in corefile
    assert "10.96.0.10" in corefile


def test_nodelocal_dns_is_absent_when_disabled(tmp_path: Path, render_fleet: RenderFleet) -> None:
    spec = cluster_yaml("c1", extra="clusterNetwork: {nodeLocalDNSCacheEnabled: false}\n")
    assert "nodelocal-dns" not in _charts(
        render_fleet(tmp_path, specs={"c1": spec}).objects(), "user-cluster"
    )


def test_every_object_has_images_from_the_catalog_and_probes_on_workloads(
    tmp_path: Path,
    render_fleet: RenderFleet,
) -> None:
    objects = render_fleet(tmp_path, specs={"c1": _spec("canal", "ipvs", False)}).objects()
    workloads = [o for o in objects.values() if o.get("kind") in {"Deployment", "DaemonSet"}]
    assert workloads
    for workload in workloads:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert ":" in container["image"]
            assert not container["image"].endswith(":latest")


def test_the_example_fleet_validates_clean_under_strict_schemas(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = render_fleet(V2_20_FLEET, out=tmp_path / "rendered").out
    run_validation(out, backend="builtin", kubeconform=None, cache_dir=tmp_path / "schemas")


def test_each_destination_folder_is_a_kustomization_of_exactly_its_objects(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = render_fleet(V2_20_FLEET, out=tmp_path / "rendered").out
    folders = sorted(out.glob("*/user-cluster")) + sorted(out.glob("*/seed"))
    assert len(folders) == 12
    for folder in folders:
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
        files = sorted(
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*.yaml")
            if p.name != "kustomization.yaml"
        )
        assert kustomization["kind"] == "Kustomization"
        assert kustomization["resources"] == files


def _opt_in_labels(charts: Sequence[str]) -> str:
    """Addons that switch on the kkpgen labels (the value kkpgenLabels) of each chart."""
    return "".join(
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        f"metadata: {{name: {chart}, namespace: cluster-c1}}\n"
        f"spec: {{name: {chart}, cluster: {{name: c1}}, variables: {{kkpgenLabels: true}}}}\n"
        for chart in charts
    )


KKPGEN_LABELS = {
    "app.kubernetes.io/managed-by": "kkpgen",
    "app.kubernetes.io/part-of": "kkp-network",
}
CHART_SETS = {
    "canal-openvpn": (
        _spec("canal", "ipvs", False),
        ("canal", "kube-proxy", "metrics-server", "nodelocal-dns", "openvpn"),
    ),
    "cilium-konnectivity": (
        _spec("cilium", "ebpf", True),
        ("cilium", "hubble", "konnectivity", "metrics-server", "nodelocal-dns"),
    ),
}


@pytest.mark.parametrize("case", CHART_SETS.values(), ids=CHART_SETS.keys())
def test_the_opt_in_kkpgen_labels_name_each_object_and_the_version_it_runs(
    case: tuple[str, tuple[str, ...]], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """One label set for every chart (charts/_library): the version is the running tag,
    without a digest; the name is there once, from the selector labels or from the set."""
    spec, charts = case
    objects = render_fleet(tmp_path, specs={"c1": spec + _opt_in_labels(charts)}).objects("c1")
    labelled = 0
    for path, obj in objects.items():
        if obj.get("kind") in {None, "Kustomization"} or path == "resolved.yaml":
            continue
        metas = [obj["metadata"]]
        if "template" in obj.get("spec", {}):
            metas.append(obj["spec"]["template"]["metadata"])
        for meta in metas:
            labels = meta["labels"]
            assert labels.items() >= KKPGEN_LABELS.items(), path
            assert labels["app.kubernetes.io/name"], path
            version = labels["app.kubernetes.io/version"]
            assert re.fullmatch(r"v?[0-9][0-9A-Za-z.+-]*", version), f"{path}: {version}"
            labelled += 1
    assert labelled > 30
    proxy = objects.get("user-cluster/kube-proxy/daemonset-kube-proxy.yaml")
    if proxy is not None:
        assert proxy["metadata"]["labels"]["app.kubernetes.io/version"] == "v1.23.6"
