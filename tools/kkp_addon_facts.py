"""Read KKP's addons at release tags and write the facts of every object they apply.

Usage (a git mirror of kubermatic/kubermatic, and the patches to record):

    python tools/kkp_addon_facts.py --git-dir <mirror> v2.20.0 v2.20.9 v2.20.16 \
        > tests/render/kkp_parity_addons_facts.yaml
    python tools/kkp_addon_facts.py --git-dir <mirror> v2.31.0 v2.30.6 v2.29.10 v2.28.13 \
        v2.27.12 v2.26.13 v2.25.18 v2.24.15 v2.23.19 v2.22.13 v2.21.15 \
        > tests/render/kkp_parity_addons_recent_facts.yaml

The variants of a tag (`variants_at`): canal, cilium and hubble at v2.20; from v2.29 (the
newest patch of each line, `RECENT_PATCHES`) canal per supported version and dual stack, and
kube-proxy per proxy mode and dual stack, with its v2.30+ `checksum/config` (ConfigHash: the
SHA-1 of Go's JSON of the addon network struct, `kkpgen.render.gojson`); at the newest patch
of each line from v2.28 back to v2.21 (`OLDER_PATCHES`) the same, without nftables; and at
each of those patches canal per deprecated version a cluster can keep (`DEPRECATED_CANAL`).

KKP's addon controller fills each addon's Go template with the cluster's TemplateData
(`pkg/addon/template.go`) and adds the `kubermatic-addon: <addon>` label to every object
(`ensureAddonLabelOnManifests` in `pkg/controller/seed-controller-manager/addon/`). This tool
evaluates the few template actions those three addons use (`if`/`else`/`end`, `eq`, `ne`,
`hasKey`, `Features.Has`, `Registry`, `first`, `urlParse`/`split`, `replace`/`quote`) for the
test cluster of `tests/render/test_kkp_parity_addons.py` (`VARIANTS` below) and refuses any
other action. It writes facts, never YAML: per object its identity and a flat map of its
fields (`flatten`), where a scalar is kept as is and anything larger as a digest.

    python tools/kkp_addon_facts.py --git-dir <mirror> --diff <rendered-dir> v2.20.16

prints, field by field, where kkpgen's rendered files differ from KKP's objects.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias, cast

import yaml

from kkpgen.render.gojson import go_config_hash

# The test cluster (tests/render/test_kkp_parity_addons.py renders the same one).
API_HOST, API_PORT = "c1.kkp.example.com", "6443"
PODS_CIDR, PODS_CIDR_IPV6 = "172.25.0.0/16", "fd01::/48"
SERVICES_CIDR, SERVICES_CIDR_IPV6 = "10.240.16.0/20", "fd02::/108"
DNS_CLUSTER_IP, NODE_LOCAL_DNS_IP = "10.240.16.10", "169.254.20.10"
NODE_PORT_RANGE = "30000-32767"
KUBE_SYSTEM_POLICIES = "kubeSystemNetworkPolicies"
# KKP v2.29+ (the lines KKP supports): the test cluster's Kubernetes version, offered by the
# newest patch of each of them.
KUBERNETES_RECENT = "1.34.10"

Json: TypeAlias = bool | int | float | str | list["Json"] | dict[str, "Json"] | None


@dataclass(frozen=True)
class Variant:
    """One cluster configuration: the addon, its CNI type and version, proxy mode, features."""

    addon: str
    cni: str
    version: str
    proxy_mode: str
    features: frozenset[str] = field(default_factory=frozenset)
    dual_stack: bool = False
    kubernetes: str = "1.22.5"
    node_cidr_mask_size_ipv4: int = 24  # KKP's default; a legacy variant sets another

    @property
    def pods(self) -> list[str]:
        return [PODS_CIDR, PODS_CIDR_IPV6] if self.dual_stack else [PODS_CIDR]

    @property
    def strict_arp(self) -> bool | None:
        """The stored ipvs.strictArp after KKP's defaulting (v2.21+): true for ipvs, else unset."""
        return True if self.proxy_mode == "ipvs" else None

    def config_hash(self) -> str:
        """KKP v2.30+ ClusterNetwork.ConfigHash() of this cluster (pkg/addon/types.go)."""
        network: dict[str, object] = {
            "DNSDomain": "cluster.local",
            "DNSClusterIP": DNS_CLUSTER_IP,
            "DNSResolverIP": NODE_LOCAL_DNS_IP,
            "PodCIDRBlocks": sorted(self.pods),
            "ServiceCIDRBlocks": sorted(
                [SERVICES_CIDR, SERVICES_CIDR_IPV6] if self.dual_stack else [SERVICES_CIDR]
            ),
            "ProxyMode": self.proxy_mode,
            "StrictArp": self.strict_arp,
            "DualStack": self.dual_stack,
            "PodCIDRIPv4": PODS_CIDR,
            "PodCIDRIPv6": PODS_CIDR_IPV6 if self.dual_stack else "",
            "NodeCIDRMaskSizeIPv4": self.node_cidr_mask_size_ipv4,
            "NodeCIDRMaskSizeIPv6": 64,
            "IPAMAllocations": {},  # the seed lists none for the test cluster
            "NodePortRange": NODE_PORT_RANGE,
        }
        return go_config_hash(network)


