"""ResolvedCluster: a Cluster with every default applied; what rules, plan and templates read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from kkpgen.models.labels import DEFAULT_NODE_ACCESS_NETWORK

CNIType = Literal["canal", "cilium", "none"]
ProxyMode = Literal["ipvs", "iptables", "ebpf", "nftables"]
IPFamily = Literal["IPv4", "IPv4+IPv6"]

# NodeLocal DNS cache listens on this link-local address on every node (KKP
# resources.NodeLocalDNSCacheAddress).
NODE_LOCAL_DNS_IP = "169.254.20.10"


@dataclass(frozen=True, slots=True)
class ResolvedCNI:
    type: CNIType
    version: str  # as KKP spells it: "v3.22", "v1.11"; "" for none
    capabilities: frozenset[str] = frozenset()  # catalog flags templates branch on
    deprecated: bool = False
    forced_from: str | None = None  # set when KKP's forced upgrade replaced the spec's version
    # An existing cluster without spec.cniPlugin: KKP's migration made it Canal v3.8.
    unspecified: bool = False
    # KKP v2.22+ installs Cilium >= 1.13 as a Helm chart: its seed controller writes an
    # ApplicationInstallation instead of applying an addon (cni.IsManagedByAppInfra).
    application_installation: bool = False


@dataclass(frozen=True, slots=True)
class ResolvedNetwork:
    proxy_mode: ProxyMode
    pods_cidr_blocks: tuple[str, ...]
    services_cidr_blocks: tuple[str, ...]
    dns_domain: str
    ipvs_strict_arp: bool
    node_local_dns_cache_enabled: bool
    konnectivity_enabled: bool
    dns_service_ip: str  # the 10th address of the services CIDR (KKP's kube-dns ClusterIP)
    node_local_dns_ip: str = NODE_LOCAL_DNS_IP
    # KKP v2.21+ (DefaultClusterNetwork); v2.17-v2.20 clusters are IPv4 with 0 mask sizes
    # (their KKP has no such fields) and no tunneling agent address.
    ip_family: IPFamily = "IPv4"
    node_cidr_mask_size_ipv4: int = 0
    node_cidr_mask_size_ipv6: int = 0
    tunneling_agent_ip: str = ""
    # KKP's stored spec.clusterNetwork.ipvs.strictArp after defaulting: true for ipvs unless
    # written, else as written or None (ConfigHash hashes the pointer: null when unset).
    ipvs_strict_arp_stored: bool | None = None

    @property
    def pods_cidr(self) -> str:
        return self.pods_cidr_blocks[0]

    @property
    def services_cidr(self) -> str:
        return self.services_cidr_blocks[0]

    @property
    def dual_stack(self) -> bool:
        return self.ip_family == "IPv4+IPv6"

    @property
    def pods_cidr_blocks_ipv4(self) -> tuple[str, ...]:
        """KKP's Pods.GetIPv4CIDRs()."""
        return tuple(b for b in self.pods_cidr_blocks if ":" not in b)

    @property
    def pods_cidr_blocks_ipv6(self) -> tuple[str, ...]:
        """KKP's Pods.GetIPv6CIDRs()."""
        return tuple(b for b in self.pods_cidr_blocks if ":" in b)

    @property
    def pods_cidr_ipv4(self) -> str:
        """The first IPv4 pods range ("" for none): KKP's Pods.GetIPv4CIDR()."""
        return next((b for b in self.pods_cidr_blocks if ":" not in b), "")

    @property
    def pods_cidr_ipv6(self) -> str:
        """The IPv6 pods range of a dual-stack cluster ("" otherwise)."""
        return next((b for b in self.pods_cidr_blocks if ":" in b), "")

    @property
    def services_cidr_ipv6(self) -> str:
        return next((b for b in self.services_cidr_blocks if ":" in b), "")


@dataclass(frozen=True, slots=True)
class ResolvedAddress:
    """The apiserver's external address, as nodes reach it (KKP Cluster.address.url)."""

    url: str  # "https://abcd.kkp.example.com:6443"; "" when unknown
    host: str
    port: int
    # NodePorts of the seed's tunnel Services (annotations kkpgen/konnectivity-server-port
    # and kkpgen/openvpn-server-port); 0 when unknown. Kubernetes allocates them in the seed.
    konnectivity_port: int = 0
    openvpn_port: int = 0
    # Where the spec wrote the URL: `address.url` (KKP v2.17-v2.21), `status.address.url`
    # (v2.22+, where the top-level address is gone), or neither (kkpgen/apiserver-url).
    written_at: tuple[str, ...] = ("address", "url")
    # The IPs of address.externalName as KKP's seed resolves them for the apiserver's
    # cluster-external-addr-allow policy: the name itself when it is an IP, else address.ip
    # (KKP's address controller writes the resolved IP there); () when unknown.
    external_ips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResolvedAddon:
    name: str
    file: str
    variables: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResolvedCluster:
    name: str  # metadata.name, a DNS-1123 label
    file: str  # repo-relative path of the spec file
    kkp_version: str  # "v2.20"
    kubernetes_version: str  # "1.23.5"
    cloud_provider: str  # the key set under spec.cloud: "aws", "kubevirt", ...
    cni: ResolvedCNI
    network: ResolvedNetwork
    address: ResolvedAddress
    expose_strategy: str  # KKP spec.exposeStrategy: "NodePort", "LoadBalancer", "Tunneling"
    labels: Mapping[str, str]
    addons: tuple[ResolvedAddon, ...]
    is_new: bool  # absent at the base ref (or no base ref given)
    # spec.features as KKP holds them (a new cluster gets apiserverNetworkPolicy: true). KKP's
    # controllers read a feature's value; its addon templates only whether the key is present
    # (TemplateData Features is sets.StringKeySet): `"name" in cluster.features`.
    features: Mapping[str, bool] = field(default_factory=dict)
    # What the pinned KKP patch renders differently (catalog PatchFacts.capabilities); empty
    # for a minor alone, which renders as its .0 patch.
    kkp_capabilities: frozenset[str] = frozenset()
    # What the cluster's Kubernetes version serves differently (catalog kubernetesCapabilities).
    kubernetes_capabilities: frozenset[str] = frozenset()
    # The seed's -node-access-network (kubermatic.yaml kkpgen/node-access-network): OpenVPN only.
    node_access_network: str = DEFAULT_NODE_ACCESS_NETWORK

    @property
    def kubernetes_minor(self) -> str:
        major, minor = self.kubernetes_version.split(".")[:2]
        return f"{major}.{minor}"

    @property
    def kubevirt(self) -> bool:
        return self.cloud_provider == "kubevirt"

    @property
    def seed_namespace(self) -> str:
        """KKP runs a user cluster's control plane in namespace `cluster-<name>` of its seed."""
        return f"cluster-{self.name}"

    def has_feature(self, name: str) -> bool:
        """KKP `Cluster.Spec.Features[name]`: a missing feature is off."""
        return self.features.get(name, False)

    def has_addon(self, name: str) -> bool:
        return any(addon.name == name for addon in self.addons)
