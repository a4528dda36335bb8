"""What KKP changes, object by object: the field lines a reviewer reads, and the disruption
each change causes, on small hand-written objects (whole renders: test_kkp_upgrade.py)."""

from __future__ import annotations

import pytest
import yaml

from kkpgen.gitops import upgrade_effects
from kkpgen.gitops.changes import Disruption, KkpChanges
from kkpgen.gitops.fields import FieldChange, field_changes


def _lines(before: object, after: object) -> list[str]:
    return [change.line() for change in field_changes(before, after)]


def _pod(image: str, args: list[str], *extra: object) -> dict[str, object]:
    container = {"name": "agent", "image": image, "args": args}
    return {
        "kind": "Deployment",
        "metadata": {"name": "agent", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [container, *extra]}}},
    }


def test_an_image_whose_repository_stays_shows_its_tag_move() -> None:
    before = _pod("registry.k8s.io/kas-network-proxy/proxy-agent:v0.31.0", [])
    after = _pod("registry.k8s.io/kas-network-proxy/proxy-agent:v0.34.0", [])
    assert _lines(before, after) == [
        "spec.template.spec.containers[agent].image: "
        "registry.k8s.io/kas-network-proxy/proxy-agent:v0.31.0 -> v0.34.0"
    ]


def test_an_image_that_moves_registry_is_shown_whole() -> None:
    before = _pod("docker.io/calico/node:v3.30.3", [])
    after = _pod("quay.io/calico/node:v3.30.3", [])
    assert _lines(before, after) == [
        "spec.template.spec.containers[agent].image: docker.io/calico/node:v3.30.3 -> "
        "quay.io/calico/node:v3.30.3"
    ]


def test_arguments_are_compared_as_a_set_of_items() -> None:
    before = _pod("a:1", ["--a=1", "--b=2", "--c"])
    after = _pod("a:1", ["--c", "--a=1", "--b=3", "--d"])
    assert _lines(before, after) == [
        "spec.template.spec.containers[agent].args: removed --b=2",
        "spec.template.spec.containers[agent].args: added --b=3",
        "spec.template.spec.containers[agent].args: added --d",
    ]
    assert _lines(_pod("a:1", ["--a", "--b"]), _pod("a:1", ["--b", "--a"])) == [
        "spec.template.spec.containers[agent].args: (order) -> (another order)"
    ]


def test_named_items_are_matched_by_name_not_position() -> None:
    sidecar = {"name": "sidecar", "image": "s:1"}
    before = _pod("a:1", [], sidecar)
    after = _pod("a:1", [])
    after["spec"]["template"]["spec"]["containers"].insert(0, {"name": "new", "image": "n:1"})  # type: ignore[index]
    assert _lines(before, after) == [
        'spec.template.spec.containers[new]: added {"name":"new","image":"n:1"}',
        'spec.template.spec.containers[sidecar]: removed {"name":"sidecar","image":"s:1"}',
    ]


def test_a_yaml_document_in_a_string_is_compared_field_by_field() -> None:
    """kube-proxy's config.conf, Cilium's valuesBlock: the field inside, not the string."""
    config = "kind: KubeProxyConfiguration\nmode: {mode}\nclusterCIDR: 10.0.0.0/16\n"
    before = {"data": {"config.conf": config.format(mode="nftables")}}
    after = {"data": {"config.conf": config.format(mode="iptables")}}
    assert _lines(before, after) == ['data["config.conf"].mode: nftables -> iptables']
    values = {"spec": {"valuesBlock": "cni:\n  chainingMode: portmap\n"}}
    more = {"spec": {"valuesBlock": "cni:\n  chainingMode: portmap\nextraConfig:\n  a: b\n"}}
    assert _lines(values, more) == ['spec.valuesBlock.extraConfig: added {"a":"b"}']


def test_other_text_is_counted_in_lines_and_values_stay_on_one_line() -> None:
    before = {"data": {"Corefile": "a\nb\nc\n"}}
    after = {"data": {"Corefile": "a\nb2\nc\nd\n"}}
    assert _lines(before, after) == ["data.Corefile: 3 lines -> 4 lines (+2 -1)"]
    (change,) = field_changes({"x": "one"}, {"x": "two\x1b[2J words"})
    assert change == FieldChange("x", "one", '"two\\u001b[2J words"')
    long = field_changes({"x": 1}, {"x": "y" * 200})[0].after
    assert long is not None
    assert len(long) == 72
    assert long.endswith("...")


def test_keys_that_are_no_plain_names_are_quoted() -> None:
    before = {"metadata": {"annotations": {"checksum/config": "a"}}}
    after = {"metadata": {"annotations": {"checksum/config": "b", "x.y": "c"}}}
    assert _lines(before, after) == [
        'metadata.annotations["checksum/config"]: a -> b',
        'metadata.annotations["x.y"]: added c',
    ]


def _file(obj: dict[str, object]) -> bytes:
    return yaml.safe_dump(obj).encode()


