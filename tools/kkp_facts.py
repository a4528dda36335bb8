"""Read KKP's source at release tags and write kkpgen's per-patch catalog facts as data.

Usage (a git mirror of kubermatic/kubermatic, and the patches to record):

    python -m tools.kkp_facts --git-dir <mirror> v2.20.0..v2.20.16 v2.19.0..v2.19.15 \
        v2.18.0..v2.18.11 v2.17.0..v2.17.5 \
        > generator/kkp/data/kkp-patches.yaml

Only facts are read (image references, version lists, transitions, defaults); no KKP YAML or
Go code is copied. Each fact names the file it comes from in `SOURCES` below, so a new KKP
patch is one command plus a review of the diff.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping, Sequence

import yaml

from tools import kkp_facts_recent as recent
from tools.kkp_capabilities import capabilities
from tools.kkp_paths import (
    CANAL_LAST_UNSPECIFIED_VERSION,
    CNI_VERSION_GO,
    CNI_VERSION_GO_NEW,
    CNI_WEBHOOK_MUTATION_GO,
    CNI_WEBHOOK_VALIDATION_GO,
    DNAT_CONTROLLER_DEFAULTS_GO,
    DNAT_CONTROLLER_DEFAULTS_GO_NEW,
    DNAT_CONTROLLER_DEFAULTS_GO_OLD,
    HTTP_PROBER_GO,
    KONNECTIVITY_AGENT_GO,
    KONNECTIVITY_SERVER_GO,
    METRICS_SERVER_GO,
    METRICS_SERVER_USER_CLUSTER_GO,
    NODE_LOCAL_DNS_GO,
    OPENVPN_SERVER_GO,
    OPERATOR_DEFAULTS_GO,
    OPERATOR_DEFAULTS_GO_NEW,
    OPERATOR_DEFAULTS_GO_OLD,
    RESOURCES_GO,
)
from tools.kkp_source import GO_STRING as _GO_STRING
from tools.kkp_source import FactError, Source
from tools.kkp_source import one as _one

# kkpgen image name -> (addon file, image path without registry and tag).
ADDON_IMAGES: Mapping[str, tuple[str, str]] = {
    "kube_proxy": ("addons/kube-proxy/daemonset.yaml", "kube-proxy"),
    "openvpn_client": ("addons/openvpn/openvpn-client-dep.yaml", "kubermatic/openvpn"),
    "hubble_relay": ("addons/hubble/hubble.yaml", "cilium/hubble-relay"),
    "hubble_ui": ("addons/hubble/hubble.yaml", "cilium/hubble-ui"),
    "hubble_ui_backend": ("addons/hubble/hubble.yaml", "cilium/hubble-ui-backend"),
    "hubble_ui_proxy": ("addons/hubble/hubble.yaml", "envoyproxy/envoy"),
    "hubble_certgen": ("addons/hubble/hubble.yaml", "cilium/certgen"),
}
CANAL_IMAGES: Mapping[str, str] = {
    "calico_node": "calico/node",
    "calico_cni": "calico/cni",
    "calico_kube_controllers": "calico/kube-controllers",
    "flannel": "coreos/flannel|flannel/flannel|flannelcni/flannel",
}
CILIUM_IMAGES: Mapping[str, str] = {
    "cilium_agent": "cilium/cilium",
    "cilium_operator": "cilium/operator-generic",
}
_IMAGE_LINE = re.compile(
    r"""image:\s*['"]?(?:\{\{\s*Image\s+\(?(?:print\s+)?")?"""
    r"""(?:\{\{\s*Registry\s+"(?P<registry>[^"]+)"\s*\}\}|(?P<host>[a-z0-9.-]+\.[a-z]+))"""
    r"""/(?P<path>[a-z0-9._/-]+):"""
    r"""(?P<tag>v\{\{ \.Cluster\.Version \}\}|v"\s*\.Cluster\.Version"""
    r"""|[^'"\s@]+(?:@sha256:[0-9a-f]+)?)"""
)
# `{{ Image "calico/cni:v3.19.1" }}`: a reference without a registry, which KKP's Image
# (registry.RewriteImage, reference.ParseNormalizedNamed) writes as docker.io's (KKP v2.22+
# keep Canal v3.8 and v3.19 so).
_IMAGE_WITHOUT_HOST = re.compile(
    r"""image:\s*['"]?\{\{\s*Image\s+"(?P<path>[a-z0-9._-]+(?:/[a-z0-9._-]+)*):(?P<tag>[^"\s@]+)"""
)
# `{{ Image (print "registry.k8s.io/kube-proxy:v" .Cluster.Version) }}` (v2.22+) and
# `v{{ .Cluster.Version }}` (older) both mean the cluster's version.
_CLUSTER_VERSION_TAG = re.compile(r'v(?:\{\{ \.Cluster\.Version \}\}|"\s*\.Cluster\.Version)')


