"""SourceMap: each field keeps the line and column it was written at; lookups fall back."""

from __future__ import annotations

import pytest

from kkpgen.diagnostics import Location, Violation
from kkpgen.source.fleet import load_fleet, locate_violation
from kkpgen.source.repository import SourceFile, SourceTree
from kkpgen.source.sourcemap import FieldPath, SourceMap, format_field, load_documents

SPEC = b"""\
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: c1
spec:
  version: "1.23.6"
  clusterNetwork:
    pods:
      cidrBlocks:
      - 172.25.0.0/16
    services: {cidrBlocks: [10.240.16.0/20]}
"""


def _source(raw: bytes = SPEC, ref: str | None = None) -> SourceMap:
    (document,) = load_documents(raw, file="clusters/c1.yaml", ref=ref)
    return document.source


@pytest.mark.parametrize(
    ("path", "line", "column"),
    [
        ((), 1, 1),
        (("kind",), 2, 1),
        (("metadata", "name"), 4, 3),
        (("spec", "version"), 6, 3),
        (("spec", "clusterNetwork", "pods", "cidrBlocks"), 9, 7),
        (("spec", "clusterNetwork", "pods", "cidrBlocks", 0), 10, 9),
        (("spec", "clusterNetwork", "services", "cidrBlocks"), 11, 16),
        (("spec", "clusterNetwork", "services", "cidrBlocks", 0), 11, 29),
    ],
    ids=[
        "document",
        "top-level-key",
        "nested-key",
        "quoted-value-key",
        "block-sequence-key",
        "block-sequence-item",
        "flow-mapping-key",
        "flow-sequence-item",
    ],
)
def test_locate_finds_the_field_where_it_was_written(
    path: FieldPath, line: int, column: int
) -> None:
    assert _source().locate(path) == Location("clusters/c1.yaml", line, column, None)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("spec", "clusterNetwork", "proxyMode"), 7),
        (("spec", "clusterNetwork", "pods", "cidrBlocks", 3), 9),
        (("spec", "cniPlugin", "version"), 5),
        (("address", "url"), 1),
        (("spec", "version", "deeper"), 6),
    ],
    ids=[
        "missing-leaf",
        "index-out-of-range",
        "missing-subtree",
        "missing-top-level",
        "below-a-scalar",
    ],
)
def test_locate_falls_back_to_the_nearest_written_ancestor(path: FieldPath, line: int) -> None:
    assert _source().locate(path).line == line


def test_locate_without_any_position_names_only_the_file() -> None:
    source = SourceMap("clusters/c1.yaml", "HEAD", {})
    assert source.locate(("spec",)) == Location("clusters/c1.yaml", None, None, "HEAD")


def test_locate_keeps_the_ref_the_file_was_read_at() -> None:
    assert _source(ref="base").locate(("kind",)) == Location("clusters/c1.yaml", 2, 1, "base")


def test_positions_of_later_documents_count_lines_from_the_file_start() -> None:
    raw = b"a: 1\n---\n# comment\nb:\n  c: 2\n"
    first, second = load_documents(raw, file="f.yaml")
    assert first.source.locate(("a",)).line == 1
    assert (second.source.locate(()).line, second.source.locate(("b", "c")).line) == (4, 5)


def test_values_are_plain_data_with_dates_kept_as_text() -> None:
    (document,) = load_documents(b"a: 2021-01-01\nb: [1, 'x', true, null]\n", file="f.yaml")
    assert document.data == {"a": "2021-01-01", "b": [1, "x", True, None]}


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (
            ("spec", "clusterNetwork", "pods", "cidrBlocks", 0),
            "spec.clusterNetwork.pods.cidrBlocks[0]",
        ),
        (("spec",), "spec"),
        ((), ""),
        ((0,), "[0]"),
        (("items", 0, "name"), "items[0].name"),
        (("a", 1, 2), "a[1][2]"),
        (
            ("metadata", "annotations", "kkpgen/kkp-version"),
            "metadata.annotations.kkpgen/kkp-version",
        ),
    ],
    ids=[
        "list-index-last",
        "single-key",
        "empty",
        "index-only",
        "index-in-the-middle",
        "nested-indexes",
        "key-with-slash",
    ],
)
def test_format_field_writes_the_path_as_yaml_readers_do(path: FieldPath, text: str) -> None:
    assert format_field(path) == text


def test_a_rule_violation_on_an_addon_is_located_in_the_addon_document() -> None:
    raw = SPEC.replace(b'  version: "1.23.6"\n', b'  version: "1.23.6"\n  cloud: {aws: {}}\n') + (
        b"---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\nmetadata: {name: hubble}\n"
        b"spec:\n  name: hubble\n  cluster: {name: c1}\n"
    )
    fleet = load_fleet(SourceTree(None, (SourceFile("clusters/c1.yaml", raw),)))
    (loaded,) = fleet.clusters
    on_addon = locate_violation(Violation("x", ("addon", 0, "spec", "name"), "m", "h"), loaded)
    on_cluster = locate_violation(Violation("x", ("spec", "version"), "m", "h"), loaded)
    assert (on_addon.field, on_addon.location.line, on_addon.cluster) == ("spec.name", 18, "c1")
    assert (on_cluster.field, on_cluster.location.line) == ("spec.version", 6)
