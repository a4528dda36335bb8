"""What a KKP upgrade changes in one cluster: the cluster's head spec rendered at the base's
KKP release and at the head's, object by object, with the disruption each change causes.

The team's own spec changes are the rest of the diff (base spec -> head spec, both at the
base's release), so a pull request that upgrades KKP and edits specs shows both apart."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from kkpgen.gitops.changes import (
    MAINTENANCE,
    Disruption,
    KkpChanges,
    KkpObject,
    ObjectChange,
    object_changes,
)
from kkpgen.gitops.fields import FieldChange, field_changes, parse_object
from kkpgen.models import layout
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.render.plan import CILIUM_APPLICATION

EXPECT = "expect it while the upgrade rolls out"
CNI_RESTART = "disruption.kkp-upgrade.cni-restart"
_WORKLOADS = frozenset({"DaemonSet", "Deployment", "StatefulSet"})
_POD_TEMPLATE = "spec.template."


@dataclass(frozen=True, slots=True)
class _Effect:
    code: str
    message: str  # "{objects}": the workloads that roll
    action: str


_CNI = _Effect(
    CNI_RESTART,
    "the CNI pods restart on every node ({objects}) and pod connectivity drops while they do",
    MAINTENANCE,
)
# A chart's workloads whose pod template changes: their pods are replaced.
_ROLLS = {
    "canal": _CNI,
    "cilium": _CNI,
    "kube-proxy": _Effect(
        "disruption.kkp-upgrade.kube-proxy-restart",
        "kube-proxy restarts on every node ({objects}): Service rules stay in place, and "
        "changes to Services and endpoints wait until it is back",
        EXPECT,
    ),
    "konnectivity": _Effect(
        "disruption.kkp-upgrade.konnectivity-agents",
        "the konnectivity agents roll ({objects}): kubectl logs/exec/port-forward and "
        "webhooks may fail for a moment while the tunnel reconnects",
        EXPECT,
    ),
    "nodelocal-dns": _Effect(
        "disruption.kkp-upgrade.dns-restart",
        "NodeLocal DNS restarts on every node ({objects}): DNS lookups on a node may fail "
        "for a moment while it does",
        EXPECT,
    ),
    "metrics-server": _Effect(
        "disruption.kkp-upgrade.metrics-server",
        "metrics-server rolls ({objects}): kubectl top and autoscalers get no metrics for a moment",
        EXPECT,
    ),
    "openvpn": _Effect(
        "disruption.kkp-upgrade.openvpn-client",
        "the OpenVPN client rolls ({objects}): kubectl logs/exec/port-forward fail until it "
        "reconnects",
        EXPECT,
    ),
}
_OTHER = _Effect("disruption.kkp-upgrade.pods-roll", "{objects} replace their pods", EXPECT)
_HELM = _Effect(
    CNI_RESTART,
    "KKP upgrades its Helm release of Cilium ({objects}): the Cilium agents restart on every "
    "node where their image or configuration changes, and pod connectivity drops there",
    MAINTENANCE,
)


def kkp_changes(
    before: Mapping[str, bytes],
    after: Mapping[str, bytes],
    *,
    proxy_modes: tuple[str, str],
    base_release: str,
) -> KkpChanges:
    """One cluster's files from its head spec at the base's release (`before`) and at the
    head's (`after`): the objects that differ, and what that does. `proxy_modes`: kube-proxy's
    mode at each (proxy_modes_of)."""
    objects = tuple(
        _described(change, before.get(change.path), after.get(change.path))
        for change in object_changes(before, after)
        if layout.is_manifest(change.path)
    )
    found = [*_mode_change(*proxy_modes, base_release), *_chart_moves(objects)]
    skip = _skipped(found)
    rolls: dict[_Effect, list[str]] = {}  # one disruption per effect, naming its workloads
    for effect, title in _rolls(objects):
        if effect.code not in skip:
            rolls.setdefault(effect, []).append(title)
    found += (_disruption(effect, ", ".join(titles)) for effect, titles in rolls.items())
    return KkpChanges(objects, tuple(found))


def unseparated(reason: str) -> KkpChanges:
    return KkpChanges(unseparated=reason)


def _described(change: ObjectChange, before: bytes | None, after: bytes | None) -> KkpObject:
    old, new = parse_object(before), parse_object(after)
    fields = field_changes(old, new) if change.kind == "changed" else ()
    in_folder = change.path.partition("/")[2]
    return KkpObject(in_folder, change.kind, _title(new or old), fields, change.diff)


def _title(obj: object) -> str:
    """`DaemonSet kube-system/canal`; `CustomResourceDefinition ippools.crd.projectcalico.org`."""
    if not isinstance(obj, Mapping):
        return "(not an object)"
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    namespace, name = meta.get("namespace"), meta.get("name")
    where = f"{namespace}/{name}" if namespace else str(name)
    return f"{obj.get('kind')} {where}"


def _chart(path: str) -> str:
    """The chart of a path in a cluster's folder: `user-cluster/<chart>/<file>`."""
    parts = path.split("/")
    return parts[1] if len(parts) == 3 else ""