def _variants() -> dict[str, Variant]:
    policies = frozenset({KUBE_SYSTEM_POLICIES})
    out = {
        f"canal-{v}": Variant("canal", "canal", v, "ipvs", policies)
        for v in ("v3.8", "v3.19", "v3.20", "v3.21", "v3.22")
    }
    out["cilium-ebpf"] = Variant("cilium", "cilium", "v1.11", "ebpf", policies)
    out["cilium-ipvs"] = Variant("cilium", "cilium", "v1.11", "ipvs", policies)
    out["hubble"] = Variant("hubble", "cilium", "v1.11", "ebpf", policies)
    return out


VARIANTS = _variants()


def recent_variants(canal_versions: Sequence[str], *, nftables: bool) -> dict[str, Variant]:
    """KKP v2.29+: canal per supported version and dual stack, kube-proxy per proxy mode."""
    k8s = KUBERNETES_RECENT
    return {
        **canal_variants(canal_versions, k8s),
        **kube_proxy_variants(canal_versions[-1], k8s, nftables=nftables),
    }


def kube_proxy_variants(canal: str, kubernetes: str, *, nftables: bool) -> dict[str, Variant]:
    """kube-proxy per proxy mode (nftables where the line has it) and dual stack."""
    out = {
        f"kube-proxy-{mode}": Variant("kube-proxy", "canal", canal, mode, kubernetes=kubernetes)
        for mode in ("ipvs", "iptables", *(("nftables",) if nftables else ()))
    }
    out["kube-proxy-dual-stack"] = Variant(
        "kube-proxy", "canal", canal, "iptables", dual_stack=True, kubernetes=kubernetes
    )
    return out


# The newest patch of each KKP line kkpgen records whole addon objects for (v2.29+): the
# Canal versions it supports, and whether it has the nftables proxy mode.
RECENT_PATCHES: dict[str, tuple[tuple[str, ...], bool]] = {
    "v2.31.0": (("v3.29", "v3.30", "v3.31"), True),
    "v2.30.6": (("v3.29", "v3.30", "v3.31"), True),
    "v2.29.10": (("v3.28", "v3.29", "v3.30"), False),
}


# KKP v2.21-v2.25: the legacy v1.12 cilium and hubble addons (KKP deletes both Addons when
# a cluster moves to Cilium 1.13) at the newest patch of each line, the first of each line
# whose addons differ from the newest, and each patch where they change within a line
# (beyond images: the capabilities cilium_legacy_*, cilium_node_port_range and hubble_*
# of tools/kkp_capabilities.py), with the Kubernetes version that patch defaults to.
LEGACY_PATCHES: dict[str, str] = {
    "v2.21.0": "1.23.9",
    "v2.21.2": "1.23.12",
    "v2.21.3": "1.23.14",
    "v2.21.7": "1.23.15",
    "v2.21.9": "1.23.15",
    "v2.21.14": "1.23.15",
    "v2.21.15": "1.23.15",
    "v2.22.0": "1.25.6",
    "v2.22.1": "1.25.6",
    "v2.22.3": "1.25.9",
    "v2.22.13": "1.25.16",
    "v2.23.19": "1.26.13",
    "v2.24.0": "1.27.6",
    "v2.24.5": "1.27.10",
    "v2.24.15": "1.27.10",
    "v2.25.0": "1.28.7",
    "v2.25.18": "1.28.9",
}


