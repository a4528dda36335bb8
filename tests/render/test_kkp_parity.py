"""Rendered objects against facts recorded from KKP's source (kkp_parity_facts.yaml), per patch."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CONFIG, RenderFleet, cluster_yaml

FACTS: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).with_name("kkp_parity_facts.yaml")).read_text()
)
PATCHES = ("v2.20.0", "v2.20.9", "v2.20.16")
HOST, KONNECTIVITY_PORT, OPENVPN_PORT = "c1.kkp.example.com", 31000, 31001
# fact group -> (konnectivity on?, rendered file, container named by `container.`, by `sidecar.`)
OBJECTS: dict[str, tuple[bool, str, str, str]] = {
    "konnectivity-agent": (
        True,
        "user-cluster/konnectivity/deployment-konnectivity-agent.yaml",
        "konnectivity-agent",
        "",
    ),
    "openvpn-client": (
        False,
        "user-cluster/openvpn/deployment-openvpn-client.yaml",
        "openvpn-client",
        "dnat-controller",
    ),
    "vpn-client-clusterrole": (False, "user-cluster/openvpn/clusterrole-vpn-client.yaml", "", ""),
    "vpn-client-clusterrolebinding": (
        False,
        "user-cluster/openvpn/clusterrolebinding-vpn-client.yaml",
        "",
        "",
    ),
    "node-local-dns": (
        True,
        "user-cluster/nodelocal-dns/daemonset-node-local-dns.yaml",
        "node-cache",
        "",
    ),
    "kube-proxy": (True, "user-cluster/kube-proxy/daemonset-kube-proxy.yaml", "kube-proxy", ""),
    "canal": (True, "user-cluster/canal/daemonset-canal.yaml", "calico-node", ""),
}


def _inputs(patch: str, *, konnectivity: bool, features: str = "") -> dict[str, Any]:
    """render_fleet's inputs: KKP `patch` and one cluster c1 with both tunnel ports."""
    spec = cluster_yaml(
        "c1",
        version='"1.22.5"',  # offered by KKP v2.20.0 to v2.20.16
        extra=f"""\
        cniPlugin: {{type: canal, version: v3.22}}
        clusterNetwork:
          konnectivityEnabled: {str(konnectivity).lower()}
        {features}""",
    ).replace(
        "  name: c1\n",
        "  name: c1\n  annotations:\n"
        f'    kkpgen/konnectivity-server-port: "{KONNECTIVITY_PORT}"\n'
        f'    kkpgen/openvpn-server-port: "{OPENVPN_PORT}"\n',
        1,
    )
    return {"specs": {"c1": spec}, "config": CONFIG.replace('"v2.20"', f'"{patch}"')}


MISSING = object()


def _field(obj: Any, path: str, containers: tuple[str, str]) -> Any:
    head, _, rest = path.partition(".")
    if head in ("container", "sidecar"):
        name = containers[0] if head == "container" else containers[1]
        listed = obj["spec"]["template"]["spec"]["containers"]
        obj = next(c for c in listed if c["name"] == name)
        path = rest
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return MISSING
        obj = obj[part]
    return obj


def _expected(group: str, patch: str) -> dict[str, Any]:
    facts = FACTS[group]
    port = KONNECTIVITY_PORT if OBJECTS[group][0] else OPENVPN_PORT
    wanted = {**facts.get("common", {}), **facts.get(patch, {})}
    text = yaml.safe_dump(wanted).replace("{host}", HOST).replace("{port}", str(port))
    expected: dict[str, Any] = yaml.safe_load(text)
    return expected


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, render_fleet: RenderFleet
) -> dict[tuple[str, bool], dict[str, Any]]:
    return {
        (patch, konnectivity): render_fleet(
            tmp_path_factory.mktemp(f"{patch}-{konnectivity}"),
            **_inputs(
                patch=patch,
                konnectivity=konnectivity,
            ),
        ).objects("c1")
        for patch in PATCHES
        for konnectivity in (True, False)
    }


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("group", sorted(OBJECTS))
def test_the_rendered_object_has_the_fields_kkp_renders_at_that_patch(
    rendered: dict[tuple[str, bool], dict[str, Any]], group: str, patch: str
) -> None:
    konnectivity, path, container, sidecar = OBJECTS[group]
    obj = rendered[(patch, konnectivity)][path]
    for field, value in _expected(group, patch).items():
        got = _field(obj, field, (container, sidecar))
        if value is None:
            assert got is MISSING, f"{group} {field}: KKP {patch} sets none, kkpgen has {got!r}"
        else:
            assert got == value, f"{group} {field} at KKP {patch}"


