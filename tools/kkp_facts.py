"""Read KKP's source at release tags and write kkpgen's per-patch catalog facts as data.

Usage (a git mirror of kubermatic/kubermatic, and the patches to record):

    python tools/kkp_facts.py --git-dir <mirror> v2.20.0..v2.20.16 v2.19.0..v2.19.15 \
        v2.18.0..v2.18.11 v2.17.0..v2.17.5 \
        > generator/kkp/data/kkp-patches.yaml

Only facts are read (image references, version lists, transitions, defaults); no KKP YAML or
Go code is copied. Each fact names the file it comes from in `SOURCES` below, so a new KKP
patch is one command plus a review of the diff.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import yaml

CNI_VERSION_GO = "pkg/version/cni/version.go"
# v2.18 and older: the CNI matrix lives in the cluster webhooks (no deprecated set, no
# transitions table); v2.17 has no cniPlugin handling at all (every cluster runs Canal v3.8).
CNI_WEBHOOK_VALIDATION_GO = "pkg/webhook/cluster/validation/validation.go"
CNI_WEBHOOK_MUTATION_GO = "pkg/webhook/cluster/mutation/mutation.go"
CANAL_LAST_UNSPECIFIED_VERSION = "v3.8"  # cni.CanalCNILastUnspecifiedVersion (v2.19+)
OPERATOR_DEFAULTS_GO = "pkg/controller/operator/defaults/defaults.go"
OPERATOR_DEFAULTS_GO_OLD = "pkg/controller/operator/common/defaults.go"  # v2.17, v2.18
RESOURCES_GO = "pkg/resources/resources.go"
KONNECTIVITY_AGENT_GO = (
    "pkg/controller/user-cluster-controller-manager/resources/resources/konnectivity/deployment.go"
)
KONNECTIVITY_SERVER_GO = "pkg/resources/konnectivity/sidecar.go"
METRICS_SERVER_GO = "pkg/resources/metrics-server/deployment.go"
NODE_LOCAL_DNS_GO = (
    "pkg/controller/user-cluster-controller-manager/resources/resources/node-local-dns/deamonset.go"
)
OPENVPN_SERVER_GO = "pkg/resources/openvpn/deployment.go"
HTTP_PROBER_GO = "pkg/resources/apiserver/is-running.go"
DNAT_CONTROLLER_DEFAULTS_GO = "pkg/controller/operator/defaults/defaults_ce.go"
DNAT_CONTROLLER_DEFAULTS_GO_OLD = "pkg/resources/resources_ce.go"  # v2.17, v2.18
VALIDATION_GO = "pkg/validation/cluster.go"

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
    "flannel": "coreos/flannel",
}
CILIUM_IMAGES: Mapping[str, str] = {
    "cilium_agent": "cilium/cilium",
    "cilium_operator": "cilium/operator-generic",
}
_IMAGE_LINE = re.compile(
    r"""image:\s*['"]?(?:\{\{\s*Registry\s+"(?P<registry>[^"]+)"\s*\}\}|(?P<host>[a-z0-9.-]+\.[a-z]+))"""
    r"""/(?P<path>[a-z0-9._/-]+):"""
    r"""(?P<tag>v\{\{ \.Cluster\.Version \}\}|[^'"\s@]+(?:@sha256:[0-9a-f]+)?)"""
)
_GO_STRING = r'"([^"]*)"'


class FactError(Exception):
    """A fact could not be read at a tag: the tool's patterns need a look at that tag."""


