"""render/goyaml.py: sigs.k8s.io/yaml.Marshal's text and mergo's override merge."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kkpgen.render import goyaml
from kkpgen.render.goyaml import go_yaml, merge_override


@pytest.fixture(autouse=True)
def _texts_not_kept() -> Iterator[None]:
    """Each test writes its values afresh: a text kept from a test before (or from the
    process mutmut forks its runs from) would stand in for the code under test."""
    goyaml._TEXTS.clear()
    yield
    goyaml._TEXTS.clear()


def test_keys_follow_yaml_v2s_natural_order() -> None:
    keys = ["keyA", "key10", "key_2", "key_", "a02", "a10", "a2", "ab", "a-b", "A", "_x"]
    text = go_yaml(dict.fromkeys(keys, 1))
    assert [line.split(":")[0] for line in text.splitlines()] == [
        "_x", "A", "a-b", "a2", "a02", "a10", "ab", "key_", "key_2", "key10", "keyA",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("true", '"true"'),
        ("y", '"y"'),  # a YAML 1.1 bool for yaml.v2 (PyYAML reads it as a string)
        ("off", '"off"'),
        ("1e3", '"1e3"'),  # a float for yaml.v2
        ("0o17", '"0o17"'),
        ("2001-12-14", '"2001-12-14"'),
        ("<<", '"<<"'),  # the merge key for yaml.v2
        ("1_000", '"1_000"'),  # yaml.v2 reads digits with underscores as a number
        ("grüße", "grüße"),  # UTF-8 as it is, not escaped
        ("", '""'),
        ("1.19.4", "1.19.4"),
        ("172.25.0.0/16", "172.25.0.0/16"),
        ("fd01::/48", "fd01::/48"),
        ("a: b", "'a: b'"),  # plain is not allowed: libyaml falls back to single quotes
        (6443, "6443"),
        (1.0, "1"),  # values go through JSON in KKP: 1.0 comes back as 1
        (None, "null"),
        (float("nan"), ".NaN"),
        (float("inf"), ".Inf"),
        (float("-inf"), "-.Inf"),
        ({}, "{}"),
        ([], "[]"),
    ],
)
def test_scalars_are_written_as_yaml_v2_writes_them(value: object, text: str) -> None:
    assert go_yaml({"k": value}) == f"k: {text}\n"


def test_multi_line_strings_are_literal_blocks_and_lists_are_not_indented() -> None:
    assert go_yaml({"a": "x\ny\n", "b": ["p", "q"]}) == "a: |\n  x\n  y\nb:\n- p\n- q\n"


def test_merge_merges_maps_and_replaces_anything_else_even_with_false() -> None:
    team = {"cni": {"exclusive": True, "customConf": True}, "ipam": {"operator": {"list": ["a"]}}}
    enforced = {"cni": {"exclusive": False}, "ipam": {"operator": {"list": ["b"]}}, "n": 1}
    assert merge_override(team, enforced) == {
        "cni": {"exclusive": False, "customConf": True},
        "ipam": {"operator": {"list": ["b"]}},
        "n": 1,
    }
    assert merge_override({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}


def test_drop_key_deletes_like_go_and_leaves_missing_paths_alone() -> None:
    from kkpgen.render.goyaml import drop_key

    operator: dict[str, object] = {"clusterPoolIPv4PodCIDR": "10.0.0.0/8", "x": 1}
    values: dict[str, object] = {"ipam": {"operator": operator}, "k": 2}
    assert drop_key(values, "ipam", "operator", "clusterPoolIPv4PodCIDR") == {
        "ipam": {"operator": {"x": 1}},
        "k": 2,
    }
    assert operator["clusterPoolIPv4PodCIDR"] == "10.0.0.0/8"  # a copy
    assert drop_key(values, "ipam", "missing", "key") == values
    assert drop_key({"ipam": "text"}, "ipam", "operator") == {"ipam": "text"}


def test_values_python_finds_equal_keep_their_own_text() -> None:
    """The text of a value met before is reused: 1, True and 1.0 are equal in Python (and
    hash alike), but yaml.Marshal writes True as true."""
    values = [{"k": 1}, {"k": True}, {"k": 1.0}, {"k": "1"}, {"k": [1]}, {"k": [True]}]
    texts = [go_yaml(value) for value in values]
    assert texts == ["k: 1\n", "k: true\n", "k: 1\n", 'k: "1"\n', "k:\n- 1\n", "k:\n- true\n"]
    assert [go_yaml(value) for value in reversed(values)] == texts[::-1]


def test_the_text_of_a_value_met_before_is_reused_not_written_again() -> None:
    """Every Konnectivity cluster's egress configuration is one value: written once."""
    value = {"egressSelections": [{"name": "cluster", "connection": {"proxyProtocol": "GRPC"}}]}
    first = go_yaml(value)
    assert go_yaml(json.loads(json.dumps(value))) is first  # an equal value, built anew


def test_the_texts_kept_never_outnumber_their_bound() -> None:
    """A render of thousands of distinct values keeps at most _TEXTS_KEPT texts (memory),
    and a value met after the bound is still written right."""
    for n in range(goyaml._TEXTS_KEPT + 1):
        go_yaml({"size": n})
        assert len(goyaml._TEXTS) <= goyaml._TEXTS_KEPT
    assert go_yaml({"size": goyaml._TEXTS_KEPT}) == f"size: {goyaml._TEXTS_KEPT}\n"


def test_a_long_plain_string_is_folded_at_yaml_v2s_width_of_80() -> None:
    """yaml.v2 (sigs.k8s.io/yaml) folds a plain scalar at the first space past column 80: a
    kubectl or Argo CD reading it gets the same string back."""
    value = " ".join(["ab"] * 45)
    first = "kk: " + " ".join(["ab"] * 26)
    assert len(first) == 81  # the space after column 80 is the break
    assert go_yaml({"kk": value}) == f"{first}\n  {' '.join(['ab'] * 19)}\n"
