"""Folders only this user can write (the cache, the lock folder), opened without following links.

On a shared machine (a CI runner, a jump host) another user can create `/tmp/kkpgen-1000`
or plant a link in a world-writable `$XDG_CACHE_HOME`. What kkpgen loads or locks there must
come from a folder this user owns and nobody else can write, reached with no symbolic link
on the way (issue 23): the checks of Jinja's default bytecode folder and pip's cache, made
on a file descriptor so the folder cannot be swapped between the check and the use.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
PRIVATE_FILE = os.O_NOFOLLOW | os.O_CLOEXEC  # with O_RDONLY, or O_WRONLY | O_CREAT | O_EXCL


class UntrustedFolder(Exception):
    """A folder kkpgen may not use: why, in a sentence that names it."""


def xdg_folder(name: str, env: Mapping[str, str] | None = None) -> Path | None:
    """$name when it is an absolute path; a relative one is ignored, as the XDG base
    directory specification says."""
    value = (os.environ if env is None else env).get(name, "")
    return Path(value) if value and Path(value).is_absolute() else None


def cache_home() -> Path | None:
    """$XDG_CACHE_HOME, else ~/.cache; None without either (no HOME, a uid without a
    passwd entry, as an Argo CD plugin runs): then nothing is cached."""
    try:
        return xdg_folder("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # Path.home(): "Could not determine home directory"
        return None


def _step(parent: int, name: str, where: Path, *, create: bool) -> int:
    """Open `name` below the folder `parent`, never through a link; made 0700 if missing."""
    for _ in range(2):
        try:
            return os.open(name, _OPEN_FOLDER, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):  # another run made it first
                os.mkdir(name, 0o700, dir_fd=parent)
        except OSError as error:  # ELOOP: a link; ENOTDIR: a file
            raise UntrustedFolder(f"{where} is a symbolic link or not a folder") from error
    return os.open(name, _OPEN_FOLDER, dir_fd=parent)


def _check_private(descriptor: int, where: Path) -> None:
    """Owned by this user and closed to others; a folder of ours that others could only read
    or enter is closed (as Jinja does), one they could write into is not used."""
    info = os.fstat(descriptor)
    if info.st_uid != os.geteuid():
        raise UntrustedFolder(f"{where} belongs to another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UntrustedFolder(f"{where} can be written by other users (mode {info.st_mode:o})")
    if info.st_mode & 0o077:
        os.fchmod(descriptor, 0o700)


def open_private(base: Path, *names: str) -> int:
    """A descriptor of base/names..., each of `names` made 0700 when missing and checked to
    be this user's and closed to others; no component of the whole path may be a link.
    Raises UntrustedFolder (or OSError when it cannot be made)."""
    if not base.is_absolute() or not names:
        raise UntrustedFolder(f"{base} is not an absolute path")
    descriptor = os.open("/", _OPEN_FOLDER)
    where = Path("/")
    try:
        for index, name in enumerate((*base.parts[1:], *names)):
            where = where / name
            own = index >= len(base.parts) - 1  # one of `names`: ours to make and check
            following = _step(descriptor, name, where, create=True)
            os.close(descriptor)
            descriptor = following
            if own:
                _check_private(descriptor, where)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


@contextlib.contextmanager
def private_folder(base: Path, *names: str) -> Iterator[int]:
    """open_private as a context manager: the descriptor is closed on leaving."""
    descriptor = open_private(base, *names)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def read_private(folder: int, name: str, limit: int) -> bytes | None:
    """A regular file of ours in `folder`, read through no link and at most `limit` bytes;
    None when it is missing or is anything else."""
    try:
        descriptor = os.open(name, os.O_RDONLY | PRIVATE_FILE, dir_fd=folder)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return None
        data = stream.read(limit + 1) if info.st_size <= limit else b""
        return data if 0 < len(data) <= limit else None


def write_private(folder: int, name: str, data: bytes) -> None:
    """Write `name` whole, or leave it as it was: a new file (O_EXCL | O_NOFOLLOW, 0600: a
    link planted at the temporary name is never written through), renamed over the old."""
    temporary = f".{name}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary, dir_fd=folder)  # a leftover of a killed run of ours (or a link)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | PRIVATE_FILE
    descriptor = os.open(temporary, flags, 0o600, dir_fd=folder)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise
