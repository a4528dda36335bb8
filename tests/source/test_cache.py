"""What kkpgen keeps between runs: derived once per inputs, derived again when unreadable."""

from __future__ import annotations

import dataclasses
import sys
from importlib import resources
from pathlib import Path

import pytest

from kkpgen.kkp import catalog
from kkpgen.source import cache
from tests.source.conftest import Counting


def test_a_result_is_derived_once_for_the_same_inputs() -> None:
    derive = Counting({"answer": 42})
    assert cache.kept("probe", [b"a", b"b"], derive) == {"answer": 42}
    assert cache.kept("probe", [b"a", b"b"], derive) == {"answer": 42}
    assert derive.calls == 1


def test_other_inputs_are_derived_anew() -> None:
    derive = Counting(1)
    cache.kept("probe", [b"a", b"b"], derive)
    cache.kept("probe", [b"ab"], derive)  # the same bytes, cut elsewhere
    cache.kept("probe", [b"a", b"c"], derive)
    assert derive.calls == 3


def test_an_entry_cut_short_is_derived_again(own_cache: Path) -> None:
    cache.kept("probe", [b"x"], Counting((1, 2, 3)))
    (entry,) = (own_cache / "kkpgen" / "derived").glob("probe-*.json")
    entry.write_bytes(entry.read_bytes()[:-5])
    derive = Counting((1, 2, 3))
    assert cache.kept("probe", [b"x"], derive) == (1, 2, 3)
    assert derive.calls == 1
    assert cache.loads(entry.read_bytes()) == (1, 2, 3)  # and written whole again


def test_an_unwritable_cache_still_derives(own_cache: Path) -> None:
    own_cache.parent.mkdir(parents=True, exist_ok=True)
    own_cache.write_text("a file where the cache folder would be")
    derive = Counting("v")
    assert cache.kept("probe", [b"x"], derive) == "v"
    assert cache.kept("probe", [b"x"], derive) == "v"
    assert derive.calls == 2


def test_the_kept_catalog_is_the_parsed_one() -> None:
    data = resources.files("kkpgen.kkp")
    parsed = catalog.parse_catalog(
        data.joinpath(catalog.CATALOG_RESOURCE).read_text(encoding="utf-8"),
        data.joinpath(catalog.PATCHES_RESOURCE).read_text(encoding="utf-8"),
    )
    catalog.load_catalog.cache_clear()
    try:
        first = catalog.load_catalog()  # derived and kept
        catalog.load_catalog.cache_clear()
        second = catalog.load_catalog()  # read back
    finally:
        catalog.load_catalog.cache_clear()
    assert first == parsed
    assert second == parsed
    assert second is not first


def test_another_python_derives_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pickle or a compiled template of one Python is not read by another."""
    derive = Counting(1)
    cache.kept("probe", [b"a"], derive)
    monkeypatch.setattr(sys, "version", "3.99.0 (another build)")
    cache.kept("probe", [b"a"], derive)
    assert derive.calls == 2


def test_the_kind_keeps_two_results_of_the_same_inputs_apart() -> None:
    cache.kept("one", [b"a"], Counting(1))
    assert cache.kept("two", [b"a"], Counting(2)) == 2


@dataclasses.dataclass(frozen=True)
class _Two:
    a: int
    b: bool = False


@dataclasses.dataclass(frozen=True)
class _One:
    a: int


def test_an_entry_of_another_layout_of_a_type_is_derived_again(own_cache: Path) -> None:
    """A process that imported an older module keyed its value under the new source's key:
    the entry has one field fewer and must not be read with the new field's default."""
    cache.kept("layout", [b"k"], Counting(_One(1)), types=(_One,))
    (entry,) = (own_cache / "kkpgen" / "derived").glob("layout-*.json")
    _Two.__qualname__ = "_One"  # the same name, a new layout
    try:
        with pytest.raises(ValueError, match="has 1 fields, not 2"):
            cache.loads(entry.read_bytes(), (_Two,))
        derive = Counting(_Two(1, b=True))
        assert cache.kept("layout", [b"k"], derive, types=(_Two,)) == _Two(1, b=True)
        assert derive.calls == 1
    finally:
        _Two.__qualname__ = "_Two"
