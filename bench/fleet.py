"""Synthetic fleets with realistic variety, committed to a git repository (for the benchmarks).

Two fleets, by the KKP release their kubermatic.yaml names (`--fleet v2.20`, the default, or
`--fleet v2.31`):

    v2.20   KKP v2.20: Canal v3.21/v3.22 and the Cilium v1.11 addon (Hubble on half of the
            Cilium clusters), Kubernetes 1.23, Konnectivity or OpenVPN, ipvs/iptables/ebpf
    v2.31   KKP v2.31.0: Canal v3.29-v3.31, Cilium 1.17-1.19 (the ApplicationInstallation KKP
            writes), CNI none with ebpf, every Kubernetes version v2.31.0 offers, dual stack,
            nftables, NodeLocal DNS off on some, Konnectivity only, Hetzner among the clouds

Each fleet reads only spec fields KKP accepts at its release and that kkpgen has accepted since
it knew the release, never a chart's own files: it renders whatever the charts render (for
example Canal's CRDs as the canal chart has them), before and after a chart changes.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
apiVersion: kubermatic.k8c.io/v1
kind: KubermaticConfiguration
metadata:
  name: kubermatic
  annotations:
    kkpgen/kkp-version: "v2.20"
    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"
    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"
spec:
  featureGates: {KonnectivityService: true}
  api: {accessibleAddons: [hubble]}
"""

CONFIG_V2_31 = """\
apiVersion: kubermatic.k8c.io/v1
kind: KubermaticConfiguration
metadata:
  name: kubermatic
  annotations:
    kkpgen/kkp-version: "v2.31.0"
    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"
    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"
"""


def cluster_text(index: int, rng: random.Random) -> str:
    """One cluster of the v2.20 fleet."""
    name = f"c{index:05d}"
    cilium = rng.random() < 0.3
    konnectivity = cilium or rng.random() < 0.5
    proxy = "ebpf" if cilium and rng.random() < 0.5 else rng.choice(["ipvs", "iptables"])
    cni = (
        "cilium\n    version: v1.11"
        if cilium
        else (f"canal\n    version: {rng.choice(['v3.21', 'v3.22'])}")
    )
    cloud = rng.choice(["aws: {}", "kubevirt: {}", "openstack: {}", "hetzner: {}"])
    # The seed's tunnel NodePort, as a running fleet has it: the agents render with it.
    tunnel = "konnectivity" if konnectivity else "openvpn"
    port = random.Random(index).randint(30000, 32767)
    text = f"""\
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: {name}
  annotations:
    kkpgen/{tunnel}-server-port: "{port}"
spec:
  version: "1.23.{rng.randint(1, 9)}"
  cloud:
    {cloud}
  cniPlugin:
    type: {cni}
  clusterNetwork:
    proxyMode: {proxy}
    konnectivityEnabled: {str(konnectivity).lower()}
    pods:
      cidrBlocks: ["172.{rng.randint(16, 31)}.0.0/16"]
    services:
      cidrBlocks: ["10.{rng.randint(0, 200)}.0.0/20"]
"""
    if cilium and rng.random() < 0.5:
        text += f"""\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata:
  name: hubble
  namespace: cluster-{name}
spec:
  name: hubble
  cluster: {{name: {name}}}
"""
    return text


# What KKP v2.31.0 offers (generator/kkp/data/kkp-patches.yaml, v2.31.0): written out so that
# the fleet stays the same fleet whatever the catalog learns later.
KUBERNETES_V2_31 = (
    *(f"1.33.{p}" for p in (0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13)),
    *(f"1.34.{p}" for p in range(1, 11)),
    *(f"1.35.{p}" for p in range(8)),
    "1.36.3",
)
CANAL_V2_31 = ("v3.29", "v3.30", "v3.31")
CILIUM_V2_31 = ("1.17.16", "1.18.10", "1.19.4")


def _cni_v2_31(rng: random.Random) -> tuple[str, str]:
    """The cniPlugin block and the proxy mode of one v2.31 cluster: 45% Canal, 40% Cilium,
    15% no CNI (a team's own, with kube-proxy replaced: ebpf)."""
    draw = rng.random()
    if draw < 0.45:
        version = rng.choice(CANAL_V2_31)
        return f"type: canal\n    version: {version}", rng.choice(["ipvs", "iptables", "nftables"])
    if draw < 0.85:
        version = rng.choice(CILIUM_V2_31)
        return f"type: cilium\n    version: {version}", rng.choice(["ebpf", "ebpf", "iptables"])
    return "type: none", "ebpf"


