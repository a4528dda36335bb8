"""fastdump writes PyYAML's bytes and fastload loads its values, or leaves the case to PyYAML."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.constructor import SafeConstructor

from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from kkpgen.render import fastdump
from kkpgen.render.respan import Respans
from kkpgen.source import fastload
from tests.conftest import V2_20_FLEET
from tests.render.reference_dump import pyyaml_dump

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pyyaml_load(text: str) -> Iterable[object]:
    return yaml.load_all(text, Loader=yaml.CSafeLoader)


def outcome(load: Callable[[str], Iterable[object]], text: str) -> object:
    """The documents, or the error raised. repr, not ==, tells 1 from True and keeps key order."""
    try:
        return repr(list(load(text)))
    except (yaml.YAMLError, ValueError) as error:
        return (type(error), str(error))


@dataclass(frozen=True)
class Recorded:
    texts: list[str]  # template output, as render parsed it
    objects: list[object]  # data as dump_yaml was given it


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Render the example fleet, keeping every text parsed and every object dumped."""
    recorded = Recorded([], [])
    load_all, dump = fastload.load_all, fastdump.dump

    def recording_load_all(
        text: str, *, scalars: list[fastload.Scalars] | None = None
    ) -> Iterator[object]:
        recorded.texts.append(text)
        return load_all(text, scalars=scalars)

    def recording_dump(data: object, *, writes: list[tuple[int, str]] | None = None) -> str | None:
        recorded.objects.append(copy.deepcopy(data))
        return dump(data, writes=writes)

    out = tmp_path_factory.mktemp("fleet") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastload, "load_all", recording_load_all)
        patch.setattr(fastdump, "dump", recording_dump)
        # every text parsed, every object dumped: none re-dumped from the last output
        patch.setattr(Respans, "objects", lambda _, text, source, parse: parse(text, source, None))
        update.render_fleet(SourceOptions(repo=V2_20_FLEET), update.RenderOptions(out=out))
    return recorded


def test_dump_writes_pyyamls_bytes_for_every_object_of_the_example_fleet(fleet: Recorded) -> None:
    assert len(fleet.objects) > 100
    fast = 0
    for data in fleet.objects:
        dumped = fastdump.dump(data)
        if dumped is not None:
            assert dumped == pyyaml_dump(data)
            fast += 1
    assert fast > len(fleet.objects) * 0.8, "the fast path should cover most manifests"


def spans_lines(text: str) -> bool:
    return len(pyyaml_dump({"k": text}).splitlines()) > 1


def multi_line_strings(data: object) -> Iterator[str]:
    """The string values PyYAML writes single-quoted across lines (scripts, configs)."""
    if isinstance(data, dict):
        for value in data.values():
            yield from multi_line_strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from multi_line_strings(item)
    elif isinstance(data, str) and spans_lines(data):
        yield data


def test_dump_writes_the_example_fleets_multi_line_scripts_and_configs_itself(
    fleet: Recorded,
) -> None:
    with_scripts = [data for data in fleet.objects if any(multi_line_strings(data))]
    kinds = {data.get("kind") for data in with_scripts if isinstance(data, dict)}
    assert {"ConfigMap", "DaemonSet", "Deployment"} <= kinds
    for data in with_scripts:
        assert fastdump.dump(data) == pyyaml_dump(data)


def test_load_all_returns_pyyamls_values_for_every_template_output(fleet: Recorded) -> None:
    assert len(fleet.texts) > 100
    for text in fleet.texts:
        assert outcome(fastload.load_all, text) == outcome(pyyaml_load, text)


TRICKY = [
    *["", " ", "yes", "No", "ON", "on", "off", "y", "n", "null", "Null", "~", "true", "FALSE"],
    *["1.0", "1e3", ".inf", ".nan", "0x10", "0o17", "017", "0400", "1_000", "+5", "-5", "1:30"],
    *["0", "-0", "12345678901234567890", "2001-12-14", "<<", "=", " lead", "trail ", ": "],
    *["a: b", "#", "a #b", "- ", "-", "?", "? x", "?x", "!tag", "&a", "*a", "%", "@", "`"],
    *["'", '"', "{", "[]", "|", ">", "---", "...", "grüße", "日本語", "é" * 70, "\U0001f600"],
    *["\x00", "\x07", "\t", "a\tb", "\x85", "\u2028", "\ufeff", "\x7f", "\u00a0"],
    *["a\nb", "a\n\nb", "a\n b", "\n", "line\n", "x" * 200, "a " * 100, "k" * 127, "k" * 128],
]
# Every line break libyaml knows, alone and in runs: blank lines, "\r\n", breaks written raw.
LINE_BREAKS = ["\n", "\n\n", "\n\n\n", "\r\n", "\x85", "\u2028", "\u2029", "\n\u2028", "\u2029\n"]
lines = st.one_of(
    st.text(alphabet="ab'#:-ü", max_size=6),  # single-quoted across lines
    st.text(alphabet=" \tab'", max_size=6),  # spaces next to breaks, tabs: double-quoted
)
multi_line = st.builds(
    lambda head, tail: head + "".join(brk + line for brk, line in tail),
    lines,
    st.lists(st.tuples(st.sampled_from(LINE_BREAKS), lines), min_size=1, max_size=4),
)
strings = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=20),
    st.text(alphabet=" :#-'\"\n\t\\abc0ü", max_size=12),
    multi_line,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    strings,
    multi_line,
)
data = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=4)
    ),
    max_leaves=30,
)
documents = st.one_of(
    st.lists(data, max_size=4),
    st.dictionaries(strings, data, max_size=5),
)


