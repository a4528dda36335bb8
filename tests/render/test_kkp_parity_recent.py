"""Konnectivity, OpenVPN, metrics-server and NodeLocal DNS objects at the newest patch of each
KKP line from v2.21, compared whole with the facts read off KKP's source
(kkp_parity_recent_facts.yaml), and the counts docs/kkp-parity.md states."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from tests.conftest import CONFIG, RenderFleet, cluster_yaml
from tests.render.test_kkp_parity import _matched

ROOT = Path(__file__).parents[2]
FACTS: dict[str, dict[str, Any]] = yaml.safe_load(
    Path(__file__).with_name("kkp_parity_recent_facts.yaml").read_text()
)
# The newest patch of each line, the test cluster's Kubernetes version there (v2.29+: 1.34.10,
# which all three offer; before, the patch's default) and a Canal version it supports.
PATCHES: dict[str, tuple[str, str]] = {
    "v2.31.0": ("1.34.10", "v3.30"),
    "v2.30.6": ("1.34.10", "v3.30"),
    "v2.29.10": ("1.34.10", "v3.30"),
    "v2.28.13": ("1.33.13", "v3.29"),
    "v2.27.12": ("1.31.14", "v3.29"),
    "v2.26.13": ("1.30.12", "v3.28"),
    "v2.25.18": ("1.28.9", "v3.27"),
    "v2.24.15": ("1.27.10", "v3.27"),
    "v2.23.19": ("1.26.13", "v3.25"),
    "v2.22.13": ("1.25.16", "v3.24"),
    "v2.21.15": ("1.23.15", "v3.23"),
}
# OpenVPN clusters exist until KKP removes OpenVPN (v2.26).
OPENVPN_PATCHES = ("v2.25.18", "v2.24.15", "v2.23.19", "v2.22.13", "v2.21.15")
HOST, PORTS = "c1.kkp.example.com", {"konnectivity": 31000, "openvpn": 31001}
FEATURES = "features: {apiserverNetworkPolicy: true, kubeSystemNetworkPolicies: true}\n"
# The charts whose whole objects the facts hold: the folders compared file by file.
CHARTS = ("konnectivity", "metrics-server", "nodelocal-dns", "openvpn")
CASES = [(p, "konnectivity") for p in PATCHES] + [(p, "openvpn") for p in OPENVPN_PATCHES]


def _render(root: Path, patch: str, tunnel: str) -> dict[str, Any]:
    (root / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"')
    if not patch.startswith("v2.21."):  # the KonnectivityService gate is gone from v2.22
        config = config.replace("  featureGates:\n    KonnectivityService: true\n", "")
    (root / "kubermatic.yaml").write_text(config)
    kubernetes, canal = PATCHES[patch]
    konnectivity = str(tunnel == "konnectivity").lower()
    network = (
        "" if tunnel == "unset" else f"clusterNetwork: {{konnectivityEnabled: {konnectivity}}}\n"
    )
    spec = cluster_yaml(
        "c1",
        version=f'"{kubernetes}"',
        extra=f"cniPlugin: {{type: canal, version: {canal}}}\n{network}{FEATURES}",
    ).replace(
        "  name: c1\n",
        "  name: c1\n  annotations:\n"
        f'    kkpgen/konnectivity-server-port: "{PORTS["konnectivity"]}"\n'
        f'    kkpgen/openvpn-server-port: "{PORTS["openvpn"]}"\n',
        1,
    )
    (root / "clusters" / "c1.yaml").write_text(spec)
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    out = root / "out" / "c1"
    return {
        p.relative_to(out).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted(out.rglob("*.yaml"))
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (patch, tunnel): _render(tmp_path_factory.mktemp(f"{patch}-{tunnel}"), patch, tunnel)
        for patch, tunnel in CASES
    }


def _substituted(value: Any, tunnel: str) -> Any:
    port = str(PORTS[tunnel])
    text = yaml.safe_dump(value).replace("{host}", HOST)
    return yaml.safe_load(text.replace("'{port}'", port).replace("{port}", port))


def _apply(obj: Any, path: str, value: Any) -> None:
    """Set the value at a dotted path (a number picks a list item); null removes the key."""
    *parents, last = path.split(".")
    for part in parents:
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    if isinstance(obj, list):
        obj[int(last)] = value
    elif value is None:
        obj.pop(last, None)
    else:
        obj[last] = value


def facts_at(patch: str, tunnel: str) -> dict[str, Any]:
    """Every object KKP applies at `patch` for a cluster on `tunnel`, by fact name: `common`,
    then each entry whose key names the patch (keys list patches, applied in order)."""
    out: dict[str, Any] = {}
    for name, facts in FACTS.items():
        if facts.get("tunnel", "konnectivity") not in (tunnel, "any") or patch not in facts.get(
            "patches", PATCHES
        ):
            continue
        expected = copy.deepcopy(facts["common"])
        for key, changes in facts.items():
            if key.startswith("v2.") and patch in key.split():
                for path, value in changes.items():
                    _apply(expected, path, value)
        out[name] = {"file": facts["file"], "object": _substituted(expected, tunnel)}
    return out


def _chart_files(tree: dict[str, Any], chart: str) -> set[str]:
    return {p for p in tree if p.split("/")[1:2] == [chart] and p.startswith(("user-", "seed/"))}


def counts(
    rendered: dict[tuple[str, str], dict[str, Any]], patch: str, tunnel: str, chart: str
) -> tuple[int, int, int]:
    """KKP objects, how many kkpgen renders, how many of those are field-identical."""
    tree = rendered[(patch, tunnel)]
    kkp = {
        f["file"]: f["object"]
        for f in facts_at(patch, tunnel).values()
        if f["file"].split("/")[1] == chart
    }
    both = [path for path in kkp if path in tree]
    identical = [path for path in both if _matched(kkp[path], tree[path]) == kkp[path]]
    return len(kkp), len(both), len(identical)


ALL = [(p, t, name) for p, t in CASES for name in facts_at(p, t)]


@pytest.mark.parametrize(("patch", "tunnel", "name"), ALL)
def test_the_rendered_object_is_the_object_kkp_applies(
    rendered: dict[tuple[str, str], dict[str, Any]], patch: str, tunnel: str, name: str
) -> None:
    fact = facts_at(patch, tunnel)[name]
    tree = rendered[(patch, tunnel)]
    assert fact["file"] in tree, f"{name}: kkpgen does not render {fact['file']}"
    expected = fact["object"]
    assert _matched(expected, tree[fact["file"]]) == expected, f"{name} at KKP {patch}"


@pytest.mark.parametrize(("patch", "tunnel"), CASES)
@pytest.mark.parametrize("chart", CHARTS)
def test_every_object_rendered_is_one_kkp_applies(
    rendered: dict[tuple[str, str], dict[str, Any]], patch: str, tunnel: str, chart: str
) -> None:
    kkp = {f["file"] for f in facts_at(patch, tunnel).values() if f["file"].split("/")[1] == chart}
    assert _chart_files(rendered[(patch, tunnel)], chart) == kkp


def _doc_rows() -> dict[tuple[str, str, str], tuple[int, ...]]:
    """docs/kkp-parity.md's rows `| chart | patch | tunnel | KKP | renders | identical |`."""
    text = (ROOT / "docs" / "kkp-parity.md").read_text()
    row = re.compile(r"^\| ([a-z-]+) \| (v2\.\d+\.\d+) \| (\w+) \|((?: \d+ \|){3})$", re.M)
    return {
        (m.group(1), m.group(2), m.group(3)): tuple(
            int(n) for n in m.group(4).strip(" |").split(" | ")
        )
        for m in row.finditer(text)
    }


