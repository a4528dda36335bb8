"""One-state rules: what KKP's validation accepts for a single cluster (seed + pkg/validation).

Each rule declares its codes (`@rule`) and is listed in RULES, which registry.py runs."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import netaddr

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import CNISupport, parse_version
from kkpgen.kkp.subject import Code, Rule, RuleContext, Subject, rule

KONNECTIVITY_GATE = "KonnectivityService"
HUBBLE_ADDON = "hubble"
_NET = ("spec", "clusterNetwork")
_CNI = ("spec", "cniPlugin")
# fullmatch only: `$` matches before a trailing newline ("cluster.local\n" would pass)
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _versions(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "(none)"


# A Kubernetes release: three numbers, ASCII digits, no leading zeros, nothing after (a
# suffix such as "-a: b" or a trailing newline would be written raw into manifests).
_KUBERNETES_VERSION = re.compile(r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


@rule(
    Code(
        "cluster.version.invalid",
        "error",
        "spec.version",
        "write the full Kubernetes version, quoted",
    ),
)
def kubernetes_version_is_semver(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """KKP: "version is required" and must parse as a semantic version."""
    version = subject.loaded.cluster.spec.version
    if not _KUBERNETES_VERSION.fullmatch(version) or parse_version(version) is None:
        yield Violation(
            "cluster.version.invalid",
            ("spec", "version"),
            f"Kubernetes version {version!r} is not a version like 1.23.5",
            'write the full version, quoted: "1.23.5"',
        )


@rule(
    Code(
        "cni.type.unsupported", "error", "spec.cniPlugin.type", "use a CNI the KKP release supports"
    ),
)
def cni_type_supported(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """Seed: the CNI types KKP supports depend on the KKP version (Cilium from v2.19)."""
    cni = subject.resolved.cni.type
    if cni not in ctx.release.cni:
        yield Violation(
            "cni.type.unsupported",
            (*_CNI, "type"),
            f"CNI {cni!r} is not supported by KKP {ctx.release.version}",
            f"use one of: {', '.join(sorted(ctx.release.cni))}",
        )


@rule(
    Code(
        "cni.version.unsupported",
        "error",
        "spec.cniPlugin.version",
        "use a supported version, or remove the field to get the default",
    ),
    Code(
        "cni.version.deprecated",
        "error",
        "spec.cniPlugin.version",
        "a new cluster takes a supported version",
    ),
    Code(
        "cni.version.deprecated",
        "warning",
        "spec.cniPlugin.version",
        "upgrade soon; a new cluster takes a supported version",
    ),
)
def cni_version_supported(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """Seed: "Available CNI versions depend on the KKP version"; deprecated: existing only."""
    resolved = subject.resolved
    support = ctx.release.cni.get(resolved.cni.type)
    if support is None or resolved.cni.type == "none":
        return
    version = resolved.cni.forced_from or resolved.cni.version
    if resolved.cni.unspecified:
        return  # cni_unspecified says it once
    label = f"{resolved.cni.type.capitalize()} {version!r}"
    if version not in support.allowed():
        yield Violation(
            "cni.version.unsupported",
            (*_CNI, "version"),
            f"{label} is not supported by KKP {ctx.release.version}",
            f"use one of {_versions(support.supported)}, or remove the field to get "
            f"the default {support.default}",
        )
    elif version in support.deprecated:
        yield _deprecated(label, version, support, new=resolved.is_new, ctx=ctx)


def _deprecated(
    label: str, version: str, support: CNISupport, *, new: bool, ctx: RuleContext
) -> Violation:
    """A new cluster may not take a deprecated version (seed, v2.17-v2.20); from v2.21 kkpgen
    follows KKP's source, whose webhook accepts it (GetAllowedCNIPluginVersions validates new
    clusters too) and whose dashboard only stops offering it."""
    reason = support.deprecated[version]
    field = (*_CNI, "version")
    patch = ctx.release.patch
    if new and (patch is None or not patch.whole):
        return Violation(
            "cni.version.deprecated",
            field,
            f"{label} is deprecated and cannot be used for new clusters ({reason})",
            f"use one of {_versions(support.supported)}",
        )
    if new:
        return Violation(
            "cni.version.deprecated",
            field,
            f"{label} is deprecated ({reason}); KKP's webhook still accepts it for a new cluster",
            f"use one of {_versions(support.supported)} for a new cluster",
            severity="warning",
        )
    return Violation(
        "cni.version.deprecated",
        field,
        f"{label} is deprecated ({reason})",
        _deprecated_hint(support, version, ctx),
        severity="warning",
    )


def _deprecated_hint(support: CNISupport, version: str, ctx: RuleContext) -> str:
    """Up to v2.20.4 (and for a minor alone) any upgrade may leave a deprecated version; a
    pinned patch without cni_upgrade_from_deprecated moves one minor at a time."""
    patch = ctx.release.patch
    step = support.next_minor(version)
    if patch is None or "cni_upgrade_from_deprecated" in patch.capabilities or step is None:
        return (
            f"upgrade to {support.latest()} soon; any higher version is allowed "
            "from a deprecated one"
        )
    return (
        f'upgrade one minor at a time towards {support.latest()}: next cniPlugin.version: "{step}"'
    )


@rule(
    Code(
        "cni.version.forced-upgrade",
        "warning",
        "spec.cniPlugin.version",
        "set the version KKP upgrades to, so the spec says what runs",
    ),
)
def cni_forced_upgrade(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """Seed: Forced CNI Upgrade together with the Kubernetes upgrade."""
    cni = subject.resolved.cni
    if cni.forced_from is not None and not cni.unspecified:
        yield Violation(
            "cni.version.forced-upgrade",
            (*_CNI, "version"),
            f"KKP upgrades {cni.type.capitalize()} {cni.forced_from} to {cni.version} "
            f"with Kubernetes {subject.resolved.kubernetes_version}; kkpgen renders "
            f"{cni.version}",
            f'set spec.cniPlugin.version: "{cni.version}" so the spec says what runs',
            severity="warning",
        )


@rule(
    Code(
        "cni.unspecified",
        "warning",
        "spec",
        "add spec.cniPlugin with the type and version that run",
    ),
)
def cni_unspecified(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """KKP's migration makes an existing cluster without cniPlugin Canal v3.8
    (cni.CanalCNILastUnspecifiedVersion); mutateUpdate then forces the upgrade. A release
    without Canal v3.8 (v2.26+) defaults it like a new cluster (DefaultClusterSpec)."""
    cni = subject.resolved.cni
    if not cni.unspecified:
        return
    name = cni.type.capitalize()
    if cni.forced_from is not None:
        kubernetes = subject.resolved.kubernetes_version
        runs = f"and upgrades it to {cni.version} with Kubernetes {kubernetes}"
    else:
        runs = "(deprecated)" if cni.deprecated else "(the release's default)"
    yield Violation(
        "cni.unspecified",
        ("spec",),
        f"spec.cniPlugin is not set: KKP treats this existing cluster as {name} "
        f"{cni.forced_from or cni.version} {runs}; kkpgen renders {name} {cni.version}",
        f'add under spec: cniPlugin: {{type: {cni.type}, version: "{cni.version}"}} '
        "(a new cluster without it would get the release default instead)",
        severity="warning",
    )


@rule(
    Code("cni.none", "notice", "spec.cniPlugin.type", "install a CNI yourself"),
)
def cni_none_notice(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """Seed: "None" CNI installs nothing; the cluster admin must install one."""
    if subject.resolved.cni.type == "none":
        yield Violation(
            "cni.none",
            (*_CNI, "type"),
            "CNI 'none': kkpgen renders no CNI and the cluster will not work until "
            "the admin installs one",
            "install a CNI yourself (Helm or a custom addon)",
            severity="notice",
        )


@rule(
    Code(
        "network.proxy-mode.ebpf-requires-cilium",
        "error",
        "spec.clusterNetwork.proxyMode",
        "use ipvs or iptables, or the cilium CNI",
    ),
    Code(
        "network.proxy-mode.ebpf-requires-konnectivity",
        "error",
        "spec.clusterNetwork.proxyMode",
        "enable Konnectivity, or use ipvs or iptables",
    ),
)
def ebpf_needs_cilium_and_konnectivity(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """Seed: ebpf "is available only if Cilium CNI is selected and Konnectivity is enabled";
    from KKP v2.26 only Canal is refused (CNI none may bring its own kube-proxy replacement)."""
    network = subject.resolved.network
    if network.proxy_mode != "ebpf":
        return
    patch = ctx.release.patch
    refused = (
        ("canal",)
        if patch is not None and "ebpf_with_cni_none" in patch.capabilities
        else ("canal", "none")
    )
    if subject.resolved.cni.type in refused:
        yield Violation(
            "network.proxy-mode.ebpf-requires-cilium",
            (*_NET, "proxyMode"),
            f"ebpf proxy mode is valid only for Cilium CNI, not {subject.resolved.cni.type!r}",
            "use proxyMode ipvs or iptables, or the cilium CNI"
            + ("" if "none" in refused else " (or none)"),
        )
    if not network.konnectivity_enabled:
        yield Violation(
            "network.proxy-mode.ebpf-requires-konnectivity",
            (*_NET, "proxyMode"),
            "ebpf proxy mode can be used only when Konnectivity is enabled",
            "set spec.clusterNetwork.konnectivityEnabled: true, or use ipvs/iptables",
        )


@rule(
    Code(
        "network.konnectivity.unsupported",
        "error",
        "spec.clusterNetwork.konnectivityEnabled",
        "use OpenVPN, or upgrade KKP to v2.18 or newer",
    ),
)
def konnectivity_exists_in_the_release(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.17 has no Konnectivity (the KonnectivityService gate arrived in v2.18)."""
    if subject.resolved.network.konnectivity_enabled and not ctx.release.konnectivity:
        yield Violation(
            "network.konnectivity.unsupported",
            (*_NET, "konnectivityEnabled"),
            f"KKP {ctx.release.version} has no Konnectivity",
            "set konnectivityEnabled: false (OpenVPN), or upgrade KKP to v2.18 or newer",
        )