def _network_v2_31(rng: random.Random, proxy: str) -> str:
    """clusterNetwork of one v2.31 cluster: one in five dual stack, one in five without
    NodeLocal DNS, its own IPv4 ranges (and KKP's default IPv6 ones)."""
    pods, services = f"172.{rng.randint(16, 31)}.0.0/16", f"10.{rng.randint(0, 200)}.0.0/20"
    dual = rng.random() < 0.2
    family = "    ipFamily: IPv4+IPv6\n" if dual else ""
    pods_blocks = f'["{pods}", "fd01::/48"]' if dual else f'["{pods}"]'
    services_blocks = f'["{services}", "fd02::/108"]' if dual else f'["{services}"]'
    nodelocal = "    nodeLocalDNSCacheEnabled: false\n" if rng.random() < 0.2 else ""
    return f"""\
  clusterNetwork:
{family}    proxyMode: {proxy}
    konnectivityEnabled: true
{nodelocal}    pods:
      cidrBlocks: {pods_blocks}
    services:
      cidrBlocks: {services_blocks}
"""


def cluster_text_v2_31(index: int, rng: random.Random) -> str:
    """One cluster of the v2.31 fleet."""
    name = f"c{index:05d}"
    cni, proxy = _cni_v2_31(rng)
    cloud = rng.choice(["aws: {}", "kubevirt: {}", "openstack: {}", "hetzner: {}"])
    port = random.Random(index).randint(30000, 32767)
    return f"""\
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: {name}
  annotations:
    kkpgen/konnectivity-server-port: "{port}"
spec:
  version: "{rng.choice(KUBERNETES_V2_31)}"
  cloud:
    {cloud}
  cniPlugin:
    {cni}
{_network_v2_31(rng, proxy)}"""


def _changed_v2_20(text: str) -> str:
    return text.replace('version: "1.23.', 'version: "1.22.', 1)


def _changed_v2_31(text: str) -> str:
    """Another Kubernetes patch of the same minor (v2.31.0 offers at least two of each)."""
    line = next(line for line in text.splitlines() if line.startswith("  version: "))
    version = line.split('"')[1]
    same_minor = [v for v in KUBERNETES_V2_31 if v.rsplit(".", 1)[0] == version.rsplit(".", 1)[0]]
    other = next(v for v in [*same_minor, *KUBERNETES_V2_31] if v != version)
    return text.replace(line, f'  version: "{other}"', 1)


@dataclass(frozen=True)
class FleetKind:
    """One synthetic fleet: its kubermatic.yaml, its cluster files, and a change of one cluster
    that a re-render must pick up (a Kubernetes version KKP offers)."""

    config: str
    cluster: Callable[[int, random.Random], str]
    changed: Callable[[str], str]


FLEETS = {
    "v2.20": FleetKind(CONFIG, cluster_text, _changed_v2_20),
    "v2.31": FleetKind(CONFIG_V2_31, cluster_text_v2_31, _changed_v2_31),
}
DEFAULT_FLEET = "v2.20"


def make_fleet(repo: Path, count: int, seed: int = 7, fleet: str = DEFAULT_FLEET) -> Path:
    """Write `count` clusters of `fleet` into a new git repository at `repo` and commit them."""
    kind = FLEETS[fleet]
    rng = random.Random(seed)
    (repo / "clusters").mkdir(parents=True, exist_ok=True)
    (repo / "kubermatic.yaml").write_text(kind.config)
    for index in range(count):
        (repo / "clusters" / f"c{index:05d}.yaml").write_text(kind.cluster(index, rng))
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "fleet"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    return repo


def change_one_cluster(repo: Path, count: int, fleet: str = DEFAULT_FLEET) -> Path:
    """Change the middle cluster's spec file in the work tree (not committed); its path."""
    target = repo / "clusters" / f"c{count // 2:05d}.yaml"
    target.write_text(FLEETS[fleet].changed(target.read_text()))
    return target


def fleet_option(argv: list[str]) -> tuple[str, list[str]]:
    """`--fleet NAME` (a key of FLEETS) taken out of argv; the default fleet without it."""
    if "--fleet" not in argv:
        return DEFAULT_FLEET, argv
    at = argv.index("--fleet")
    if at + 1 >= len(argv) or argv[at + 1] not in FLEETS:
        sys.exit(f"--fleet takes one of {', '.join(FLEETS)}")
    return argv[at + 1], argv[:at] + argv[at + 2 :]


if __name__ == "__main__":
    name, args = fleet_option(sys.argv[1:])
    make_fleet(Path(args[0]), int(args[1]), fleet=name)
