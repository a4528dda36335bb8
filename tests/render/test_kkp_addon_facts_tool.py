"""tools/kkp_addon_facts.py: the Go template subset it evaluates, and how it flattens objects."""

from __future__ import annotations

import hashlib

import pytest

from tools.kkp_addon_facts import VARIANTS, TemplateError, evaluate, flatten, normalize, variants_at

CANAL = VARIANTS["canal-v3.22"]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ if eq .Cluster.CNIPlugin.Version "v3.22" }}yes{{ else }}no{{ end }}', "yes"),
        ('{{ if eq .Cluster.CNIPlugin.Version "v3.21" }}yes{{ else }}no{{ end }}', "no"),
        ('{{ if ne .Cluster.Network.ProxyMode "ebpf" }}ipvs{{ end }}', "ipvs"),
        ('{{ if hasKey (dict "" "" "v3.22" "" ) .Cluster.CNIPlugin.Version }}in{{ end }}', "in"),
        ('{{ if .Cluster.Features.Has "kubeSystemNetworkPolicies" }}np{{ end }}', "np"),
        ('{{ if eq .Cluster.CNIPlugin.Type "cilium" }}{{ if true }}{{ end }}{{ end }}x', "x"),
        ('{{ Registry "quay.io" }}/calico/node', "quay.io/calico/node"),
        ('"{{ first .Cluster.Network.PodCIDRBlocks }}"', '"172.25.0.0/16"'),
        ('{{ .Cluster.Network.NodePortRange | replace "-" "," | quote }}', '"30000,32767"'),
        ("a \n  {{- Registry \"r\" -}}  \n b", "arb"),
    ],
    ids=["eq", "eq-false-else", "ne", "hasKey", "features", "nested-dead", "registry", "first",
         "replace-quote", "trim"],
)  # fmt: skip
def test_the_evaluator_gives_what_go_templates_give(template: str, expected: str) -> None:
    assert evaluate(template, CANAL) == expected


def test_the_api_server_host_and_port_come_from_the_cluster_address() -> None:
    template = (
        '{{ $u := urlParse .Cluster.Address.URL }}{{ $p := split ":" $u.host }}'
        "{{ $h := $p._0 }}{{ $n := $p._1 }}{{ $h }}:{{ $n }}"
    )
    assert evaluate(template, VARIANTS["cilium-ebpf"]) == "c1.kkp.example.com:6443"


@pytest.mark.parametrize(
    "template",
    [
        "{{ .Cluster.Name }}",
        "{{ if gt 1 2 }}{{ end }}",
        '{{ if eq .Cluster.CNIPlugin.Type "canal" }}',
        '{{ template "x" }}',
    ],
    ids=["unknown-field", "unknown-condition", "unbalanced", "unknown-action"],
)
def test_the_evaluator_refuses_what_it_does_not_know(template: str) -> None:
    with pytest.raises(TemplateError):
        evaluate(template, CANAL)


def test_flatten_names_containers_and_digests_large_values() -> None:
    obj = normalize(
        {
            "kind": "Pod",
            "metadata": {"name": "p", "annotations": {"argocd.argoproj.io/sync-wave": "1"}},
            "spec": {
                "containers": [{"name": "a", "image": "i", "env": [{"name": "X" * 200}]}],
                "hostNetwork": None,
            },
            "status": {"phase": "Running"},
        }
    )
    fields = dict(flatten(obj))
    assert fields["spec.containers#order"] == ["a"]
    assert fields["spec.containers[a].image"] == "i"
    assert str(fields["spec.containers[a].env"]).startswith("sha256:")
    assert "metadata.annotations" not in fields
    assert "spec.hostNetwork" not in fields
    assert not any(key.startswith("status") for key in fields)


DUAL = variants_at("v2.31.0")["kube-proxy-dual-stack"]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ Image "quay.io/calico/node:v3.31.3" }}', "quay.io/calico/node:v3.31.3"),
        ('{{ Image (print "registry.k8s.io/kube-proxy:v" .Cluster.Version) }}',
         "registry.k8s.io/kube-proxy:v1.34.10"),
        ("{{ if .Cluster.Network.DualStack }}{{ .Cluster.Network.PodCIDRIPv6 }}{{ end }}",
         "fd01::/48"),
        ('{{ join .Cluster.Network.PodCIDRBlocks "," }}', "172.25.0.0/16,fd01::/48"),
        ('{{ default "true" .Cluster.Network.StrictArp }}', "true"),
        # KKP's Image reads a reference without a registry as docker.io's (Canal v3.8 and
        # v3.19 in KKP v2.22-v2.26); Registry prints its argument as it is.
        ('{{ Image "calico/cni:v3.19.1" }}', "docker.io/calico/cni:v3.19.1"),
        ('{{ Image "busybox:1.36" }}', "docker.io/library/busybox:1.36"),
        ('{{ Image "localhost/calico/cni:v1" }}', "localhost/calico/cni:v1"),
        ('{{ Registry "docker.io" }}/calico/cni:v3.19.1', "docker.io/calico/cni:v3.19.1"),
    ],
    ids=["image", "image-print", "dual-stack", "join", "default-strict-arp",
         "image-without-registry", "image-of-docker-library", "image-on-localhost",
         "registry"],
)  # fmt: skip
def test_the_evaluator_knows_kkp_v2_2x_actions(template: str, expected: str) -> None:
    assert evaluate(template, DUAL) == expected


def test_the_config_hash_is_the_sha1_of_gos_json_of_the_cluster_network() -> None:
    marshalled = (
        '{"DNSDomain":"cluster.local","DNSClusterIP":"10.240.16.10",'
        '"DNSResolverIP":"169.254.20.10","PodCIDRBlocks":["172.25.0.0/16","fd01::/48"],'
        '"ServiceCIDRBlocks":["10.240.16.0/20","fd02::/108"],"ProxyMode":"iptables",'
        '"StrictArp":null,"DualStack":true,"PodCIDRIPv4":"172.25.0.0/16",'
        '"PodCIDRIPv6":"fd01::/48","NodeCIDRMaskSizeIPv4":24,"NodeCIDRMaskSizeIPv6":64,'
        '"IPAMAllocations":{},"NodePortRange":"30000-32767"}'
    )
    expected = hashlib.sha1(marshalled.encode(), usedforsecurity=False).hexdigest()
    assert evaluate("{{ .Cluster.Network.ConfigHash }}", DUAL) == expected
