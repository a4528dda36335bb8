"""Facts of KKP v2.21 and later that older releases do not have: network defaults, the default
CNI type, Konnectivity per Kubernetes minor, forced CNI upgrades and Cilium's Helm charts."""

from __future__ import annotations

import re

from tools.kkp_source import GO_STRING, FactError, Source, one

RESOURCES_GO = "pkg/resources/resources.go"
CLUSTER_DEFAULTING_GO = "pkg/defaulting/cluster.go"
KONNECTIVITY_SERVER_GO = "pkg/resources/konnectivity/sidecar.go"
# The Canal upgrades KKP forces with a Kubernetes upgrade, newest layout first (v2.23-v2.24,
# v2.22, v2.17-v2.21); from v2.25 there are none.
MUTATION_GO = (
    "pkg/mutation/cluster/mutation.go",
    "pkg/webhook/cluster/mutation/mutator.go",
    "pkg/webhook/cluster/mutation/mutation.go",
)
# Cilium >= 1.13's ApplicationDefinition: embedded YAML from v2.28, Go before.
CILIUM_APPDEF_YAML = "pkg/applicationdefinitions/system-applications/cilium.yaml"
CILIUM_APPDEF_GO = "pkg/cni/cilium/cilium.go"


def _go_constants(text: str) -> dict[str, str]:
    """`Name = "value"` and `Name = 24` constants of a Go file, by name."""
    found = re.findall(r'^\s*(\w+)\s*=\s*(?:"([^"]*)"|(\d+))\s*$', text, flags=re.MULTILINE)
    return {name: quoted or number for name, quoted, number in found}


def network_defaults(source: Source) -> dict[str, object] | None:
    """resources.go's default ranges and mask sizes (KKP DefaultClusterNetwork); None before
    dual stack (v2.21), where catalog.yaml's networkDefaults hold."""
    constants = _go_constants(source.read(RESOURCES_GO))
    if "DefaultClusterPodsCIDRIPv6" not in constants:
        return None
    proxy = _proxy_mode_default(source)
    return {
        "podsCidrIPv4": constants["DefaultClusterPodsCIDRIPv4"],
        "podsCidrIPv6": constants["DefaultClusterPodsCIDRIPv6"],
        "servicesCidrIPv4": constants["DefaultClusterServicesCIDRIPv4"],
        "servicesCidrIPv6": constants["DefaultClusterServicesCIDRIPv6"],
        "kubevirtPodsCidrIPv4": constants["DefaultClusterPodsCIDRIPv4KubeVirt"],
        "kubevirtServicesCidrIPv4": constants["DefaultClusterServicesCIDRIPv4KubeVirt"],
        "nodeCidrMaskSizeIPv4": int(constants["DefaultNodeCIDRMaskSizeIPv4"]),
        "nodeCidrMaskSizeIPv6": int(constants["DefaultNodeCIDRMaskSizeIPv6"]),
        **(
            {"tunnelingAgentIP": constants["DefaultTunnelingAgentIP"]}
            if "DefaultTunnelingAgentIP" in constants
            else {}
        ),
        **proxy,
    }


def _proxy_mode_default(source: Source) -> dict[str, object]:
    """resources.GetDefaultProxyMode: nftables from a Kubernetes minor (v2.30+), and whether
    Hetzner's iptables comes first (v2.31.0: Hetzner stays on iptables whatever the version)."""
    text = source.read(RESOURCES_GO)
    body = one(r"^func GetDefaultProxyMode\(.*?\n(.*?)\n\}", text, "GetDefaultProxyMode")
    if "NFTablesProxyMode" not in body:
        return {}
    minor = one(r"Minor\(\)\s*>=\s*(\d+)", body, "nftables minor")
    return {
        "nftablesFromKubernetes": f"1.{minor}",
        "hetznerIptablesAlways": body.index("HetznerCloudProvider")
        < body.index("NFTablesProxyMode"),
    }


