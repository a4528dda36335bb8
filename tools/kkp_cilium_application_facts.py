"""Run KKP's own Cilium values code at each release tag and write the ApplicationInstallation
facts (tests/render/kkp_cilium_application_variants.yaml).

Usage (a git mirror of kubermatic/kubermatic; every GA patch v2.22.0-v2.31.0 by default):

    python -m tools.kkp_cilium_application_facts --git-dir <mirror> \
        > tests/render/kkp_cilium_application_variants.yaml

At each tag the tool cuts KKP's functions out of the source (never copying them into the
project): `GetAppInstallOverrideValues` (pkg/cni/cilium/cilium.go, in the
cni-application-installation-controller from v2.28), the ApplicationDefinition's default
values (a Go map before v2.28, the embedded cilium.yaml after) and, from v2.29.9,
`ensureCiliumNodeLocalDNSExcludeLocalAddress`. It compiles them with Go (standard library
only) beside small stand-ins for KKP's types (`STUBS`: the Cluster fields they read) and
mergo's override merge of map[string]any, and runs them for the test clusters of
tests/render/test_cilium_application.py (`CLUSTERS`). The reconciler's options (atomic,
`values` or `valuesBlock`, the empty `values: {}`, the dropped `clusterPoolIPv4PodCIDR`) are
read from the ApplicationInstallationReconciler's text.

A variant is a set of patches whose objects are all the same; the file names each patch's
variant and records every variant's whole objects. `valuesBlock` is sigs.k8s.io/yaml's
Marshal of the merged values (kkpgen.render.goyaml, which tests/render/test_goyaml.py holds
to yaml.v2's bytes); the values themselves, types included, are what KKP's Go code returns.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeAlias

import yaml

from kkpgen.render.goyaml import go_yaml
from tools.kkp_source import FactError, Source

Json: TypeAlias = bool | int | float | str | list["Json"] | dict[str, "Json"] | None

CILIUM_GO = "pkg/cni/cilium/cilium.go"
CONTROLLER_GO = (
    "pkg/controller/seed-controller-manager/cni-application-installation-controller/controller.go"
)
DEFINITION_YAML = "pkg/applicationdefinitions/system-applications/cilium.yaml"
FIRST, LAST = (2, 22, 0), (2, 31, 0)

# The test clusters (tests/render/test_cilium_application.py renders the same ones): the
# patch's default Cilium (as tools/kkp_facts.py recorded it), pods 172.25.0.0/16 (+ fd01::/48),
# apiserver c1.kkp.example.com:6443, KKP's default node mask sizes 24 and 64.
TEAM_VALUES: dict[str, Json] = {
    "kubeProxyReplacement": "false",
    "cni": {"exclusive": True, "customConf": True},
    "ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": ["10.0.0.0/8"]}},
    "hubble": {"relay": {"enabled": False}, "ui": {"enabled": False}},
    "extraConfig": {"exclude-local-address": "10.0.0.1/32,169.254.20.10/32", "other": "y"},
    "bandwidthManager": {"enabled": True},
}
CLUSTERS: dict[str, dict[str, Json]] = {
    "ebpf": {"proxyMode": "ebpf"},
    "iptables": {"proxyMode": "iptables"},
    "dual-stack-no-nodelocal-dns": {
        "proxyMode": "ebpf",
        "dualStack": True,
        "nodeLocalDNS": False,
    },
    "team-values": {"proxyMode": "ebpf", "teamValues": TEAM_VALUES},
    "node-port-range": {"proxyMode": "ebpf", "nodePortRange": "30000-31000"},
    # The single-CIDR value of v2.22-v2.23, which v2.24.0-v2.27.0 delete from team values.
    "legacy-pod-cidr": {
        "proxyMode": "iptables",
        "teamValues": {"ipam": {"operator": {"clusterPoolIPv4PodCIDR": "10.0.0.0/8"}}},
    },
}
PATCHES_YAML = Path(__file__).parent.parent / "generator/kkp/data/kkp-patches.yaml"

# Stand-ins for the KKP identifiers the cut-out functions use (package per import name).
STUBS: dict[str, str] = {
    "kubermaticv1": """package kubermaticv1
