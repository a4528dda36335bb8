"""Cilium >= 1.13 (KKP v2.22+): the ApplicationInstallation KKP's seed writes, per values variant.

The expected objects (kkp_cilium_application_facts.yaml) are read off KKP v2.29.10, v2.30.6
and v2.31.0 (the same code at the three): cni-application-installation-controller's
ApplicationInstallationReconciler and getAppInstallOverrideValues, the ApplicationDefinition's
defaultValuesBlock (pkg/applicationdefinitions/system-applications/cilium.yaml), and
sigs.k8s.io/yaml's Marshal for valuesBlock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kkpgen.diagnostics import KkpgenError
from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from tests.conftest import CONFIG, cluster_yaml

FACTS: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("kkp_cilium_application_facts.yaml").read_text()
)
PATCHES = ("v2.31.0", "v2.30.6", "v2.29.10")
OBJECT = "user-cluster/cilium-application/applicationinstallation-cilium.yaml"


def _render(root: Path, patch: str, network: str, addon: str = "") -> dict[str, Any]:
    (root / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"')
    (root / "kubermatic.yaml").write_text(
        config.replace("  featureGates:\n    KonnectivityService: true\n", "")
    )
    spec = cluster_yaml(
        "c1",
        version='"1.34.10"',
        extra=f"cniPlugin: {{type: cilium, version: 1.18.10}}\nclusterNetwork: {network}\n",
    )
    (root / "clusters" / "c1.yaml").write_text(spec + addon)
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    out = root / "out" / "c1"
    return {
        p.relative_to(out).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted(out.rglob("*.yaml"))
    }


TEAM_VALUES = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: cilium, namespace: cluster-c1}
spec:
  name: cilium
  cluster: {name: c1}
  variables:
    values:
      kubeProxyReplacement: "false"
      cni: {exclusive: true, customConf: true}
      ipam: {mode: cluster-pool, operator: {clusterPoolIPv4PodCIDRList: [10.0.0.0/8]}}
      hubble: {relay: {enabled: false}, ui: {enabled: false}}
      extraConfig: {exclude-local-address: "10.0.0.1/32,169.254.20.10/32", other: "y"}
      bandwidthManager: {enabled: true}
"""
VARIANTS = {
    "ebpf": ("{proxyMode: ebpf}", ""),
    "iptables": ("{proxyMode: iptables}", ""),
    "dual-stack-no-nodelocal-dns": (
        "{proxyMode: ebpf, ipFamily: IPv4+IPv6, nodeLocalDNSCacheEnabled: false}",
        "",
    ),
    "team-values": ("{proxyMode: ebpf}", TEAM_VALUES),
}


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_application_installation_is_the_one_kkp_writes(
    tmp_path: Path, patch: str, variant: str
) -> None:
    network, addon = VARIANTS[variant]
    tree = _render(tmp_path, patch, network, addon)
    assert tree[OBJECT] == {
        **FACTS["common"],
        "spec": {**FACTS["common"]["spec"], **FACTS[variant]},
    }


@pytest.mark.parametrize("patch", PATCHES)
def test_no_legacy_cilium_or_hubble_objects_are_rendered(tmp_path: Path, patch: str) -> None:
    hubble = (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: hubble, namespace: cluster-c1}\n"
        "spec: {name: hubble, cluster: {name: c1}}\n"
    )
    tree = _render(tmp_path, patch, "{proxyMode: ebpf}", hubble)
    folders = {path.split("/")[1] for path in tree if path.startswith("user-cluster/")}
    assert "cilium-application" in folders
    assert not folders & {"cilium", "hubble", "kube-proxy"}


def test_kube_proxy_replacement_needs_the_apiserver_address(tmp_path: Path) -> None:
    (tmp_path / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', '"v2.31.0"').replace(
        '    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"\n', ""
    )
    (tmp_path / "kubermatic.yaml").write_text(
        config.replace("  featureGates:\n    KonnectivityService: true\n", "")
    )
    spec = cluster_yaml(
        "c1",
        version='"1.34.10"',
        extra="cniPlugin: {type: cilium, version: 1.18.10}\nclusterNetwork: {proxyMode: ebpf}\n",
    )
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    with pytest.raises(KkpgenError) as caught:
        update.render_fleet(
            SourceOptions(repo=tmp_path), update.RenderOptions(out=tmp_path / "out")
        )
    assert any(
        "k8sService" in d.message or "apiserver" in d.message for d in caught.value.diagnostics
    )
