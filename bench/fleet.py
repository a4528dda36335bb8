"""Synthetic fleets with realistic variety, committed to a git repository (for the benchmarks)."""

from __future__ import annotations

import random
import subprocess
import sys
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


def cluster_text(index: int, rng: random.Random) -> str:
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


def make_fleet(repo: Path, count: int, seed: int = 7) -> Path:
    """Write `count` clusters into a new git repository at `repo` and commit them."""
    rng = random.Random(seed)
    (repo / "clusters").mkdir(parents=True, exist_ok=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    for index in range(count):
        (repo / "clusters" / f"c{index:05d}.yaml").write_text(cluster_text(index, rng))
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "fleet"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    return repo


if __name__ == "__main__":
    make_fleet(Path(sys.argv[1]), int(sys.argv[2]))