type CNIPluginType string
const CNIPluginTypeCilium CNIPluginType = "cilium"
type CNIPluginSettings struct { Type CNIPluginType; Version string }
type NetworkRanges struct { CIDRBlocks []string }
func pick(blocks []string, v6 bool) []string {
	out := []string{}
	for _, b := range blocks { if (len(b) > 0 && contains(b, ":")) == v6 { out = append(out, b) } }
	return out
}
func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub { return true }
	}
	return false
}
func (r *NetworkRanges) GetIPv4CIDRs() []string { return pick(r.CIDRBlocks, false) }
func (r *NetworkRanges) GetIPv6CIDRs() []string { return pick(r.CIDRBlocks, true) }
func first(l []string) string { if len(l) == 0 { return "" }; return l[0] }
func (r *NetworkRanges) GetIPv4CIDR() string { return first(r.GetIPv4CIDRs()) }
func (r *NetworkRanges) GetIPv6CIDR() string { return first(r.GetIPv6CIDRs()) }
type ClusterNetworkingConfig struct {
	ProxyMode string; Pods NetworkRanges; NodeCIDRMaskSizeIPv4 *int32; NodeCIDRMaskSizeIPv6 *int32
	NodeLocalDNSCacheEnabled *bool
}
type APIServerSettings struct { NodePortRange string }
type ComponentSettings struct { Apiserver APIServerSettings }
type ClusterSpec struct {
	CNIPlugin *CNIPluginSettings; ClusterNetwork ClusterNetworkingConfig
	ComponentsOverride ComponentSettings
}
type ClusterAddress struct { ExternalName string; Port int32 }
type ClusterStatus struct { Address ClusterAddress }
type Cluster struct { Spec ClusterSpec; Status ClusterStatus }
func (c *Cluster) IsDualStack() bool { return len(c.Spec.ClusterNetwork.Pods.GetIPv6CIDRs()) > 0 }
""",
    "resources": """package resources
const EBPFProxyMode = "ebpf"
const DefaultNodePortRange = "30000-32767"
const NodeLocalDNSCacheAddress = "169.254.20.10"
""",
    "registry": """package registry
func Must(s string, err error) string { if err != nil { panic(err) }; return s }
func RewriteImage(image, registry string) (string, error) { return registry + "/" + image, nil }
""",
    "maps": """package maps
func Clone[M ~map[K]V, K comparable, V any](m M) M {
	r := make(M, len(m)); for k, v := range m { r[k] = v }; return r
}
""",
    "slices": """package slices