def _object(kind: str, name: str, spec: object = None) -> dict[str, object]:
    return {
        "kind": kind,
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": spec or {},
    }


def _changes(
    before: dict[str, dict[str, object]],
    after: dict[str, dict[str, object]],
    modes: tuple[str, str] = ("ipvs", "ipvs"),
) -> KkpChanges:
    """`before`/`after`: {path in the cluster folder: object} of a cluster "c"."""
    return upgrade_effects.kkp_changes(
        {f"c/{p}": _file(o) for p, o in before.items()},
        {f"c/{p}": _file(o) for p, o in after.items()},
        proxy_modes=modes,
        base_release="v2.30.6",
    )


def _codes(changes: KkpChanges) -> list[str]:
    return [d.code for d in changes.disruptions]


CANAL = "user-cluster/canal/daemonset-canal.yaml"
TEMPLATE = {"template": {"spec": {"containers": [{"name": "calico-node", "image": "n:1"}]}}}
NEWER = {"template": {"spec": {"containers": [{"name": "calico-node", "image": "n:2"}]}}}


@pytest.mark.parametrize(
    ("chart", "code"),
    [
        ("canal", "disruption.kkp-upgrade.cni-restart"),
        ("cilium", "disruption.kkp-upgrade.cni-restart"),
        ("kube-proxy", "disruption.kkp-upgrade.kube-proxy-restart"),
        ("konnectivity", "disruption.kkp-upgrade.konnectivity-agents"),
        ("nodelocal-dns", "disruption.kkp-upgrade.dns-restart"),
        ("metrics-server", "disruption.kkp-upgrade.metrics-server"),
        ("hubble", "disruption.kkp-upgrade.pods-roll"),
    ],
)
def test_a_workload_whose_pod_template_changes_rolls(chart: str, code: str) -> None:
    path = f"user-cluster/{chart}/daemonset-x.yaml"
    changes = _changes(
        {path: _object("DaemonSet", "x", TEMPLATE)}, {path: _object("DaemonSet", "x", NEWER)}
    )
    assert _codes(changes) == [code]
    assert "DaemonSet kube-system/x" in changes.disruptions[0].message


def test_a_change_outside_the_pod_template_or_of_a_config_rolls_nothing() -> None:
    labelled = _object("DaemonSet", "canal", TEMPLATE)
    labelled["metadata"] = {"name": "canal", "namespace": "kube-system", "labels": {"a": "b"}}
    changes = _changes(
        {CANAL: _object("DaemonSet", "canal", TEMPLATE), "user-cluster/canal/configmap-c.yaml": {}},
        {CANAL: labelled, "user-cluster/canal/configmap-c.yaml": {"data": {"a": "b"}}},
    )
    assert [o.path for o in changes.objects] == [
        "user-cluster/canal/configmap-c.yaml",
        CANAL,
    ]
    assert changes.disruptions == ()


def test_workloads_of_one_effect_make_one_disruption_naming_them_all() -> None:
    other = "user-cluster/canal/deployment-calico-kube-controllers.yaml"
    changes = _changes(
        {
            CANAL: _object("DaemonSet", "canal", TEMPLATE),
            other: _object("Deployment", "k", TEMPLATE),
        },
        {CANAL: _object("DaemonSet", "canal", NEWER), other: _object("Deployment", "k", NEWER)},
    )
    (cni,) = changes.disruptions
    assert "(DaemonSet kube-system/canal, Deployment kube-system/k)" in cni.message


def test_the_cilium_addon_becoming_an_application_installation_is_one_disruption() -> None:
    addon = "user-cluster/cilium/daemonset-cilium.yaml"
    hubble = "user-cluster/hubble/deployment-hubble-relay.yaml"
    app = "user-cluster/cilium-application/applicationinstallation-cilium.yaml"
    changes = _changes(
        {addon: _object("DaemonSet", "cilium", TEMPLATE), hubble: _object("Deployment", "r")},
        {app: _object("ApplicationInstallation", "cilium", {"applicationRef": {"version": "1"}})},
    )
    assert _codes(changes) == ["disruption.kkp-upgrade.cilium-application"]
    assert [(o.kind, o.title) for o in changes.objects] == [
        ("added", "ApplicationInstallation kube-system/cilium"),
        ("removed", "DaemonSet kube-system/cilium"),
        ("removed", "Deployment kube-system/r"),
    ]


def test_a_new_cilium_values_block_is_a_helm_upgrade() -> None:
    app = "user-cluster/cilium-application/applicationinstallation-cilium.yaml"
    before = _object("ApplicationInstallation", "cilium", {"valuesBlock": "a: 1\nb: 2\n"})
    after = _object("ApplicationInstallation", "cilium", {"valuesBlock": "a: 1\nb: 3\n"})
    changes = _changes({app: before}, {app: after})
    assert _codes(changes) == ["disruption.kkp-upgrade.cni-restart"]
    assert [f.line() for f in changes.objects[0].fields] == ["spec.valuesBlock.b: 2 -> 3"]


