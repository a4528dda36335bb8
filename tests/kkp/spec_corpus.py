"""Bad and unusual spec repositories: every one-state, base -> head and kubermatic.yaml rule
fires in one of them (tests/kkp/test_rule_registry.py checks that `check` and `render`
report the same diagnostics for each, and that each finding matches its declared code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import CONFIG, Repo, cluster_yaml, git


@dataclass(frozen=True)
class Case:
    files: dict[str, str]  # committed first, tagged "base" (the head when `head` is None)
    head: dict[str, str | None] | None = None  # committed on top: the case has a base
    config: str = CONFIG
    decommission: tuple[str, ...] = field(default_factory=tuple)


def _annotated(*lines: str) -> str:
    """CONFIG with more annotations on kubermatic.yaml."""
    extra = "".join(f"    {line}\n" for line in lines)
    return CONFIG.replace("  annotations:\n", "  annotations:\n" + extra, 1)


def _one(extra: str = "", *, labels: str = "", version: str = '"1.23.6"') -> dict[str, str]:
    return {"clusters/c1.yaml": cluster_yaml("c1", extra=extra, labels=labels, version=version)}


_CANAL = "cniPlugin: {type: canal, version: v3.22}\n"
_CILIUM = "cniPlugin: {type: cilium, version: v1.11}\n"
_REPO = 'kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"'
_HUBBLE = """\
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: hubble, namespace: cluster-c1}
spec:
  name: hubble
  cluster: {name: c1}
"""
_VARIABLES = """\
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: canal, namespace: cluster-c1}
spec:
  name: canal
  cluster: {name: c1}
  variables: {vethMtu: "1450\\n", bogus: 1}
"""
_CILIUM_VALUES = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {{name: cilium, namespace: cluster-c1}}
spec:
  name: cilium
  cluster: {{name: c1}}
  variables:
    values: {values}
"""
_OTHER_ADDON = _HUBBLE.replace("hubble", "cluster-autoscaler")
_SECOND_CANAL = _VARIABLES.replace("name: canal, ", "name: canal-2, ").replace(
    '{vethMtu: "1450\\n", bogus: 1}', "{vethMtu: 1450}"
)


def _pinned(kkp: str, config: str = CONFIG) -> str:
    return config.replace('kkpgen/kkp-version: "v2.20"', f'kkpgen/kkp-version: "{kkp}"')


def _on_1_22(name: str, canal: str) -> str:
    """Kubernetes 1.22: KKP forces no Canal upgrade with it."""
    return cluster_yaml(
        name, version='"1.22.9"', extra=f"cniPlugin: {{type: canal, version: {canal}}}\n"
    )


def _on_kubernetes(
    name: str, kubernetes: str, cni: str, *, konnectivity: str = "{konnectivityEnabled: true}"
) -> str:
    """A cluster on this Kubernetes and CNI (`cni`: "type: version"); on OpenVPN when
    `konnectivity` is empty (KKP defaults an existing cluster to it before v2.26)."""
    kind, version = cni.split(": ")
    network = f"clusterNetwork: {konnectivity}\n" if konnectivity else ""
    return cluster_yaml(
        name,
        version=f'"{kubernetes}"',
        extra=f"cniPlugin: {{type: {kind}, version: {version}}}\n{network}",
    )


def _with_address(name: str, url: str, extra: str = _CANAL) -> str:
    return cluster_yaml(name, extra=extra) + f"address: {{url: '{url}'}}\n"


_NO_URL = "\n".join(line for line in CONFIG.splitlines() if "apiserver-url" not in line) + "\n"
_NETWORK = (
    "clusterNetwork:\n  pods: {{cidrBlocks: [{pods}]}}\n  services: {{cidrBlocks: [{services}]}}\n"
    "  proxyMode: {mode}\n  dnsDomain: {domain}\n  nodeLocalDNSCacheEnabled: {local}\n"
    "  konnectivityEnabled: {konnectivity}\n"
)