# The newest patch of each line, where the legacy cilium addon is also recorded with the
# other branches of its template: dual stack, a node mask size other than 24, and without
# the kubeSystemNetworkPolicies feature.
LEGACY_NEWEST = frozenset({"v2.21.15", "v2.22.13", "v2.23.19", "v2.24.15", "v2.25.18"})


def legacy_variants(patch: str) -> dict[str, Variant]:
    """The cilium addon per proxy mode and the hubble addon, with Cilium v1.12 and v1.11, at
    a patch of LEGACY_PATCHES (at the newest of a line also dual stack, node mask 26 and no
    kube-system NetworkPolicies)."""
    policies, k8s = frozenset({KUBE_SYSTEM_POLICIES}), LEGACY_PATCHES[patch]
    out: dict[str, Variant] = {}
    for version in ("v1.12", "v1.11"):
        for mode in ("ebpf", "ipvs"):
            out[f"cilium-{version}-{mode}"] = Variant(
                "cilium", "cilium", version, mode, policies, kubernetes=k8s
            )
        if patch in LEGACY_NEWEST:
            out[f"cilium-{version}-dual-stack"] = Variant(
                "cilium", "cilium", version, "ebpf", policies, True, k8s
            )
            out[f"cilium-{version}-node-mask-26"] = Variant(
                "cilium", "cilium", version, "ipvs", policies, kubernetes=k8s,
                node_cidr_mask_size_ipv4=26,
            )  # fmt: skip
            out[f"cilium-{version}-no-policies"] = Variant(
                "cilium", "cilium", version, "ebpf", kubernetes=k8s
            )
        out[f"hubble-{version}"] = Variant(
            "hubble", "cilium", version, "ebpf", policies, kubernetes=k8s
        )
    return out


# The newest patch of each older line from v2.21 (v2.28 back to v2.21): the Canal versions it
# supports and the test cluster's Kubernetes version (the patch's default unless noted).
OLDER_PATCHES: dict[str, tuple[tuple[str, ...], str]] = {
    "v2.28.13": (("v3.27", "v3.28", "v3.29"), "1.33.13"),
    "v2.27.12": (("v3.27", "v3.28", "v3.29"), "1.31.14"),
    "v2.26.13": (("v3.26", "v3.27", "v3.28"), "1.30.12"),
    "v2.25.18": (("v3.24", "v3.25", "v3.26", "v3.27"), "1.28.9"),
    "v2.24.15": (("v3.24", "v3.25", "v3.26", "v3.27"), "1.27.10"),
    "v2.23.19": (("v3.23", "v3.24", "v3.25", "v3.27"), "1.26.13"),
    "v2.22.13": (("v3.22", "v3.23", "v3.24"), "1.25.16"),
    # 1.22: from 1.23 KKP forces Canal below v3.22 to v3.22 (kkpgen renders it so).
    "v2.21.15": (("v3.20", "v3.21", "v3.22", "v3.23"), "1.22.17"),
}