@SETTINGS
@given(documents)
def test_dump_is_pyyamls_bytes_or_none_and_load_all_is_pyyamls_values(document: object) -> None:
    expected = pyyaml_dump(document)
    dumped = fastdump.dump(document)
    if dumped is not None:
        assert dumped == expected
    assert outcome(fastload.load_all, expected) == outcome(pyyaml_load, expected)


# Simple keys, so that nothing but the values could make dump fall back.
plain_keys = st.text(alphabet="abcxyz", min_size=1, max_size=4)
string_data = st.recursive(
    st.one_of(strings, multi_line),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(plain_keys, inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


@SETTINGS
@given(
    st.one_of(
        st.lists(string_data, min_size=1, max_size=3),
        st.dictionaries(plain_keys, string_data, min_size=1, max_size=3),
    )
)
def test_dump_writes_every_string_value_at_every_placement_itself(document: object) -> None:
    assert fastdump.dump(document) == pyyaml_dump(document)


LAYOUTS = {
    "mapping-in-list": {"a": [{"x": 1, "y": 2}, {"z": None}]},
    "list-in-list": {"a": [["p", "q"], [[1, [2, 3]], {"m": {"n": [1]}}]]},
    "list-as-value-indentless": {"a": {"b": ["x", "y"], "c": True}},
    "empty-containers": {"k": {}, "l": [], "m": {"n": {}}, "o": [{}, [], None]},
    "top-level-list": [{"a": ["x", {"b": 1}], "c": 2}, ["a"], []],
    "empty-top-level": {},
    "empty-top-level-list": [],
    "quoted-scalars": {"y": "yes", "n": "null", "v": "1.30", "e": "", "s": " a ", "c": "\x01"},
    "quoted-keys": {"": 1, "on": 2, "- a": 3, "a: b": 4, "#c": 5, "?x": 6, "1": 7},
    "one-line-double-quoted": {"json": '{\n  "a": 1\n}\n', "trailing": "a \nb"},
    "ints-and-bools": {"a": -5, "b": 10**30, "c": 0, "d": False, "e": True},
    "multi-line-single-quoted": {"script": "set -e\nrun"},
    "nested-multi-line": {"a": [{"b": "x\ny", "c": ["p\n\nq"]}]},
    "line-separator": {"a": [["\u2028"]]},
    "paragraph-separator": {"a": {"b": "x\u2029y"}},
    "blank-lines-and-edge-breaks": ["\n", [" a\n\n\nb ", "\nx\n"], {"k": "it's\n"}],
}


@pytest.mark.parametrize("document", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_dump_lays_out_blocks_as_pyyaml_does(document: object) -> None:
    assert fastdump.dump(document) == pyyaml_dump(document)


FALLBACKS = {
    "float": {"ratio": 0.5},
    "multi-line-key": {"a\nb": 1},
    "line-separator-key": {"a": {"x\u2028y": 1}},
    "non-string-key": {1: "a"},
    "long-key": {"k" * 128: "v"},
    "wide-unicode-key": {"é" * 70: "v"},
    "very-long-value": {"k": "word " * 30_000},
    "top-level-scalar": "text",
    "tuple": {"t": (1, 2)},
}


@pytest.mark.parametrize("document", FALLBACKS.values(), ids=FALLBACKS.keys())
def test_dump_leaves_what_it_cannot_promise_to_pyyaml(document: object) -> None:
    assert fastdump.dump(document) is None


PLACES = {
    "mapping-value": ({"a": "x\ny"}, "a: 'x\n\n  y'\n"),
    "indentless-sequence-item": ({"a": ["x\ny"]}, "a:\n- 'x\n\n  y'\n"),
    "nested-mapping-value": ({"a": {"b": "x\ny"}}, "a:\n  b: 'x\n\n    y'\n"),
    "first-key-in-list-item": ([{"b": "x\ny"}], "- b: 'x\n\n    y'\n"),
    "sequence-in-sequence": ([["x\u2028y"]], "- - 'x\u2028    y'\n"),
}


@pytest.mark.parametrize(("document", "expected"), PLACES.values(), ids=PLACES.keys())
def test_multi_line_scalars_continue_at_the_indent_of_their_node(
    document: object, expected: str
) -> None:
    # libyaml indents a continuation line to the scalar node's indent: its parent's + 2.
    assert pyyaml_dump(document) == expected
    assert fastdump.dump(document) == expected


def test_the_form_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastdump, "_CACHE_LIMIT", 10)
    monkeypatch.setattr(fastdump, "_VALUES", {})
    monkeypatch.setattr(fastdump, "_KEYS", {})
    document = {f"key{i}": f"value {i}" for i in range(50)}
    assert fastdump.dump(document) == pyyaml_dump(document)
    assert len(fastdump._VALUES) <= 10
    assert len(fastdump._KEYS) <= 10


LOADS = {
    "anchors-and-aliases": "a: &x {k: [1]}\nb: *x\n",
    "aliased-list-in-a-list": "- &l [1, 2]\n- x: *l\n",
    "aliased-string": "a: &s hello\nb: *s\n",
    "anchor-never-used": "a: &x {k: 1}\nb: 2\n",
    "ampersands-in-text": "run: a && b\nargs: [x, 'y&z', \"&w\"]\nblock: |\n  c && d\n",
    "merge-key": "base: &b {x: 1, y: 1}\nd:\n  <<: *b\n  y: 2\n",
    "yaml11-ints": "a: 0x1f\nb: 0o17\nc: 017\nd: 1_000\ne: +5\nf: -5\ng: 1:30\nh: 0\ni: 0b101\n",
    "bools": "a: yes\nb: No\nc: ON\nd: off\ne: True\nf: FALSE\ng: y\n",
    "nulls": "a: ~\nb: null\nc:\nd: Null\n",
    "floats-dates-binary": "a: 1.5\nb: .inf\nc: 2001-12-14\nd: 1e3\ne: !!binary aGk=\n",
    "duplicate-keys": "a: 1\nb: 2\na: 3\n",
    "explicit-tags": "a: !!str 5\nb: !!int '7'\nc: !!set {x, y}\nd: !!omap [{a: 1}]\ne: !!null x\n",
    "non-string-keys": "1: a\nnull: c\ntrue: d\n=: e\n",
    "several-documents": "a: 1\n---\n- x\n---\n\n--- plain\n---\n# only a comment\n",
    "empty": "",
    "deep-nesting": "[" * 1500 + "]" * 1500,
    "flow-and-block-scalars": "a: {b: [1, 'two', \"3\"]}\nc: |\n  x\n  y\nd: >-\n  p\n  q\n",
}


@pytest.mark.parametrize("text", LOADS.values(), ids=LOADS.keys())
def test_load_all_returns_pyyamls_values(text: str) -> None:
    assert outcome(fastload.load_all, text) == outcome(pyyaml_load, text)


def test_aliased_nodes_stay_one_shared_object() -> None:
    (document,) = fastload.load_all("a: &x {k: [1]}\nb: *x\n")
    assert isinstance(document, dict)
    assert document["a"] is document["b"]


def test_a_text_with_ampersands_but_no_alias_keeps_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`&&` in a shell script is no anchor: only a collection reached twice needs PyYAML's
    constructor (the openvpn-server script took it for every cluster)."""

    def refuse(*args: object) -> object:
        raise AssertionError("SafeConstructor used")

    monkeypatch.setattr(SafeConstructor, "construct_document", refuse)
    (document,) = fastload.load_all("run: a && b\nblock: |\n  c && d\n")
    assert document == {"run": "a && b", "block": "c && d\n"}
    with pytest.raises(AssertionError, match="SafeConstructor used"):
        list(fastload.load_all("a: &x [1]\nb: *x\n"))


ERRORS = {
    "syntax-error": "a: [1,\n",
    "bad-int": "a: !!int abc\n",
    "unknown-tag": "a: !custom x\n",
    "unhashable-key": "? [x]\n: b\n",
    "huge-int": "a: " + "1" * 5000 + "\n",
    "undefined-alias": "a: *nothing\n",
}


@pytest.mark.parametrize("text", ERRORS.values(), ids=ERRORS.keys())
def test_load_all_raises_pyyamls_errors(text: str) -> None:
    result = outcome(fastload.load_all, text)
    assert isinstance(result, tuple)
    assert result == outcome(pyyaml_load, text)


def test_a_later_documents_syntax_error_comes_after_the_earlier_documents() -> None:
    # render reports a bad first object before a syntax error further down, as before.
    documents = fastload.load_all("a: 1\n---\nb: [\n")
    assert next(documents) == {"a": 1}
    with pytest.raises(yaml.YAMLError):
        next(documents)
