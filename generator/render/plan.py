"""ResolvedCluster -> ChartReleases: which charts a cluster gets, and the Addon values they take."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from kkpgen.diagnostics import Violation
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import LoadedCluster

HUBBLE = "hubble"
# Cilium >= 1.13 on KKP v2.22+: the ApplicationInstallation KKP writes; the team's Cilium
# values come from the cluster's Addon `cilium` (KKP deletes the legacy cilium and hubble
# addons: Hubble is part of the chart's values).
CILIUM_APPLICATION = "cilium-application"
_VALUES_FROM = {CILIUM_APPLICATION: "cilium"}


@dataclass(frozen=True, slots=True)
class ChartRelease:
    chart: str
    cluster: ResolvedCluster
    overrides: Mapping[str, object] = field(default_factory=dict)  # Addon spec.variables
    overrides_file: str | None = None  # the Addon file the overrides came from


def _chart_names(cluster: ResolvedCluster) -> list[str]:
    """Seed + KKP: CNI, Konnectivity or OpenVPN, metrics-server, kube-proxy, NodeLocal DNS."""
    names: list[str] = []
    if cluster.cni.application_installation:
        names.append(CILIUM_APPLICATION)
    elif cluster.cni.type != "none":
        names.append(cluster.cni.type)  # "canal" or "cilium": chart names equal the CNI type
    names.append("konnectivity" if cluster.network.konnectivity_enabled else "openvpn")
    names.append("metrics-server")
    if cluster.network.proxy_mode != "ebpf":  # Cilium replaces kube-proxy in ebpf mode
        names.append("kube-proxy")
    if cluster.network.node_local_dns_cache_enabled:
        names.append("nodelocal-dns")
    return names


def plan_releases(cluster: ResolvedCluster) -> tuple[ChartRelease, ...]:
    """An Addon named like a chart sets that chart's values for this cluster; the hubble Addon
    also switches the Hubble chart on (the other charts follow the spec)."""
    legacy_hubble = cluster.has_addon(HUBBLE) and not cluster.cni.application_installation
    names = _chart_names(cluster) + ([HUBBLE] if legacy_hubble else [])
    addons = {addon.name: addon for addon in cluster.addons}
    releases = []
    for name in names:
        addon = addons.get(_VALUES_FROM.get(name, name))
        releases.append(
            ChartRelease(
                name, cluster, addon.variables if addon else {}, addon.file if addon else None
            )
        )
    return tuple(sorted(releases, key=lambda r: r.chart))


def tunnel_port_notice(loaded: LoadedCluster, resolved: ResolvedCluster) -> Iterator[Violation]:
    """Tunnel agents dial the NodePort of the seed's tunnel Service; only the seed knows it."""
    if resolved.expose_strategy == "Tunneling":
        return
    konnectivity = resolved.network.konnectivity_enabled
    port = resolved.address.konnectivity_port if konnectivity else resolved.address.openvpn_port
    if port == 0 and not _addon_sets_server_port(loaded, konnectivity):
        name, what = (
            ("konnectivity", "the konnectivity-agent Deployment")
            if konnectivity
            else ("openvpn", "the openvpn-client ConfigMap")
        )
        yield Violation(
            "network.tunnel-port.unknown",
            ("metadata", "annotations"),
            f"the NodePort of the seed's {name}-server Service is not known, so {what} is not "
            "rendered and KKP keeps managing it",
            f"set annotation kkpgen/{name}-server-port to the NodePort of Service "
            f"{name}-server in namespace {resolved.seed_namespace} of the seed",
            severity="notice",
        )


def _addon_sets_server_port(loaded: LoadedCluster, konnectivity: bool) -> bool:
    name = "konnectivity" if konnectivity else "openvpn"
    return any(
        a.addon.spec.name == name and (a.addon.spec.variables or {}).get("serverPort")
        for a in loaded.addons
    )
