"""Memoized and plain renders are byte-identical; whole-name reads are never memoized."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fleet import make_fleet
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.render import memo as memo_module
from kkpgen.render.engine import Renderer, build_environment
from kkpgen.render.memo import (
    Recording,
    TemplateMemo,
    TrackingEnvironment,
    freeze,
    memoizable,
    root_paths,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


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


@pytest.mark.parametrize("fleet", ["fixtures", "synthetic-40"])
def test_memoized_render_is_byte_identical_to_a_plain_render(
    fleet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = FIXTURES if fleet == "fixtures" else make_fleet(tmp_path / "fleet", 40, seed=3)
    plain = _files(repo, memoize=False, monkeypatch=monkeypatch)
    memoized = _files(repo, memoize=True, monkeypatch=monkeypatch)
    assert memoized.keys() == plain.keys()
    assert [p for p in plain if plain[p] != memoized[p]] == []


def test_a_template_reading_a_whole_name_is_not_memoizable() -> None:
    env = build_environment()
    assert memoizable("{{ values.a | toyaml }}{{ x.y(cluster) }}", env)
    assert not memoizable("{{ values | toyaml }}", env)
    assert not memoizable("{% for k in cluster %}{{ k }}{% endfor %}", env)


def test_frozen_values_keep_types_apart() -> None:
    assert freeze(1) != freeze(True)
    assert freeze({"a": [1]}) == freeze({"a": [1]})
    assert freeze(("x",)) != freeze("x")


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
