"""Compiled templates are kept between runs, and a cache that cannot be used changes nothing."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import jinja2
import pytest

from kkpgen.render import engine
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


def test_a_cache_that_cannot_be_written_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while the compiled template is written: the render goes on without it."""

    def full(folder: int, name: str, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(engine, "write_private", full)
    assert _render_template(tmp_path / "cache", monkeypatch) == 'metadata:\n  name: "c1"\n'


def _plant(cache_home: Path, text: str) -> None:
    """Replace the one cached entry with code compiled from `text` (valid for the template's
    source, as a user who can write the folder could make it)."""
    env = build_environment(cache_home.parent / "charts")
    (entry,) = (cache_home / "kkpgen" / "templates").iterdir()
    source, filename, _ = env.loader.get_source(env, TEMPLATE)  # type: ignore[union-attr]
    bucket = jinja2.bccache.Bucket(
        env, entry.stem, jinja2.bccache.BytecodeCache().get_source_checksum(source)
    )
    bucket.code = env.compile(text, TEMPLATE, filename)
    entry.write_bytes(bucket.bytecode_to_string())


def test_planted_bytecode_runs_only_from_a_private_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytecode is code: read from this user's 0700 folder (the planted entry shows it is
    loaded), never from one others can write."""
    home = tmp_path / "cache"
    plain = _render_template(home, monkeypatch)
    _plant(home, "planted\n")
    assert _render_template(home, monkeypatch) == "planted\n"  # the test can tell a loaded entry
    (home / "kkpgen" / "templates").chmod(0o777)
    assert _render_template(home, monkeypatch) == plain


def test_bytecode_of_another_user_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "cache"
    plain = _render_template(home, monkeypatch)
    _plant(home, "planted\n")
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 4242)  # the folder is not ours
    assert _render_template(home, monkeypatch) == plain


def test_bytecode_reached_through_a_link_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "cache"
    plain = _render_template(home, monkeypatch)
    _plant(home, "planted\n")
    folder = home / "kkpgen" / "templates"
    folder.rename(tmp_path / "elsewhere")
    folder.symlink_to(tmp_path / "elsewhere")
    assert _render_template(home, monkeypatch) == plain


def test_code_compiled_under_other_options_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is shared by every kkpgen the user runs: one that compiled the charts with
    other whitespace options (another release) must not hand its code to this one."""
    (tmp_path / "charts" / TEMPLATE).write_text("a:\n  {% if true %}\n  b: 1\n  {% endif %}\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    other = build_environment(tmp_path / "charts")
    other.lstrip_blocks = False
    assert other.get_template(TEMPLATE).render() == "a:\n    b: 1\n  "
    ours = build_environment(tmp_path / "charts").get_template(TEMPLATE).render()
    assert ours == "a:\n  b: 1\n"
    assert len(list((tmp_path / "cache" / "kkpgen" / "templates").iterdir())) == 2
