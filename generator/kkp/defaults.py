"""Pure defaulting: (spec, catalog) -> ResolvedCluster, as KKP's defaulting and mutation."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import netaddr

from kkpgen.kkp.catalog import Catalog, KKPRelease, NetworkDefaults, satisfies
from kkpgen.models.cluster import Cluster, ClusterNetworkingConfig, ClusterSpec, NetworkRanges
from kkpgen.models.kkp_model import KKPModel
from kkpgen.models.kubermatic import KubermaticConfiguration
from kkpgen.models.labels import (
    APISERVER_URL_ANNOTATION,
    DEFAULT_NODE_ACCESS_NETWORK,
    KONNECTIVITY_PORT_ANNOTATION,
    NODE_ACCESS_NETWORK_ANNOTATION,
    OPENVPN_PORT_ANNOTATION,
)
from kkpgen.models.resolved import (
    CNIType,
    IPFamily,
    ProxyMode,
    ResolvedAddon,
    ResolvedAddress,
    ResolvedCluster,
    ResolvedCNI,
    ResolvedNetwork,
)
from kkpgen.source.fleet import LoadedCluster

# KKP gives kube-dns the 10th address of the services range (resources.UserClusterDNSResolverIP).
_DNS_SERVICE_OFFSET = 10


@functools.lru_cache(maxsize=4096)  # a fleet repeats a few ranges thousands of times
def dns_service_ip(services_cidr: str) -> str:
    try:
        network = netaddr.IPNetwork(services_cidr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return ""  # the rules report the bad CIDR
    return str(network.network + _DNS_SERVICE_OFFSET) if network.size > _DNS_SERVICE_OFFSET else ""


# KKP cni.CanalCNILastUnspecifiedVersion: what an existing cluster without spec.cniPlugin is
# (v2.19's mutateUpdate, v2.20's CRD migration, pkg/install/crdmigration/clones.go).
CANAL_LAST_UNSPECIFIED_VERSION = "v3.8"


def _spec_cni(spec: ClusterSpec, release: KKPRelease, *, is_new: bool) -> tuple[CNIType, str]:
    """KKP: no cniPlugin -> Canal v3.8 for an existing cluster (the migration), the default
    CNI and version for a new one; no version -> that type's default."""
    if spec.cni_plugin is None:
        canal = release.cni.get("canal")
        if not is_new and canal is not None and CANAL_LAST_UNSPECIFIED_VERSION in canal.allowed():
            return "canal", CANAL_LAST_UNSPECIFIED_VERSION
        # KKP DefaultClusterSpec (v2.25+): Edge clusters keep Canal whatever the default.
        cilium = release.default_cni == "cilium" and spec.cloud.edge is None
        cni_type: CNIType = "cilium" if cilium else "canal"
        support = release.cni.get(cni_type)
        return cni_type, support.default if support else ""
    if spec.cni_plugin.version or spec.cni_plugin.type == "none":
        return spec.cni_plugin.type, spec.cni_plugin.version
    support = release.cni.get(spec.cni_plugin.type)
    return spec.cni_plugin.type, support.default if support else ""


def forced_version(
    *, cni: str, version: str, kubernetes_version: str, catalog: Catalog, release: KKPRelease
) -> str | None:
    """The version KKP moves this CNI to with this Kubernetes version (seed: Forced CNI Upgrade)."""
    support = release.cni.get(cni)
    if support is None or version not in support.allowed():
        return None  # an unknown version is reported, not upgraded
    current = version
    for rule in catalog.forced_upgrades_for(release):
        if rule.cni != cni or not _matches(current, rule.from_version):
            continue
        if not _matches(kubernetes_version, rule.kubernetes):
            continue
        current = support.latest() if rule.to == "latest" else rule.to
    return None if current == version else current


def _matches(version: str, constraint: str) -> bool:
    try:
        return satisfies(version, constraint)
    except ValueError:
        return False  # unparsable versions are reported by the rules