@pytest.mark.parametrize("patch", PATCHES)
def test_seed_allow_policies_are_rendered_only_with_the_apiserver_network_policy_feature(
    tmp_path: Path, render_fleet: RenderFleet, patch: str
) -> None:
    without = render_fleet(
        tmp_path / "without", **_inputs(patch=patch, konnectivity=False)
    ).objects("c1")
    with_feature = render_fleet(
        tmp_path / "with",
        **_inputs(
            patch=patch,
            konnectivity=False,
            features="features: {apiserverNetworkPolicy: true}\n",
        ),
    ).objects("c1")
    for policy in (
        "seed/openvpn/networkpolicy-openvpn-server-allow.yaml",
        "seed/metrics-server/networkpolicy-metrics-server-allow.yaml",
    ):
        assert policy not in without
        assert policy in with_feature


@pytest.mark.parametrize("konnectivity", [True, False], ids=["konnectivity", "openvpn"])
def test_tunneling_fixes_the_tunnel_ports_so_the_agents_render_without_an_annotation(
    tmp_path: Path, render_fleet: RenderFleet, konnectivity: bool
) -> None:
    config = CONFIG.replace('"v2.20"', '"v2.20.9"').replace(
        "    KonnectivityService: true",
        "    KonnectivityService: true\n    TunnelingExposeStrategy: true",
    )
    spec = cluster_yaml(
        "c1",
        extra=f"""\
        cniPlugin: {{type: canal, version: v3.22}}
        exposeStrategy: Tunneling
        clusterNetwork: {{konnectivityEnabled: {str(konnectivity).lower()}}}
        """,
    )
    # With Tunneling the openvpn-client dials the tunneling agent IP, which only the
    # serverHost variable gives; the port is 1194 whatever the seed allocates.
    addon = (
        ""
        if konnectivity
        else "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: openvpn, namespace: cluster-c1}\n"
        "spec: {name: openvpn, cluster: {name: c1}, variables: {serverHost: 192.0.2.10}}\n"
    )
    out = render_fleet(tmp_path, specs={"c1": spec + addon}, config=config).out
    if konnectivity:
        agent = yaml.safe_load(
            (out / "c1/user-cluster/konnectivity/deployment-konnectivity-agent.yaml").read_text()
        )
        args = agent["spec"]["template"]["spec"]["containers"][0]["args"]
        assert "--proxy-server-port=6443" in args  # the apiserver port of address.url
    else:
        config_map = out / "c1/user-cluster/openvpn/configmap-openvpn-client-config.yaml"
        assert "remote 192.0.2.10 1194" in config_map.read_text()


@pytest.mark.parametrize(
    ("konnectivity", "policies"),
    [
        (
            True,
            (
                "user-cluster/konnectivity/networkpolicy-konnectivity.yaml",
                "user-cluster/metrics-server/networkpolicy-metrics-server.yaml",
            ),
        ),
        (False, ("user-cluster/openvpn/networkpolicy-openvpn-client.yaml",)),
    ],
    ids=["konnectivity", "openvpn"],
)
def test_kube_system_policies_are_rendered_only_with_the_kube_system_network_policies_feature(
    tmp_path: Path, render_fleet: RenderFleet, konnectivity: bool, policies: tuple[str, ...]
) -> None:
    without = render_fleet(
        tmp_path / "without", **_inputs(patch="v2.20.9", konnectivity=konnectivity)
    ).objects("c1")
    with_feature = render_fleet(
        tmp_path / "with",
        **_inputs(
            patch="v2.20.9",
            konnectivity=konnectivity,
            features="features: {kubeSystemNetworkPolicies: true}\n",
        ),
    ).objects("c1")
    for policy in policies:
        assert policy not in without
        assert policy in with_feature


WHOLE: dict[str, dict[str, Any]] = FACTS["whole"]
FEATURES = "features: {apiserverNetworkPolicy: true, kubeSystemNetworkPolicies: true}\n"


