"""The team's Cilium values (Addon `cilium`, variable `values`) on KKP v2.22+, where KKP
installs Cilium >= 1.13 from an ApplicationInstallation: the values KKP overrides, the values
its webhook keeps immutable, and the move from the legacy v1.12 addon.

The values stay data: the Addon variable is checked against charts/cilium's schema
(variables.py); here it is read as a mapping and compared key by key. `enforced_values` is
what GetAppInstallOverrideValues sets, per KKP capability; tests/kkp/test_cilium_values.py
holds it to the facts tools/kkp_cilium_application_facts.py ran KKP's own code for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import cast

from kkpgen.diagnostics import Diagnostic
from kkpgen.kkp.subject import Change, Code, Rule, RuleContext, Subject, rule
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import LoadedAddon
from kkpgen.source.sourcemap import format_field

Values = Mapping[str, object]
_SEC = {"seccompProfile": {"type": "RuntimeDefault"}}
DEFAULT_NODE_PORT_RANGE = "30000-32767"
# ValidateValuesUpdate: top-level values KKP's webhook refuses to change once written.
IMMUTABLE = ("cni", "ipam", "ipv6")


def team_values(addons: tuple[LoadedAddon, ...]) -> tuple[LoadedAddon, Values] | None:
    """The cluster's Addon `cilium` and its variable `values`, when it sets a mapping."""
    for addon in addons:
        variables = addon.addon.spec.variables or {}
        if addon.addon.spec.name == "cilium" and isinstance(variables.get("values"), dict):
            return addon, cast("Values", variables["values"])
    return None


def _node_port_range(addons: tuple[LoadedAddon, ...]) -> str:
    for addon in addons:
        if addon.addon.spec.name == "cilium":
            found = (addon.addon.spec.variables or {}).get("nodePortRange")
            return found if isinstance(found, str) else DEFAULT_NODE_PORT_RANGE
    return DEFAULT_NODE_PORT_RANGE


def merge_override(base: object, enforced: object) -> object:
    """mergo.Merge(&base, enforced, mergo.WithOverride) on map[string]any (render/goyaml.py
    has the same for the template; the layering keeps kkp/ from importing it)."""
    if isinstance(base, Mapping) and isinstance(enforced, Mapping):
        merged = dict(base)
        for key, value in enforced.items():
            merged[key] = merge_override(base[key], value) if key in base else value
        return merged
    return enforced


def _ipam(cluster: ResolvedCluster) -> dict[str, object]:
    caps, net = cluster.kkp_capabilities, cluster.network
    lists = "cilium_pod_cidr_lists" in caps
    as_int = "cilium_node_mask_size_integer" in caps
    ipam: dict[str, object] = {}
    families = [("4", net.pods_cidr_blocks_ipv4, net.node_cidr_mask_size_ipv4)]
    if net.dual_stack:
        families.append(("6", net.pods_cidr_blocks_ipv6, net.node_cidr_mask_size_ipv6))
    for family, blocks, mask in families:
        if lists:
            ipam[f"clusterPoolIPv{family}PodCIDRList"] = list(blocks)
        else:
            ipam[f"clusterPoolIPv{family}PodCIDR"] = blocks[0]
        if not as_int:
            ipam[f"clusterPoolIPv{family}MaskSize"] = str(mask)
        elif mask:
            ipam[f"clusterPoolIPv{family}MaskSize"] = mask
    return ipam


def _security(caps: frozenset[str]) -> dict[str, object]:
    if "cilium_pod_security_context" not in caps:
        return {"operator": {"securityContext": _SEC}}
    ui_sec = (
        {**_SEC, "enabled": True} if "cilium_hubble_ui_security_context_enabled" in caps else _SEC
    )
    values: dict[str, object] = {
        "podSecurityContext": _SEC,
        "operator": {"securityContext": _SEC, "podSecurityContext": _SEC},
        "certgen": {"podSecurityContext": _SEC},
        "hubble": {
            "relay": {"podSecurityContext": _SEC},
            "ui": {"securityContext": ui_sec, "frontend": {}, "backend": {}},
        },
    }
    if "cilium_envoy" in caps:
        values["envoy"] = {"podSecurityContext": _SEC}
    return values


