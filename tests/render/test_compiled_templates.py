"""Compiled templates are kept between runs, and a cache that cannot be used changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkpgen.render.engine import build_environment

TEMPLATE = "demo/templates/service.yaml"


@pytest.fixture(autouse=True)
def charts(tmp_path: Path) -> Path:
    root = tmp_path / "charts"
    (root / "demo" / "templates").mkdir(parents=True)
    (root / TEMPLATE).write_text("metadata:\n  name: {{ cluster.name | quote }}\n")
    return root


def _render_template(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    env = build_environment(cache_home.parent / "charts")
    return env.get_template(TEMPLATE).render({"cluster": {"name": "c1"}})


def test_a_second_run_loads_what_the_first_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _render_template(tmp_path / "cache", monkeypatch)
    cached = sorted((tmp_path / "cache" / "kkpgen" / "templates").iterdir())
    assert cached  # compiled code was written
    stamps = [p.stat().st_mtime_ns for p in cached]
    assert _render_template(tmp_path / "cache", monkeypatch) == first
    assert [p.stat().st_mtime_ns for p in cached] == stamps  # read, not compiled again


def test_an_unusable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _render_template(tmp_path / "usable", monkeypatch)
    assert plain == 'metadata:\n  name: "c1"\n'
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go\n")  # refused even to root
    assert _render_template(blocked, monkeypatch) == plain