# The Canal versions each line's newest patch accepts without offering them (KKP's
# deprecatedCNIPluginVersions; every one keeps its addon file), on the Kubernetes version KKP
# leaves them on: the line's test cluster version, unless KKP's cluster mutation (v2.21-v2.24)
# moves the version up there; then the newest Kubernetes version the patch offers below the
# one that forces it. Absent: a version the mutation moves up at every Kubernetes version the
# patch offers (Canal v3.8 at v2.21 and v2.22, v3.8-v3.22 at v2.24); kkpgen renders the
# version KKP moves it to (tests/render/test_kkp_parity_addons_recent.py checks the list).
DEPRECATED_CANAL: dict[str, tuple[tuple[str, ...], str]] = {
    "v2.31.0": (("v3.21", "v3.22", "v3.23", "v3.24", "v3.25", "v3.26", "v3.27", "v3.28"),
                KUBERNETES_RECENT),
    "v2.30.6": (("v3.21", "v3.22", "v3.23", "v3.24", "v3.25", "v3.26", "v3.27", "v3.28"),
                KUBERNETES_RECENT),
    "v2.29.10": (("v3.21", "v3.22", "v3.23", "v3.24", "v3.25", "v3.26", "v3.27"),
                 KUBERNETES_RECENT),
    "v2.28.13": (("v3.21", "v3.22", "v3.23", "v3.24", "v3.25", "v3.26"), "1.33.13"),
    "v2.27.12": (("v3.21", "v3.22", "v3.23", "v3.24", "v3.25", "v3.26"), "1.31.14"),
    "v2.26.13": (("v3.19", "v3.20", "v3.21", "v3.22", "v3.23", "v3.24", "v3.25"), "1.30.12"),
    "v2.25.18": (("v3.8", "v3.19", "v3.20", "v3.21", "v3.22", "v3.23"), "1.28.9"),
    "v2.24.15": (("v3.23",), "1.27.10"),
    # 1.24: from 1.25 KKP moves Canal below v3.23 to v3.23.
    "v2.23.19": (("v3.8", "v3.19", "v3.20", "v3.21", "v3.22"), "1.24.17"),
    # 1.25: from 1.26 KKP moves Canal below v3.23 to v3.23.
    "v2.22.13": (("v3.19", "v3.20", "v3.21"), "1.25.16"),
    "v2.21.15": (("v3.19",), "1.22.17"),
}  # fmt: skip


def deprecated_canal_variants(tag: str) -> dict[str, Variant]:
    """The deprecated Canal versions of DEPRECATED_CANAL at a tag, one variant each."""
    versions, kubernetes = DEPRECATED_CANAL.get(tag, ((), ""))
    policies = frozenset({KUBE_SYSTEM_POLICIES})
    return {
        f"canal-{v}": Variant("canal", "canal", v, "ipvs", policies, kubernetes=kubernetes)
        for v in versions
    }


def canal_variants(canal_versions: Sequence[str], kubernetes: str) -> dict[str, Variant]:
    """Canal per supported version, and dual stack on the newest."""
    policies = frozenset({KUBE_SYSTEM_POLICIES})
    out = {
        f"canal-{v}": Variant("canal", "canal", v, "ipvs", policies, kubernetes=kubernetes)
        for v in canal_versions
    }
    out["canal-dual-stack"] = Variant(
        "canal", "canal", canal_versions[-1], "ipvs", policies, True, kubernetes
    )
    return out


def variants_at(tag: str) -> dict[str, Variant]:
    """The variants recorded at a tag: v2.20's, or those of a line's newest patch."""
    if tag in RECENT_PATCHES:
        versions, nftables = RECENT_PATCHES[tag]
        return {
            **recent_variants(versions, nftables=nftables),
            **deprecated_canal_variants(tag),
        }
    if tag in OLDER_PATCHES:
        versions, k8s = OLDER_PATCHES[tag]
        return {
            **canal_variants(versions, k8s),
            **kube_proxy_variants(versions[-1], k8s, nftables=False),
            **deprecated_canal_variants(tag),
        }
    return VARIANTS


_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)
_STRING = r'"([^"]*)"'
_FIELD = r"(\.[A-Za-z.]+|\$[A-Za-z]+)"


def normalized_image(ref: str) -> str:
    """KKP's Image without a registry override (registry.RewriteImage): the reference as
    reference.ParseNormalizedNamed reads it, so `calico/cni:v3.19.1` is docker.io's."""
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return ref
    return f"docker.io/{ref}" if rest else f"docker.io/library/{ref}"


class TemplateError(Exception):
    """A template action this evaluator does not know: extend it, do not guess."""


