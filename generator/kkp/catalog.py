"""The catalog: KKP's CNI version matrix, defaults, forced upgrades and images, loaded from data."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import semver

from kkpgen.source.cache import kept
from kkpgen.source.sourcemap import load_data

CATALOG_RESOURCE = "data/catalog.yaml"
# Per-patch facts recorded from KKP's source by tools/kkp_facts.py (generated; see its header).
PATCHES_RESOURCE = "data/kkp-patches.yaml"
CATALOG_PATH = Path(str(resources.files("kkpgen.kkp").joinpath(CATALOG_RESOURCE)))
_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$")
_CONSTRAINT = re.compile(r"^(>=|<=|==|>|<)\s*(.+)$")


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> semver.Version | None:
    """Parse a version as KKP's semverlib does: `v3.31`, `3.22`, `1.19.4` are all versions."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    major, minor, patch = (int(part) if part else 0 for part in match.groups())
    return semver.Version(major, minor, patch)


@functools.lru_cache(maxsize=4096)  # pure, and a fleet asks the same few questions
def satisfies(version: str, constraint: str) -> bool:
    """`constraint` is one comparison such as `>=1.23`, `<3.22` or `==3.8`."""
    match = _CONSTRAINT.match(constraint.strip())
    parsed, bound = parse_version(version), parse_version(match.group(2) if match else "")
    if match is None or parsed is None or bound is None:
        raise ValueError(f"bad version constraint {constraint!r} for {version!r}")
    return bool(parsed.match(f"{match.group(1)}{bound}"))


