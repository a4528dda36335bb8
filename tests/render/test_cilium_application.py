"""Cilium >= 1.13 (KKP v2.22+): the ApplicationInstallation KKP's seed writes, per values variant.

Two sets of facts. kkp_cilium_application_variants.yaml is written by
tools/kkp_cilium_application_facts.py, which runs KKP's own values code
(GetAppInstallOverrideValues, the ApplicationDefinition's defaults,
ensureCiliumNodeLocalDNSExcludeLocalAddress) at every GA patch v2.22.0-v2.31.0 and names each
patch's variant; the render is compared with it, whole
object, at the newest patch of each line and the first patch of each variant.
kkp_cilium_application_facts.yaml holds the valuesBlock texts of v2.29.10, v2.30.6 and v2.31.0
read off KKP's source by hand, an independent check of the text's bytes.
"""

from __future__ import annotations

import copy
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
RECORDED: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("kkp_cilium_application_variants.yaml").read_text()
)
PATCHES_DATA: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "generator/kkp/data/kkp-patches.yaml").read_text()
)["patches"]
PATCHES = ("v2.31.0", "v2.30.6", "v2.29.10")
OBJECT = "user-cluster/cilium-application/applicationinstallation-cilium.yaml"


def _newest_of_each_line() -> set[str]:
    newest: dict[str, str] = {}
    for patch in RECORDED["patches"]:  # listed oldest first
        newest[patch.rsplit(".", 1)[0]] = patch
    return set(newest.values())


def _key(patch: str) -> tuple[int, ...]:
    return tuple(int(p) for p in patch[1:].split("."))


# The newest patch of each line v2.22-v2.31 and the first patch of each variant (the patch
# where KKP changed what it writes; v2.30.0 returns to an older variant).
CHECKED = sorted(
    _newest_of_each_line()
    | set(RECORDED["variants"])
    | {p for p, v in RECORDED["patches"].items() if v["variant"] != p and p.endswith(".0")},
    key=_key,
    reverse=True,
)


def _render(
    root: Path,
    patch: str,
    network: str,
    addon: str = "",
    *,
    versions: tuple[str, str] = ("1.18.10", "1.34.10"),
) -> dict[str, Any]:
    """Render cluster c1 at `patch`; `versions`: its Cilium and Kubernetes versions."""
    cilium, kubernetes = versions
    (root / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"')
    (root / "kubermatic.yaml").write_text(
        config.replace("  featureGates:\n    KonnectivityService: true\n", "")
    )
    spec = cluster_yaml(
        "c1",
        version=f'"{kubernetes}"',
        extra=f"cniPlugin: {{type: cilium, version: {cilium}}}\nclusterNetwork: {network}\n",
    )
    (root / "clusters" / "c1.yaml").write_text(spec + addon)
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    out = root / "out" / "c1"
    return {
        p.relative_to(out).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted(out.rglob("*.yaml"))
    }


def _addon(variables: str) -> str:
    return (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: cilium, namespace: cluster-c1}\n"
        "spec:\n  name: cilium\n  cluster: {name: c1}\n  variables:\n"
        + "".join(f"    {line}\n" for line in variables.splitlines())
    )


TEAM_VALUES = _addon("""\
values:
  kubeProxyReplacement: "false"
  cni: {exclusive: true, customConf: true}
  ipam: {mode: cluster-pool, operator: {clusterPoolIPv4PodCIDRList: [10.0.0.0/8]}}
  hubble: {relay: {enabled: false}, ui: {enabled: false}}
  extraConfig: {exclude-local-address: "10.0.0.1/32,169.254.20.10/32", other: "y"}
  bandwidthManager: {enabled: true}""")
VARIANTS = {
    "ebpf": ("{proxyMode: ebpf}", ""),
    "iptables": ("{proxyMode: iptables}", ""),
    "dual-stack-no-nodelocal-dns": (
        "{proxyMode: ebpf, ipFamily: IPv4+IPv6, nodeLocalDNSCacheEnabled: false}",
        "",
    ),
    "team-values": ("{proxyMode: ebpf}", TEAM_VALUES),
    "node-port-range": ("{proxyMode: ebpf}", _addon('nodePortRange: "30000-31000"')),
    "legacy-pod-cidr": (
        "{proxyMode: iptables}",
        _addon("values: {ipam: {operator: {clusterPoolIPv4PodCIDR: 10.0.0.0/8}}}"),
    ),
}


def test_every_ga_patch_has_a_variant_and_the_checked_patches_cover_them() -> None:
    patches = list(RECORDED["patches"])
    assert (patches[0], patches[-1], len(patches)) == ("v2.22.0", "v2.31.0", 129)
    assert {RECORDED["patches"][p]["variant"] for p in CHECKED} == set(RECORDED["variants"])


@pytest.mark.parametrize("patch", CHECKED)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_application_installation_is_the_one_kkp_writes(
    tmp_path: Path, patch: str, variant: str
) -> None:
    network, addon = VARIANTS[variant]
    network = network.replace("{", "{konnectivityEnabled: true, ")  # OpenVPN before v2.26
    facts = RECORDED["patches"][patch]
    kubernetes = PATCHES_DATA[patch]["kubernetes"]["default"]
    tree = _render(tmp_path, patch, network, addon, versions=(facts["cilium"], kubernetes))
    expected = copy.deepcopy(RECORDED["variants"][facts["variant"]]["objects"][variant])
    expected["spec"]["applicationRef"]["version"] = facts["cilium"]
    assert tree[OBJECT] == expected


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("variant", sorted(FACTS.keys() - {"common"}))
def test_the_values_block_text_is_the_one_read_off_kkp(
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