def registries(source: Source) -> dict[str, str]:
    """KKP's registry constants (`RegistryQuay = "quay.io"`), by Go name."""
    text = source.read(RESOURCES_GO)
    return dict(re.findall(r"^\s*(Registry\w*)\s*=\s*" + _GO_STRING, text, flags=re.MULTILINE))


def addon_image(text: str, image_path: str) -> str | None:
    """The first image in an addon file whose path is `image_path`, registry resolved."""
    for match in _IMAGE_LINE.finditer(text):
        path = match.group("path")
        for prefix in ("quay.io/", "docker.io/"):  # KKP v2.20.16 cilium has quay.io/quay.io/
            path = path.removeprefix(prefix)
        if path == image_path:
            host = match.group("registry") or match.group("host")
            tag = _CLUSTER_VERSION_TAG.sub("v{{ .Cluster.Version }}", match.group("tag"))
            return f"{host}/{image_path}:{tag}"
    for match in _IMAGE_WITHOUT_HOST.finditer(text):
        first = match.group("path").split("/", 1)[0]
        if "." not in first and first != "localhost" and match.group("path") == image_path:
            return f"docker.io/{image_path}:{match.group('tag')}"
    return None


def _go_image(source: Source, path: str, registry_names: Mapping[str, str]) -> tuple[str, str]:
    """(registry, text) of a Go file whose image registry is `resources.RegistryX`."""
    text = source.read(path)
    name = _one(r"Image:[^\n]*resources\.(Registry\w+)\b", text, f"{path} registry")
    return registry_names[name], text


def _konnectivity_images(source: Source, regs: Mapping[str, str]) -> dict[str, str]:
    """From v2.23 the proxy version follows the cluster's Kubernetes minor
    (konnectivity.NetworkProxyVersion): the tag is `{network_proxy_version}`, read per minor
    from `konnectivityVersions`."""
    images: dict[str, str] = {}
    for key, path in (
        ("konnectivity_agent", KONNECTIVITY_AGENT_GO),
        ("konnectivity_server", KONNECTIVITY_SERVER_GO),
    ):
        if not source.exists(path):
            continue  # before v2.18: no Konnectivity (recorded under `absent`)
        text = source.read(path)
        if "NetworkProxyVersion(" in text:
            registry = regs[_one(r"(Registry\w+),\s*\w*\.?NetworkProxyVersion", text, path)]
            name = _one(r'"%s/(kas-network-proxy/[a-z-]+):%s"', text, f"{path} name")
            images[key] = f"{registry}/{name}:{{network_proxy_version}}"
            continue
        registry, text = _go_image(source, path, regs)
        name = _one(r"^\s*name\s*=\s*" + _GO_STRING, text, f"{path} name")
        tag = _one(r"^\s*version\s*=\s*" + _GO_STRING, text, f"{path} version")
        images[key] = f"{registry}/{name}:{tag}"
    return images


def _user_cluster_metrics_server(source: Source, regs: Mapping[str, str]) -> str:
    """The user cluster's metrics-server pins its own tag (v2.23.x: v0.6.3 while the seed's
    is v0.6.1)."""
    registry, text = _go_image(source, METRICS_SERVER_USER_CLUSTER_GO, regs)
    name = _one(r"^\s*imageName\s*=\s*" + _GO_STRING, text, "metrics-server imageName")
    tag = _one(r"^\s*imageTag\s*=\s*" + _GO_STRING, text, "metrics-server imageTag")
    return f"{registry}/{name}:{tag}"


def _node_cache_image(source: Source, regs: Mapping[str, str]) -> str:
    registry, text = _go_image(source, NODE_LOCAL_DNS_GO, regs)
    node_cache = _one(r'%s/((?:dns/)?k8s-dns-node-cache:[^"]+)"', text, "node-cache image")
    if node_cache.endswith(":%s"):  # v2.25+: the tag is the file's `version` constant
        tag = _one(r"^\s*version\s*=\s*" + _GO_STRING, text, "node-cache version")
        node_cache = node_cache.removesuffix("%s") + tag
    return f"{registry}/{node_cache}"