func Contains[S ~[]E, E comparable](s S, v E) bool {
	for _, e := range s { if e == v { return true } }; return false
}
""",
}

# mergo.Merge(&dst, src, mergo.WithOverride) on map[string]any: a map merges into a map key
# by key, anything else (a list included) replaces; the dst keeps its own map objects.
MAIN = """package main
import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"harness/kubermaticv1"
	"harness/maps"
	"harness/registry"
	"harness/resources"
	"harness/slices"
)
var _ = strings.ReplaceAll
var _ = fmt.Sprintf
var _ = maps.Clone[map[string]any]
var _ = slices.Contains[[]string]
var _ = registry.Must
var _ = resources.EBPFProxyMode
const ciliumImageRegistry = "quay.io/cilium/"
const ciliumExtraConfigExcludeLocalAddressKey = "exclude-local-address"
func merge(dst, src map[string]any) {
	for k, s := range src {
		sm, sIsMap := s.(map[string]any)
		dm, dIsMap := dst[k].(map[string]any)
		if sIsMap && dIsMap && len(dm) > 0 { merge(dm, sm); continue }
		dst[k] = s
	}
}
type input struct {
	ProxyMode string; DualStack bool; NodeLocalDNS *bool; NodePortRange string
	TeamValues map[string]any
}
func main() {
	var inputs map[string]input
	if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil { panic(err) }
	out := map[string]any{}
	for name, in := range inputs {
		v4, v6 := int32(24), int32(64)
		blocks := []string{"172.25.0.0/16"}
		if in.DualStack { blocks = append(blocks, "fd01::/48") }
		c := &kubermaticv1.Cluster{}
		c.Spec.CNIPlugin = &kubermaticv1.CNIPluginSettings{Type: "cilium", Version: "1.18.10"}
		c.Spec.ClusterNetwork = kubermaticv1.ClusterNetworkingConfig{ProxyMode: in.ProxyMode,
			Pods: kubermaticv1.NetworkRanges{CIDRBlocks: blocks}, NodeCIDRMaskSizeIPv4: &v4,
			NodeCIDRMaskSizeIPv6: &v6, NodeLocalDNSCacheEnabled: in.NodeLocalDNS}
		c.Spec.ComponentsOverride.Apiserver.NodePortRange = in.NodePortRange
		c.Status.Address = kubermaticv1.ClusterAddress{
			ExternalName: "c1.kkp.example.com", Port: 6443}
		values := in.TeamValues
		if len(values) == 0 { values = roundTrip(defaultValues()) }
		merge(values, overrideValues(c, ""))
		afterMerge(c, values)
		out[name] = values
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil { panic(err) }
}
func roundTrip(v map[string]any) map[string]any {
	raw, err := json.Marshal(v); if err != nil { panic(err) }
	out := map[string]any{}; if err := json.Unmarshal(raw, &out); err != nil { panic(err) }
	return out
}
"""


def _tags(git_dir: str) -> list[str]:
    listed = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
        ["git", "--git-dir", git_dir, "tag", "-l", "v2.*"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = [t for t in listed if re.fullmatch(r"v\d+\.\d+\.\d+", t)]
    keyed = sorted((tuple(int(p) for p in t[1:].split(".")), t) for t in found)
    return [t for key, t in keyed if FIRST <= key <= LAST]


def _function(text: str, name: str) -> str:
    match = re.search(rf"^func (?:\([^)]*\) )?{name}\(.*?^}}\n", text, re.S | re.M)
    if match is None:
        raise FactError(f"cannot find func {name}")
    return match.group(0)


def _go_map_literal(text: str) -> str:
    """The `defaultValues := map[string]any{...}` literal of the ApplicationDefinition."""
    start = text.index("defaultValues := map[string]any{")
    depth, i = 0, text.index("{", start)
    while True:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return text[text.index("map[string]any{", start) : i]


def _default_values(source: Source, cilium_go: str) -> str:
    """A Go function body returning the ApplicationDefinition's default values."""
    if cilium_go:
        return "return " + _go_map_literal(cilium_go)
    document = yaml.safe_load(source.read(DEFINITION_YAML))
    block = yaml.safe_load(document["spec"]["defaultValuesBlock"])
    literal = json.dumps(json.dumps(block))
    return f"var v map[string]any; json.Unmarshal([]byte({literal}), &v); return v"


def go_program(source: Source) -> str:
    cilium_go = source.read(CILIUM_GO) if source.exists(CILIUM_GO) else ""
    controller = source.read(CONTROLLER_GO)
    override = _function(cilium_go + controller, "[Gg]etAppInstallOverrideValues")
    override = re.sub(r"^func \w+\(", "func overrideValues(", override, count=1)
    after = []
    if 'delete(operator, "clusterPoolIPv4PodCIDR")' in controller:
        after.append(
            'delete(values["ipam"].(map[string]any)["operator"].(map[string]any), '
            '"clusterPoolIPv4PodCIDR")'
        )
    if "ensureCiliumNodeLocalDNSExcludeLocalAddress(cluster, values)" in controller:
        after.append("ensureCiliumNodeLocalDNSExcludeLocalAddress(c, values)")
        override += _function(controller, "ensureCiliumNodeLocalDNSExcludeLocalAddress")
    return (
        MAIN
        + override
        + "func defaultValues() map[string]any {\n"
        + _default_values(source, cilium_go)
        + "\n}\nfunc afterMerge(c *kubermaticv1.Cluster, values map[string]any) {\n"
        + "\n".join(after)
        + "\n}\n"
    )


def run_go(program: str) -> dict[str, Json]:
    inputs = {
        name: {
            "ProxyMode": c["proxyMode"],
            "DualStack": c.get("dualStack", False),
            "NodeLocalDNS": c.get("nodeLocalDNS"),
            "NodePortRange": c.get("nodePortRange", ""),
            "TeamValues": c.get("teamValues"),
        }
        for name, c in CLUSTERS.items()
    }
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "go.mod").write_text("module harness\n\ngo 1.19\n")
        (root / "main.go").write_text(program)
        for package, text in STUBS.items():
            (root / package).mkdir()
            (root / package / f"{package}.go").write_text(text)
        result = subprocess.run(
            ["go", "run", "."],  # noqa: S607
            cwd=root,
            input=json.dumps(inputs),
            capture_output=True,
            text=True,
            check=False,
            env={"GOFLAGS": "-mod=mod", "GOPROXY": "off", "HOME": folder, "PATH": _path()},
        )
    if result.returncode != 0:
        raise FactError(result.stderr.strip())
    values: dict[str, Json] = json.loads(result.stdout)
    return values