def enforced_values(cluster: ResolvedCluster, *, node_port_range: str) -> dict[str, object]:
    """GetAppInstallOverrideValues at the cluster's KKP patch (no registry override)."""
    caps = cluster.kkp_capabilities
    values: dict[str, object] = {**_security(caps), "cni": {"exclusive": False}}
    replacement = ("true", "false") if "cilium_kube_proxy_replacement_bool" in caps else None
    on, off = replacement or ("strict", "disabled")
    if cluster.network.proxy_mode == "ebpf":
        values["kubeProxyReplacement"] = on
        values["k8sServiceHost"] = cluster.address.host
        values["k8sServicePort"] = cluster.address.port
        if "cilium_node_port_range_value" in caps and node_port_range not in (
            "",
            DEFAULT_NODE_PORT_RANGE,
        ):
            values["nodePort"] = {"range": node_port_range.replace("-", ",")}
    else:
        values["kubeProxyReplacement"] = off
        if "cilium_portmap_chaining" in caps:
            values["sessionAffinity"] = True
            values["cni"] = {"exclusive": False, "chainingMode": "portmap"}
    if cluster.network.dual_stack:
        values["ipv6"] = {"enabled": True}
    values["ipam"] = {"operator": _ipam(cluster)}
    return values


def _shown(value: object) -> str:
    return json.dumps(value, sort_keys=True)


Overridden = tuple[tuple[str, ...], object, object]


def _overridden(team: object, enforced: object, path: tuple[str, ...]) -> Iterator[Overridden]:
    """(path, team value, KKP's value) for each leaf KKP sets where the team set another."""
    if isinstance(team, Mapping) and isinstance(enforced, Mapping):
        for key, value in enforced.items():
            if key in team:
                yield from _overridden(team[key], value, (*path, key))
    elif team != enforced and not (isinstance(enforced, Mapping) and not enforced):
        yield path, team, enforced


def _managed(cluster: ResolvedCluster) -> bool:
    return cluster.cni.type == "cilium" and cluster.cni.application_installation


def _values_field(*path: str) -> tuple[str, ...]:
    return ("spec", "variables", "values", *path)


@rule(
    Code(
        "cilium.values.overridden",
        "warning",
        "spec.variables.values.*",
        "remove the value: KKP sets it from the Cluster",
    )
)
def team_values_kkp_overrides(subject: Subject, _: RuleContext) -> Iterator[Diagnostic]:
    """A team value KKP's enforced values replace (mergo WithOverride): it never takes
    effect, and reads as if it did."""
    found = team_values(subject.loaded.addons)
    if found is None or not _managed(subject.resolved):
        return
    addon, team = found
    enforced = enforced_values(
        subject.resolved, node_port_range=_node_port_range(subject.loaded.addons)
    )
    for path, value, kkp in _overridden(team, enforced, ()):
        where = _values_field(*path)
        yield Diagnostic(
            "cilium.values.overridden",
            addon.source.locate(where),
            format_field(where),
            f"KKP replaces the Cilium value {'.'.join(path)} {_shown(value)} with "
            f"{_shown(kkp)} (its enforced values win over the team's)",
            f"remove {format_field(where)}: KKP sets it from the Cluster "
            "(spec.clusterNetwork, the apiserver address)",
            severity="warning",
            cluster=subject.loaded.name,
        )