def component_images(source: Source, version: str) -> dict[str, str]:
    regs = registries(source)
    images = _konnectivity_images(source, regs)
    registry, text = _go_image(source, METRICS_SERVER_GO, regs)
    path = _one(r'\+\s*"(/metrics-server[^"]*:)"', text, "metrics-server image")
    tag = _one(r"^\s*tag\s*=\s*" + _GO_STRING, text, "metrics-server tag")
    images["metrics_server"] = f"{registry}{path}{tag}"
    if source.exists(METRICS_SERVER_USER_CLUSTER_GO):  # Konnectivity clusters (v2.19+)
        images["metrics_server_user_cluster"] = _user_cluster_metrics_server(source, regs)
    images["nodelocal_dns"] = _node_cache_image(source, regs)
    text = source.read(OPENVPN_SERVER_GO)
    images["openvpn"] = "quay.io" + _one(r'\+\s*"(/kubermatic/openvpn:[^"]+)"', text, "openvpn")
    images["openvpn_exporter"] = "docker.io" + _one(r'\+\s*"(/kumina/[^"]+)"', text, "exporter")
    text = source.read(HTTP_PROBER_GO)
    images["http_prober"] = "quay.io/kubermatic/http-prober:" + _one(
        r"^\s*tag\s*=\s*" + _GO_STRING, text, "http-prober tag"
    )
    text = source.read(
        source.first(
            DNAT_CONTROLLER_DEFAULTS_GO_NEW,
            DNAT_CONTROLLER_DEFAULTS_GO,
            DNAT_CONTROLLER_DEFAULTS_GO_OLD,
        )
    )
    repository = _one(r"DefaultDNATControllerImage\s*=\s*" + _GO_STRING, text, "dnat image")
    images["kubeletdnat_controller"] = f"{repository}:{version}"  # tagged with KKP's version
    for key, (addon, image_path) in ADDON_IMAGES.items():
        addon_text = _addon_text(source, addon)
        if addon_text is None:
            continue  # hubble before v2.19 (recorded under `absent`)
        found = addon_image(addon_text, image_path)
        if found is not None:  # hubble's envoy sidecar is gone by v2.20.16
            images[key] = found.replace("{{ .Cluster.Version }}", "{kubernetes_version}")
    return dict(sorted(images.items()))


def _addon_text(source: Source, addon: str) -> str | None:
    """An addon file; from v2.21 the hubble addon is one file per Cilium minor
    (hubble_v1.11.yaml, hubble_v1.12.yaml): the newest one is read."""
    if source.exists(addon):
        return source.read(addon)
    folder, name = addon.rsplit("/", 1)
    stem = name.removesuffix(".yaml")
    if not source.exists(folder):
        return None
    versioned = [f for f in source.files(folder) if f.rsplit("/", 1)[-1].startswith(f"{stem}_v")]
    if not versioned:
        return None
    return source.read(max(versioned, key=_version_key))


def _set_bodies(block: str) -> Iterator[tuple[str, str]]:
    """(CNI type, the text inside its sets.NewString(...) or sets.New(...)): the parentheses
    are balanced by hand, because a CVE comment may hold "(Moderate Severity)"."""
    for match in re.finditer(r"CNIPluginType(\w+):\s*sets\.New(?:String)?\(", block):
        depth, end = 1, match.end()
        while depth and end < len(block):
            char = block[end]
            if char == "/" and block.startswith("//", end):
                end = block.find("\n", end)  # a comment: its parentheses do not count
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            end += 1
        yield match.group(1), block[match.end() : end - 1]


def _go_set_block(text: str, variable: str) -> str:
    return _one(
        variable + r"\s*=\s*map\[[^\]]+\][^{]*\{(.*?)\n\t\}", text.replace("\r", ""), variable
    )


def _go_set(text: str, variable: str) -> dict[str, tuple[str, ...]]:
    return {
        cni.lower(): tuple(re.findall(_GO_STRING, re.sub(r"//[^\n]*", "", body)))
        for cni, body in _set_bodies(_go_set_block(text, variable))
    }