# A KKP version as written in kubermatic.yaml or --kkp-version: whole value, ASCII digits
# (parse_version strips and takes any Unicode digit; "v2.20.9\n" must not pass as v2.20.9).
KKP_VERSION_FORM = re.compile(r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?")


def kkp_minor(version: str) -> str | None:
    """`v2.20.3` -> `v2.20`: CNI support changes only with KKP minor releases."""
    parsed = parse_version(version)
    return None if parsed is None else f"v{parsed.major}.{parsed.minor}"


@dataclass(frozen=True, slots=True)
class CNISupport:
    default: str
    supported: tuple[str, ...]
    deprecated: Mapping[str, str]  # version -> why

    def allowed(self) -> tuple[str, ...]:
        return self.supported + tuple(self.deprecated)

    def latest(self) -> str:
        return max(self.supported, key=lambda v: parse_version(v) or semver.Version(0))

    def next_minor(self, version: str) -> str | None:
        """The newest allowed version of the next minor above `version` (KKP lets a CNI move
        one minor at a time): Cilium 1.15.16 -> 1.16.9 at KKP v2.31.0."""
        now = parse_version(version)
        if now is None:
            return None
        above = [
            (parsed, v)
            for v in self.allowed()
            if (parsed := parse_version(v)) is not None
            and parsed.major == now.major
            and parsed.minor == now.minor + 1
        ]
        return max(above)[1] if above else None


@dataclass(frozen=True, slots=True)
class PatchFacts:
    """What one KKP patch release (`v2.20.9`) renders and accepts, read from its source."""

    kubernetes_default: str
    kubernetes_versions: tuple[str, ...]
    accessible_addons: tuple[str, ...]
    allowed_transitions: tuple[AllowedTransition, ...]
    component_images: Mapping[str, str]
    cni_images: Mapping[str, Mapping[str, Mapping[str, str]]]  # cni -> version -> images
    capabilities: frozenset[str] = frozenset()  # what templates branch on (tools/kkp_facts.py)
    # v2.21 and later (None: the catalog's values hold, as for v2.17-v2.20).
    network: NetworkDefaults | None = None
    forced_upgrades: tuple[ForcedUpgrade, ...] | None = None
    # konnectivity.NetworkProxyVersion: Kubernetes minor ("1.33") or "default" -> version.
    konnectivity_versions: Mapping[str, str] = field(default_factory=dict)
    # Cilium >= 1.13 (a Helm ApplicationInstallation): CNI version -> chart version.
    cilium_charts: Mapping[str, str] = field(default_factory=dict)
    # The Cluster fields the release's CRD has ("spec", "clusterNetwork", "cloud" -> JSON
    # names); v2.19+ (kubermatic.k8c.io/v1), empty before.
    cluster_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Whole facts (v2.21+: no minor entry in catalog.yaml): no image, default or reason is
    # taken from catalog.yaml's v2.20-era values.
    whole: bool = False

    def network_proxy_version(self, kubernetes_version: str) -> str:
        """The apiserver-network-proxy tag KKP runs with this Kubernetes version."""
        minor = ".".join(kubernetes_version.removeprefix("v").split(".")[:2])
        return self.konnectivity_versions.get(minor) or self.konnectivity_versions.get(
            "default", ""
        )


@dataclass(frozen=True, slots=True)
class KKPRelease:
    version: str  # "v2.20", or "v2.20.9" when a patch is pinned
    default_cni: str
    cni: Mapping[str, CNISupport]
    konnectivity: bool = True  # KKP v2.18 introduced the KonnectivityService feature gate
    component_images: Mapping[str, str] = field(default_factory=dict)  # overrides
    patch: PatchFacts | None = None  # None: the minor's catalog entry, no patch pinned

    @property
    def cni_plugin_immutable(self) -> bool:
        """A pinned KKP v2.17/v2.18 patch (no validateCNIUpdate): its cluster webhook keeps a
        set spec.cniPlugin immutable and forces no upgrade on it; only an unset cniPlugin is
        filled, with Kubernetes >= 1.22 (mutateUpdate). A minor alone keeps the seed's rules."""
        return self.patch is not None and "cni_update_validated" not in self.patch.capabilities


@dataclass(frozen=True, slots=True)
class NetworkDefaults:
    proxy_mode: str
    pods_cidr_blocks: tuple[str, ...]
    services_cidr_blocks: tuple[str, ...]
    kubevirt_pods_cidr_blocks: tuple[str, ...]
    kubevirt_services_cidr_blocks: tuple[str, ...]
    dns_domain: str
    node_local_dns_cache_enabled: bool
    konnectivity_enabled: bool
    # KKP v2.21+ (resources.go): the IPv6 ranges of a dual-stack cluster, node mask sizes and
    # the Tunneling agent's address; empty/0 where the release has none.
    pods_cidr_ipv6: str = ""
    services_cidr_ipv6: str = ""
    node_cidr_mask_size_ipv4: int = 0
    node_cidr_mask_size_ipv6: int = 0
    tunneling_agent_ip: str = ""
    # GetDefaultProxyMode (v2.30+): nftables from this Kubernetes minor ("" never), and
    # whether Hetzner keeps iptables whatever the version (v2.31.0) or not (v2.30.x).
    nftables_from_kubernetes: str = ""
    hetzner_iptables_always: bool = True


@dataclass(frozen=True, slots=True)
class ForcedUpgrade:
    cni: str
    kubernetes: str  # constraint on the cluster's Kubernetes version
    from_version: str  # constraint on the CNI version
    to: str  # a version, or "latest"
    reason: str


@dataclass(frozen=True, slots=True)
class AllowedTransition:
    """A CNI version change allowed beyond the one-minor rule (KKP allowedCNIVersionTransitions)."""

    cni: str
    kubernetes: str
    from_version: str
    to_version: str


@dataclass(frozen=True, slots=True)
class CNIVersionFacts:
    capabilities: frozenset[str]
    images: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Catalog:
    default_kkp_version: str
    releases: Mapping[str, KKPRelease]
    network: NetworkDefaults
    allowed_dns_domains: tuple[str, ...]
    forced_upgrades: tuple[ForcedUpgrade, ...]
    allowed_transitions: tuple[AllowedTransition, ...]
    cni_versions: Mapping[str, Mapping[str, CNIVersionFacts]]
    component_images: Mapping[str, str]
    patches: Mapping[str, KKPRelease] = field(default_factory=dict)  # "v2.20.9" -> release
    # capability -> constraint on the Kubernetes version (catalog.yaml kubernetesCapabilities)
    kubernetes_capabilities: Mapping[str, str] = field(default_factory=dict)

    def release(self, kkp_version: str) -> KKPRelease | None:
        """`v2.20.9` is exactly that patch; `v2.20` is the minor's entry (see catalog.yaml).
        From v2.21 only patches are known: a bare `v2.31` would move with every recorded
        patch, so it is refused (the error names the patches)."""
        minor = kkp_minor(kkp_version)
        if minor is None or not KKP_VERSION_FORM.fullmatch(kkp_version):
            return None
        patch = kkp_version.strip()
        if patch.count(".") == 2:  # vMAJOR.MINOR.PATCH
            patch = patch if patch.startswith("v") else f"v{patch}"
            if any(known.startswith(f"{minor}.") for known in self.patches):
                return self.patches.get(patch)  # a patch kkpgen has no facts for is unknown
        return self.releases.get(minor)

    def listed_releases(self) -> tuple[KKPRelease, ...]:
        """What `kkpgen versions` lists: each minor's entry (v2.17-v2.20) and, for the lines
        known only by their patches (v2.21+), the newest patch of each."""
        minors = {kkp_minor(v) for v in self.patches} - set(self.releases)
        newest = (self.newest_patch(m) for m in sorted(m for m in minors if m))
        return (*self.releases.values(), *(self.patches[v] for v in newest if v))

    def newest_patch(self, minor: str | None = None) -> str | None:
        """The newest patch kkpgen has facts for (of `minor`, or of all)."""
        known = [v for v in self.patches if minor is None or kkp_minor(v) == minor]
        return max(known, key=lambda v: parse_version(v) or semver.Version(0)) if known else None

    def cluster_fields(self, release: KKPRelease) -> Mapping[str, frozenset[str]]:
        """The Cluster fields the release's CRD has; a minor alone (v2.20) is its .0 patch."""
        patch = release.patch or next(
            (p.patch for v, p in self.patches.items() if v == f"{release.version}.0"), None
        )
        return {} if patch is None else patch.cluster_fields

    def network_for(self, release: KKPRelease) -> NetworkDefaults:
        patch = release.patch
        return patch.network if patch is not None and patch.network is not None else self.network

    def forced_upgrades_for(self, release: KKPRelease) -> tuple[ForcedUpgrade, ...]:
        patch = release.patch
        if patch is not None and patch.forced_upgrades is not None:
            return patch.forced_upgrades
        return self.forced_upgrades

    def default_accessible_addons(self, release: KKPRelease) -> tuple[str, ...]:
        """KKP's DefaultAccessibleAddons, used when KubermaticConfiguration lists none."""
        facts = release.patch or next(
            (p.patch for v, p in self.patches.items() if kkp_minor(v) == release.version), None
        )
        return () if facts is None else facts.accessible_addons

    def transitions_for(self, release: KKPRelease) -> tuple[AllowedTransition, ...]:
        return (
            self.allowed_transitions if release.patch is None else release.patch.allowed_transitions
        )

    def images_for(
        self, *, release: KKPRelease | None, cni: str, cni_version: str, kubernetes_version: str
    ) -> dict[str, str]:
        patch = release.patch if release else None
        shared: dict[str, str] = {}
        if patch is None or not patch.whole:  # v2.21+ patches: KKP's references only
            shared = {**self.component_images, **(release.component_images if release else {})}
            facts = self.cni_versions.get(cni, {}).get(cni_version)
            if facts is not None:
                shared.update(facts.images)
        proxy = ""
        if patch is not None:  # a pinned patch: KKP's own references win
            shared.update(patch.component_images)
            shared.update(patch.cni_images.get(cni, {}).get(cni_version, {}))
            proxy = patch.network_proxy_version(kubernetes_version)
        return {
            name: ref.replace("{kubernetes_version}", kubernetes_version).replace(
                "{network_proxy_version}", proxy
            )
            for name, ref in shared.items()
        }

    def kubernetes_capabilities_of(self, kubernetes_version: str) -> frozenset[str]:
        """What this Kubernetes version serves differently; none for one that is not a version
        (the rules report it)."""
        if parse_version(kubernetes_version) is None:
            return frozenset()
        return frozenset(
            name
            for name, constraint in self.kubernetes_capabilities.items()
            if satisfies(kubernetes_version, constraint)
        )

    def capabilities(self, cni: str, cni_version: str) -> frozenset[str]:
        facts = self.cni_versions.get(cni, {}).get(cni_version)
        return frozenset() if facts is None else facts.capabilities


def _release(version: str, raw: Mapping[str, object]) -> KKPRelease:
    cni_raw = raw["cni"]
    assert isinstance(cni_raw, dict)  # noqa: S101  shape of our own data file
    cni = {
        name: CNISupport(
            default=str(entry["default"]),
            supported=tuple(str(v) for v in entry["supported"]),
            deprecated={str(k): str(v) for k, v in (entry.get("deprecated") or {}).items()},
        )
        for name, entry in cni_raw.items()
    }
    cni["none"] = CNISupport(default="", supported=("",), deprecated={})
    overrides = raw.get("componentImages") or {}
    assert isinstance(overrides, dict)  # noqa: S101  shape of our own data file
    return KKPRelease(
        version,
        str(raw["defaultCni"]),
        cni,
        konnectivity=bool(raw.get("konnectivity", True)),
        component_images={str(k): str(v) for k, v in overrides.items()},
    )


def _strings(value: object) -> tuple[str, ...]:
    assert isinstance(value, list)  # noqa: S101  shape of our own data file
    return tuple(str(item) for item in value)


def _network(raw: Mapping[str, object]) -> NetworkDefaults:
    kubevirt = raw["kubevirt"]
    assert isinstance(kubevirt, dict)  # noqa: S101  shape of our own data file
    return NetworkDefaults(
        proxy_mode=str(raw["proxyMode"]),
        pods_cidr_blocks=_strings(raw["podsCidrBlocks"]),
        services_cidr_blocks=_strings(raw["servicesCidrBlocks"]),
        kubevirt_pods_cidr_blocks=tuple(kubevirt["podsCidrBlocks"]),
        kubevirt_services_cidr_blocks=tuple(kubevirt["servicesCidrBlocks"]),
        dns_domain=str(raw["dnsDomain"]),
        node_local_dns_cache_enabled=bool(raw["nodeLocalDnsCacheEnabled"]),
        konnectivity_enabled=bool(raw["konnectivityEnabled"]),
    )


def _transitions(raw: object) -> tuple[AllowedTransition, ...]:
    assert isinstance(raw, list)  # noqa: S101  shape of our own data file
    return tuple(AllowedTransition(t["cni"], t["kubernetes"], t["from"], t["to"]) for t in raw)


# Reasons KKP's source states in prose rather than in a comment beside the version.
_KNOWN_REASONS = {
    ("canal", "v3.8"): "uses v1beta1 CRDs that Kubernetes 1.22 removed",
    ("cilium", "v1.11"): "a KKP addon; Cilium 1.13 and newer are Helm charts KKP installs",
    ("cilium", "v1.12"): "a KKP addon; Cilium 1.13 and newer are Helm charts KKP installs",
}


def _deprecation_reason(
    version: str, cni: str, entry: Mapping[str, object], minor: KKPRelease | None
) -> dict[str, str]:
    """Why each deprecated version is deprecated: KKP's own comment (its CVEs, v2.22+), else
    the minor's catalog entry, else the patch that deprecated it."""
    written = entry.get("deprecatedReasons") or {}
    assert isinstance(written, dict)  # noqa: S101  shape of our own data file
    known = minor.cni[cni].deprecated if minor is not None and cni in minor.cni else {}
    return {
        str(v): str(
            written.get(v)
            or known.get(v)
            or _KNOWN_REASONS.get((cni, v))
            or f"KKP {version} no longer offers it"
        )
        for v in _strings(entry["deprecated"])
    }


def _patch_network(raw: object, base: NetworkDefaults) -> NetworkDefaults | None:
    if not isinstance(raw, dict):
        return None
    return replace(
        base,
        pods_cidr_blocks=(str(raw["podsCidrIPv4"]),),
        services_cidr_blocks=(str(raw["servicesCidrIPv4"]),),
        kubevirt_pods_cidr_blocks=(str(raw["kubevirtPodsCidrIPv4"]),),
        kubevirt_services_cidr_blocks=(str(raw["kubevirtServicesCidrIPv4"]),),
        pods_cidr_ipv6=str(raw["podsCidrIPv6"]),
        services_cidr_ipv6=str(raw["servicesCidrIPv6"]),
        node_cidr_mask_size_ipv4=int(raw["nodeCidrMaskSizeIPv4"]),
        node_cidr_mask_size_ipv6=int(raw["nodeCidrMaskSizeIPv6"]),
        tunneling_agent_ip=str(raw.get("tunnelingAgentIP", "")),
        nftables_from_kubernetes=str(raw.get("nftablesFromKubernetes", "")),
        hetzner_iptables_always=bool(raw.get("hetznerIptablesAlways", True)),
    )


def _forced(raw: object) -> tuple[ForcedUpgrade, ...] | None:
    if not isinstance(raw, list):
        return None
    return tuple(
        ForcedUpgrade(f["cni"], f["kubernetes"], f["from"], str(f["to"]), f["reason"]) for f in raw
    )


def _patch_facts(raw: Mapping[str, Any], network: NetworkDefaults, *, whole: bool) -> PatchFacts:
    cni_raw, kubernetes = raw["cni"], raw["kubernetes"]
    return PatchFacts(
        kubernetes_default=str(kubernetes["default"]),
        kubernetes_versions=_strings(kubernetes["versions"]),
        accessible_addons=_strings(raw["accessibleAddons"]),
        allowed_transitions=_transitions(raw["allowedTransitions"]),
        component_images={str(k): str(v) for k, v in dict(raw["componentImages"]).items()},
        cni_images={name: dict(entry["images"]) for name, entry in cni_raw.items()},
        capabilities=frozenset(_strings(raw.get("capabilities") or [])),
        network=_patch_network(raw.get("networkDefaults"), network),
        forced_upgrades=_forced(raw.get("forcedUpgrades")),
        konnectivity_versions={
            str(k): str(v) for k, v in (raw.get("konnectivityVersions") or {}).items()
        },
        cilium_charts={str(k): str(v) for k, v in (raw.get("ciliumCharts") or {}).items()},
        cluster_fields={
            str(k): frozenset(_strings(v)) for k, v in (raw.get("clusterFields") or {}).items()
        },
        whole=whole,
    )


def _patch(
    version: str, raw: Mapping[str, Any], minor: KKPRelease | None, network: NetworkDefaults
) -> KKPRelease:
    """A pinned patch: the CNI matrix, rules and images KKP had then. v2.17-v2.20 patches
    take the rest from their minor's entry; v2.21 and later patches are whole facts."""
    cni = {
        name: CNISupport(
            default=str(entry["default"]),
            supported=_strings(entry["supported"]),
            deprecated=_deprecation_reason(version, name, entry, minor),
        )
        for name, entry in raw["cni"].items()
    }
    cni["none"] = CNISupport(default="", supported=("",), deprecated={})
    facts = _patch_facts(raw, network, whole=minor is None)
    return KKPRelease(
        version,
        minor.default_cni if minor is not None else str(raw.get("defaultCni", "canal")),
        cni,
        konnectivity=minor.konnectivity if minor is not None else True,
        component_images=minor.component_images if minor is not None else {},
        patch=facts,
    )


def parse_patches(
    text: str, releases: Mapping[str, KKPRelease], network: NetworkDefaults
) -> dict[str, KKPRelease]:
    raw = load_data(text)
    patches: dict[str, KKPRelease] = {}
    for version, facts in (raw.get("patches") or {}).items():
        minor = releases.get(kkp_minor(str(version)) or "")
        patches[str(version)] = _patch(str(version), facts, minor, network)
    return patches


def parse_catalog(text: str, patches_text: str = "") -> Catalog:
    raw = load_data(text)
    releases = {str(v): _release(str(v), r) for v, r in raw["kkpVersions"].items()}
    network = _network(raw["networkDefaults"])
    return Catalog(
        default_kkp_version=str(raw["defaultKkpVersion"]),
        releases=releases,
        network=network,
        allowed_dns_domains=tuple(raw["allowedDnsDomains"]),
        forced_upgrades=tuple(
            ForcedUpgrade(f["cni"], f["kubernetes"], f["from"], str(f["to"]), f["reason"])
            for f in raw["forcedUpgrades"]
        ),
        allowed_transitions=_transitions(raw.get("allowedTransitions") or []),
        cni_versions={
            cni: {
                str(version): CNIVersionFacts(
                    frozenset(facts.get("capabilities") or ()), dict(facts.get("images") or {})
                )
                for version, facts in versions.items()
            }
            for cni, versions in raw["cniVersions"].items()
        },
        component_images={str(k): str(v) for k, v in (raw["componentImages"] or {}).items()},
        patches=parse_patches(patches_text, releases, network) if patches_text else {},
        kubernetes_capabilities={
            str(k): str(v) for k, v in (raw.get("kubernetesCapabilities") or {}).items()
        },
    )


# This module's source as it was imported: the kept catalog's key must name the code that
# built it (read at call time, a process started before an edit keyed old values as new).
_THIS_MODULE = Path(__file__).read_bytes()


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped with kkpgen (read once per process; it is immutable).

    Parsing it took 0.1 s of every command (an Argo CD plugin call among them): the parsed
    catalog is kept between runs, under its data, this module and semver's version."""
    data = resources.files("kkpgen.kkp")
    catalog = data.joinpath(CATALOG_RESOURCE).read_text(encoding="utf-8")
    patches = data.joinpath(PATCHES_RESOURCE).read_text(encoding="utf-8")
    inputs = [catalog.encode(), patches.encode(), _THIS_MODULE]
    inputs.append(semver.__version__.encode())
    return kept("catalog", inputs, lambda: parse_catalog(catalog, patches), types=_CATALOG_TYPES)


# What a kept catalog is made of: the cache constructs these and plain values, nothing else.
_CATALOG_TYPES = (
    Catalog,
    KKPRelease,
    CNISupport,
    PatchFacts,
    NetworkDefaults,
    ForcedUpgrade,
    AllowedTransition,
    CNIVersionFacts,
)
