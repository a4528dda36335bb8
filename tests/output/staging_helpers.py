"""Staging a whole tree in one call: what the staging tests need (the package stages file by
file, output/update.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kkpgen.output.staging import StagedTree, Stager


def stage_tree(
    files: Iterable[tuple[str, bytes]], *, out: Path, keep: Iterable[str] = ()
) -> StagedTree:
    """Write `files` into a new sibling folder of `out`; reuse the `keep` folders of out."""
    with Stager(out) as stager:
        for folder in sorted(keep):
            stager.link_folder(folder)
        for relative, data in files:
            stager.write(relative, data)
        return stager.finish()
