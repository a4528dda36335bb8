"""Manifest: one rendered Kubernetes object, its canonical text and its place in the output tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import yaml

from kkpgen.models import layout
from kkpgen.render import fastdump
from kkpgen.source.go_plain import KubeSafeDumper

Destination = Literal["user-cluster", "seed"]
DESTINATIONS: tuple[Destination, ...] = ("user-cluster", "seed")
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# CRDs first, so Argo CD can apply the custom objects that need them in the same sync.
CRD_SYNC_WAVE = "-10"


@dataclass(frozen=True, slots=True)
class Manifest:
    cluster: str
    destination: Destination
    chart: str
    template: str  # path below the chart's templates/
    kind: str
    name: str
    namespace: str | None
    text: str  # canonical YAML, first line "# Source: <chart>/templates/<file>"
    # Derived once: a fleet's render asks for them 400,000 times (sorting, kustomization).
    file_name: str = field(init=False, compare=False, repr=False)
    path: str = field(init=False, compare=False, repr=False)
    """`<cluster>/<destination>/<chart>/<kind>-<name>.yaml`, lowercase (the output contract)."""

    def __post_init__(self) -> None:
        file_name = layout.manifest_file_name(self.kind, self.name)
        object.__setattr__(self, "file_name", file_name)
        path = layout.manifest_path(self.cluster, self.destination, self.chart, file_name)
        object.__setattr__(self, "path", path)


_TAG = "tag:yaml.org,2002:"


class _Unrepresentable(Exception):
    """A value outside plain JSON-like data: PyYAML's own representer handles it."""


def _node(value: object) -> yaml.Node:
    # The nodes PyYAML's SafeRepresenter would build for JSON-like data, without its
    # per-value alias and type-table bookkeeping, which is most of the cost of a dump.
    if isinstance(value, str):
        return yaml.ScalarNode(_TAG + "str", value)
    if isinstance(value, bool):
        return yaml.ScalarNode(_TAG + "bool", "true" if value else "false")
    if isinstance(value, int):
        return yaml.ScalarNode(_TAG + "int", str(value))
    if value is None:
        return yaml.ScalarNode(_TAG + "null", "null")
    if isinstance(value, dict):
        pairs = [(_node(k), _node(v)) for k, v in value.items()]
        return yaml.MappingNode(_TAG + "map", pairs, flow_style=False)
    if isinstance(value, list):
        return yaml.SequenceNode(_TAG + "seq", [_node(v) for v in value], flow_style=False)
    raise _Unrepresentable(type(value).__name__)


_WIDTH = 1_000_000  # never wrap lines


def dump_yaml(data: object) -> str:
    """Canonical YAML: block style, key order as written, no line wrapping, LF."""
    fast = fastdump.dump(data)
    if fast is not None:
        return fast
    try:
        node = _node(data)
    except _Unrepresentable:  # floats, dates: rare in manifests
        return yaml.dump(
            data,
            Dumper=KubeSafeDumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=_WIDTH,
        )
    return yaml.serialize(node, Dumper=KubeSafeDumper, allow_unicode=True, width=_WIDTH)


def kustomization_text(resources: list[str]) -> str:
    """`kubectl kustomize <folder>` (and Argo CD's Kustomize tool) take a destination as is."""
    document = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }
    return f"# Source: kkpgen\n{dump_yaml(document)}"


def canonical_text(
    obj: dict[str, object], *, source: str, writes: list[tuple[int, str]] | None = None
) -> str:
    """`writes`, if given, receives where the fast dump wrote each string value (offset in
    the returned text, value); none when PyYAML's own path writes the object."""
    head = f"# Source: {source}\n"
    if writes is None:
        return head + dump_yaml(obj)
    traced: list[tuple[int, str]] = []
    fast = fastdump.dump(obj, writes=traced)
    if fast is None:
        return head + dump_yaml(obj)
    writes.extend((len(head) + offset, value) for offset, value in traced)
    return head + fast


@dataclass(frozen=True, slots=True)
class CanonicalObject:
    """One parsed and re-dumped object of a template's output; independent of the cluster."""

    kind: str
    name: str
    namespace: str | None
    text: str