@pytest.mark.parametrize(("patch", "tunnel"), CASES)
@pytest.mark.parametrize("chart", CHARTS)
def test_the_parity_doc_states_the_counts_the_render_gives(
    rendered: dict[tuple[str, str], dict[str, Any]], patch: str, tunnel: str, chart: str
) -> None:
    got = counts(rendered, patch, tunnel, chart)
    if got[0] == 0:
        assert (chart, patch, tunnel) not in _doc_rows()
        return
    assert _doc_rows().get((chart, patch, tunnel)) == got, (
        f"docs/kkp-parity.md row `| {chart} | {patch} | {tunnel} |`: KKP objects, rendered, "
        "field-identical"
    )


@pytest.mark.parametrize("patch", [p for p in PATCHES if p not in OPENVPN_PATCHES])
def test_openvpn_is_never_rendered_where_kkp_removed_it(tmp_path: Path, patch: str) -> None:
    """From v2.26 Konnectivity is mandatory (unset means on): no OpenVPN objects, and
    metrics-server runs in the user cluster, never in the seed."""
    tree = _render(tmp_path, patch, "unset")
    assert _chart_files(tree, "openvpn") == set()
    assert not [path for path in tree if path.startswith("seed/metrics-server/")]
    assert "user-cluster/metrics-server/deployment-metrics-server.yaml" in tree