def _exclusions(caps: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    """ValidateValuesUpdate's exclusions: when one of these keys is in the old or the new
    values, its whole top-level value may change (v2.24+; v2.27+ the mask sizes)."""
    if "cilium_values_immutable_mask_sizes_excluded" in caps:
        return (
            ("cni", "chainingMode"),
            ("ipam", "operator", "clusterPoolIPv4MaskSize"),
            ("ipam", "operator", "clusterPoolIPv6MaskSize"),
        )
    if "cilium_values_immutable_exclusions" in caps:
        return (("cni", "chainingMode"), ("ipam", "operator", "clusterPoolIPv4PodCIDR"))
    return ()


def _has(values: object, path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(values, Mapping) or key not in values:
            return False
        values = values[key]
    return True


def _sprint(value: object) -> object:
    """Go's fmt.Sprint compares "24" and 24 alike (v2.24+); DeepEqual does not."""
    if isinstance(value, Mapping):
        return {k: _sprint(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sprint(v) for v in value]
    return json.dumps(value) if isinstance(value, bool) else str(value)


@rule(
    Code(
        "cilium.values.immutable",
        "error",
        "spec.variables.values.*",
        "keep the value as in the base",
    )
)
def immutable_values_kept(change: Change, _: RuleContext) -> Iterator[Diagnostic]:
    """KKP's webhook refuses an ApplicationInstallation update that changes `cni`, `ipam` or
    `ipv6` (ValidateValuesUpdate at the head's KKP): the team's change never applies."""
    base, head = change.base, change.head
    if not (_managed(base.resolved) and _managed(head.resolved)):
        return
    found = team_values(head.loaded.addons)
    head_team: Values = found[1] if found else {}
    base_found = team_values(base.loaded.addons)
    base_team: Values = base_found[1] if base_found else {}
    caps = head.resolved.kkp_capabilities
    # Both sides under the head's enforced values: only the team's change is compared.
    enforced = enforced_values(head.resolved, node_port_range=_node_port_range(head.loaded.addons))
    old = cast("Values", merge_override(base_team, enforced))
    new = cast("Values", merge_override(head_team, enforced))
    exact = "cilium_values_immutable_exclusions" not in caps
    for key in IMMUTABLE:
        excluded = any(
            path[0] == key and (_has(old, path) or _has(new, path)) for path in _exclusions(caps)
        )
        same = (
            old.get(key) == new.get(key)
            if exact
            else _sprint(old.get(key)) == _sprint(new.get(key))
        )
        if same or excluded:
            continue
        yield _immutable(found[0] if found else None, head, key, base_team)


def _immutable(addon: LoadedAddon | None, head: Subject, key: str, base_team: Values) -> Diagnostic:
    where = _values_field(key)
    location = addon.source.locate(where) if addon else head.loaded.locate(("metadata", "name"))
    restore = (
        f"set {format_field(where)} back to {_shown(base_team[key])} (as in the base)"
        if key in base_team
        else f"remove {format_field(where)} (the base does not set it)"
    )
    return Diagnostic(
        "cilium.values.immutable",
        location,
        format_field(where),
        f"the Cilium value {key!r} changes, and KKP's webhook keeps {key!r} immutable once "
        "the ApplicationInstallation is written: KKP would refuse the change",
        f"{restore}; a different {key} needs a new cluster",
        cluster=head.loaded.name,
    )


@rule(
    Code(
        "cni.cilium.to-application",
        "warning",
        "spec.cniPlugin.version",
        "plan a maintenance window",
    )
)
def legacy_addon_to_application(change: Change, _: RuleContext) -> Iterator[Diagnostic]:
    """Cilium v1.11/v1.12 (KKP's addon) -> 1.13+ (Helm): KKP deletes the cilium and hubble
    Addons (their objects go), then Helm installs Cilium 1.13: every Cilium pod restarts."""
    base, head = change.base.resolved, change.head.resolved
    if not (base.cni.type == "cilium" and not base.cni.application_installation):
        return
    if not _managed(head):
        return
    yield Diagnostic(
        "cni.cilium.to-application",
        change.head.loaded.locate(("spec", "cniPlugin", "version")),
        "spec.cniPlugin.version",
        f"Cilium {base.cni.version} -> {head.cni.version} moves Cilium from KKP's addon to a "
        "Helm ApplicationInstallation: KKP deletes the cilium and hubble Addons (their "
        "objects are removed, Hubble's UI and relay included) and Helm installs Cilium anew; "
        "every node's Cilium agent restarts, pod networking is disrupted meanwhile",
        "plan a maintenance window; move one cluster per change (kkpgen/rollout-wave) and "
        "re-enable Hubble through spec.variables.values.hubble of the Addon cilium",
        severity="warning",
        cluster=change.head.loaded.name,
    )


RULES: tuple[Rule[Subject], ...] = (team_values_kkp_overrides,)
CHANGE_RULES: tuple[Rule[Change], ...] = (immutable_values_kept, legacy_addon_to_application)
