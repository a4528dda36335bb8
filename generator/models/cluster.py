"""Cluster, ClusterSpec, CNIPluginSettings, ClusterNetworkingConfig (kubermatic.k8c.io/v1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, StrictBool

from kkpgen.models.kkp_model import KKPModel, ObjectMeta

CLOUD_PROVIDERS = frozenset(
    {
        "fake",
        "digitalocean",
        "bringyourown",
        "aws",
        "azure",
        "openstack",
        "packet",
        "hetzner",
        "vsphere",
        "gcp",
        "kubevirt",
        "alibaba",
        "anexia",
        "nutanix",
        "vmwareclouddirector",  # KKP v2.21+
        "edge",  # KKP v2.25+
        "baremetal",  # KKP v2.26+ (packet is gone from v2.29)
    }
)  # KKP v2.20-v2.31 CloudSpec


class CNIPluginSettings(KKPModel):
    type: Literal["canal", "cilium", "none"]
    version: str = ""


class NetworkRanges(KKPModel):
    cidr_blocks: tuple[str, ...] = ()


class IPVSConfiguration(KKPModel):
    strict_arp: StrictBool | None = None


class ClusterNetworkingConfig(KKPModel):
    # KKP v2.21+: IPv4, or dual stack (the rules refuse both in releases without them).
    ip_family: Literal["IPv4", "IPv4+IPv6"] | None = Field(default=None, alias="ipFamily")
    services: NetworkRanges | None = None
    pods: NetworkRanges | None = None
    node_cidr_mask_size_ipv4: int | None = Field(default=None, alias="nodeCidrMaskSizeIPv4")
    node_cidr_mask_size_ipv6: int | None = Field(default=None, alias="nodeCidrMaskSizeIPv6")
    dns_domain: str | None = Field(default=None, alias="dnsDomain")
    # nftables: KKP v2.30+ (the rules refuse it before).
    proxy_mode: Literal["ipvs", "iptables", "ebpf", "nftables"] | None = None
    ipvs: IPVSConfiguration | None = None
    node_local_dns_cache_enabled: StrictBool | None = Field(
        default=None, alias="nodeLocalDNSCacheEnabled"
    )
    konnectivity_enabled: StrictBool | None = None
    core_dns_replicas: JsonValue = Field(default=None, alias="coreDNSReplicas")  # not used
    # KKP v2.22+: the agent address of the Tunneling expose strategy.
    tunneling_agent_ip: str | None = Field(default=None, alias="tunnelingAgentIP")


class CloudSpec(KKPModel):
    dc: str | None = None
    provider_name: str | None = None
    # One provider section; its content is the cloud provider's business, not kkpgen's.
    fake: JsonValue = None
    digitalocean: JsonValue = None
    bringyourown: JsonValue = None
    aws: JsonValue = None
    azure: JsonValue = None
    openstack: JsonValue = None
    packet: JsonValue = None
    hetzner: JsonValue = None
    vsphere: JsonValue = None
    gcp: JsonValue = None
    kubevirt: JsonValue = None
    alibaba: JsonValue = None
    anexia: JsonValue = None
    nutanix: JsonValue = None
    vmwareclouddirector: JsonValue = None
    edge: JsonValue = None
    baremetal: JsonValue = None

    def providers(self) -> tuple[str, ...]:
        return tuple(sorted(name for name in CLOUD_PROVIDERS if getattr(self, name) is not None))


class ClusterSpec(KKPModel):
    version: str
    cloud: CloudSpec
    cni_plugin: CNIPluginSettings | None = None
    cluster_network: ClusterNetworkingConfig = ClusterNetworkingConfig()
    human_readable_name: str | None = None
    # The rest of KKP's ClusterSpec (v2.20 and later): accepted as written, not interpreted
    # by kkpgen.
    admission_plugins: JsonValue = None
    audit_logging: JsonValue = None
    components_override: JsonValue = None
    container_runtime: JsonValue = None
    debug_log: JsonValue = None
    enable_operating_system_manager: JsonValue = None
    enable_user_ssh_key_agent: JsonValue = Field(default=None, alias="enableUserSSHKeyAgent")
    event_rate_limit_config: JsonValue = None
    expose_strategy: JsonValue = None
    # KKP's map[string]bool: the CRD refuses any other value.
    features: dict[str, StrictBool] | None = None
    machine_networks: JsonValue = None
    mla: JsonValue = None
    oidc: JsonValue = None
    opa_integration: JsonValue = None
    pause: JsonValue = None
    pause_reason: JsonValue = None
    pod_node_selector_admission_plugin_config: JsonValue = None
    service_account: JsonValue = None
    update_window: JsonValue = None
    use_event_rate_limit_admission_plugin: JsonValue = None
    use_pod_node_selector_admission_plugin: JsonValue = None
    use_pod_security_policy_admission_plugin: JsonValue = None
    # Added by KKP v2.21-v2.31; accepted as written, not interpreted by kkpgen.
    image_pull_secret: JsonValue = None
    api_server_allowed_ip_ranges: JsonValue = Field(default=None, alias="apiServerAllowedIPRanges")
    authentication_configuration: JsonValue = None
    authorization_config: JsonValue = None
    kubelb: JsonValue = None
    kubernetes_dashboard: JsonValue = None
    application_settings: JsonValue = None
    encryption_configuration: JsonValue = None
    disable_csi_driver: JsonValue = None
    backup_config: JsonValue = None
    kyverno: JsonValue = None
    container_runtime_opts: JsonValue = None


class ClusterAddress(KKPModel):
    """Where the cluster's apiserver is reached; KKP fills it in once the cluster exists."""

    url: str | None = None  # "https://abcd.europe-west3-c.kkp.example.com:6443"
    port: int | None = None
    external_name: str | None = None
    internal_url: str | None = Field(default=None, alias="internalURL")
    ip: str | None = None
    # adminToken is deliberately not modelled: a credential does not belong in git.


class Cluster(KKPModel):
    api_version: Literal["kubermatic.k8c.io/v1"]
    kind: Literal["Cluster"]
    metadata: ObjectMeta
    spec: ClusterSpec
    address: ClusterAddress | None = None
    status: JsonValue = None
