"""kube-proxy's `checksum/config` (KKP v2.30+ ConfigHash): SHA-1 of Go's JSON of ClusterNetwork.

The expected texts are json.Marshal's output for KKP v2.31.0's `addon.ClusterNetwork` (fields
in declaration order, pkg/addon/types.go) filled as `NewTemplateData` fills it for the test
clusters, written out by hand: a wrong field order, spacing or null fails the hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from kkpgen.render.gojson import go_json
from tests.conftest import CONFIG, cluster_yaml

IPV4_IPVS = (
    '{"DNSDomain":"cluster.local","DNSClusterIP":"10.240.16.10","DNSResolverIP":"169.254.20.10",'
    '"PodCIDRBlocks":["172.25.0.0/16"],"ServiceCIDRBlocks":["10.240.16.0/20"],"ProxyMode":"ipvs",'
    '"StrictArp":true,"DualStack":false,"PodCIDRIPv4":"172.25.0.0/16","PodCIDRIPv6":"",'
    '"NodeCIDRMaskSizeIPv4":24,"NodeCIDRMaskSizeIPv6":64,"IPAMAllocations":{},'
    '"NodePortRange":"30000-32767"}'
)
DUAL_NFTABLES = (
    '{"DNSDomain":"cluster.local","DNSClusterIP":"10.240.16.10","DNSResolverIP":"10.240.16.10",'
    '"PodCIDRBlocks":["172.25.0.0/16","fd01::/48"],'
    '"ServiceCIDRBlocks":["10.240.16.0/20","fd02::/108"],"ProxyMode":"nftables",'
    '"StrictArp":null,"DualStack":true,"PodCIDRIPv4":"172.25.0.0/16","PodCIDRIPv6":"fd01::/48",'
    '"NodeCIDRMaskSizeIPv4":24,"NodeCIDRMaskSizeIPv6":64,"IPAMAllocations":{},'
    '"NodePortRange":"30000-32767"}'
)


def _annotations(
    tmp_path: Path, patch: str, version: str, network: str, canal: str = "v3.31"
) -> dict[str, str]:
    (tmp_path / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"').replace("    KonnectivityService: true\n", "")
    (tmp_path / "kubermatic.yaml").write_text(config.replace("  featureGates:\n", ""))
    spec = cluster_yaml(
        "c1", version=version, extra=f"cniPlugin: {{type: canal, version: {canal}}}\n{network}"
    )
    (tmp_path / "clusters" / "c1.yaml").write_text(spec)
    update.render_fleet(SourceOptions(repo=tmp_path), update.RenderOptions(out=tmp_path / "out"))
    path = tmp_path / "out/c1/user-cluster/kube-proxy/daemonset-kube-proxy.yaml"
    annotations: dict[str, str] = yaml.safe_load(path.read_text())["spec"]["template"]["metadata"][
        "annotations"
    ]
    return annotations


@pytest.mark.parametrize(
    ("version", "network", "marshalled"),
    [
        ('"1.33.13"', "clusterNetwork: {proxyMode: ipvs}\n", IPV4_IPVS),
        (
            '"1.35.7"',
            "clusterNetwork: {ipFamily: IPv4+IPv6, nodeLocalDNSCacheEnabled: false}\n",
            DUAL_NFTABLES,
        ),
    ],
    ids=["ipv4-ipvs", "dual-stack-nftables"],
)
def test_the_config_hash_is_sha1_of_go_json_of_the_cluster_network(
    tmp_path: Path, version: str, network: str, marshalled: str
) -> None:
    annotations = _annotations(tmp_path, "v2.31.0", version, network)
    expected = hashlib.sha1(marshalled.encode(), usedforsecurity=False).hexdigest()
    assert annotations["checksum/config"] == expected


def test_releases_before_the_config_hash_have_no_annotation(tmp_path: Path) -> None:
    annotations = _annotations(tmp_path, "v2.29.0", '"1.33.5"', "", canal="v3.30")
    assert "checksum/config" not in annotations


@pytest.mark.parametrize(
    ("value", "go"),
    [
        (
            {"A": None, "B": [], "C": {}, "D": True, "E": 24},
            '{"A":null,"B":[],"C":{},"D":true,"E":24}',
        ),
        ("a<b>&c", '"a\\u003cb\\u003e\\u0026c"'),  # Go's default HTML escaping
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ('q"\\\n\t\x01é', '"q\\"\\\\\\n\\t\\u0001é"'),  # UTF-8 stays as is
        ("a b\x1f\x7f", '"a b\\u001f\x7f"'),  # a space and DEL stay as they are
    ],
    ids=["struct", "html", "line-separators", "controls", "space-and-delete"],
)
def test_go_json_is_encoding_json_output(value: object, go: str) -> None:
    assert go_json(value) == go
