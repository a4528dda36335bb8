"""The cache on a shared machine: nothing is loaded from a folder another user could write,
an entry is data (never code), and a link planted at a temporary name is not written through."""

from __future__ import annotations

import os
import pickle
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from kkpgen.source import cache, private
from tests.source.conftest import Counting

NOBODY = 65534


@dataclass(frozen=True)
class Point:
    x: int
    tags: frozenset[str]


def _entry(own_cache: Path) -> Path:
    (entry,) = (own_cache / "kkpgen" / "derived").glob("probe-*.json")
    return entry


def test_cache_folders_are_made_private(own_cache: Path) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    for folder in (own_cache / "kkpgen", own_cache / "kkpgen" / "derived"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(_entry(own_cache).stat().st_mode) == 0o600


def test_an_entry_is_data_and_builds_only_the_named_types() -> None:
    value = {"a": (Point(1, frozenset({"b", "a"})), None, 2.5, True)}
    assert cache.loads(cache.dumps(value), [Point]) == value
    with pytest.raises(ValueError, match="not a value kkpgen keeps"):
        cache.loads(cache.dumps(value))  # Point not named: not constructed


def test_a_planted_pickle_is_never_loaded(own_cache: Path) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    entry = _entry(own_cache)
    marker = own_cache / "ran"
    entry.write_bytes(pickle.dumps(Path.touch.__get__(marker)))  # what a pickle could run
    derive = Counting(1)
    assert cache.kept("probe", [b"x"], derive) == 1
    assert derive.calls == 1
    assert not marker.exists()


def test_an_entry_with_a_wrong_digest_is_derived_again(own_cache: Path) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    entry = _entry(own_cache)
    entry.write_bytes(entry.read_bytes().replace(b"\n1", b"\n2"))  # the value, not its digest
    derive = Counting(1)
    assert cache.kept("probe", [b"x"], derive) == 1
    assert derive.calls == 1


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722], ids=["world", "group", "other-write"])
def test_a_folder_others_can_write_is_not_used(own_cache: Path, mode: int) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    (own_cache / "kkpgen").chmod(mode)
    derive = Counting(2)
    assert cache.kept("probe", [b"x"], derive) == 2  # the entry there is not read
    assert cache.kept("probe", [b"x"], derive) == 2  # nor one written
    assert derive.calls == 2


def test_a_folder_others_can_only_read_is_closed_and_used(own_cache: Path) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    (own_cache / "kkpgen").chmod(0o755)
    derive = Counting(2)
    assert cache.kept("probe", [b"x"], derive) == 1
    assert stat.S_IMODE((own_cache / "kkpgen").stat().st_mode) == 0o700


def test_a_folder_of_another_user_is_not_used(own_cache: Path) -> None:
    """Run as root here: chown to nobody makes the folder truly another user's."""
    cache.kept("probe", [b"x"], Counting(1))
    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder to another user")
    os.chown(own_cache / "kkpgen", NOBODY, NOBODY)
    (own_cache / "kkpgen").chmod(0o700)
    derive = Counting(2)
    assert cache.kept("probe", [b"x"], derive) == 2
    assert derive.calls == 1


def test_a_folder_of_another_user_is_not_used_whoever_runs(
    own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same, as any user: kkpgen believes it runs as another uid than the owner."""
    cache.kept("probe", [b"x"], Counting(1))
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 4242)
    derive = Counting(2)
    assert cache.kept("probe", [b"x"], derive) == 2


def test_a_cache_reached_through_a_link_is_not_used(own_cache: Path, tmp_path: Path) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    moved = tmp_path / "elsewhere"
    (own_cache / "kkpgen").rename(moved)
    (own_cache / "kkpgen").symlink_to(moved)
    derive = Counting(2)
    assert cache.kept("probe", [b"x"], derive) == 2
    assert cache.kept("probe", [b"x"], derive) == 2


def test_a_link_above_the_cache_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "linked" / "cache"))
    derive = Counting(3)
    assert cache.kept("probe", [b"x"], derive) == 3
    assert cache.kept("probe", [b"x"], derive) == 3
    assert derive.calls == 2
    assert not (tmp_path / "real" / "cache").exists()


def test_a_relative_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cache.kept("probe", [b"x"], Counting(1))
    assert not (tmp_path / "relative-cache").exists()
    assert (tmp_path / "home" / ".cache" / "kkpgen" / "derived").is_dir()


def test_a_link_planted_at_the_temporary_name_is_not_written_through(
    own_cache: Path, tmp_path: Path
) -> None:
    folder = own_cache / "kkpgen" / "derived"
    descriptor = private.open_private(own_cache, "kkpgen", "derived")
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    (folder / f".entry.{os.getpid()}.tmp").symlink_to(victim)
    try:
        private.write_private(descriptor, "entry", b"data")
    finally:
        os.close(descriptor)
    assert victim.read_text() == "keep me\n"
    assert (folder / "entry").read_bytes() == b"data"
    assert not (folder / "entry").is_symlink()


def test_an_entry_that_is_a_link_is_not_read(own_cache: Path, tmp_path: Path) -> None:
    cache.kept("probe", [b"x"], Counting(1))
    entry = _entry(own_cache)
    planted = tmp_path / "planted"
    planted.write_bytes(cache.dumps(99))
    entry.unlink()
    entry.symlink_to(planted)
    derive = Counting(1)
    assert cache.kept("probe", [b"x"], derive) == 1
    assert derive.calls == 1


def test_without_a_home_nothing_is_cached_and_nothing_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An Argo CD plugin: uid 999 with no passwd entry, no HOME, no XDG_CACHE_HOME."""
    monkeypatch.delenv("XDG_CACHE_HOME")

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    derive = Counting(5)
    assert cache.kept("probe", [b"x"], derive) == 5
    assert cache.kept("probe", [b"x"], derive) == 5
    assert derive.calls == 2
