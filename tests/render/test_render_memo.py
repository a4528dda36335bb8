"""Memoized and plain renders are byte-identical; whole-name reads are never memoized."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest
from jinja2 import Template

from bench.fleet import make_fleet
from kkpgen.kkp.charts import CHARTS_DIR, LIBRARY
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.render import engine as engine_module
from kkpgen.render import memo as memo_module
from kkpgen.render.engine import Renderer, _chart_memoizable, build_environment
from kkpgen.render.memo import (
    Recording,
    TemplateMemo,
    TrackingEnvironment,
    freeze,
    memoizable,
    root_paths,
)
from tests.conftest import EXAMPLE_FLEET, V2_20_FLEET


def _files(repo: Path, *, memoize: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    # Renderer's dataclass __init__ holds its own defaults: setting the class attribute
    # would leave every render memoized, so the renderer output_files makes is replaced.
    made: list[Renderer] = []

    def renderer(env: TrackingEnvironment) -> Renderer:
        made.append(Renderer(env, memoize=memoize))
        return made[-1]

    monkeypatch.setattr(contents, "Renderer", renderer)
    checked = check_fleet(SourceOptions(repo=repo))
    files = dict(contents.output_files(checked, only=(), kept=[]))
    assert [r.memoize for r in made] == [memoize]
    assert bool(made[0].memos) == memoize
    return files


@pytest.mark.parametrize(
    "fleet", ["fixtures", "v2.20-fixtures", "synthetic-40", "synthetic-v2.31-40"]
)
def test_memoized_render_is_byte_identical_to_a_plain_render(
    fleet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = "v2.31" if "v2.31" in fleet else "v2.20"
    examples = {"fixtures": EXAMPLE_FLEET, "v2.20-fixtures": V2_20_FLEET}
    repo = examples.get(fleet) or make_fleet(tmp_path / "fleet", 40, seed=3, fleet=release)
    plain = _files(repo, memoize=False, monkeypatch=monkeypatch)
    memoized = _files(repo, memoize=True, monkeypatch=monkeypatch)
    assert memoized.keys() == plain.keys()
    assert [p for p in plain if plain[p] != memoized[p]] == []


def test_a_template_reading_a_whole_name_is_not_memoizable() -> None:
    env = build_environment()
    assert memoizable("{{ values.a | toyaml }}{{ x.y(cluster) }}", env)
    assert memoizable('{{ values["a"] | toyaml }}{{ cluster.network.pods[0] }}', env)
    assert not memoizable("{{ values | toyaml }}", env)
    assert not memoizable("{% for k in cluster %}{{ k }}{% endfor %}", env)


def test_frozen_values_keep_types_apart() -> None:
    assert freeze(1) != freeze(True)
    assert freeze({"a": [1]}) == freeze({"a": [1]})
    assert freeze(("x",)) != freeze("x")


@dataclass
class _Mutable:
    mtu: int


def test_frozen_values_differ_wherever_the_values_differ() -> None:
    """The memo key of a list, set or mapping holds every element: two clusters with pod
    CIDR lists of one length but other CIDRs must not share a text."""
    assert freeze(["10.0.0.0/16", "fd00::/48"]) != freeze(["10.1.0.0/16", "fd00::/48"])
    assert freeze({"a": 1}) != freeze({"a": 2})
    assert freeze({"10.0.0.0/8"}) != freeze({"10.1.0.0/16"})
    assert freeze(frozenset({1, 2})) == freeze({2, 1})
    assert freeze(_Mutable(1450)) != freeze(_Mutable(1400))
    hash(freeze([_Mutable(1450), {"a": [1, {2}]}]))  # a key: hashable whatever it holds


def test_a_template_that_never_repeats_is_retired_and_frees_its_results() -> None:
    env = build_environment()
    memo = TemplateMemo()
    for index in range(100):
        roots = {"cluster": {"name": f"c{index}"}}
        assert memo.lookup(env, roots, {}) is None
        recording = Recording(root_paths(roots))
        recording.record(roots["cluster"], ("attr", "name"), f"c{index}")
        memo.store(recording, f"text {index}")
    assert not memo.active
    assert memo.by_shape == {}


def test_a_template_is_retired_at_its_64th_miss_unless_it_hits_as_often() -> None:
    """Retiring saves memory for templates that print a cluster's name or address; one
    that repeats as often as it misses keeps its results."""
    env = build_environment()

    def memo_after(hits: int, misses: int) -> TemplateMemo:
        memo = TemplateMemo()
        names = ["same"] * (1 + hits) + [f"c{index}" for index in range(misses - 1)]
        for name in names:
            roots = {"cluster": {"name": name}}
            if memo.lookup(env, roots, {}) is None:
                recording = Recording(root_paths(roots))
                recording.record(roots["cluster"], ("attr", "name"), name)
                memo.store(recording, f"text {name}")
        assert (memo.hits, memo.misses) == (hits, misses)
        return memo

    assert memo_module._RETIRE_AFTER == 64
    assert memo_after(0, 63).active
    assert not memo_after(0, 64).active
    assert memo_after(64, 64).active
    assert not memo_after(63, 64).active


def test_a_memo_keeps_a_bounded_number_of_results_and_still_finds_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memo_module, "_STORED", 8)
    env = build_environment()
    memo = TemplateMemo()

    def roots(index: int) -> dict[str, object]:
        return {"cluster": {"version": f"1.{index}"}}

    def store(index: int) -> None:
        values = roots(index)
        recording = Recording(root_paths(values))
        recording.record(values["cluster"], ("attr", "version"), f"1.{index}")
        memo.store(recording, f"text {index}")

    for index in range(8):
        store(index)
    assert memo.lookup(env, roots(3), {}) == "text 3"
    store(8)  # a ninth result: the eight are forgotten
    assert memo.stored == 1
    assert memo.lookup(env, roots(3), {}) is None
    assert memo.lookup(env, roots(8), {}) == "text 8"
    assert memo.active


@pytest.mark.parametrize("stored", [1, 3])
def test_a_render_with_a_tiny_memo_is_byte_identical_to_a_plain_render(
    stored: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_fleet(tmp_path / "fleet", 12, seed=5)
    plain = _files(repo, memoize=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(memo_module, "_STORED", stored)
    assert _files(repo, memoize=True, monkeypatch=monkeypatch) == plain


def test_a_whole_name_read_in_the_chart_library_makes_its_charts_unmemoizable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's macros are part of every chart that imports them: a macro that dumps a
    whole value it was passed reads it without a recorded lookup."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    charts = tmp_path / "charts"
    shutil.copytree(CHARTS_DIR, charts)
    assert _chart_memoizable(build_environment(charts), "kube-proxy")
    library = charts / LIBRARY / "templates" / "_helpers.tpl"
    bare = "{% macro dump(values) %}{{ values | toyaml }}{% endmacro %}\n"
    library.write_text(library.read_text() + bare)
    assert not _chart_memoizable(build_environment(charts), "kube-proxy")


@dataclass(frozen=True)
class _Cluster:
    features: tuple[str, ...]

    def has_feature(self, name: str) -> bool:
        return name in self.features


def _through_memo(
    memo: TemplateMemo, env: TrackingEnvironment, template: Template, roots: Mapping[str, object]
) -> object:
    """The engine's memo protocol for one template: a stored text when the values it read
    last time are the same, else a render that records what it reads and is stored."""
    found = memo.lookup(env, roots, {})
    if found is not None:
        return found
    recording = env.recording = Recording(root_paths(roots))
    try:
        text = template.render(roots)
    finally:
        env.recording = None
    memo.store(recording, text)
    return text


def test_a_value_read_through_a_method_call_is_part_of_the_memo_key() -> None:
    """`cluster.has_feature("x")` reads the cluster through a method, not a lookup: the
    whole object is part of the key, so a cluster without the feature does not get the
    text stored for one with it."""
    env = build_environment()
    memo = TemplateMemo()
    template = env.from_string('{{ cluster.has_feature("x") }}')

    def render(*features: str) -> object:
        roots = {"cluster": _Cluster(features)}
        return _through_memo(memo, env, template, roots)

    assert render("x") == "True"
    assert render("y") == "False"
    assert render("x") == "True"
    assert memo.hits == 1


def test_the_memoizable_answer_is_kept_under_the_template_source_and_the_analysing_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached answer is reused only while the chart's templates, the library and the
    analysing code (memo.py) are the bytes it was derived from."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    charts = tmp_path / "charts"
    shutil.copytree(CHARTS_DIR, charts)
    analysed: list[str] = []

    def counting(source: str, env: jinja2.Environment) -> bool:
        analysed.append(source)
        return memoizable(source, env)

    monkeypatch.setattr(engine_module, "memoizable", counting)

    def analyses() -> int:
        analysed.clear()
        _chart_memoizable(build_environment(charts), "kube-proxy")
        return len(analysed)

    assert analyses() > 0
    assert analyses() == 0  # kept
    template = charts / "kube-proxy" / "templates" / "kube-proxy-serviceaccount.yaml"
    template.write_text(template.read_text() + "{# a comment #}\n")
    assert analyses() > 0  # the template source is part of the key
    library = charts / LIBRARY / "templates" / "_helpers.tpl"
    library.write_text(library.read_text() + "{# a comment #}\n")
    assert analyses() > 0  # and the chart library's
    code = tmp_path / "memo.py"
    code.write_text(Path(memo_module.__file__).read_text() + "# changed\n")
    monkeypatch.setattr(memo_module, "__file__", str(code))
    assert analyses() > 0  # and the code that analyses them


@dataclass(frozen=True)
class _Network:
    pods: tuple[str, ...]
    mtu: int


@dataclass(frozen=True)
class _Spec:
    network: _Network


def test_the_memo_key_follows_attributes_items_and_indexes_to_the_values_read() -> None:
    """What the template reached counts (`cluster.network.pods[0]`, `values["a"]["b"]`; a
    list or mapping on the way counts whole): a change there is a miss, a change in a field
    it never reached (`cluster.network.mtu`) a hit."""
    env = build_environment()
    memo = TemplateMemo()
    template = env.from_string('{{ cluster.network.pods[0] }} {{ values["a"]["b"] }}')

    def render(pods: tuple[str, ...], mtu: int, b: int, other: int) -> object:
        roots = {"cluster": _Spec(_Network(pods, mtu)), "values": {"a": {"b": b, "c": other}}}
        return _through_memo(memo, env, template, roots)

    assert render(("10.0.0.0/16",), 1450, 1, 0) == "10.0.0.0/16 1"
    assert render(("10.0.0.0/16",), 1400, 1, 0) == "10.0.0.0/16 1"  # a hit
    assert memo.hits == 1
    assert render(("10.1.0.0/16",), 1450, 1, 0) == "10.1.0.0/16 1"
    assert render(("10.0.0.0/16",), 1450, 2, 0) == "10.0.0.0/16 2"
    assert render(("10.0.0.0/16",), 1450, 1, 5) == "10.0.0.0/16 1"  # values["a"] changed
    assert memo.hits == 1