def test_openvpn_removed_and_other_charts_removed_are_disruptions() -> None:
    vpn = "user-cluster/openvpn/deployment-openvpn-client.yaml"
    proxy = "user-cluster/kube-proxy/daemonset-kube-proxy.yaml"
    agent = "user-cluster/konnectivity/deployment-konnectivity-agent.yaml"
    changes = _changes(
        {vpn: _object("Deployment", "openvpn-client"), proxy: _object("DaemonSet", "kube-proxy")},
        {agent: _object("Deployment", "konnectivity-agent")},
    )
    assert _codes(changes) == [
        "disruption.kkp-upgrade.openvpn-removed",
        "disruption.kkp-upgrade.chart-removed",
    ]
    assert "KKP removes kube-proxy" in changes.disruptions[1].message


def test_a_mode_change_is_said_once_with_the_way_to_keep_the_mode() -> None:
    proxy = "user-cluster/kube-proxy/daemonset-kube-proxy.yaml"
    changes = _changes(
        {proxy: _object("DaemonSet", "kube-proxy", TEMPLATE)},
        {proxy: _object("DaemonSet", "kube-proxy", NEWER)},
        modes=("nftables", "iptables"),
    )
    (mode,) = changes.disruptions
    assert mode.code == "disruption.kkp-upgrade.kube-proxy-mode"
    assert "nftables -> iptables" in mode.message
    assert "first set spec.clusterNetwork.proxyMode: nftables" in mode.action
    assert "under KKP v2.30.6, then change kkpgen/kkp-version" in mode.action


def test_files_that_are_no_objects_are_left_out() -> None:
    changes = upgrade_effects.kkp_changes(
        {"c/resolved.yaml": b"a: 1\n", "c/user-cluster/kustomization.yaml": b"resources: []\n"},
        {"c/resolved.yaml": b"a: 2\n", "c/user-cluster/kustomization.yaml": b"resources: [x]\n"},
        proxy_modes=("ipvs", "ipvs"),
        base_release="v2.30.6",
    )
    assert changes == KkpChanges()


def test_a_list_of_unnamed_items_is_compared_by_position() -> None:
    """Tolerations and the like have no name: the items compare by index, and the one past
    the other list's end is added or removed with its value."""
    before = {"spec": {"tolerations": [{"key": "a"}, {"key": "b"}, {"key": "c"}]}}
    after = {"spec": {"tolerations": [{"key": "a"}, {"key": "b2"}]}}
    assert _lines(before, after) == [
        "spec.tolerations[1].key: b -> b2",
        'spec.tolerations[2]: removed {"key":"c"}',
    ]
    assert _lines(after, before) == [
        "spec.tolerations[1].key: b2 -> b",
        'spec.tolerations[2]: added {"key":"c"}',
    ]


def test_a_one_line_value_that_becomes_a_yaml_document_is_compared_field_by_field() -> None:
    one_line, document = {"data": {"config": "a: 1"}}, {"data": {"config": "a: 1\nb: 2\n"}}
    assert _lines(one_line, document) == ["data.config.b: added 2"]
    assert _lines(document, one_line) == ["data.config.b: removed 2"]


def test_an_object_added_or_removed_lists_no_fields_only_a_changed_one_does() -> None:
    proxy = "user-cluster/kube-proxy/daemonset-kube-proxy.yaml"
    agent = "user-cluster/konnectivity/deployment-konnectivity-agent.yaml"
    changes = _changes(
        {proxy: _object("DaemonSet", "kube-proxy", TEMPLATE), CANAL: _object("DaemonSet", "c")},
        {proxy: _object("DaemonSet", "kube-proxy", NEWER), agent: _object("Deployment", "k")},
    )
    assert [(o.kind, o.path, len(o.fields)) for o in changes.objects] == [
        ("removed", CANAL, 0),
        ("added", agent, 0),
        ("changed", proxy, 1),
    ]


def test_a_chart_move_is_a_disruption_that_asks_for_a_maintenance_window() -> None:
    addon = "user-cluster/cilium/daemonset-cilium.yaml"
    app = "user-cluster/cilium-application/applicationinstallation-cilium.yaml"
    vpn = "user-cluster/openvpn/deployment-openvpn-client.yaml"
    proxy = "user-cluster/kube-proxy/daemonset-kube-proxy.yaml"
    changes = _changes(
        {addon: _object("DaemonSet", "cilium"), vpn: _object("Deployment", "openvpn-client")}
        | {proxy: _object("DaemonSet", "kube-proxy")},
        {app: _object("ApplicationInstallation", "cilium")},
    )
    assert changes.disruptions[0] == Disruption(
        "disruption.kkp-upgrade.cilium-application",
        "the Cilium addon becomes an ApplicationInstallation: KKP deletes the addon's objects "
        "and Helm installs Cilium in their place; the Cilium agents restart on every node and "
        "pod connectivity drops while they do",
        "plan a maintenance window",
    )
    assert [d.action for d in changes.disruptions] == ["plan a maintenance window"] * 3