def _cluster(patch: str, extra: str, cloud: str = "aws: {}") -> dict[str, str]:
    kubernetes, canal = PATCHES[patch]
    spec = cluster_yaml(
        "c1",
        version=f'"{kubernetes}"',
        cloud=cloud,
        extra=f"cniPlugin: {{type: canal, version: {canal}}}\n{extra}",
    )
    config = CONFIG.replace('"v2.20"', f'"{patch}"')
    return {
        "spec": spec,
        "config": config.replace("  featureGates:\n    KonnectivityService: true\n", ""),
    }


def test_the_metrics_server_service_prefers_dual_stack_on_a_dual_stack_cluster(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """service.go: IPFamilyPolicy PreferDualStack only when the cluster is dual stack."""
    inputs = _cluster("v2.31.0", "clusterNetwork: {ipFamily: IPv4+IPv6}\n")
    objects = render_fleet(tmp_path, specs={"c1": inputs["spec"]}, config=inputs["config"])
    service = objects.objects("c1")["user-cluster/metrics-server/service-metrics-server.yaml"]
    assert service["spec"]["ipFamilyPolicy"] == "PreferDualStack"


@pytest.mark.parametrize(
    ("patch", "cloud", "types"),
    [
        ("v2.25.18", "gcp: {}", "InternalIP"),
        ("v2.25.18", "aws: {}", "ExternalIP,InternalIP"),
        ("v2.21.15", "gcp: {}", "InternalIP"),
    ],
    ids=["gcp", "aws", "gcp-v2.21"],
)
def test_the_seed_metrics_server_prefers_the_address_types_kkp_chooses(
    tmp_path: Path, render_fleet: RenderFleet, patch: str, cloud: str, types: str
) -> None:
    """GetKubeletPreferredAddressTypes (v2.21.1+): InternalIP on GCP, else ExternalIP first."""
    inputs = _cluster(patch, "clusterNetwork: {konnectivityEnabled: false}\n", cloud)
    config = inputs["config"]
    if patch.startswith("v2.21."):
        config = CONFIG.replace('"v2.20"', f'"{patch}"')
    rendered = render_fleet(tmp_path, specs={"c1": inputs["spec"]}, config=config)
    deployment = rendered.objects("c1")["seed/metrics-server/deployment-metrics-server.yaml"]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    server = yaml.safe_load(args[-1])["args"]
    assert server[server.index("--kubelet-preferred-address-types") + 1] == types


def test_metrics_server_resources_are_kkps_per_release_unless_set(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """`userCluster.resources` empty: KKP's for the release; set: the value, whole."""
    addon = (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: metrics-server, namespace: cluster-c1}\n"
        "spec: {name: metrics-server, cluster: {name: c1}, variables: "
        "{userCluster: {resources: {requests: {cpu: 300m}}}}}\n"
    )
    inputs = _cluster("v2.31.0", "")
    rendered = render_fleet(tmp_path, specs={"c1": inputs["spec"] + addon}, config=inputs["config"])
    deployment = rendered.objects("c1")[
        "user-cluster/metrics-server/deployment-metrics-server.yaml"
    ]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "300m"}}