def _kind(title: str) -> str:
    return title.partition(" ")[0]


def _rolls(objects: Iterable[KkpObject]) -> Iterator[tuple[_Effect, str]]:
    """A workload whose pod template changes replaces its pods; an ApplicationInstallation
    whose spec changes is a Helm upgrade."""
    for obj in objects:
        if obj.kind != "changed":
            continue
        chart = _chart(obj.path)
        if chart == CILIUM_APPLICATION and any(f.path.startswith("spec.") for f in obj.fields):
            yield _HELM, obj.title
        elif _kind(obj.title) in _WORKLOADS and any(_in_pods(f) for f in obj.fields):
            yield _ROLLS.get(chart, _OTHER), obj.title


def _in_pods(change: FieldChange) -> bool:
    return change.path.startswith(_POD_TEMPLATE)


def _disruption(effect: _Effect, objects: str) -> Disruption:
    return Disruption(effect.code, effect.message.replace("{objects}", objects), effect.action)


def _chart_moves(objects: Sequence[KkpObject]) -> Iterator[Disruption]:
    """Whole charts that KKP removes or puts in another's place."""
    removed = {_chart(o.path) for o in objects if o.kind == "removed"}
    added = {_chart(o.path) for o in objects if o.kind == "added"}
    kept = {_chart(o.path) for o in objects if o.kind == "changed"}
    gone = removed - added - kept
    if "cilium" in gone and CILIUM_APPLICATION in added:
        yield Disruption(
            "disruption.kkp-upgrade.cilium-application",
            "the Cilium addon becomes an ApplicationInstallation: KKP deletes the addon's "
            "objects and Helm installs Cilium in their place; the Cilium agents restart on "
            "every node and pod connectivity drops while they do",
            MAINTENANCE,
        )
        gone.discard("cilium")
        gone.discard("hubble")  # Hubble is part of the Cilium chart's values from then on
    if "openvpn" in gone:
        yield Disruption(
            "disruption.kkp-upgrade.openvpn-removed",
            "OpenVPN is removed and Konnectivity takes its place: the control plane restarts, "
            "and kubectl logs/exec/port-forward and webhooks fail until the new tunnel is up",
            MAINTENANCE,
        )
        gone.discard("openvpn")
    for chart in sorted(gone - {""}):
        yield Disruption(
            "disruption.kkp-upgrade.chart-removed",
            f"KKP removes {chart} from the cluster, and what it ran stops",
            MAINTENANCE,
        )


def proxy_modes_of(spec_head: ResolvedCluster, head: ResolvedCluster) -> tuple[str, str]:
    return spec_head.network.proxy_mode, head.network.proxy_mode


def _mode_change(old: str, new: str, base_release: str) -> Iterator[Disruption]:
    """kkpgen/kkp-version moves the default of a spec without spec.clusterNetwork.proxyMode
    (GetDefaultProxyMode: nftables from Kubernetes 1.35 at v2.30, iptables on Hetzner at
    v2.31.0). KKP keeps the mode it stored for the cluster, so this render would fight it:
    `check --base` refuses the upgrade (kkp.upgrade.default-changed) until the spec says
    the mode, written first under the release the cluster runs."""
    if old != new:
        yield Disruption(
            "disruption.kkp-upgrade.kube-proxy-mode",
            f"the spec leaves kube-proxy's mode to KKP's default, which the new release "
            f"changes {old} -> {new}; KKP keeps {old}, the mode it stored for this cluster, "
            f"so a render of {new} would fight KKP (kkpgen check --base refuses the upgrade: "
            "kkp.upgrade.default-changed)",
            f"keep {old}: first set spec.clusterNetwork.proxyMode: {old} in the cluster's spec "
            f"under KKP {base_release}, then change kkpgen/kkp-version",
        )


def _skipped(found: Sequence[Disruption]) -> frozenset[str]:
    """A mode change says that kube-proxy restarts, and a chart move that the CNI does."""
    codes = {d.code for d in found}
    skipped = set()
    if "disruption.kkp-upgrade.kube-proxy-mode" in codes:
        skipped.add(_ROLLS["kube-proxy"].code)
    if "disruption.kkp-upgrade.cilium-application" in codes:
        skipped.add(CNI_RESTART)
    return frozenset(skipped)