def _resolve_cni(
    spec: ClusterSpec, *, catalog: Catalog, release: KKPRelease, is_new: bool
) -> ResolvedCNI:
    cni_type, version = _spec_cni(spec, release, is_new=is_new)
    # KKP forces CNI upgrades in mutateUpdate only: a new cluster keeps what it asks for, and
    # KKP v2.17/v2.18 fill only an unset cniPlugin.
    forced = (
        None
        if is_new or (release.cni_plugin_immutable and spec.cni_plugin is not None)
        else forced_version(
            cni=cni_type,
            version=version,
            kubernetes_version=spec.version,
            catalog=catalog,
            release=release,
        )
    )
    effective = forced or version
    support = release.cni.get(cni_type)
    return ResolvedCNI(
        type=cni_type,
        version=effective,
        capabilities=catalog.capabilities(cni_type, effective),
        deprecated=bool(support and effective in support.deprecated),
        forced_from=version if forced else None,
        unspecified=spec.cni_plugin is None and not is_new,
        application_installation=cni_type == "cilium"
        and release.patch is not None
        and effective in release.patch.cilium_charts,
    )


@dataclass(frozen=True, slots=True)
class _NetworkContext:
    """What DefaultClusterNetwork reads besides the spec's clusterNetwork."""

    provider: str
    kubernetes_version: str
    expose_strategy: str
    defaults: NetworkDefaults
    konnectivity_mandatory: bool = False  # KKP v2.26+: OpenVPN is gone


def _ip_family(net: ClusterNetworkingConfig, ctx: _NetworkContext) -> IPFamily:
    """KKP v2.21+: an unset ipFamily is dual stack when two pods ranges are written."""
    if net.ip_family is not None:
        return net.ip_family
    pods = net.pods.cidr_blocks if net.pods else ()
    return "IPv4+IPv6" if len(pods) >= 2 and ctx.defaults.pods_cidr_ipv6 else "IPv4"


def _ranges(
    written: NetworkRanges | None, ipv4: tuple[str, ...], ipv6: str, dual: bool
) -> tuple[str, ...]:
    if written is not None and written.cidr_blocks:
        return written.cidr_blocks
    return (*ipv4, ipv6) if dual and ipv6 else ipv4


def default_proxy_mode(ctx: _NetworkContext) -> ProxyMode:
    """KKP GetDefaultProxyMode: iptables on Hetzner ("IPVS causes issues with Hetzner's
    LoadBalancers", kubernetes/enhancements#1392), nftables from a Kubernetes minor (v2.30+;
    at v2.30.x Hetzner gets nftables too, at v2.31.0 it keeps iptables), else ipvs."""
    defaults = ctx.defaults
    hetzner = ctx.provider == "hetzner"
    nftables = bool(defaults.nftables_from_kubernetes) and _matches(
        ctx.kubernetes_version, f">={defaults.nftables_from_kubernetes}"
    )
    if hetzner and (defaults.hetzner_iptables_always or not nftables):
        return "iptables"
    if nftables:
        return "nftables"
    return "iptables" if defaults.proxy_mode == "iptables" else "ipvs"


