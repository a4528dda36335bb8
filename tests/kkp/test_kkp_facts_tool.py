"""tools/kkp_facts.py and its readers on small Go and YAML texts written inline (a git repo
tagged like a KKP release), so a change of KKP's layout fails here first."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tools import kkp_facts, kkp_facts_recent
from tools.kkp_source import Source


def _tagged(tmp_path: Path, files: dict[str, str], tag: str = "v2.31.0") -> Source:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    identity = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], [*identity, "add", "-A"], [*identity, "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "tag", tag], check=True)
    return Source(str(tmp_path / ".git"), tag)


VERSION_GO = """\
package cni

var (
\tdefaultCNIPluginVersion = map[kubermaticv1.CNIPluginType]string{
\t\tkubermaticv1.CNIPluginTypeCanal:  "v3.31",
\t\tkubermaticv1.CNIPluginTypeCilium: "1.19.4",
\t}
)

var (
\tsupportedCNIPluginVersions = map[kubermaticv1.CNIPluginType]sets.Set[string]{
\t\tkubermaticv1.CNIPluginTypeCanal: sets.New("v3.30", "v3.31"),
\t\tkubermaticv1.CNIPluginTypeCilium: sets.New(
\t\t\t// NOTE: a comment (with parentheses) before the versions
\t\t\t"1.18.10",
\t\t\t"1.19.4",
\t\t),
\t\tkubermaticv1.CNIPluginTypeNone: sets.New(""),
\t}
\tdeprecatedCNIPluginVersions = map[kubermaticv1.CNIPluginType]sets.Set[string]{
\t\tkubermaticv1.CNIPluginTypeCanal: sets.New("v3.29"),
\t\tkubermaticv1.CNIPluginTypeCilium: sets.New(
\t\t\t"v1.12",
\t\t\t"1.13.6", // CVE-2023-39347, CVE-2023-41333 (Moderate Severity)
\t\t\t"1.18.8",  // CVE-2026-41520
\t\t),
\t}
)

var allowedCNIVersionTransitions = map[kubermaticv1.CNIPluginType][]AllowedCNIVersionTransition{
\tkubermaticv1.CNIPluginTypeCanal: {
\t\t{
\t\t\tK8sVersion:    ">= 1.23",
\t\t\tOldCNIVersion: "< 3.22",
\t\t\tNewCNIVersion: "= 3.22",
\t\t},
\t},
}
"""


def test_the_cni_matrix_is_read_from_sets_new_with_each_deprecation_reason(
    tmp_path: Path,
) -> None:
    source = _tagged(tmp_path, {"pkg/cni/version.go": VERSION_GO, "addons/canal/.keep": ""})
    facts = kkp_facts.cni_facts(source)
    cilium = facts["cni"]["cilium"]  # type: ignore[index]
    assert cilium["default"] == "1.19.4"
    assert cilium["supported"] == ["1.18.10", "1.19.4"]
    assert cilium["deprecated"] == ["v1.12", "1.13.6", "1.18.8"]
    assert cilium["deprecatedReasons"] == {
        "1.13.6": "CVE-2023-39347, CVE-2023-41333 (Moderate Severity)",
        "1.18.8": "CVE-2026-41520",
    }
    assert facts["allowedTransitions"] == [
        {"cni": "canal", "kubernetes": ">=1.23", "from": "<3.22", "to": "==3.22"}
    ]


SIDECAR_GO = """\
package konnectivity

const (
\tv132 = "1.32"
\tv133 = "1.33"
\tv134 = "1.34"
)

func NetworkProxyVersion(clusterVersion semver.Semver) string {
\tswitch clusterVersion.MajorMinor() {
\tcase v132:
\t\treturn "v0.32.1"
\tcase v133:
\t\tfallthrough
\tcase v134:
\t\treturn "v0.34.0"
\tdefault:
\t\treturn "v0.35.0"
\t}
}
"""


def test_konnectivity_versions_follow_the_switch_with_its_fallthroughs(tmp_path: Path) -> None:
    source = _tagged(tmp_path, {"pkg/resources/konnectivity/sidecar.go": SIDECAR_GO})
    assert kkp_facts_recent.konnectivity_versions(source) == {
        "1.32": "v0.32.1",
        "1.33": "v0.34.0",
        "1.34": "v0.34.0",
        "default": "v0.35.0",
    }


def _resources(body: str) -> str:
    return f"""\