@dataclass(frozen=True, slots=True)
class Source:
    git_dir: str
    tag: str

    def read(self, path: str) -> str:
        result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
            ["git", "--git-dir", self.git_dir, "show", f"{self.tag}:{path}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise FactError(f"{self.tag}: {path}: {result.stderr.strip()}")
        return result.stdout

    def exists(self, path: str) -> bool:
        result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
            ["git", "--git-dir", self.git_dir, "cat-file", "-e", f"{self.tag}:{path}"],  # noqa: S607
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def first(self, *paths: str) -> str:
        """The first of `paths` that exists at the tag (newer layouts first)."""
        for path in paths:
            if self.exists(path):
                return path
        raise FactError(f"{self.tag}: none of {', '.join(paths)} exists")

    def files(self, folder: str) -> tuple[str, ...]:
        result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
            ["git", "--git-dir", self.git_dir, "ls-tree", "--name-only", self.tag, f"{folder}/"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        return tuple(result.stdout.split())


def _one(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise FactError(f"cannot find {what}")
    return match.group(1)


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
            return f"{host}/{image_path}:{match.group('tag')}"
    return None


def _go_image(source: Source, path: str, registry_names: Mapping[str, str]) -> tuple[str, str]:
    """(registry, text) of a Go file whose image registry is `resources.RegistryX`."""
    text = source.read(path)
    name = _one(r"Image:[^\n]*resources\.(Registry\w+)\b", text, f"{path} registry")
    return registry_names[name], text


def component_images(source: Source, version: str) -> dict[str, str]:
    regs = registries(source)
    images: dict[str, str] = {}
    for key, path in (
        ("konnectivity_agent", KONNECTIVITY_AGENT_GO),
        ("konnectivity_server", KONNECTIVITY_SERVER_GO),
    ):
        if not source.exists(path):
            continue  # before v2.18: no Konnectivity (recorded under `absent`)
        registry, text = _go_image(source, path, regs)
        name = _one(r"^\s*name\s*=\s*" + _GO_STRING, text, f"{path} name")
        tag = _one(r"^\s*version\s*=\s*" + _GO_STRING, text, f"{path} version")
        images[key] = f"{registry}/{name}:{tag}"
    registry, text = _go_image(source, METRICS_SERVER_GO, regs)
    path = _one(r'\+\s*"(/metrics-server[^"]*:)"', text, "metrics-server image")
    tag = _one(r"^\s*tag\s*=\s*" + _GO_STRING, text, "metrics-server tag")
    images["metrics_server"] = f"{registry}{path}{tag}"
    registry, text = _go_image(source, NODE_LOCAL_DNS_GO, regs)
    node_cache = _one(r'%s/(k8s-dns-node-cache:[^"]+)"', text, "node-cache image")
    images["nodelocal_dns"] = f"{registry}/{node_cache}"
    text = source.read(OPENVPN_SERVER_GO)
    images["openvpn"] = "quay.io" + _one(r'\+\s*"(/kubermatic/openvpn:[^"]+)"', text, "openvpn")
    images["openvpn_exporter"] = "docker.io" + _one(r'\+\s*"(/kumina/[^"]+)"', text, "exporter")
    text = source.read(HTTP_PROBER_GO)
    images["http_prober"] = "quay.io/kubermatic/http-prober:" + _one(
        r"^\s*tag\s*=\s*" + _GO_STRING, text, "http-prober tag"
    )
    text = source.read(source.first(DNAT_CONTROLLER_DEFAULTS_GO, DNAT_CONTROLLER_DEFAULTS_GO_OLD))
    repository = _one(r"DefaultDNATControllerImage\s*=\s*" + _GO_STRING, text, "dnat image")
    images["kubeletdnat_controller"] = f"{repository}:{version}"  # tagged with KKP's version
    for key, (addon, image_path) in ADDON_IMAGES.items():
        if not source.exists(addon):
            continue  # hubble before v2.19 (recorded under `absent`)
        found = addon_image(source.read(addon), image_path)
        if found is not None:  # hubble's envoy sidecar is gone by v2.20.16
            images[key] = found.replace("{{ .Cluster.Version }}", "{kubernetes_version}")
    return dict(sorted(images.items()))


def _go_set(text: str, variable: str) -> dict[str, tuple[str, ...]]:
    block = _one(
        variable + r"\s*=\s*map\[[^\]]+\][^{]*\{(.*?)\n\t\}", text.replace("\r", ""), variable
    )
    result: dict[str, tuple[str, ...]] = {}
    for cni, values in re.findall(r"CNIPluginType(\w+):\s*sets\.NewString\(([^)]*)\)", block):
        result[cni.lower()] = tuple(re.findall(_GO_STRING, values))
    return result


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
    if not source.exists(CNI_VERSION_GO):
        return _old_cni_facts(source)
    text = source.read(CNI_VERSION_GO)
    defaults = dict(
        re.findall(
            r"CNIPluginType(\w+):\s*" + _GO_STRING,
            _one(r"defaultCNIPluginVersion\s*=\s*map[^{]*\{(.*?)\n\t\}", text, "defaults"),
        )
    )
    supported = _go_set(text, "supportedCNIPluginVersions")
    deprecated = _go_set(text, "deprecatedCNIPluginVersions")
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
            "images": cni_images(source, name, versions + deprecated.get(name, ())),
        }
    return {"cni": cni, "allowedTransitions": transitions}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def cni_images(source: Source, cni: str, versions: Sequence[str]) -> dict[str, dict[str, str]]:
    """Images per CNI version, from the addon file that renders that version."""
    result: dict[str, dict[str, str]] = {}
    if cni == "canal":
        files = source.files("addons/canal")
        for version in sorted(versions, key=_version_key):
            name = f"addons/canal/canal_{version}.yaml"
            text = source.read(name if name in files else "addons/canal/canal.yaml")
            wanted = {k: addon_image(text, path) for k, path in CANAL_IMAGES.items()}
            result[version] = {k: v for k, v in wanted.items() if v is not None}
    elif cni == "cilium":
        text = source.read("addons/cilium/cilium.yaml")
        for version in versions:
            wanted = {k: addon_image(text, path) for k, path in CILIUM_IMAGES.items()}
            result[version] = {k: v for k, v in wanted.items() if v is not None}
    return result


def kubernetes_facts(source: Source) -> dict[str, object]:
    text = source.read(source.first(OPERATOR_DEFAULTS_GO, OPERATOR_DEFAULTS_GO_OLD))
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


# Named differences between patches that templates branch on: (name, file, text whose
# presence in that file at the tag means the patch has the capability).
CAPABILITIES: tuple[tuple[str, str, str], ...] = (
    ("konnectivity_agent_priority_class", KONNECTIVITY_AGENT_GO, "PriorityClassName"),
    ("konnectivity_agent_pull_if_not_present", KONNECTIVITY_AGENT_GO, "PullIfNotPresent"),
    ("openvpn_client_priority_class", ADDON_IMAGES["openvpn_client"][0], "priorityClassName"),
    # PodDisruptionBudgets move from policy/v1beta1 to policy/v1 (after v2.20).
    ("pdb_policy_v1", "pkg/resources/metrics-server/pdb.go", "policyv1.PodDisruptionBudget"),
    # The canal addon's calico-kube-controllers PDB and hubble's certgen CronJob keep their
    # beta APIs (policy/v1beta1, batch/v1beta1) until the addon YAML moves them.
    ("canal_pdb_policy_v1", "addons/canal/canal_v3.22.yaml", "apiVersion: policy/v1\n"),
    ("hubble_cronjob_batch_v1", "addons/hubble/hubble.yaml", "apiVersion: batch/v1\nkind: CronJob"),
    # From v2.20.12 node-cache reads /etc/Corefile built from Corefile.base and kube-dns.
    ("nodelocal_dns_kube_dns_config", NODE_LOCAL_DNS_GO, "kube-dns-config"),
    # validateCNIUpdate exists (v2.19+): it validates every CNI change, KKP's own forced
    # upgrades included (v2.18's webhook keeps cniPlugin immutable and forces nothing).
    ("cni_update_validated", VALIDATION_GO, "func validateCNIUpdate("),
    # validateCNIUpdate: any version change away from a deprecated (unsupported) CNI version
    # is allowed, before the allowedCNIVersionTransitions table replaced it (v2.20.5).
    (
        "cni_upgrade_from_deprecated",
        VALIDATION_GO,
        "allowed for automated migration from deprecated CNI",
    ),
    # validateClusterNetworkingConfigUpdateImmutability: proxyMode may change with the
    # unsafe-cni-migration label (the Canal/ipvs to Cilium/ebpf migration), from v2.20.7.
    # From v2.20.16 the cilium and hubble addons follow Cilium's v1.11.16 chart: hubble-relay
    # dials the hubble-peer Service, hubble-ui v0.11 serves through nginx (no Envoy), the
    # agent gets the apply-sysctl-overwrites and install-cni-binaries init containers, and
    # the CronJob is batch/v1.
    ("cilium_chart_1_11_16", "addons/hubble/hubble.yaml", "hubble-peer"),
    # From v2.20.14 cilium-config carries the cluster's node-port range with proxy mode ebpf.
    ("cilium_node_port_range", "addons/cilium/cilium.yaml", "node-port-range: {{"),
    (
        "proxy_mode_change_with_migration_label",
        VALIDATION_GO,
        "allow proxy mode change by CNI migration",
    ),
)


def capabilities(source: Source) -> list[str]:
    return [
        name
        for name, path, text in CAPABILITIES
        if source.exists(path) and text in source.read(path)
    ]


# Sources a patch may lack, and what their absence means for kkpgen.
ABSENT_REASONS: Mapping[str, str] = {
    KONNECTIVITY_AGENT_GO: "no Konnectivity before KKP v2.18: every cluster uses OpenVPN",
    "addons/hubble/hubble.yaml": "no hubble addon before KKP v2.19",
    "addons/cilium/cilium.yaml": "no Cilium CNI before KKP v2.19",
    CNI_VERSION_GO: "no CNI version package before KKP v2.19: the matrix is read from the "
    "cluster webhooks (v2.18), or is Canal v3.8 only (v2.17, no cniPlugin handling)",
}


def absent(source: Source) -> dict[str, str]:
    return {path: why for path, why in ABSENT_REASONS.items() if not source.exists(path)}


def patch_facts(source: Source) -> dict[str, object]:
    facts = {
        **kubernetes_facts(source),
        **cni_facts(source),
        "componentImages": component_images(source, source.tag),
        "capabilities": capabilities(source),
    }
    missing = absent(source)
    return {**facts, "absent": missing} if missing else facts


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
#   python tools/kkp_facts.py --git-dir <kubermatic mirror> {ranges} \\
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
            CNI_VERSION_GO,
            OPERATOR_DEFAULTS_GO,
            RESOURCES_GO,
            "addons/{canal,cilium,hubble,kube-proxy,openvpn}",
            "the Go files of konnectivity, metrics-server, node-local-dns, "
            "openvpn, http-prober and the dnat-controller default",
        )
    )
    sys.stdout.write(HEADER.format(ranges=" ".join(args.tags), sources=sources))
    sys.stdout.write(yaml.safe_dump({"patches": patches}, sort_keys=False, width=100))
    return 0


if __name__ == "__main__":
    sys.exit(main())
