"""An output folder as found on disk: walked without following links, read only when a
regular file within its size bound, linked or else copied, and replaced whole."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from kkpgen.output.tree import Entry, copy_entry, link_or_copy, read_file, replace_with, walk


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "folder"
    (root / "b" / "c").mkdir(parents=True)
    (root / "b" / "c" / "d.yaml").write_bytes(b"d")
    (root / "a.yaml").write_bytes(b"a")
    (root / "b.yaml").write_bytes(b"b")
    (root / "link").symlink_to(root / "b")
    os.mkfifo(root / "pipe")
    return root


def test_walk_lists_every_entry_sorted_parents_first_and_never_enters_a_link(
    folder: Path,
) -> None:
    assert list(walk(str(folder))) == [
        Entry("a.yaml", "file"),
        Entry("b", "folder"),
        Entry("b/c", "folder"),
        Entry("b/c/d.yaml", "file"),
        Entry("b.yaml", "file"),
        Entry("link", "link"),
        Entry("pipe", "other"),
    ]
    assert list(walk(str(folder / "b"), "x/")) == [
        Entry("x/c", "folder"),
        Entry("x/c/d.yaml", "file"),
    ]


def test_walk_of_a_missing_folder_or_a_file_has_no_entries(folder: Path) -> None:
    assert list(walk(str(folder / "missing"))) == []
    assert list(walk(str(folder / "a.yaml"))) == []


def test_read_file_reads_a_regular_file_up_to_its_bound_and_nothing_else(
    folder: Path,
) -> None:
    data = b"0123456789" * 1000
    (folder / "big").write_bytes(data)
    assert read_file(str(folder / "big"), len(data)) == data  # the bound is inclusive
    assert read_file(str(folder / "big"), len(data) - 1) is None
    assert read_file(str(folder / "a.yaml"), 1) == b"a"
    (folder / "empty").write_bytes(b"")
    assert read_file(str(folder / "empty"), 0) == b""
    for other in ("link", "pipe", "b", "missing"):  # a pipe must not block the read
        assert read_file(str(folder / other), 1 << 20) is None
    (folder / "to-file").symlink_to(folder / "a.yaml")
    assert read_file(str(folder / "to-file"), 1 << 20) is None


def test_read_file_reads_on_after_short_reads(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read may return fewer bytes than asked (a network or FUSE file system)."""
    real = os.read
    monkeypatch.setattr(os, "read", lambda descriptor, size: real(descriptor, min(size, 3)))
    data = b"0123456789"
    (folder / "ten").write_bytes(data)
    assert read_file(str(folder / "ten"), 10) == data


def test_link_or_copy_makes_a_hard_link_of_a_file_and_of_a_link_itself(folder: Path) -> None:
    link_or_copy(str(folder / "a.yaml"), str(folder / "a2"))
    assert (folder / "a2").stat().st_ino == (folder / "a.yaml").stat().st_ino
    link_or_copy(str(folder / "link"), str(folder / "link2"))
    assert (folder / "link2").is_symlink()
    assert (folder / "link2").readlink() == folder / "b"
    (folder / "to-file").symlink_to(folder / "a.yaml")  # a hard link would follow it
    link_or_copy(str(folder / "to-file"), str(folder / "to-file2"))
    assert (folder / "to-file2").readlink() == folder / "a.yaml"


@pytest.mark.parametrize("code", [errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP])
def test_without_hard_links_link_or_copy_copies_bytes_mode_and_links(
    folder: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", refused)
    (folder / "a.yaml").chmod(0o640)
    link_or_copy(str(folder / "a.yaml"), str(folder / "a2"))
    copied = (folder / "a2").stat()
    assert (folder / "a2").read_bytes() == b"a"
    assert copied.st_ino != (folder / "a.yaml").stat().st_ino
    assert stat.S_IMODE(copied.st_mode) == 0o640
    link_or_copy(str(folder / "link"), str(folder / "link2"))
    assert (folder / "link2").readlink() == folder / "b"  # the link, not what it names


def test_link_or_copy_raises_any_other_error(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "no space")

    monkeypatch.setattr(os, "link", refused)
    with pytest.raises(OSError, match="no space"):
        link_or_copy(str(folder / "a.yaml"), str(folder / "a2"))
    assert not (folder / "a2").exists()


def test_copying_a_large_file_copies_every_chunk(folder: Path) -> None:
    data = os.urandom((1 << 20) * 2 + 5)
    (folder / "large").write_bytes(data)
    copy_entry(str(folder / "large"), str(folder / "large2"))
    assert (folder / "large2").read_bytes() == data


def test_copy_refuses_a_special_file_and_never_writes_through_a_target(folder: Path) -> None:
    with pytest.raises(OSError, match="special file") as caught:
        copy_entry(str(folder / "pipe"), str(folder / "pipe2"))
    # what the user reads: "cannot write beside <out>: <strerror>" (output/staging.py)
    assert caught.value.errno == errno.EPERM
    assert caught.value.strerror == "cannot copy a special file without hard links"
    assert caught.value.filename == str(folder / "pipe")
    with pytest.raises(FileExistsError):
        copy_entry(str(folder / "a.yaml"), str(folder / "link"))
    assert (folder / "b").is_dir()


def test_replace_with_writes_whole_with_its_mode_and_never_through_a_planted_link(
    folder: Path,
) -> None:
    target, temporary = folder / "record", folder / ".record.tmp"
    temporary.symlink_to(folder / "a.yaml")
    old = os.umask(0o077)
    try:
        replace_with(target, b"new", temporary)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new"
    assert not target.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert (folder / "a.yaml").read_bytes() == b"a"
    assert not os.path.lexists(temporary)
    replace_with(target, b"again", temporary, 0o600)
    assert target.read_bytes() == b"again"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