@rule(
    Code(
        "network.konnectivity.feature-gate",
        "error",
        "spec.clusterNetwork.konnectivityEnabled",
        "enable the KonnectivityService feature gate in kubermatic.yaml, or keep OpenVPN",
    ),
)
def konnectivity_needs_feature_gate(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """Seed: Konnectivity "Requires KonnectivityService feature gate" in KKP's configuration;
    the gate is gone from KKP v2.22 (a pinned patch says whether it has it)."""
    patch = ctx.release.patch
    gated = patch is None or "konnectivity_feature_gate" in patch.capabilities
    if (
        gated
        and subject.resolved.network.konnectivity_enabled
        and not ctx.config.feature_enabled(KONNECTIVITY_GATE)
    ):
        yield Violation(
            "network.konnectivity.feature-gate",
            (*_NET, "konnectivityEnabled"),
            "Konnectivity is enabled but the KonnectivityService feature gate is not",
            "set spec.featureGates.KonnectivityService: true in kubermatic.yaml, "
            "or konnectivityEnabled: false to keep OpenVPN",
        )


# Which family a CIDR block must have: KKP v2.17-v2.20 know IPv4 only; from v2.21 the first
# block is IPv4 and a second one (dual stack) IPv6.
_IPV4_ONLY, _FIRST, _SECOND = "ipv4-only", "first", "second"


@functools.lru_cache(maxsize=4096)  # a fleet repeats a few ranges thousands of times
def _cidr_problem(text: str, slot: str = _IPV4_ONLY) -> str | None:
    try:
        network = netaddr.IPNetwork(text)
    except (netaddr.AddrFormatError, ValueError, TypeError) as error:
        return f"not a CIDR: {error}"
    if "/" not in text:
        return "a CIDR needs a prefix length, e.g. 10.0.0.0/16"
    family = _family_problem(text, network, slot)
    if family is not None or network.version == 6:
        return family
    problem = _form_problem(text, network)
    if problem:
        return problem
    if network.ip != network.network:
        return f"host bits set; the network is {network.cidr}"
    return None


def _family_problem(text: str, network: netaddr.IPNetwork, slot: str) -> str | None:
    if slot == _SECOND:
        if network.version != 6:
            return "the second block of a dual-stack cluster must be IPv6"
        return _ipv6_problem(text, network)
    if network.version != 4:
        return (
            "IPv6 is not supported by KKP v2.17-v2.20"
            if slot == _IPV4_ONLY
            else "the first block must be IPv4 (KKP has IPv4 and dual stack, not IPv6 only)"
        )
    return None


def _ipv6_problem(text: str, network: netaddr.IPNetwork) -> str | None:
    if text.strip() != text or not text.isascii() or any(c.isspace() for c in text):
        return "write it as an IPv6 network such as fd01::/48: no spaces"
    if network.ip != network.network:
        return f"host bits set; the network is {network.cidr}"
    return None


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_CIDR = re.compile(rf"{_OCTET}(\.{_OCTET}){{3}}/(3[0-2]|[12]?[0-9])")
# Ranges a pod or service address can never take: "this network", loopback, link-local
# (NodeLocal DNS listens on 169.254.20.10), multicast and the reserved class E.
_RESERVED = tuple(
    netaddr.IPNetwork(r)
    for r in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4")
)
_MAX_POD_PREFIX = 24  # KKP gives each node a /24 of the pods range


def _form_problem(text: str, network: netaddr.IPNetwork) -> str | None:
    if not _IPV4_CIDR.fullmatch(text):  # netaddr also takes netmasks, spaces, a newline
        return "write it as a.b.c.d/n: ASCII digits, a prefix length, no spaces or netmask"
    reserved = next((r for r in _RESERVED if network in r or r in network), None)
    if reserved is not None:
        return f"overlaps {reserved}, which is reserved (loopback, link-local, multicast)"
    return None


@functools.lru_cache(maxsize=4096)
def _cidr_range(text: str) -> tuple[int, int]:
    network = netaddr.IPNetwork(text)
    return network.first, network.last


def _too_small(name: str, block: str, node_mask: int | None = _MAX_POD_PREFIX) -> str | None:
    # kube-dns takes the 10th address of the services range (KKP UserClusterDNSResolverIP);
    # a smaller range rendered an empty DNS address into the manifests. `node_mask` None:
    # the release checks the node mask size itself (node_mask_longer_than_the_pods_prefix).
    if name != "services":
        prefix = int(block.rpartition("/")[2])
        if node_mask is not None and ":" not in block and prefix > node_mask:
            size = f"/{node_mask}"
            return f"too small: each node takes a {size}; use a {size} or larger"
        return None
    first, last = _cidr_range(block)
    if last - first + 1 <= 10:
        return "too small: kube-dns takes its 10th address; use a /28 or larger"
    return None


def _slots(blocks: tuple[str, ...], *, dual_stack_release: bool) -> tuple[str, ...]:
    if not dual_stack_release:
        return (_IPV4_ONLY,) * len(blocks)
    return (_FIRST, _SECOND, *(_SECOND,) * max(0, len(blocks) - 2))[: len(blocks)]


@rule(
    Code(
        "network.cidr.too-many",
        "error",
        "spec.clusterNetwork.*.cidrBlocks",
        "keep one CIDR block (one per IP family for dual stack)",
    ),
    Code(
        "network.cidr.invalid",
        "error",
        "spec.clusterNetwork.*.cidrBlocks[*]",
        "write an IPv4 network such as 172.25.0.0/16 (IPv6 fd01::/48 second)",
    ),
)
def cidrs_valid(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP ValidateClusterNetworkConfig: one well-formed CIDR each for pods and services, or
    (v2.21+) an IPv4 and an IPv6 one for a dual-stack cluster."""
    network = subject.resolved.network
    dual = ctx.release.patch is not None and "dual_stack" in ctx.release.patch.capabilities
    most = 2 if dual else 1
    for name, blocks in (
        ("pods", network.pods_cidr_blocks),
        ("services", network.services_cidr_blocks),
    ):
        path = (*_NET, name, "cidrBlocks")
        if len(blocks) > most:
            yield Violation(
                "network.cidr.too-many",
                path,
                f"{len(blocks)} {name} CIDR blocks given; KKP uses exactly one"
                + (" per IP family (IPv4, then IPv6)" if dual else ""),
                "keep one IPv4 and at most one IPv6 block" if dual else "keep a single CIDR block",
            )
        mask = None if dual else _MAX_POD_PREFIX
        slots = _slots(blocks, dual_stack_release=dual)
        for index, (block, slot) in enumerate(zip(blocks, slots, strict=True)):
            problem = _cidr_problem(block, slot) or _too_small(name, block, mask)
            if problem:
                yield Violation(
                    "network.cidr.invalid",
                    (*path, index),
                    f"{name} CIDR {block!r}: {problem}",
                    "write an IPv6 network such as fd01::/48"
                    if slot == _SECOND
                    else "write an IPv4 network such as 172.25.0.0/16",
                )


@rule(
    Code(
        "network.cidr.overlap",
        "error",
        "spec.clusterNetwork.services.cidrBlocks",
        "choose disjoint pods and services ranges",
    ),
)
def cidrs_disjoint(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """Pod and service ranges must not overlap, or routing in the cluster breaks."""
    network = subject.resolved.network
    blocks = network.pods_cidr_blocks + network.services_cidr_blocks
    if any(_cidr_problem(b, _SECOND if ":" in b else _FIRST) for b in blocks):
        return
    for pods in network.pods_cidr_blocks:
        for services in network.services_cidr_blocks:
            if (":" in pods) != (":" in services):
                continue  # different families never overlap
            (pods_first, pods_last), (first, last) = _cidr_range(pods), _cidr_range(services)
            if pods_first <= last and first <= pods_last:
                yield Violation(
                    "network.cidr.overlap",
                    (*_NET, "services", "cidrBlocks"),
                    f"services CIDR {services} overlaps pods CIDR {pods}",
                    "choose disjoint ranges, e.g. pods 172.25.0.0/16 and services 10.240.16.0/20",
                )


@rule(
    Code(
        "network.dns-domain.invalid",
        "error",
        "spec.clusterNetwork.dnsDomain",
        "use lowercase labels separated by dots, e.g. cluster.local",
    ),
    Code(
        "network.dns-domain.unsupported",
        "error",
        "spec.clusterNetwork.dnsDomain",
        "use a domain the KKP release accepts, or remove the field",
    ),
)
def dns_domain_valid(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """KKP v2.17-v2.20: "dnsDomain must be 'cluster.local'"; any value must be a DNS name."""
    domain = subject.resolved.network.dns_domain
    path = (*_NET, "dnsDomain")
    if len(domain) > 253 or not _DNS_SUBDOMAIN.fullmatch(domain):
        yield Violation(
            "network.dns-domain.invalid",
            path,
            f"dnsDomain {domain!r} is not a valid DNS name",
            "use lowercase labels separated by dots, e.g. cluster.local",
        )
    elif ctx.catalog.allowed_dns_domains and domain not in ctx.catalog.allowed_dns_domains:
        yield Violation(
            "network.dns-domain.unsupported",
            path,
            f"dnsDomain {domain!r} is not accepted by KKP {ctx.release.version}",
            f"use {', '.join(ctx.catalog.allowed_dns_domains)} or remove the field",
        )


@rule(
    Code(
        "addon.hubble.requires-cilium",
        "error",
        "spec.name",
        "remove the Addon, or use the cilium CNI",
    ),
    Code(
        "addon.hubble.not-accessible",
        "error",
        "spec.name",
        "add hubble to spec.api.accessibleAddons in kubermatic.yaml",
    ),
)
def hubble_addon_allowed(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """Seed: Hubble is for Cilium clusters and must be an accessible addon of KKP."""
    for index, addon in enumerate(subject.loaded.addons):
        if addon.addon.spec.name != HUBBLE_ADDON:
            continue
        if subject.resolved.cni.type != "cilium":
            yield Violation(
                "addon.hubble.requires-cilium",
                ("addon", index, "spec", "name"),
                f"the hubble addon needs Cilium CNI; cluster "
                f"{subject.resolved.name!r} runs {subject.resolved.cni.type!r}",
                "remove the Addon, or use the cilium CNI",
            )
        # KKP defaults an empty accessibleAddons list to DefaultAccessibleAddons (with hubble).
        accessible = ctx.config.spec.api.accessible_addons or ctx.catalog.default_accessible_addons(
            ctx.release
        )
        if HUBBLE_ADDON not in accessible:
            yield Violation(
                "addon.hubble.not-accessible",
                ("addon", index, "spec", "name"),
                "the hubble addon is not an accessible addon of this KKP installation",
                "add hubble to spec.api.accessibleAddons in kubermatic.yaml",
            )


RULES: tuple[Rule[Subject], ...] = (
    kubernetes_version_is_semver,
    cni_type_supported,
    cni_version_supported,
    cni_forced_upgrade,
    cni_unspecified,
    cni_none_notice,
    ebpf_needs_cilium_and_konnectivity,
    konnectivity_exists_in_the_release,
    konnectivity_needs_feature_gate,
    cidrs_valid,
    cidrs_disjoint,
    dns_domain_valid,
    hubble_addon_allowed,
)
