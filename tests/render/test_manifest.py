"""The canonical dump: the same bytes as PyYAML's own dump with kkpgen's dumper (it quotes
what Go's YAML reader would retype), however it gets there."""

from __future__ import annotations

import pytest
import yaml

from kkpgen.render.manifest import Manifest, dump_yaml
from tests.render.reference_dump import pyyaml_dump

CASES = {
    "nested": {"a": {"b": [1, "two", None, True]}, "empty": {}, "list": []},
    "needs-quotes": {"x": "yes", "v": "1.30", "z": "a: b", "multi": "line\nbreak", "e": ""},
    "unicode": {"name": "grüße"},
    "float-falls-back": {"ratio": 0.5},
    # PyYAML's own dump of a value no node is built for writes UTF-8 as it is, too
    "float-falls-back-with-unicode": {"ratio": 0.5, "note": "grüße", "m": {"k": [2]}},
    # a key that is no string: the fast dump declines, the nodes are built for PyYAML
    "int-key-falls-back": {1: "one", "s": "x", "b": True, "f": False, "n": None, "m": {"k": [2]}},
    "top-level-list": [{"k": "v"}],
}


@pytest.mark.parametrize("data", CASES.values(), ids=CASES.keys())
def test_dump_yaml_matches_pyyaml(data: object) -> None:
    expected = pyyaml_dump(data)
    assert dump_yaml(data) == expected
    assert yaml.safe_load(dump_yaml(data)) == data


def test_keys_and_values_go_would_retype_are_quoted_where_pyyaml_writes_them_plain() -> None:
    # kubectl and Argo CD read `y: n` as {true: false}; PyYAML as {"y": "n"}
    data = {"y": "n", "n": ["0o17", "1e3", "plain"]}
    assert dump_yaml(data) == "'y': 'n'\n'n':\n- '0o17'\n- '1e3'\n- plain\n"
    assert yaml.safe_load(dump_yaml(data)) == data


def test_manifest_paths_follow_the_output_contract() -> None:
    manifest = Manifest(
        "c1",
        "seed",
        "openvpn",
        "seed/server-service.yaml",
        "Service",
        "openvpn-server",
        "cluster-c1",
        "",
    )
    assert manifest.path == "c1/seed/openvpn/service-openvpn-server.yaml"
