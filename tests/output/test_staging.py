"""The output tree is replaced all at once, only when kkpgen owns it, and one run at a time."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError
from kkpgen.models.layout import OWNER_MARKER
from kkpgen.output import staging
from kkpgen.output.staging import (
    Stager,
    check_owned,
    commit,
    discard,
    output_lock,
)
from kkpgen.output.workers import share_of
from tests.output.staging_helpers import stage_tree


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_commit_swaps_the_staged_tree_in_and_removes_what_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n"), ("b/y.yaml", b"2\n")], out=out))
    commit(stage_tree([("a/x.yaml", b"3\n")], out=out))
    assert _tree(out) == {"a/x.yaml": b"3\n", OWNER_MARKER: _tree(out)[OWNER_MARKER]}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_files_are_written_with_mode_644(tmp_path: Path) -> None:
    commit(stage_tree([("a/x.yaml", b"1\n")], out=tmp_path / "out"))
    assert (tmp_path / "out/a/x.yaml").stat().st_mode & 0o777 == 0o644


def test_discarded_stage_leaves_out_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    before = _tree(out)
    staged = stage_tree([("a/x.yaml", b"changed\n")], out=out)
    discard(staged)
    assert _tree(out) == before
    assert not staged.root.exists()


def test_keep_copies_folders_of_the_previous_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n"), ("b/y.yaml", b"2\n")], out=out))
    commit(stage_tree([("a/x.yaml", b"9\n")], out=out, keep=["b"]))
    assert (out / "b/y.yaml").read_bytes() == b"2\n"
    assert (out / "a/x.yaml").read_bytes() == b"9\n"


def test_a_folder_kkpgen_did_not_write_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    with pytest.raises(KkpgenError) as caught:
        check_owned(out)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert caught.value.diagnostics[0].code == "output.refused"


def test_writing_outside_the_tree_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KkpgenError):
        stage_tree([("../escape.yaml", b"x")], out=tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")] == []


def test_a_second_run_on_the_same_out_is_refused_while_the_first_holds_the_lock(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with output_lock(out), pytest.raises(KkpgenError) as caught, output_lock(out):
        pass
    assert "another kkpgen run" in caught.value.diagnostics[0].message


def test_the_lock_leaves_nothing_beside_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(out):
        commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_names_of_one_out_share_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(out)
    with output_lock(out), pytest.raises(KkpgenError) as caught, output_lock(alias):
        pass
    assert "another kkpgen run" in caught.value.diagnostics[0].message


def test_the_stager_forgets_unshared_contents_but_keeps_linking_shared_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "_CONTENTS_REMEMBERED", 4)
    with Stager(tmp_path / "out") as stager:
        stager.write("a/crd.yaml", b"shared\n")
        stager.write("b/crd.yaml", b"shared\n")  # linked: remembered from now on
        for index in range(10):  # unique contents: forgotten every 4
            stager.write(f"c{index}/own.yaml", f"own {index}\n".encode())
        stager.write("z/crd.yaml", b"shared\n")
        assert len(stager.contents) <= 4 + 1
        staged = stager.finish()
    root = staged.root
    inodes = {(root / p).stat().st_ino for p in ("a/crd.yaml", "b/crd.yaml", "z/crd.yaml")}
    assert len(inodes) == 1
    assert (root / "c7/own.yaml").read_bytes() == b"own 7\n"
    assert stager.count == 13
    discard(staged)


def test_worker_shares_are_contiguous_cover_everything_and_differ_by_one_at_most() -> None:
    items = list(range(11))
    for jobs in (1, 2, 3, 4):
        shares = [list(share_of(items, index, jobs)) for index in range(jobs)]
        assert [i for share in shares for i in share] == items
        assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_a_file_with_the_most_links_allowed_is_written_again_and_linked_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    full = {"a/crd.yaml"}

    def link(source: str, target: str) -> None:
        if source.endswith(tuple(full)):
            raise OSError(errno.EMLINK, os.strerror(errno.EMLINK))
        real_link(source, target)

    monkeypatch.setattr(os, "link", link)
    with Stager(tmp_path / "out") as stager:
        for folder in ("a", "b", "c"):
            stager.write(f"{folder}/crd.yaml", b"shared\n")
        staged = stager.finish()
    root = staged.root
    assert [(root / f"{f}/crd.yaml").read_bytes() for f in "abc"] == [b"shared\n"] * 3
    assert (root / "b/crd.yaml").stat().st_ino == (root / "c/crd.yaml").stat().st_ino
    assert (root / "a/crd.yaml").stat().st_ino != (root / "b/crd.yaml").stat().st_ino
    discard(staged)
