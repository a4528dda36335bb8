"""An output folder as found on disk: its entries without following links, bounded reads, and
hard links that fall back to copies.

<out> is often a committed tree, and so input a pull request can shape (issue 23): a link
in a cluster folder pointed at a fake `~/.ssh` and was followed when the folder was kept; a
link to /dev/zero exhausted memory under `render --check`. Nothing here follows a link.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

EntryKind = Literal["file", "folder", "link", "other"]
# A file system without hard links (vfat, exFAT, SMB) or a link across file systems.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP, errno.ENOTSUP})


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # relative to the folder walked, POSIX
    kind: EntryKind


def _kind(entry: os.DirEntry[str]) -> EntryKind:
    if entry.is_symlink():
        return "link"
    if entry.is_dir():  # not a link (above): there is nothing to follow
        return "folder"
    return "file" if entry.is_file() else "other"


def walk(folder: str, prefix: str = "") -> Iterator[Entry]:
    """Every entry below `folder`, sorted, parents before their contents; a link is an entry
    and is never descended into or read. A missing folder has no entries."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        kind = _kind(entry)  # from the folder listing itself: no stat call per entry
        yield Entry(prefix + entry.name, kind)
        if kind == "folder":
            yield from walk(entry.path, f"{prefix}{entry.name}/")


def read_file(path: str, limit: int) -> bytes | None:
    """A regular file's bytes, read through no link and only when at most `limit` bytes;
    None for anything else (missing, a link, a device, a folder, too large)."""
    found = read_regular(path, limit)
    return None if found is None else found[0]


def read_regular(path: str, limit: int) -> tuple[bytes, os.stat_result] | None:
    """read_file, with the status of the file it read (taken from the open descriptor, so
    it describes the very file whose bytes these are)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:  # by descriptor, unbuffered: this runs for every file of every kept folder
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        data = os.read(descriptor, info.st_size)
        while len(data) < info.st_size:  # a short read (rare on a regular file)
            more = os.read(descriptor, info.st_size - len(data))
            if not more:
                break
            data += more
    finally:
        os.close(descriptor)
    return data, info


class DigestCache:
    """Digests of the regular files read in this run, by device and inode. Most files of
    <out> are hard links to one another (a render writes each distinct file once and links
    the others to it), so checking every kept folder reads and hashes each distinct file
    once, and finds the others by the inode number of their folder listing, without a
    status call: an entry with a regular file's inode is that file. A file is read through
    no link; what it was read as (device and inode) comes from the descriptor it was read
    through."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], tuple[str, int]] = {}

    def digest(self, entry: os.DirEntry[str], device: int, limit: int) -> tuple[str, int] | None:
        """(blake2b-128 hex, size) of the regular file a listing of a folder on `device`
        found, read only when at most `limit` bytes; None for anything else, as read_file."""
        known = self._known.get((device, entry.inode()))
        if known is not None:
            return known if known[1] <= limit else None
        found = read_regular(entry.path, limit)
        if found is None:
            return None
        data, opened = found
        digest = hashlib.blake2b(data, digest_size=16).hexdigest(), len(data)
        if len(data) == opened.st_size:  # not a file that changed size while it was read
            self._known[opened.st_dev, opened.st_ino] = digest
        return digest


def link_or_copy(source: str, target: str) -> None:
    """Hard-link `source` (a link itself, not what it names) to `target`; where the file
    system has no hard links, copy it: a link as a link, a file's bytes into a new file."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        copy_entry(source, target)


def copy_entry(source: str, target: str) -> None:
    info = os.lstat(source)
    if stat.S_ISLNK(info.st_mode):
        Path(target).symlink_to(Path(source).readlink())
        return
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EPERM, "cannot copy a special file without hard links", source)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with (
        open(source, "rb", opener=_no_follow) as reading,
        os.fdopen(os.open(target, flags, stat.S_IMODE(info.st_mode)), "wb") as writing,
    ):
        while chunk := reading.read(1 << 20):
            writing.write(chunk)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC)


def is_no_hard_links(error: OSError) -> bool:
    return error.errno in _NO_HARD_LINKS


def replace_with(path: Path, data: bytes, temporary: Path, mode: int = 0o644) -> None:
    """Write `path` whole, through a new file at `temporary` renamed over it: created with
    O_EXCL | O_NOFOLLOW after removing whatever is there, so a link planted at the
    temporary name (a committed `.rendered.rec-1234`) is never written through."""
    temporary.unlink(missing_ok=True)  # unlinks a link itself, never what it names
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        with os.fdopen(os.open(temporary, flags, mode), "wb") as stream:
            os.fchmod(stream.fileno(), mode)  # whatever the umask
            stream.write(data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