class _Evaluator:
    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self.vars: dict[str, str] = {}

    def _fields(self) -> dict[str, str]:
        """Values printed as they are (the TemplateData fields and whole pipelines)."""
        v = self.variant
        return {
            ".Cluster.CNIPlugin.Type": v.cni,
            ".Cluster.CNIPlugin.Version": v.version,
            ".Cluster.Network.ProxyMode": v.proxy_mode,
            ".Cluster.Network.NodePortRange": NODE_PORT_RANGE,
            ".Cluster.Address.URL": f"https://{API_HOST}:{API_PORT}",
            ".Cluster.Network.PodCIDRIPv4": PODS_CIDR,
            ".Cluster.Network.NodeCIDRMaskSizeIPv4": str(v.node_cidr_mask_size_ipv4),
            ".Cluster.Network.NodeCIDRMaskSizeIPv6": "64",
            ".Cluster.Network.PodCIDRIPv6": PODS_CIDR_IPV6 if v.dual_stack else "",
            ".Cluster.Network.ConfigHash": v.config_hash(),
            ".Cluster.Version": v.kubernetes,
            "first .Cluster.Network.PodCIDRBlocks": PODS_CIDR,
            # sprig's default: a nil *bool is empty; a set one prints as its value
            'default "true" .Cluster.Network.StrictArp': str(
                True if v.strict_arp is None else v.strict_arp
            ).lower(),
            'join .Cluster.Network.PodCIDRBlocks ","': ",".join(v.pods),
        }

    def value(self, expr: str) -> str:
        fields = self._fields()
        if expr in fields:
            return fields[expr]
        if expr.startswith("$") and expr in self.vars:
            return self.vars[expr]
        # Registry "r" (v2.20) and Image "ref" (v2.2x+): no registry override
        if m := re.fullmatch(rf"Registry {_STRING}", expr):
            return m.group(1)
        if m := re.fullmatch(rf"Image {_STRING}", expr):
            return normalized_image(m.group(1))
        if m := re.fullmatch(rf"Image \(print {_STRING} {_FIELD}\)", expr):
            return normalized_image(m.group(1) + self.value(m.group(2)))
        if m := re.fullmatch(rf"{_FIELD} \| replace {_STRING} {_STRING} \| quote", expr):
            return json.dumps(self.value(m.group(1)).replace(m.group(2), m.group(3)))
        raise TemplateError(f"unknown template value: {expr!r}")

    def condition(self, expr: str) -> bool:
        if m := re.fullmatch(r"or \((.+?)\) \((.+)\)", expr):
            return self.condition(m.group(1)) or self.condition(m.group(2))
        if m := re.fullmatch(rf"hasPrefix {_STRING} {_FIELD}", expr):
            return self.value(m.group(2)).startswith(m.group(1))
        if m := re.fullmatch(rf"(eq|ne) {_FIELD} {_STRING}", expr):
            return (self.value(m.group(2)) == m.group(3)) == (m.group(1) == "eq")
        if expr == ".Cluster.Network.DualStack":
            return self.variant.dual_stack
        if m := re.fullmatch(rf"\.Cluster\.Features\.Has {_STRING}", expr):
            return m.group(1) in self.variant.features
        if m := re.fullmatch(rf"hasKey \(dict((?: {_STRING})*) \) {_FIELD}", expr):
            keys = re.findall(_STRING, m.group(1))[0::2]
            return self.value(m.group(3)) in keys
        raise TemplateError(f"unknown template condition: {expr!r}")

    def assign(self, name: str, expr: str) -> None:
        if expr == "urlParse .Cluster.Address.URL":
            self.vars[name] = f"{API_HOST}:{API_PORT}"  # only `.host` is read
        elif m := re.fullmatch(r'split ":" (\$[A-Za-z]+)\.host', expr):
            host, _, port = self.vars[m.group(1)].partition(":")
            self.vars[name + "._0"], self.vars[name + "._1"] = host, port
        elif m := re.fullmatch(r"(\$[A-Za-z]+)\.(_[01])", expr):
            self.vars[name] = self.vars[f"{m.group(1)}.{m.group(2)}"]
        else:
            raise TemplateError(f"unknown template assignment: {expr!r}")


def evaluate(text: str, variant: Variant) -> str:
    """The text KKP's addon controller would get from this Go template for `variant`."""
    ev, out, stack, pos = _Evaluator(variant), [], [True], 0
    for m in _ACTION.finditer(text):
        before = text[pos : m.start()]
        if all(stack):
            out.append(before.rstrip() if m.group(1) else before)
        pos = m.end()
        if m.group(3):
            pos += len(text[pos:]) - len(text[pos:].lstrip())
        if (value := _action(ev, stack, m.group(2))) is not None:
            out.append(value)
    out.append(text[pos:])
    if stack != [True]:
        raise TemplateError("unbalanced if/end")
    return "".join(out)