def _go_set_reasons(text: str, variable: str) -> dict[str, dict[str, str]]:
    """The comment after each version in a set (KKP writes the CVEs a deprecation fixes)."""
    reasons: dict[str, dict[str, str]] = {}
    for cni, body in _set_bodies(_go_set_block(text, variable)):
        for version, comment in re.findall(r'"([^"]+)",?[ \t]*//[ \t]*([^\n]+)', body):
            reasons.setdefault(cni.lower(), {})[version] = comment.strip()
    return reasons


def _constraint(text: str, *, any_version: str) -> str:
    """KKP's `= 3.8`, `> 3.8`, `>= 1.23`, `` (any) as kkpgen's one-comparison constraints."""
    text = text.strip()
    if not text:
        return any_version
    op, version = _one(r"^(>=|<=|=|>|<)\s*(.+)$", text, "constraint"), text.lstrip("<>= ")
    return f"{'==' if op == '=' else op}{version}"


def _old_cni_facts(source: Source) -> dict[str, object]:
    """v2.18: the webhooks accept a set and default one version; v2.17: Canal v3.8 only. The
    versions older than the default are deprecated, as KKP's documentation lists them."""
    if source.exists(CNI_WEBHOOK_VALIDATION_GO) and "supportedCNIPluginVersions" in source.read(
        CNI_WEBHOOK_VALIDATION_GO
    ):
        accepted = _go_set(source.read(CNI_WEBHOOK_VALIDATION_GO), "supportedCNIPluginVersions")
        mutation = source.read(CNI_WEBHOOK_MUTATION_GO)
        # v2.18.0 writes the version inline; later v2.18 patches name it defaultCanalCNIVersion.
        default = _one(
            r"(?:defaultCanalCNIVersion\s*=|Version:)\s*" + _GO_STRING, mutation, "default Canal"
        )
    else:
        accepted, default = {"canal": (CANAL_LAST_UNSPECIFIED_VERSION,)}, "v3.8"
    cni: dict[str, object] = {}
    for name, versions in accepted.items():
        ordered = sorted(versions, key=_version_key)
        cni[name] = {
            "default": default,
            "supported": [v for v in ordered if _version_key(v) >= _version_key(default)],
            "deprecated": [v for v in ordered if _version_key(v) < _version_key(default)],
            "images": cni_images(source, name, versions),
        }
    return {"cni": cni, "allowedTransitions": []}


def cni_facts(source: Source) -> dict[str, object]:
    if not source.exists(CNI_VERSION_GO) and not source.exists(CNI_VERSION_GO_NEW):
        return _old_cni_facts(source)
    text = source.read(source.first(CNI_VERSION_GO_NEW, CNI_VERSION_GO))
    defaults = dict(
        re.findall(
            r"CNIPluginType(\w+):\s*" + _GO_STRING,
            _one(r"defaultCNIPluginVersion\s*=\s*map[^{]*\{(.*?)\n\t\}", text, "defaults"),
        )
    )
    supported = _go_set(text, "supportedCNIPluginVersions")
    deprecated = _go_set(text, "deprecatedCNIPluginVersions")
    reasons = _go_set_reasons(text, "deprecatedCNIPluginVersions")
    transitions = []
    for plugin, body in re.findall(r"CNIPluginType(\w+):\s*\{(.*?)\n\t\t\},?\n\t\}", text, re.S):
        for k8s, old, new in re.findall(
            r"K8sVersion:\s*"
            + _GO_STRING
            + r".*?OldCNIVersion:\s*"
            + _GO_STRING
            + r".*?NewCNIVersion:\s*"
            + _GO_STRING,
            body,
            re.S,
        ):
            transitions.append(
                {
                    "cni": plugin.lower(),
                    "kubernetes": _constraint(k8s, any_version=">=0.0.0"),
                    "from": _constraint(old, any_version=">=0.0.0"),
                    "to": _constraint(new, any_version=">=0.0.0"),
                }
            )
    cni: dict[str, object] = {}
    for name, versions in supported.items():
        if name == "none":
            continue
        cni[name] = {
            "default": defaults.get(name.capitalize(), ""),
            "supported": sorted(versions, key=_version_key),
            "deprecated": sorted(deprecated.get(name, ()), key=_version_key),
            **({"deprecatedReasons": reasons[name]} if name in reasons else {}),
            "images": cni_images(source, name, versions + deprecated.get(name, ())),
        }
    return {"cni": cni, "allowedTransitions": transitions}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _versioned_addon(source: Source, folder: str, version: str) -> str | None:
    """`addons/canal/canal_v3.22.yaml`, else the folder's unversioned file (v2.20 and older
    keep v3.8 there), else None: from v2.26 the v1.11/v1.12 Cilium addons and from v2.27
    Canal v3.8's file are gone while older versions stay listed as deprecated."""
    name = folder.rsplit("/", 1)[-1]
    for path in (f"{folder}/{name}_{version}.yaml", f"{folder}/{name}.yaml"):
        if source.exists(path):
            return source.read(path)
    return None