def _resolve_network(net: ClusterNetworkingConfig, ctx: _NetworkContext) -> ResolvedNetwork:
    defaults = ctx.defaults
    kubevirt = ctx.provider == "kubevirt"
    family = _ip_family(net, ctx)
    dual = family == "IPv4+IPv6"
    pods = _ranges(
        net.pods,
        defaults.kubevirt_pods_cidr_blocks if kubevirt else defaults.pods_cidr_blocks,
        defaults.pods_cidr_ipv6,
        dual,
    )
    services = _ranges(
        net.services,
        defaults.kubevirt_services_cidr_blocks if kubevirt else defaults.services_cidr_blocks,
        defaults.services_cidr_ipv6,
        dual,
    )
    strict_arp = net.ipvs.strict_arp if net.ipvs and net.ipvs.strict_arp is not None else None
    konnectivity = net.konnectivity_enabled
    return ResolvedNetwork(
        proxy_mode=net.proxy_mode or default_proxy_mode(ctx),
        pods_cidr_blocks=pods,
        services_cidr_blocks=services,
        dns_domain=net.dns_domain or defaults.dns_domain,
        # KKP (pkg/defaulting/cluster.go, pkg/addon/template.go): an unset strictArp is
        # resources.IPVSStrictArp = true whatever the proxyMode; the seed's "true for ipvs,
        # false otherwise" is not what KKP renders into kube-proxy's config.
        ipvs_strict_arp=True if strict_arp is None else strict_arp,
        node_local_dns_cache_enabled=(
            defaults.node_local_dns_cache_enabled
            if net.node_local_dns_cache_enabled is None
            else net.node_local_dns_cache_enabled
        ),
        konnectivity_enabled=(
            (ctx.konnectivity_mandatory or defaults.konnectivity_enabled)
            if konnectivity is None
            else konnectivity
        ),
        dns_service_ip=dns_service_ip(services[0]),
        ip_family=family,
        node_cidr_mask_size_ipv4=_node_mask(net.node_cidr_mask_size_ipv4, pods, 4, defaults),
        node_cidr_mask_size_ipv6=_node_mask(net.node_cidr_mask_size_ipv6, pods, 6, defaults),
        tunneling_agent_ip=net.tunneling_agent_ip
        or (defaults.tunneling_agent_ip if ctx.expose_strategy == "Tunneling" else ""),
        ipvs_strict_arp_stored=(
            True
            if strict_arp is None and (net.proxy_mode or default_proxy_mode(ctx)) == "ipvs"
            else strict_arp
        ),
    )


def _node_mask(written: int | None, pods: tuple[str, ...], family: int, d: NetworkDefaults) -> int:
    """KKP v2.21+: a family's node mask size, defaulted when the pods have that family."""
    if written is not None:
        return written
    if family == 6:
        return d.node_cidr_mask_size_ipv6 if any(":" in b for b in pods) else 0
    return d.node_cidr_mask_size_ipv4 if any(":" not in b for b in pods) else 0


@dataclass(frozen=True, slots=True)
class PlatformSettings:
    """What the KubermaticConfiguration decides for every cluster that does not say."""

    apiserver_url_template: str | None = None  # annotation kkpgen/apiserver-url
    expose_strategy: str = "NodePort"  # spec.exposeStrategy (KKP's default: NodePort)
    node_access_network: str = DEFAULT_NODE_ACCESS_NETWORK  # annotation kkpgen/node-access-network

    @classmethod
    def of(cls, config: KubermaticConfiguration) -> PlatformSettings:
        strategy = config.spec.expose_strategy
        return cls(
            apiserver_url_template=config.metadata.annotations.get(APISERVER_URL_ANNOTATION),
            expose_strategy=strategy if isinstance(strategy, str) and strategy else "NodePort",
            node_access_network=config.metadata.annotations.get(
                NODE_ACCESS_NETWORK_ANNOTATION, DEFAULT_NODE_ACCESS_NETWORK
            ),
        )


def _expose_strategy(written: object, default: str) -> str:
    """KKP: the cluster's spec.exposeStrategy, else the KubermaticConfiguration's (NodePort)."""
    if written is None or written == "":
        return default
    return written if isinstance(written, str) else str(written)  # the rules refuse it


def _status_address(loaded: LoadedCluster) -> dict[str, object]:
    """status.address of the spec file, as written ({} when absent)."""
    status = loaded.cluster.status
    address = status.get("address") if isinstance(status, dict) else None
    return {str(k): v for k, v in address.items()} if isinstance(address, dict) else {}


def _written_url(loaded: LoadedCluster) -> tuple[str | None, tuple[str, ...]]:
    """address.url (KKP v2.17-v2.21), else status.address.url (v2.22 moved it there)."""
    if loaded.cluster.address is not None and loaded.cluster.address.url:
        return loaded.cluster.address.url, ("address", "url")
    url = _status_address(loaded).get("url")
    if isinstance(url, str) and url:
        return url, ("status", "address", "url")
    return None, ("address", "url")