def _path() -> str:
    return os.environ.get("PATH", "/usr/bin:/bin")


def reconciler(controller: str) -> dict[str, Json]:
    """The options ApplicationInstallationReconciler writes (read from its text)."""
    block = "app.Spec.ValuesBlock = string(rawValues)" in controller
    return {
        "atomic": "Atomic: true," in controller,
        "valuesBlock": block,
        # v2.25.11+: `values: {}` beside valuesBlock; before, values is null (not stored).
        "emptyValues": 'Raw: []byte("{}")' in controller,
    }


def whole_object(options: Mapping[str, Json], values: Json, version: str) -> dict[str, Json]:
    helm: dict[str, Json] = {"wait": True, "timeout": "10m0s"}
    if options["atomic"]:
        helm = {"atomic": True, **helm}
    spec: dict[str, Json] = {
        "namespace": {"name": "kube-system", "create": False},
        "applicationRef": {"name": "cilium", "version": version},
        "deployOptions": {"helm": helm},
        "reconciliationInterval": "1h0m0s",
    }
    if options["valuesBlock"]:
        if options["emptyValues"]:
            spec["values"] = {}
        spec["valuesBlock"] = go_yaml(values)
    else:
        spec["values"] = values
    return {
        "apiVersion": "apps.kubermatic.k8c.io/v1",
        "kind": "ApplicationInstallation",
        "metadata": {
            "name": "cilium",
            "namespace": "kube-system",
            "labels": {
                "apps.kubermatic.k8c.io/managed-by": "kkp",
                "apps.kubermatic.k8c.io/type": "cni",
            },
        },
        "spec": spec,
    }


def facts_at(
    git_dir: str, tag: str, cache: dict[str, dict[str, Json]], version: str
) -> dict[str, Json]:
    source = Source(git_dir, tag)
    program = go_program(source)
    digest = hashlib.sha256(program.encode()).hexdigest()
    if digest not in cache:
        cache[digest] = run_go(program)
    options = reconciler(source.read(CONTROLLER_GO))
    objects: dict[str, Json] = {
        name: whole_object(options, cache[digest][name], version) for name in sorted(CLUSTERS)
    }
    return {"objects": objects}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", required=True)
    args = parser.parse_args(argv)
    cache: dict[str, dict[str, Json]] = {}
    patches: dict[str, Json] = {}
    variants: dict[str, Json] = {}
    seen: dict[str, str] = {}
    recorded = yaml.safe_load(PATCHES_YAML.read_text())["patches"]
    for tag in _tags(args.git_dir):
        version = recorded[tag]["cni"]["cilium"]["default"]
        facts = facts_at(args.git_dir, tag, cache, version)
        key = json.dumps(facts, sort_keys=True).replace(json.dumps(version), "VERSION")
        if key not in seen:
            seen[key] = tag
            variants[tag] = facts
        patches[tag] = {"variant": seen[key], "cilium": version}
    sys.stdout.write(HEADER)
    yaml.safe_dump(
        {"patches": patches, "variants": variants},
        sys.stdout,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return 0


HEADER = """\
# The ApplicationInstallation kube-system/cilium KKP writes at every GA patch v2.22.0-v2.31.0,
# for the test clusters of tests/render/test_cilium_application.py. Generated: do not edit.
#   python -m tools.kkp_cilium_application_facts --git-dir <kubermatic mirror> \\
#     > tests/render/kkp_cilium_application_variants.yaml
# `patches`: each patch's variant (the first patch that writes the same objects but for
# applicationRef.version) and its default Cilium, which the test clusters run;
# `variants`: the whole objects of each variant (at its first patch), by test cluster. The
# values are what KKP's own Go code (GetAppInstallOverrideValues, the ApplicationDefinition's
# defaults, ensureCiliumNodeLocalDNSExcludeLocalAddress) returns, run at the tag.
"""

if __name__ == "__main__":
    raise SystemExit(main())