package resources

const (
\tDefaultClusterPodsCIDRIPv4 = "172.25.0.0/16"
\tDefaultClusterPodsCIDRIPv4KubeVirt = "172.26.0.0/16"
\tDefaultClusterPodsCIDRIPv6 = "fd01::/48"
\tDefaultClusterServicesCIDRIPv4 = "10.240.16.0/20"
\tDefaultClusterServicesCIDRIPv4KubeVirt = "10.241.0.0/20"
\tDefaultClusterServicesCIDRIPv6 = "fd02::/108"
\tDefaultNodeCIDRMaskSizeIPv4 = 24
\tDefaultNodeCIDRMaskSizeIPv6 = 64
\tDefaultTunnelingAgentIP = "100.64.30.10"
)

func GetDefaultProxyMode(provider kubermaticv1.ProviderType, v semver.Semver) string {{
{body}
}}
"""


HETZNER_FIRST = """\
\tif provider == kubermaticv1.HetznerCloudProvider {
\t\treturn IPTablesProxyMode
\t}
\tif v.Semver() != nil && v.Semver().Minor() >= 35 {
\t\treturn NFTablesProxyMode
\t}
\treturn IPVSProxyMode"""
NFTABLES_FIRST = """\
\tif v.Semver() != nil && v.Semver().Minor() >= 35 {
\t\treturn NFTablesProxyMode
\t}
\tif provider == kubermaticv1.HetznerCloudProvider {
\t\treturn IPTablesProxyMode
\t}
\treturn IPVSProxyMode"""


def test_network_defaults_say_whether_hetzner_keeps_iptables_under_nftables(
    tmp_path: Path,
) -> None:
    first = _tagged(tmp_path / "a", {"pkg/resources/resources.go": _resources(HETZNER_FIRST)})
    later = _tagged(tmp_path / "b", {"pkg/resources/resources.go": _resources(NFTABLES_FIRST)})
    network = kkp_facts_recent.network_defaults(first)
    assert network is not None
    assert network["nftablesFromKubernetes"] == "1.35"
    assert network["hetznerIptablesAlways"] is True
    assert network["servicesCidrIPv6"] == "fd02::/108"
    assert network["tunnelingAgentIP"] == "100.64.30.10"
    assert (kkp_facts_recent.network_defaults(later) or {})["hetznerIptablesAlways"] is False


def test_addon_images_are_read_through_image_and_print(tmp_path: Path) -> None:
    text = """\
        image: '{{ Image (print "registry.k8s.io/kube-proxy:v" .Cluster.Version) }}'
        image: '{{ Image "docker.io/flannel/flannel:v0.24.4" }}'
        image: '{{ Registry "quay.io" }}/calico/node:v3.23.3'
    """
    assert kkp_facts.addon_image(text, "kube-proxy") == (
        "registry.k8s.io/kube-proxy:v{{ .Cluster.Version }}"
    )
    assert kkp_facts.addon_image(text, "flannel/flannel") == "docker.io/flannel/flannel:v0.24.4"
    assert kkp_facts.addon_image(text, "calico/node") == "quay.io/calico/node:v3.23.3"


def test_an_addon_image_without_a_registry_is_docker_ios() -> None:
    """KKP v2.22-v2.26 write Canal v3.8's and v3.19's images without a registry; KKP's Image
    (reference.ParseNormalizedNamed) makes them docker.io's."""
    text = """\
        image: '{{ Image "calico/cni:v3.19.1" }}'
        image: '{{ Image "quay.io/coreos/flannel:v0.15.1" }}'
        image: calico/node:v3.19.1
    """
    assert kkp_facts.addon_image(text, "calico/cni") == "docker.io/calico/cni:v3.19.1"
    assert kkp_facts.addon_image(text, "coreos/flannel") == "quay.io/coreos/flannel:v0.15.1"
    # Written without Image, KKP applies the reference as it is: no image is recorded.
    assert kkp_facts.addon_image(text, "calico/node") is None