def resolve_address(loaded: LoadedCluster, url_template: str | None) -> ResolvedAddress:
    """The spec's apiserver URL as KKP sets it, else the platform's `kkpgen/apiserver-url`."""
    written, written_at = _written_url(loaded)
    url = written or (url_template or "").replace("{name}", loaded.name)
    try:
        parsed = urlsplit(url)
        port = parsed.port or 443
    except ValueError:
        return ResolvedAddress(url, "", 0, written_at=written_at)  # the rules report it
    annotations = loaded.cluster.metadata.annotations
    return ResolvedAddress(
        url,
        parsed.hostname or "",
        port,
        konnectivity_port=_port(annotations.get(KONNECTIVITY_PORT_ANNOTATION)),
        openvpn_port=_port(annotations.get(OPENVPN_PORT_ANNOTATION)),
        written_at=written_at,
        external_ips=_external_ips(loaded, parsed.hostname or ""),
    )


def _external_ips(loaded: LoadedCluster, host: str) -> tuple[str, ...]:
    """KKP hostnameToIPList: an IP name is itself; a DNS name is what the seed resolves."""
    address = loaded.cluster.address
    status = _status_address(loaded)  # KKP v2.22+ keeps the address under status
    external_name = address.external_name if address else status.get("externalName")
    ip = address.ip if address else status.get("ip")
    name = (external_name if isinstance(external_name, str) else None) or host
    for text in (name, ip if isinstance(ip, str) else None):
        try:
            return (str(ipaddress.ip_address(text or "")),)
        except ValueError:
            continue
    return ()


def _port(text: str | None) -> int:
    # ASCII only: "²".isdigit() is true, and int("²") raises (rules.py reports the value).
    return int(text) if text and text.isascii() and text.isdigit() and 0 < int(text) < 65536 else 0


def _has(release: KKPRelease, capability: str) -> bool:
    return release.patch is not None and capability in release.patch.capabilities


def resolve_cluster(
    loaded: LoadedCluster,
    *,
    catalog: Catalog,
    release: KKPRelease,
    is_new: bool,
    platform: PlatformSettings | None = None,
) -> ResolvedCluster:
    platform = platform or PlatformSettings()
    spec = loaded.cluster.spec
    providers = spec.cloud.providers()
    provider = providers[0] if providers else ""
    expose = _expose_strategy(spec.expose_strategy, platform.expose_strategy)
    return ResolvedCluster(
        name=loaded.name,
        file=loaded.source.file,
        kkp_version=release.version,
        kubernetes_version=spec.version.removeprefix("v"),
        cloud_provider=provider,
        cni=_resolve_cni(spec, catalog=catalog, release=release, is_new=is_new),
        network=_resolve_network(
            spec.cluster_network,
            _NetworkContext(
                provider=provider,
                kubernetes_version=spec.version.removeprefix("v"),
                expose_strategy=expose,
                defaults=catalog.network_for(release),
                konnectivity_mandatory=_has(release, "konnectivity_mandatory"),
            ),
        ),
        address=resolve_address(loaded, platform.apiserver_url_template),
        expose_strategy=expose,
        labels=dict(loaded.cluster.metadata.labels),
        addons=tuple(
            ResolvedAddon(a.addon.spec.name, a.source.file, dict(a.addon.spec.variables or {}))
            for a in loaded.addons
        ),
        is_new=is_new,
        features=_features(spec.features, is_new=is_new),
        kkp_capabilities=release.patch.capabilities if release.patch else frozenset(),
        kubernetes_capabilities=catalog.kubernetes_capabilities_of(spec.version.removeprefix("v")),
        node_access_network=platform.node_access_network,
    )


APISERVER_NETWORK_POLICY = "apiserverNetworkPolicy"