@pytest.fixture(scope="module")
def rendered_with_policies(
    tmp_path_factory: pytest.TempPathFactory,
    render_fleet: RenderFleet,
) -> dict[tuple[str, bool], dict[str, Any]]:
    """Both tunnels at each patch, with the features that add KKP's network policies."""
    return {
        (patch, konnectivity): render_fleet(
            tmp_path_factory.mktemp(f"whole-{patch}-{konnectivity}"),
            **_inputs(
                patch=patch,
                konnectivity=konnectivity,
                features=FEATURES,
            ),
        ).objects("c1")
        for patch in PATCHES
        for konnectivity in (True, False)
    }


def _set(obj: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    if isinstance(obj, list):
        obj[int(last)] = value
    else:
        obj[last] = value


def _whole_expected(name: str, patch: str) -> Any:
    facts = WHOLE[name]
    port = KONNECTIVITY_PORT if facts["tunnel"] == "konnectivity" else OPENVPN_PORT
    text = yaml.safe_dump(facts["common"]).replace("{host}", HOST)
    expected = yaml.safe_load(text.replace("'{port}'", str(port)).replace("{port}", str(port)))
    for path, value in (facts.get(patch) or {}).items():
        _set(expected, path, value)
    return expected


def _matched(expected: Any, got: Any) -> Any:
    """`got` with each text that a `{sha256: ...}` or `{yaml: ...}` fact describes replaced
    by that fact when it matches, so one comparison covers the whole object."""
    if isinstance(expected, dict) and isinstance(got, str) and set(expected) == {"sha256"}:
        digest = hashlib.sha256(got.encode()).hexdigest()
        return expected if digest == expected["sha256"] else got
    if isinstance(expected, dict) and isinstance(got, str) and set(expected) == {"yaml"}:
        return expected if yaml.safe_load(got) == expected["yaml"] else got
    if isinstance(expected, dict) and isinstance(got, dict):
        return {k: _matched(expected.get(k), v) for k, v in got.items()}
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [_matched(e, g) for e, g in zip(expected, got, strict=True)]
    return got


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("name", sorted(WHOLE))
def test_the_rendered_object_is_the_object_kkp_applies(
    rendered_with_policies: dict[tuple[str, bool], dict[str, Any]], name: str, patch: str
) -> None:
    facts = WHOLE[name]
    tree = rendered_with_policies[(patch, facts["tunnel"] == "konnectivity")]
    assert facts["file"] in tree, f"{name}: kkpgen does not render {facts['file']}"
    expected = _whole_expected(name, patch)
    assert _matched(expected, tree[facts["file"]]) == expected, f"{name} at KKP {patch}"


def test_metrics_server_probes_are_kkpgens_opt_in_and_off_by_default(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """KKP sets no ports or probes on metrics-server; `probes: true` adds kkpgen's."""
    addon = (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: metrics-server, namespace: cluster-c1}\n"
        "spec: {name: metrics-server, cluster: {name: c1}, variables: {probes: true}}\n"
    )
    spec = cluster_yaml(
        "c1",
        version='"1.22.5"',
        extra="cniPlugin: {type: canal, version: v3.22}\n"
        "clusterNetwork: {konnectivityEnabled: true}\n",
    )
    config = CONFIG.replace('"v2.20"', '"v2.20.9"')
    out = render_fleet(tmp_path, specs={"c1": spec + addon}, config=config).out
    path = out / "c1/user-cluster/metrics-server/deployment-metrics-server.yaml"
    (container,) = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "https", "containerPort": 443, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("konnectivity", [True, False], ids=["konnectivity", "openvpn"])
def test_every_probe_names_a_port_its_container_declares(
    rendered_with_policies: dict[tuple[str, bool], dict[str, Any]],
    patch: str,
    konnectivity: bool,
) -> None:
    """Probes that point at a named port must go with it (KKP declares none on metrics-server)."""
    for path, obj in rendered_with_policies[(patch, konnectivity)].items():
        if not isinstance(obj, dict) or obj.get("kind") not in {"Deployment", "DaemonSet"}:
            continue
        spec = obj["spec"]["template"]["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            names = {port.get("name") for port in container.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = container.get(probe, {}).get("httpGet", {}).get("port")
                assert not isinstance(port, str) or port in names, (path, container["name"])


def test_a_feature_key_set_to_false_is_on_for_addons_and_off_for_kkps_controllers(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """KKP's addon templates ask `.Cluster.Features.Has` (a key set: present is on, whatever its
    value); its controllers read the value (`Spec.Features[name]`)."""
    off = "features: {kubeSystemNetworkPolicies: false, apiserverNetworkPolicy: false}\n"
    for konnectivity, addon_policy, controller_policies in (
        (
            True,
            "user-cluster/canal/networkpolicy-calico.yaml",
            (
                "user-cluster/konnectivity/networkpolicy-konnectivity.yaml",
                "user-cluster/metrics-server/networkpolicy-metrics-server.yaml",
            ),
        ),
        (
            False,
            "user-cluster/openvpn/networkpolicy-openvpn-client.yaml",
            ("seed/openvpn/networkpolicy-openvpn-server-allow.yaml",),
        ),
    ):
        tree = render_fleet(
            tmp_path / str(konnectivity),
            **_inputs("v2.20.9", konnectivity=konnectivity, features=off),
        ).objects("c1")
        assert addon_policy in tree
        assert not set(controller_policies) & set(tree)


def test_one_node_access_network_reaches_openvpn_and_metrics_server(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """KKP's seed-controller-manager has one -node-access-network; kkpgen one annotation."""
    config = CONFIG.replace('"v2.20"', '"v2.20.9"').replace(
        "  annotations:\n", '  annotations:\n    kkpgen/node-access-network: "10.99.0.0/16"\n'
    )
    spec = cluster_yaml("c1", extra="clusterNetwork: {konnectivityEnabled: false}\n").replace(
        "  name: c1\n", '  name: c1\n  annotations: {kkpgen/openvpn-server-port: "31001"}\n'
    )
    out = render_fleet(tmp_path, specs={"c1": spec}, config=config).out / "c1"
    texts = {
        path: (out / path).read_text()
        for path in (
            "seed/openvpn/configmap-openvpn-client-configs.yaml",
            "seed/openvpn/deployment-openvpn-server.yaml",
            "user-cluster/openvpn/deployment-openvpn-client.yaml",
            "seed/metrics-server/deployment-metrics-server.yaml",
        )
    }
    assert (
        "iroute 10.99.0.0 255.255.0.0"
        in texts["seed/openvpn/configmap-openvpn-client-configs.yaml"]
    )
    assert (
        "virtualnodenet='10.99.0.0/16'"
        in texts["user-cluster/openvpn/deployment-openvpn-client.yaml"]
    )
    assert "- 10.99.0.0/16" in texts["seed/metrics-server/deployment-metrics-server.yaml"]
    assert all("10.254.0.0" not in text for text in texts.values())


EXTERNAL_ADDR_POLICY = "seed/konnectivity/networkpolicy-cluster-external-addr-allow.yaml"


def _render_with_address(
    render_fleet: RenderFleet, root: Path, strategy: str, address: str, features: str
) -> dict[str, Any]:
    spec = cluster_yaml(
        "c1",
        version='"1.22.5"',
        extra=f"exposeStrategy: {strategy}\nclusterNetwork: {{konnectivityEnabled: true}}\n"
        f"{features}",
    )
    config = CONFIG.replace('"v2.20"', '"v2.20.16"')
    return render_fleet(root, specs={"c1": spec + address}, config=config).objects("c1")


ADDRESS = (
    "address: {url: 'https://c1.kkp.example.com:6443', externalName: c1.kkp.example.com, "
    "ip: 192.0.2.10, port: 6443}\n"
)


@pytest.mark.parametrize("strategy", ["NodePort", "LoadBalancer"])
def test_the_cluster_external_addr_allow_policy_is_the_object_kkp_applies(
    tmp_path: Path, strategy: str, render_fleet: RenderFleet
) -> None:
    tree = _render_with_address(render_fleet, tmp_path, strategy, ADDRESS, FEATURES)
    assert tree[EXTERNAL_ADDR_POLICY] == FACTS["external-addr-allow"][strategy]


@pytest.mark.parametrize(
    ("address", "features"),
    [
        ("", FEATURES),  # the seed resolves the name: kkpgen does not know the IPs
        (ADDRESS, "features: {apiserverNetworkPolicy: false}\n"),
    ],
    ids=["unresolved-name", "feature-off"],
)
def test_the_cluster_external_addr_allow_policy_needs_the_feature_and_known_ips(
    tmp_path: Path, address: str, features: str, render_fleet: RenderFleet
) -> None:
    tree = _render_with_address(render_fleet, tmp_path, "NodePort", address, features)
    assert EXTERNAL_ADDR_POLICY not in tree
