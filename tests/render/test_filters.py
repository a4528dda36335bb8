"""The chart filters that write a value into YAML: what a template writes reads back as
that value."""

from __future__ import annotations

import json

import pytest
import yaml

from kkpgen.render.engine import TemplateFailure, build_environment

# What YAML 1.1 (libyaml, as Kubernetes' YAML reader) would read as something else.
TRICKY = ["true", "on", "no", "null", "~", "1.20", "0x1F", "1e3", "010", "12:30", "-", ""]
BARE = ["10.244.0.0/16", "https://k8s.example.com:6443", "quay.io/calico/node:v3.26.1", "eu-1"]


@pytest.mark.parametrize("value", TRICKY + BARE + ["a b", "key: value", "# c", "'q'"])
def test_plain_writes_a_string_that_yaml_reads_back_as_that_string(value: str) -> None:
    text = build_environment().from_string("v: {{ x | plain }}\n").render(x=value)
    assert yaml.safe_load(text) == {"v": value}, text


@pytest.mark.parametrize("value", BARE)
def test_plain_leaves_an_address_or_image_bare_as_kkps_addons_write_it(value: str) -> None:
    assert build_environment().from_string("{{ x | plain }}").render(x=value) == value


@pytest.mark.parametrize("value", ["true", "1.20", "0x1F"])
def test_plain_quotes_a_string_yaml_would_read_as_another_type(value: str) -> None:
    assert build_environment().from_string("{{ x | plain }}").render(x=value) == f'"{value}"'


@pytest.mark.parametrize("value", ["x", None, ""], ids=["set", "none", "empty"])
def test_required_refuses_a_missing_or_empty_value_with_the_charts_message(
    value: str | None,
) -> None:
    template = build_environment().from_string('{{ x | required("set address.url") }}')
    if value:
        assert template.render(x=value) == value
        return
    with pytest.raises(TemplateFailure, match=r"^set address\.url$"):
        template.render(x=value)


def test_required_refuses_an_undefined_value() -> None:
    template = build_environment().from_string("{{ cluster.nothing | required }}")
    with pytest.raises(TemplateFailure, match=r"^a required value is missing$"):
        template.render(cluster={})


@pytest.mark.parametrize("value", ["a\nb", "--- x", "k: v", "true", "", "#x", 'say "hi"'])
def test_toyaml_writes_a_string_as_one_json_quoted_line(value: str) -> None:
    """No newline, `---` or `key:` in a value can start a document or a key of the chart."""
    text = build_environment().from_string("v: {{ x | toyaml }}\n").render(x=value)
    assert text == f"v: {json.dumps(value)}\n"
    assert yaml.safe_load(text) == {"v": value}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, "null"),
        (True, "true"),
        (7, "7"),
        (1.5, "1.5"),
        ({"a": 1, "b": [2, "x"]}, "a: 1\nb:\n- 2\n- x"),
        ([{"name": "c1"}], "- name: c1"),
    ],
)
def test_toyaml_writes_other_values_plain_or_as_block_yaml_for_indent(
    value: object, written: str
) -> None:
    assert build_environment().from_string("{{ x | toyaml }}").render(x=value) == written


def test_compactjson_writes_json_without_spaces() -> None:
    """A command line's JSON argument (metrics-server's): written as KKP writes it."""
    value = {"command": "/metrics-server", "args": ["--a=1", 'q"<']}
    written = build_environment().from_string("{{ v | compactjson }}").render(v=value)
    assert written == '{"command":"/metrics-server","args":["--a=1","q\\"<"]}'