CASES: dict[str, Case] = {
    "valid-with-tunnel-notice": Case(_one(_CANAL)),
    "argocd-mode-bogus": Case(_one(_CANAL), config=_annotated(_REPO, "kkpgen/argocd-mode: bogus")),
    "argocd-applications-mode": Case(
        _one(_CANAL, labels='kkpgen/decommission: "true"\n'),
        config=_annotated(_REPO, "kkpgen/argocd-mode: applications"),
    ),
    "config-annotation-typos": Case(
        _one(_CANAL),
        config=_annotated(
            "kkpgen/argocd-repo: x",
            'kkpgen/argocd-path: "../up"',
            'kkpgen/argocd-repo-url: "https://token@git.example.com/fleet.git"',
        ).replace(
            "KonnectivityService: true", "KonnectivityService: true\n    KonnectivitySvc: true"
        ),
    ),
    "unknown-kkp-version": Case(_one(_CANAL), config=_annotated().replace("v2.20", "v9.1")),
    "deprecated-and-forced": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1", version='"1.21.8"', extra="cniPlugin: {type: canal, version: v3.8}\n"
            ),
            "clusters/c2.yaml": cluster_yaml(
                "c2", extra="cniPlugin: {type: canal, version: v3.20}\n"
            ),
            "clusters/c3.yaml": cluster_yaml("c3"),
        }
    ),
    "cni-none": Case(_one("cniPlugin: {type: none, version: v1}\n")),
    "cni-none-clean": Case(_one('cniPlugin: {type: none, version: ""}\n')),
    "ebpf-on-canal": Case(_one(_CANAL + "clusterNetwork: {proxyMode: ebpf}\n")),
    "bad-networks": Case(
        _one(
            _CANAL + "clusterNetwork:\n  pods: {cidrBlocks: [10.0.0.1/16, 10.1.0.0/16]}\n"
            "  services: {cidrBlocks: [10.0.0.0/29]}\n  dnsDomain: Cluster.Local\n"
        )
    ),
    "overlapping-networks": Case(
        _one(
            _CANAL + "clusterNetwork:\n  pods: {cidrBlocks: [10.0.0.0/16]}\n"
            "  services: {cidrBlocks: [10.0.16.0/20]}\n  dnsDomain: example.local\n"
        )
    ),
    "addons": Case(
        {
            **_one(_CANAL),
            "clusters/c1-hubble.yaml": _HUBBLE,
            "clusters/c1-canal.yaml": _VARIABLES,
            "clusters/c1-other.yaml": _OTHER_ADDON,
            "clusters/c1-z-canal.yaml": _SECOND_CANAL,
        },
        config=CONFIG.replace("accessibleAddons: [hubble]", "accessibleAddons: [other]"),
    ),
    "annotations-and-ports": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CILIUM).replace(
                "  name: c1\n",
                "  name: c1\n  annotations:\n    kkpgen/openvpn-server-port: '70000'\n"
                "    kkpgen/konnectivity-port: '1'\n",
            )
        }
    ),
    "expose-strategies": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CANAL + "exposeStrategy: Tunneling\n"),
            "clusters/c2.yaml": cluster_yaml("c2", extra=_CANAL + "exposeStrategy: Bogus\n"),
        }
    ),
    "addresses": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CANAL),
            "clusters/c2.yaml": _with_address("c2", "https://token@c2.example.com:6443"),
            "clusters/c3.yaml": _with_address("c3", "https://c3.example.com:6443/path"),
            "clusters/c4.yaml": _with_address("c4", "http://c4.example.com:6443"),
        },
        config=_NO_URL,
    ),
    "kkp-2.17": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CILIUM),
            "clusters/c2.yaml": cluster_yaml(
                "c2",
                version='"1.20.15"',
                extra="clusterNetwork: {konnectivityEnabled: true}\n",
            ),
        },
        config=_pinned("v2.17"),
    ),
    "kkp-2.18-keeps-cni-plugin": Case(
        {"clusters/c1.yaml": cluster_yaml("c1", version='"1.21.14"', extra=_CANAL)},
        head={
            "clusters/c1.yaml": cluster_yaml(
                "c1", version='"1.21.14"', extra="cniPlugin: {type: canal, version: v3.20}\n"
            )
        },
        config=_pinned("v2.18.11"),
    ),
    "versions": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", version='"1.99.0"', extra=_CANAL),
            "clusters/c2.yaml": cluster_yaml("c2", version='"1.23"', extra=_CANAL),
            "clusters/c3.yaml": cluster_yaml(
                "c3", extra="cniPlugin: {type: canal, version: v3.99}\n"
            ),
        },
        config=_pinned("v2.20.9"),
    ),
    "new-cluster-on-a-deprecated-cni": Case(
        {"clusters/c0.yaml": cluster_yaml("c0", extra=_CANAL)},
        head={
            "clusters/c1.yaml": cluster_yaml(
                "c1", version='"1.21.8"', extra="cniPlugin: {type: canal, version: v3.8}\n"
            )
        },
    ),
    "cni-steps": Case(
        {
            "clusters/c1.yaml": _on_1_22("c1", "v3.22"),
            "clusters/c2.yaml": _on_1_22("c2", "v3.19"),
        },
        head={
            "clusters/c1.yaml": _on_1_22("c1", "v3.20"),
            "clusters/c2.yaml": _on_1_22("c2", "v3.22"),
        },
    ),
    "network-changes": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1",
                extra=_CANAL
                + _NETWORK.format(
                    pods="172.25.0.0/16",
                    services="10.240.16.0/20",
                    mode="ipvs",
                    domain="cluster.local",
                    local="true",
                    konnectivity="false",
                ),
            )
        },
        head={
            "clusters/c1.yaml": cluster_yaml(
                "c1",
                extra=_CANAL
                + _NETWORK.format(
                    pods="172.26.0.0/16",
                    services="10.240.32.0/20",
                    mode="iptables",
                    domain="example.local",
                    local="false",
                    konnectivity="true",
                ),
            )
        },
    ),
    "kkp-2.20-fields-of-later-releases": Case(
        _one(_CANAL + "clusterNetwork: {ipFamily: IPv4, proxyMode: nftables}\n"),
        config=_pinned("v2.20.9"),
    ),
    "kkp-2.21-dual-stack": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1",
                version='"1.22.12"',
                extra="cniPlugin: {type: canal, version: v3.21}\n"
                "clusterNetwork:\n  ipFamily: IPv4+IPv6\n"
                "  pods: {cidrBlocks: [172.25.0.0/16, 'fd01::/48']}\n"
                "  services: {cidrBlocks: [10.240.16.0/20]}\n",
            ),
            "clusters/c2.yaml": cluster_yaml(
                "c2",
                version='"1.23.9"',
                extra="cniPlugin: {type: canal, version: v3.23}\n"
                "clusterNetwork:\n  ipFamily: IPv4+IPv6\n"
                "  pods: {cidrBlocks: [172.25.0.0/16]}\n"
                "  services: {cidrBlocks: [10.240.16.0/20]}\n",
            ),
        },
        config=_pinned("v2.21.0"),
    ),
    "kkp-2.31-konnectivity-only": Case(
        _one(
            "cniPlugin: {type: cilium, version: 1.19.4}\n"
            "clusterNetwork: {konnectivityEnabled: false}\n",
            version='"1.35.7"',
        ),
        config=_pinned("v2.31.0"),
    ),
    "kkp-2.25-openvpn-deprecated": Case(
        _one(
            "cniPlugin: {type: canal, version: v3.26}\n"
            "clusterNetwork: {konnectivityEnabled: false}\n",
            version='"1.28.5"',
        ),
        config=_pinned("v2.25.18"),
    ),
    "kkp-2.31-fleet": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1",
                version='"1.34.10"',
                extra="cniPlugin: {type: cilium, version: 1.19.4}\nexposeStrategy: NodePort\n"
                "clusterNetwork: {tunnelingAgentIP: 100.64.30.20}\n",
            ),
            "clusters/c2.yaml": cluster_yaml(
                "c2",
                version='"1.34.10"',
                extra="cniPlugin: {type: canal, version: v3.31}\n"
                "clusterNetwork:\n  pods: {cidrBlocks: [10.0.0.0/24]}\n",
            ),
        },
        config=_pinned("v2.31.0"),
    ),
    "kkp-upgrade-2.25-to-2.26": Case(
        {
            "clusters/c1.yaml": _on_kubernetes("c1", "1.28.5", "canal: v3.26", konnectivity=""),
            "clusters/c2.yaml": _on_kubernetes("c2", "1.27.10", "canal: v3.26"),
            "clusters/c3.yaml": _on_kubernetes("c3", "1.28.5", "cilium: 1.14.16"),
        },
        head={"kubermatic.yaml": _pinned("v2.26.0")},
        config=_pinned("v2.25.18"),
    ),
    # KKP v2.26 accepts Cilium v1.12 as deprecated but has no addon for it any more.
    "kkp-2.26-cilium-legacy-addon": Case(
        {"clusters/c1.yaml": _on_kubernetes("c1", "1.28.9", "cilium: v1.12")},
        config=_pinned("v2.26.0"),
    ),
    # Cilium >= 1.13 (KKP v2.22+): a team value KKP overrides, and a change of an immutable
    # one (ipv6) between base and head.
    "cilium-team-values": Case(
        {
            "clusters/c1.yaml": _on_kubernetes("c1", "1.34.10", "cilium: 1.19.4")
            + _CILIUM_VALUES.format(
                values="{kubeProxyReplacement: 'false', ipv6: {enabled: false}}"
            )
        },
        head={
            "clusters/c1.yaml": _on_kubernetes("c1", "1.34.10", "cilium: 1.19.4")
            + _CILIUM_VALUES.format(values="{kubeProxyReplacement: strict, ipv6: {enabled: true}}")
        },
        config=_pinned("v2.31.0"),
    ),
    # The legacy v1.12 addon -> Cilium 1.13 by Helm (KKP deletes the cilium and hubble Addons).
    "cilium-addon-to-application": Case(
        {"clusters/c1.yaml": _on_kubernetes("c1", "1.27.10", "cilium: v1.12")},
        head={"clusters/c1.yaml": _on_kubernetes("c1", "1.27.10", "cilium: 1.13.14")},
        config=_pinned("v2.24.15"),
    ),
    "kkp-upgrade-changes-a-default": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1",
                version='"1.35.7"',
                cloud="hetzner: {}",
                extra="cniPlugin: {type: canal, version: v3.31}\n",
            )
        },
        head={"kubermatic.yaml": _pinned("v2.31.0")},
        config=_pinned("v2.30.6"),
    ),
    "rollout-waves": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1", extra=_CANAL, labels='kkpgen/rollout-wave: "wave one"\n'
            ),
            "clusters/c2.yaml": cluster_yaml(
                "c2", extra=_CANAL, labels='kkpgen/rollout-wave: "01"\n'
            ),
        }
    ),
    "unused-openvpn-port": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1", extra=_CILIUM + "clusterNetwork: {konnectivityEnabled: true}\n"
            ).replace(
                "  name: c1\n",
                "  name: c1\n  annotations:\n    kkpgen/openvpn-server-port: '31000'\n"
                "    kkpgen/konnectivity-server-port: '31001'\n",
            )
        }
    ),
    "cloud-and-version": Case(
        {
            "clusters/c1.yaml": cluster_yaml(
                "c1", version='"1.99.0"', cloud="aws: {}\n    gcp: {}", extra=_CANAL
            )
        }
    ),
    "konnectivity-without-gate": Case(
        _one(_CILIUM + "clusterNetwork: {konnectivityEnabled: true}\n"),
        config=CONFIG.replace("KonnectivityService: true", "KonnectivityService: false"),
    ),
    "transitions": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CANAL),
            "clusters/c2.yaml": cluster_yaml("c2", extra=_CANAL),
            "clusters/c3.yaml": cluster_yaml("c3", extra=_CANAL),
            "clusters/c4.yaml": cluster_yaml("c4", extra=_CANAL),
        },
        head={
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CILIUM),
            "clusters/c2.yaml": cluster_yaml(
                "c2", extra=_CANAL + "clusterNetwork: {konnectivityEnabled: false}\n"
            ),
            "clusters/c3.yaml": cluster_yaml("c3"),
            "clusters/c4.yaml": None,
        },
    ),
    "decommissioned": Case(
        {
            "clusters/c1.yaml": cluster_yaml("c1", extra=_CANAL),
            "clusters/c2.yaml": cluster_yaml("c2", extra=_CANAL),
        },
        head={"clusters/c2.yaml": None},
        decommission=("c2", "c9"),
    ),
    "spec-does-not-load": Case(_one("cniPlugin: {type: canal, version: 3.22}\n", version="1.23")),
}


def build_repo(path: Path, case: Case) -> Repo:
    """The case as a git repository at `path` (as conftest's make_repo builds one)."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "t")
    repo = Repo(path)
    repo.commit({"kubermatic.yaml": case.config, **case.files}, "base")
    git(path, "tag", "base")
    if case.head is not None:
        repo.commit(case.head, "head")
    return repo