def cni_images(source: Source, cni: str, versions: Sequence[str]) -> dict[str, dict[str, str]]:
    """Images per CNI version, from the addon file that renders that version. Cilium 1.13
    and newer is a Helm chart KKP installs (ApplicationInstallation): no addon images."""
    wanted_images = {"canal": CANAL_IMAGES, "cilium": CILIUM_IMAGES}.get(cni)
    result: dict[str, dict[str, str]] = {}
    if wanted_images is None:
        return result
    for version in sorted(versions, key=_version_key):
        text = _versioned_addon(source, f"addons/{cni}", version)
        if text is None:
            continue
        wanted = {k: _first_image(text, paths) for k, paths in wanted_images.items()}
        result[version] = {k: v for k, v in wanted.items() if v is not None}
        if cni == "cilium":
            result[version].update(_hubble_images(source, version))
    return result


HUBBLE_IMAGES: Mapping[str, str] = {
    key: path for key, (_, path) in ADDON_IMAGES.items() if key.startswith("hubble_")
}


def _hubble_images(source: Source, version: str) -> dict[str, str]:
    """From v2.21 the hubble addon is one file per Cilium minor (hubble_v1.11.yaml,
    hubble_v1.12.yaml): its images belong to that Cilium version (v2.20 and older have one
    file, recorded in componentImages)."""
    path = f"addons/hubble/hubble_{version}.yaml"
    if not source.exists(path):
        return {}
    text = source.read(path)
    found = {key: addon_image(text, image) for key, image in HUBBLE_IMAGES.items()}
    return {key: ref for key, ref in found.items() if ref is not None}


def _first_image(text: str, paths: str) -> str | None:
    """`paths`: one image path, or alternatives separated by `|` (flannel moved from
    coreos/flannel to flannel/flannel)."""
    for path in paths.split("|"):
        found = addon_image(text, path)
        if found is not None:
            return found
    return None


def kubernetes_facts(source: Source) -> dict[str, object]:
    text = source.read(
        source.first(OPERATOR_DEFAULTS_GO_NEW, OPERATOR_DEFAULTS_GO, OPERATOR_DEFAULTS_GO_OLD)
    )
    block = _one(
        r"DefaultKubernetesVersioning\s*=.*?\{(.*?)Updates:", text.replace("\r", ""), "k8s"
    )
    default = _one(r"Default:\s*semver\.\w+\(" + _GO_STRING, block, "default Kubernetes")
    versions = re.findall(r'\w+\("(v\d+\.\d+\.\d+)"\)', block.split("Versions:", 1)[1])
    addons_block = _one(r"DefaultAccessibleAddons\s*=\s*\[\]string\{(.*?)\}", text, "addons")
    return {
        "kubernetes": {
            "default": default.removeprefix("v"),
            "versions": [v.removeprefix("v") for v in versions],
        },
        "accessibleAddons": re.findall(_GO_STRING, addons_block),
    }


# Sources a patch may lack, and what their absence means for kkpgen: (alternatives, why).
ABSENT_REASONS: tuple[tuple[str, str], ...] = (
    (KONNECTIVITY_AGENT_GO, "no Konnectivity before KKP v2.18: every cluster uses OpenVPN"),
    ("addons/hubble", "no hubble addon before KKP v2.19"),
    ("addons/cilium", "no Cilium CNI before KKP v2.19"),
    (
        f"{CNI_VERSION_GO}|{CNI_VERSION_GO_NEW}",
        "no CNI version package before KKP v2.19: the matrix is read from the "
        "cluster webhooks (v2.18), or is Canal v3.8 only (v2.17, no cniPlugin handling)",
    ),
)
# From v2.26 the v1.11/v1.12 cilium addons are gone (Cilium >= 1.13 is a Helm chart).
CILIUM_ADDON_GONE = "no cilium addon from KKP v2.26: Cilium 1.13 and newer is a Helm chart"
ABSENT_KEYS = {  # how v2.20 and older recorded them (unchanged keys keep the data stable)
    "addons/hubble": "addons/hubble/hubble.yaml",
    "addons/cilium": "addons/cilium/cilium.yaml",
    f"{CNI_VERSION_GO}|{CNI_VERSION_GO_NEW}": CNI_VERSION_GO,
}