def _action(ev: _Evaluator, stack: list[bool], action: str) -> str | None:
    """Apply one action to the stack of open `if`s; the text it prints, if any."""
    live = all(stack)
    if action.startswith("if "):
        stack.append(live and ev.condition(action[3:]))
    elif action == "else":
        stack[-1] = all(stack[:-1]) and not stack[-1]
    elif action == "end":
        stack.pop()
    elif assignment := re.fullmatch(r"(\$[A-Za-z]+) := (.+)", action):
        if live:
            ev.assign(assignment.group(1), assignment.group(2))
    elif live:
        return ev.value(action)
    return None


def digest(value: Json) -> str:
    """A short digest of a value's canonical JSON (keys sorted)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


# Fields kept whole (as one entry) rather than walked into.
_WHOLE = frozenset(
    {"labels", "annotations", "matchLabels", "args", "command", "env", "ports", "tolerations",
     "volumes", "volumeMounts", "securityContext", "resources", "rules", "subjects", "roleRef",
     "livenessProbe", "readinessProbe", "startupProbe", "affinity", "nodeSelector", "lifecycle",
     "openAPIV3Schema", "ingress", "egress", "policyTypes", "envFrom", "items"}
)  # fmt: skip
_NAMED_LISTS = frozenset({"containers", "initContainers", "versions"})
_SCALAR_MAX = 100


def flatten(obj: Json, prefix: str = "") -> Iterator[tuple[str, Json]]:
    """(field path, value) of an object: small values as they are, large ones as a digest."""
    if isinstance(obj, dict):
        for key in sorted(obj):
            path = f"{prefix}.{key}" if prefix else key
            value = obj[key]
            if key in _NAMED_LISTS and isinstance(value, list):
                yield f"{path}#order", [cast("dict[str, Json]", c).get("name") for c in value]
                for item in value:
                    name = cast("dict[str, Json]", item).get("name")
                    yield from flatten(item, f"{path}[{name}]")
            elif key in _WHOLE or not isinstance(value, dict):
                yield path, _leaf(value)
            else:
                yield from flatten(value, path)
    else:
        yield prefix, _leaf(obj)


def _leaf(value: Json) -> Json:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str) and len(value) <= _SCALAR_MAX and "\n" not in value:
        return value
    if not isinstance(value, str) and len(json.dumps(value, sort_keys=True)) <= _SCALAR_MAX:
        return value  # small mappings and lists (labels, selectors) stay readable
    return digest(value)


def normalize(obj: dict[str, Json]) -> dict[str, Json]:
    """What the apiserver keeps of an applied object, less what is Argo CD's alone.

    `status` (the CRDs' placeholder) is ignored on apply, a null field is no value, and
    `argocd.argoproj.io/*` annotations (sync waves, hooks) only steer Argo CD: KKP's
    client-side apply leaves annotations it never set alone.
    """
    out = {k: _without_nulls(v) for k, v in obj.items() if k != "status"}
    meta = cast("dict[str, Json]", out.get("metadata") or {})
    annotations = {
        k: v
        for k, v in cast("dict[str, Json]", meta.get("annotations") or {}).items()
        if not k.startswith("argocd.argoproj.io/")
    }
    meta.pop("annotations", None)
    if annotations:
        meta["annotations"] = annotations
    out["metadata"] = meta
    return out


def _without_nulls(value: Json) -> Json:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def object_id(obj: Mapping[str, Json]) -> str:
    meta = cast("dict[str, Json]", obj.get("metadata") or {})
    return f"{obj['kind']}/{meta.get('namespace') or '-'}/{meta['name']}"


def kkp_objects(text: str, variant: Variant) -> dict[str, dict[str, Json]]:
    """KKP's objects for `variant`, keyed by object_id, with the addon controller's label."""
    objects: dict[str, dict[str, Json]] = {}
    for doc in yaml.safe_load_all(evaluate(text, variant)):
        if not doc:
            continue
        meta = doc.setdefault("metadata", {})
        meta["labels"] = {**(meta.get("labels") or {}), "kubermatic-addon": variant.addon}
        objects[object_id(doc)] = normalize(doc)
    return objects


def _git_show(git_dir: str, tag: str, path: str) -> str:
    return subprocess.run(  # noqa: S603  reading the mirror is this tool's job
        ["git", "--git-dir", git_dir, "show", f"{tag}:{path}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _addon_text(git_dir: str, tag: str, addon: str) -> str:
    listing = subprocess.run(  # noqa: S603  reading the mirror is this tool's job
        ["git", "--git-dir", git_dir, "ls-tree", "--name-only", tag, f"addons/{addon}/"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return "\n---\n".join(_git_show(git_dir, tag, p) for p in sorted(listing) if p.endswith("yaml"))


def patch_facts(
    git_dir: str, tag: str, *, legacy: bool = False
) -> dict[str, dict[str, dict[str, Json]]]:
    """variant -> object id -> flat fields, for one KKP tag (`legacy`: the v1.12 addons)."""
    facts: dict[str, dict[str, dict[str, Json]]] = {}
    chosen = legacy_variants(tag) if legacy else variants_at(tag)
    for name, variant in chosen.items():
        objects = kkp_objects(_addon_text(git_dir, tag, variant.addon), variant)
        facts[name] = {oid: dict(flatten(obj)) for oid, obj in sorted(objects.items())}
    return facts


HEADER = """\
# Facts about every object KKP's addons apply, per patch and per cluster variant
# (tools/kkp_addon_facts.py variants_at: canal, cilium and hubble at v2.20; canal and
# kube-proxy at the newest patch of each line from v2.21, with each deprecated Canal version
# the line accepts, DEPRECATED_CANAL; with --legacy, legacy_variants: the cilium and hubble
# v1.12 and v1.11 addons at LEGACY_PATCHES of v2.21-v2.25), written by
#   python tools/kkp_addon_facts.py --git-dir <kubermatic mirror> {tags}
# from kubermatic/kubermatic's addons/ at each tag. Never KKP's YAML: per object its field
# paths, scalars as they are and larger values as a digest of their JSON.
# tests/render/test_kkp_parity_addons*.py render the same cluster and compare.
"""


def _diff(git_dir: str, tag: str, name: str, rendered: Path) -> Iterator[str]:
    legacy = legacy_variants(tag) if tag in LEGACY_PATCHES else {}
    variant = {**variants_at(tag), **legacy}[name]
    ours: dict[str, dict[str, Json]] = {}
    for path in sorted(rendered.glob(f"**/{variant.addon}/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "kind" in doc and doc["kind"] != "Kustomization":
                ours[object_id(doc)] = dict(flatten(normalize(doc)))
    text = _addon_text(git_dir, tag, variant.addon)
    for oid in sorted(set(ours) - set(kkp_objects(text, variant))):
        yield f"{name} {oid}: kkpgen only"
    for oid, obj in sorted(kkp_objects(text, variant).items()):
        fields = dict(flatten(obj))
        if True:
            if oid not in ours:
                yield f"{name} {oid}: not rendered"
                continue
            for key in sorted(set(fields) | set(ours[oid])):
                if fields.get(key, "<absent>") != ours[oid].get(key, "<absent>"):
                    yield f"{name} {oid} {key}: KKP {fields.get(key, '<absent>')!r}"
                    yield f"{' ' * len(name)} {oid} {key}: ours {ours[oid].get(key, '<absent>')!r}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--git-dir", required=True, help="a git mirror of kubermatic/kubermatic")
    parser.add_argument("--diff", type=Path, help="a folder of rendered objects to compare")
    parser.add_argument("--variant", help="the variant of --diff (variants_at the tag)")
    parser.add_argument(
        "--legacy", action="store_true", help="record the v1.12 cilium and hubble addons"
    )
    parser.add_argument("tags", nargs="+", help="KKP tags, e.g. v2.20.0 v2.20.9 v2.20.16")
    args = parser.parse_args(argv)
    if args.diff:
        for line in _diff(args.git_dir, args.tags[0], args.variant, args.diff):
            sys.stdout.write(line + "\n")
        return 0
    facts = {tag: patch_facts(args.git_dir, tag, legacy=args.legacy) for tag in args.tags}
    header = HEADER.format(tags=("--legacy " if args.legacy else "") + " ".join(args.tags))
    sys.stdout.write(header + yaml.safe_dump(facts, sort_keys=True, width=100))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