def default_cni_type(source: Source) -> str:
    """DefaultClusterSpec: the type a Cluster without spec.cniPlugin gets (Edge clusters
    excepted from v2.28: they keep Canal)."""
    if not source.exists(CLUSTER_DEFAULTING_GO):
        return "canal"
    text = source.read(CLUSTER_DEFAULTING_GO)
    block = one(r"if spec\.CNIPlugin == nil \{(.*?)\n\t\} else", text, "default CNI block")
    types: list[str] = re.findall(r"Type:\s*kubermaticv1\.CNIPluginType(\w+)", block)
    return types[-1].lower()


def konnectivity_versions(source: Source) -> dict[str, str] | None:
    """konnectivity.NetworkProxyVersion (v2.23+): Kubernetes minor -> proxy version, with
    `default` for every other minor."""
    if not source.exists(KONNECTIVITY_SERVER_GO):
        return None
    text = source.read(KONNECTIVITY_SERVER_GO)
    if "func NetworkProxyVersion(" not in text:
        return None
    body = one(r"^func NetworkProxyVersion\(.*?\n(.*?)\n\}", text, "NetworkProxyVersion")
    constants = _go_constants(text)
    versions: dict[str, str] = {}
    pending: list[str] = []
    for case, version in re.findall(r'case ([^:]+):|return "([^"]+)"', body):
        if case:
            pending.append(constants.get(case.strip(), case.strip().strip('"')))
            continue
        for minor in pending:
            versions[minor] = version
        pending = []
    if "default:" not in body:
        raise FactError(f"{source.tag}: NetworkProxyVersion has no default")
    versions["default"] = re.findall(r'return "([^"]+)"', body.split("default:", 1)[1])[0]
    return versions


def forced_upgrades(source: Source, canal_default: str) -> list[dict[str, str]]:
    """The Canal upgrades KKP's cluster mutation makes with a Kubernetes upgrade."""
    path = next((p for p in MUTATION_GO if source.exists(p)), None)
    if path is None:
        return []
    text = source.read(path)
    found: list[dict[str, str]] = []
    unspecified = re.search(
        r"CanalCNILastUnspecifiedVersion \{.*?NewConstraint\(" + GO_STRING, text, re.S
    )
    if unspecified is not None:
        found.append(_forced(unspecified.group(1), "==3.8", canal_default))
    for old, kubernetes, new in re.findall(
        r'NewConstraint\("<\s*([\d.]+)"\).*?NewConstraint\(">=\s*([\d.]+)"\)'
        r'.*?Version:\s*"(v[\d.]+)"',
        text,
        re.S,
    ):
        found.append(_forced(kubernetes, f"<{old}", new))
    return found


def _forced(kubernetes: str, old: str, new: str) -> dict[str, str]:
    kubernetes = kubernetes.removeprefix(">=").strip()
    return {
        "cni": "canal",
        "kubernetes": f">={kubernetes}",
        "from": old,
        "to": new,
        "reason": f"Kubernetes {kubernetes} needs Canal {new} or newer"
        if old != "==3.8"
        else "Canal v3.8 uses v1beta1 CRDs that Kubernetes 1.22 no longer serves",
    }


def cilium_charts(source: Source) -> dict[str, str]:
    """Cilium >= 1.13 is the Helm chart KKP installs: version -> chart version, from the
    ApplicationDefinition (embedded YAML from v2.28, Go in pkg/cni/cilium before)."""
    if source.exists(CILIUM_APPDEF_YAML):
        text = source.read(CILIUM_APPDEF_YAML)
        pairs = re.findall(r"chartVersion:\s*(\S+).*?\n\s*version:\s*(\S+)", text, re.S)
        return {version: chart for chart, version in pairs}
    if not source.exists(CILIUM_APPDEF_GO):
        return {}
    text = source.read(CILIUM_APPDEF_GO)
    return {v: v for v in re.findall(r'ChartVersion:\s*"([^"]+)"', text)}