def absent(source: Source) -> dict[str, str]:
    missing: dict[str, str] = {}
    for paths, why in ABSENT_REASONS:
        if any(source.exists(p) for p in paths.split("|")):
            continue
        reason = CILIUM_ADDON_GONE if paths == "addons/cilium" and _from_v2_26(source) else why
        missing[ABSENT_KEYS.get(paths, paths)] = reason
    return missing


def _from_v2_26(source: Source) -> bool:
    return _version_key(source.tag)[:2] >= (2, 26)


def patch_facts(source: Source) -> dict[str, object]:
    cni = cni_facts(source)
    facts = {
        **kubernetes_facts(source),
        **cni,
        "componentImages": component_images(source, source.tag),
        "capabilities": capabilities(source),
        **recent_facts(source, cni),
    }
    fields = recent.cluster_fields(source)
    if fields is not None:
        facts["clusterFields"] = fields
    missing = absent(source)
    return {**facts, "absent": missing} if missing else facts


def recent_facts(source: Source, cni: Mapping[str, object]) -> dict[str, object]:
    """What only v2.21 and later record (absent keys: catalog.yaml's values hold)."""
    network = recent.network_defaults(source)
    if network is None:
        return {}
    matrix = cni["cni"]
    assert isinstance(matrix, dict)  # noqa: S101  built above
    canal_default = str(matrix.get("canal", {}).get("default", ""))
    facts: dict[str, object] = {
        "defaultCni": recent.default_cni_type(source),
        "networkDefaults": network,
        "forcedUpgrades": recent.forced_upgrades(source, canal_default),
    }
    proxy_versions = recent.konnectivity_versions(source)
    if proxy_versions is not None:
        facts["konnectivityVersions"] = proxy_versions
    charts = recent.cilium_charts(source)
    if charts:
        facts["ciliumCharts"] = charts
    return facts


def expand(spec: str) -> Iterator[str]:
    """`v2.20.0..v2.20.16` -> each patch tag; a single tag as is."""
    if ".." not in spec:
        yield spec
        return
    first, last = spec.split("..")
    prefix, low = first.rsplit(".", 1)
    high = last.rsplit(".", 1)[1]
    for patch in range(int(low), int(high) + 1):
        yield f"{prefix}.{patch}"


HEADER = """\
# Facts recorded from kubermatic/kubermatic at each release tag by tools/kkp_facts.py.
# Generated: do not edit by hand. A new KKP patch is one command plus a review of the diff:
#   python -m tools.kkp_facts --git-dir <kubermatic mirror> {ranges} \\
#     > generator/kkp/data/kkp-patches.yaml
# Sources per tag: {sources}.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", required=True, help="a git mirror of kubermatic/kubermatic")
    parser.add_argument("tags", nargs="+", help="tags or ranges such as v2.20.0..v2.20.16")
    args = parser.parse_args(argv)
    patches: dict[str, object] = {}
    try:
        for spec in args.tags:
            for tag in expand(spec):
                patches[tag] = patch_facts(Source(args.git_dir, tag))
    except FactError as error:
        print(f"kkp_facts: {error}", file=sys.stderr)  # noqa: T201  a command-line tool
        return 1
    sources = ", ".join(
        (
            f"{CNI_VERSION_GO} (pkg/cni/version.go from v2.22)",
            f"{OPERATOR_DEFAULTS_GO} (pkg/defaulting from v2.22)",
            RESOURCES_GO,
            "addons/{canal,cilium,hubble,kube-proxy,openvpn}",
            "the Go files of konnectivity, metrics-server, node-local-dns, "
            "openvpn, http-prober and the dnat-controller default; from v2.21 "
            "pkg/defaulting/cluster.go, the cluster mutation, konnectivity/sidecar.go and "
            "Cilium's ApplicationDefinition",
        )
    )
    sys.stdout.write(HEADER.format(ranges=" ".join(args.tags), sources=sources))
    sys.stdout.write(yaml.safe_dump({"patches": patches}, sort_keys=False, width=100))
    return 0


if __name__ == "__main__":
    sys.exit(main())
