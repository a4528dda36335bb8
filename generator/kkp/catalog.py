"""The catalog: KKP's CNI version matrix, defaults, forced upgrades and images, loaded from data."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

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

    def release(self, kkp_version: str) -> KKPRelease | None:
        """`v2.20.9` is exactly that patch; `v2.20` is the minor's entry (see catalog.yaml)."""
        minor = kkp_minor(kkp_version)
        if minor is None or not KKP_VERSION_FORM.fullmatch(kkp_version):
            return None
        patch = kkp_version.strip()
        if patch.count(".") == 2:  # vMAJOR.MINOR.PATCH
            patch = patch if patch.startswith("v") else f"v{patch}"
            if any(known.startswith(f"{minor}.") for known in self.patches):
                return self.patches.get(patch)  # a patch kkpgen has no facts for is unknown
        return self.releases.get(minor)

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
        shared = {**self.component_images, **(release.component_images if release else {})}
        facts = self.cni_versions.get(cni, {}).get(cni_version)
        if facts is not None:
            shared.update(facts.images)
        patch = release.patch if release else None
        if patch is not None:  # a pinned patch: KKP's own references win
            shared.update(patch.component_images)
            shared.update(patch.cni_images.get(cni, {}).get(cni_version, {}))
        return {
            name: ref.replace("{kubernetes_version}", kubernetes_version)
            for name, ref in shared.items()
        }

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


def _patch(version: str, raw: Mapping[str, object], minor: KKPRelease) -> KKPRelease:
    """A pinned patch: the minor's entry with the CNI matrix, rules and images KKP had then."""
    cni_raw, kubernetes = raw["cni"], raw["kubernetes"]
    assert isinstance(cni_raw, dict)  # noqa: S101  shape of our own data file
    assert isinstance(kubernetes, dict)  # noqa: S101  shape of our own data file
    cni = {
        name: CNISupport(
            default=str(entry["default"]),
            supported=tuple(entry["supported"]),
            deprecated={
                str(v): minor.cni[name].deprecated.get(v, f"deprecated in KKP {version}")
                if name in minor.cni
                else f"deprecated in KKP {version}"
                for v in entry["deprecated"]
            },
        )
        for name, entry in cni_raw.items()
    }
    cni["none"] = CNISupport(default="", supported=("",), deprecated={})
    facts = PatchFacts(
        kubernetes_default=str(kubernetes["default"]),
        kubernetes_versions=_strings(kubernetes["versions"]),
        accessible_addons=_strings(raw["accessibleAddons"]),
        allowed_transitions=_transitions(raw["allowedTransitions"]),
        component_images={str(k): str(v) for k, v in dict(raw["componentImages"]).items()},  # type: ignore[call-overload]
        cni_images={name: dict(entry["images"]) for name, entry in cni_raw.items()},
        capabilities=frozenset(_strings(raw.get("capabilities") or [])),
    )
    return KKPRelease(
        version,
        minor.default_cni,
        cni,
        konnectivity=minor.konnectivity,
        component_images=minor.component_images,
        patch=facts,
    )


def parse_patches(text: str, releases: Mapping[str, KKPRelease]) -> dict[str, KKPRelease]:
    raw = load_data(text)
    patches: dict[str, KKPRelease] = {}
    for version, facts in (raw.get("patches") or {}).items():
        minor = releases.get(kkp_minor(str(version)) or "")
        if minor is not None:
            patches[str(version)] = _patch(str(version), facts, minor)
    return patches


def parse_catalog(text: str, patches_text: str = "") -> Catalog:
    raw = load_data(text)
    releases = {str(v): _release(str(v), r) for v, r in raw["kkpVersions"].items()}
    return Catalog(
        default_kkp_version=str(raw["defaultKkpVersion"]),
        releases=releases,
        network=_network(raw["networkDefaults"]),
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
        patches=parse_patches(patches_text, releases) if patches_text else {},
    )


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped with kkpgen (read once per process; it is immutable).

    Parsing it took 0.1 s of every command (an Argo CD plugin call among them): the parsed
    catalog is kept between runs, under its data, this module and semver's version."""
    data = resources.files("kkpgen.kkp")
    catalog = data.joinpath(CATALOG_RESOURCE).read_text(encoding="utf-8")
    patches = data.joinpath(PATCHES_RESOURCE).read_text(encoding="utf-8")
    inputs = [catalog.encode(), patches.encode(), Path(__file__).read_bytes()]
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