def _features(written: Mapping[str, bool] | None, *, is_new: bool) -> dict[str, bool]:
    """spec.features; KKP's mutateCreate turns apiserverNetworkPolicy on for new clusters only."""
    features = dict(written or {})
    if is_new:
        features.setdefault(APISERVER_NETWORK_POLICY, True)
    return features


def resolved_document(loaded: LoadedCluster, resolved: ResolvedCluster) -> dict[str, object]:
    """The Cluster as the user wrote it, with every network default filled in (KKP's shape)."""
    document: dict[str, object] = loaded.cluster.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    spec = document["spec"]
    assert isinstance(spec, dict)  # noqa: S101  model_dump of ClusterSpec
    _place_address(document, resolved)
    # Of spec.cloud, only what kkpgen reads: the provider's name (its credentials and
    # settings, e.g. accessKeyID, never reach the output).
    cloud = loaded.cluster.spec.cloud
    spec["cloud"] = {
        **({"dc": cloud.dc} if cloud.dc is not None else {}),
        **({"providerName": cloud.provider_name} if cloud.provider_name is not None else {}),
        **{provider: {} for provider in cloud.providers()},
    }
    spec["version"] = resolved.kubernetes_version
    spec["cniPlugin"] = {"type": resolved.cni.type, "version": resolved.cni.version}
    spec["clusterNetwork"] = _in_field_order(
        _network_document(loaded, resolved), ClusterNetworkingConfig
    )
    # Keys in the models' field order, whichever the spec omitted: resolving the output
    # of resolve must print it unchanged (issue 7, idempotence).
    document["spec"] = _in_field_order(spec, ClusterSpec)
    return _in_field_order(document, Cluster)


def _network_document(loaded: LoadedCluster, resolved: ResolvedCluster) -> dict[str, object]:
    """spec.clusterNetwork as the release's DefaultClusterNetwork leaves it: from KKP v2.21
    (dual_stack) with ipFamily and mask sizes, and ipvs only for proxyMode ipvs."""
    network = resolved.network
    document: dict[str, object] = {
        "services": {"cidrBlocks": list(network.services_cidr_blocks)},
        "pods": {"cidrBlocks": list(network.pods_cidr_blocks)},
        "dnsDomain": network.dns_domain,
        "proxyMode": network.proxy_mode,
        "ipvs": {"strictArp": network.ipvs_strict_arp},
        "nodeLocalDNSCacheEnabled": network.node_local_dns_cache_enabled,
        "konnectivityEnabled": network.konnectivity_enabled,
    }
    if "dual_stack" not in resolved.kkp_capabilities:
        return document
    document["ipFamily"] = network.ip_family
    for key, size in (
        ("nodeCidrMaskSizeIPv4", network.node_cidr_mask_size_ipv4),
        ("nodeCidrMaskSizeIPv6", network.node_cidr_mask_size_ipv6),
    ):
        if size:
            document[key] = size
    if network.tunneling_agent_ip:
        document["tunnelingAgentIP"] = network.tunneling_agent_ip
    if network.proxy_mode != "ipvs" and loaded.cluster.spec.cluster_network.ipvs is None:
        del document["ipvs"]
    return document


def _place_address(document: dict[str, object], resolved: ResolvedCluster) -> None:
    """The URL where the release keeps it: `address.url`, or `status.address.url` from KKP
    v2.22 (a pinned patch without cluster_top_level_address)."""
    top_level = not resolved.kkp_capabilities or (
        "cluster_top_level_address" in resolved.kkp_capabilities
    )
    holder: dict[str, object] = document
    if not top_level:
        status = document.get("status")
        holder = dict(status) if isinstance(status, dict) else {}
        document["status"] = holder
    address = holder.get("address")
    holder["address"] = {
        **(address if isinstance(address, dict) else {}),
        "url": resolved.address.url,
    }


def _in_field_order(mapping: dict[str, object], model: type[KKPModel]) -> dict[str, object]:
    order = [field.alias or name for name, field in model.model_fields.items()]
    return {key: mapping[key] for key in sorted(mapping, key=order.index)}
