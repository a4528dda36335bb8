"""Output tree: stage files beside <out>, then swap them in with renames (all or nothing)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.models.layout import OWNER_MARKER
from kkpgen.output.tree import is_no_hard_links, link_or_copy, walk
from kkpgen.source.private import PRIVATE_FILE, UntrustedFolder, private_folder, xdg_folder

# What the stager keeps in mind, bounded: a forked worker's memory grew by every name kept
# (issue 15: the process tree at 10,000 clusters).
_FOLDERS_REMEMBERED = 1_024  # folders made: a cluster's are made together, then never again
_CONTENTS_REMEMBERED = 4_096  # digests of bytes written, beside those linked at least once
_MARKER_TEXT = "This folder is written by kkpgen; changes made by hand are lost.\n"


@dataclass(frozen=True, slots=True)
class StagedTree:
    root: Path  # the staging folder, a sibling of out
    out: Path


def _refuse(out: Path, message: str, hint: str) -> KkpgenError:
    return KkpgenError(
        [Diagnostic("output.refused", Location(str(out)), "", message, hint)],
        exit_code=ExitCode.ENVIRONMENT,
    )


def check_owned(out: Path) -> None:
    """Refuse to replace a folder kkpgen did not write: its files are not ours to delete."""
    if out.exists() and not out.is_dir():
        raise _refuse(out, f"{out} exists and is not a folder", "choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / OWNER_MARKER).is_file():
        raise _refuse(
            out,
            f"{out} holds files kkpgen did not write",
            f"choose an empty or new --out folder (kkpgen marks its own with {OWNER_MARKER})",
        )


def check_location(out: Path, *, clusters: Path) -> Path:
    """<out> with its links resolved. Refused: the root folder (the staging beside it would
    land in /) and any place below the spec folder (the next run would read its own output)."""
    try:
        target = out.resolve()
    except (RuntimeError, OSError) as error:  # a symlink loop: RuntimeError before 3.13
        raise _refuse(
            out,
            f"--out {out} cannot be resolved: {error}",
            "remove the link loop, or choose another --out",
        ) from None
    below = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if below is not None:
        message = f"--out {out} is below {below}, which is not a folder"
        raise _refuse(out, message, "choose an --out whose parent folders are folders")
    if target.parent == target:
        raise _refuse(out, f"--out {out} is the root folder", "choose a folder of its own")
    spec = clusters.resolve()
    if target == spec or spec in target.parents:
        raise _refuse(
            out,
            f"--out {out} is inside the spec folder {clusters}",
            "choose a folder outside clusters/, e.g. --out rendered",
        )
    return target


def _lock_base() -> tuple[Path, tuple[str, ...]]:
    """Where lock files live: the user's runtime folder, never the user's tree (a lock file
    beside <out> stayed there after every run); without one, a folder of the user's in the
    temporary folder. Either must be private (source/private.py), or kkpgen refuses."""
    runtime = xdg_folder("XDG_RUNTIME_DIR")  # a relative one is ignored (XDG spec)
    if runtime is not None and runtime.parent != runtime:
        return runtime.parent, (runtime.name, "kkpgen-locks")
    return Path(tempfile.gettempdir()).absolute(), (f"kkpgen-{os.getuid()}", "kkpgen-locks")


def lock_path(out: Path) -> Path:
    """One lock per output folder, whatever name reaches it (a symlink, a relative path)."""
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:32]
    base, names = _lock_base()
    return base.joinpath(*names, f"{key}.lock")


def _open_lock(out: Path) -> int:
    """The lock file of `out`, opened in a private folder and through no link."""
    path = lock_path(out)
    base, names = _lock_base()
    try:
        with private_folder(base, *names) as folder:
            flags = os.O_RDWR | os.O_CREAT | PRIVATE_FILE
            descriptor = os.open(path.name, flags, 0o600, dir_fd=folder)
    except UntrustedFolder as error:
        raise _refuse(
            out,
            f"cannot lock {out}: {error}",
            "set XDG_RUNTIME_DIR to a folder of your own with mode 0700 (as systemd's "
            f"/run/user/{os.getuid()}), or remove that folder so that kkpgen makes it",
        ) from None
    except OSError as error:
        raise _refuse(
            out,
            f"cannot lock {out}: {path}: {error.strerror or error}",
            "set XDG_RUNTIME_DIR to a writable folder of your own with mode 0700",
        ) from None
    return descriptor


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Serialise runs on one <out>: a second run waits for none and refuses at once.

    Render workers forked under the lock share it; they die with this process
    (output/workers.py), so a killed run never leaves the lock held (issue 23)."""
    descriptor = _open_lock(out)
    try:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _unwritable(out, error) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(
                out, f"another kkpgen run is writing {out}", "wait for it to finish, then re-run"
            ) from None
        remove_leftovers(out)
        yield
    finally:
        os.close(descriptor)


def remove_leftovers(out: Path) -> None:
    """Remove what killed runs left beside <out>: staging and backup folders, half-written
    record files. Called under the lock, so no live run owns them."""
    out = out.absolute()
    name = re.escape(out.name)
    leftover = re.compile(rf"\.{name}\.(tmp-[a-z0-9_]{{8}}|old-[0-9]+|rec-[0-9]+)")
    with contextlib.suppress(OSError):
        for entry in os.scandir(out.parent):
            if not leftover.fullmatch(entry.name) or entry.is_symlink():
                continue
            if entry.is_dir():
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                Path(entry.path).unlink(missing_ok=True)


def _unwritable(out: Path, error: OSError) -> KkpgenError:
    return _refuse(
        out,
        f"cannot write beside {out}: {error.strerror or error}",
        "make the parent folder of --out writable (and check free disk space)",
    )


def _is_inside(relative: str) -> bool:
    # String tests, not PurePosixPath: this runs for each of 50,000 files per 1,000 clusters.
    return bool(relative) and not relative.startswith("/") and ".." not in relative.split("/")


def _place(root: Path, relative: str, made: set[str]) -> str:
    """Check that `relative` stays inside the tree and create its folder; return the path."""
    # A path check instead of resolve(): the staging tree is ours and holds no links, and
    # resolving 50,000 paths costs seconds (issue: fleet-scale speed).
    if not _is_inside(relative):
        raise _refuse(
            root,
            f"refusing to write outside the output tree: {relative}",
            "cluster and object names must be DNS-1123 names",
        )
    folder = relative.rpartition("/")[0]
    if folder and folder not in made:
        _make_folder(f"{root}/", folder, made)
    return f"{root}/{relative}"


def _make_folder(prefix: str, folder: str, made: set[str]) -> None:
    """mkdir `folder` and its missing parents, top down: one mkdir per folder, where
    Path.mkdir(parents=True) first failed on each missing parent (15,000 mkdir calls for
    9,000 folders per 1,000 clusters)."""
    parent = folder.rpartition("/")[0]
    if parent and parent not in made:
        _make_folder(prefix, parent, made)
    Path(prefix + folder).mkdir(exist_ok=True)  # it exists if made before the set was cleared
    if len(made) >= _FOLDERS_REMEMBERED:  # an extra mkdir costs less than names held
        made.clear()
    made.add(folder)


def _write(root: Path, relative: str, data: bytes, made: set[str]) -> None:
    fd = os.open(_place(root, relative, made), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.fchmod(fd, 0o644)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _link(root: Path, existing: str, relative: str, made: set[str]) -> None:
    os.link(f"{root}/{existing}", _place(root, relative, made))


def _copy_tree(source: Path, target: Path) -> None:
    """Recreate `source` at `target`: folders made, every other entry hard-linked (a link
    as the link itself, never what it names), or copied where there are no hard links."""
    target.mkdir()
    for entry in walk(str(source)):
        if entry.kind == "folder":
            (target / entry.path).mkdir()
        else:
            link_or_copy(f"{source}/{entry.path}", f"{target}/{entry.path}")


class Stager:
    """Builds a staging folder beside `out`: written files, and folders hard-linked from out.

    Use as a context manager: leaving it by an exception removes the staging folder.
    """

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        self.made: set[str] = set()
        self.count = 0
        self.contents: dict[bytes, str] = {}  # digest of bytes written -> first path
        self.linked: set[bytes] = set()  # digests of contents written more than once
        self.listing: list[tuple[str, bytes, int]] = []  # written since take_listing
        self.hard_links = True  # False once the file system refused one: copy instead
        self.root = self._make_root()

    def _make_root(self) -> Path:
        """The staging folder, made with SIGTERM and SIGINT held: a signal handled between
        mkdtemp and the `with` block unwound past __exit__ and left the folder behind."""
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            root = tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent)
        except OSError as error:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise _unwritable(self.out, error) from None
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal is handled here
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return Path(root)

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        if isinstance(error, OSError):  # a full disk or a read-only file system: exit 4
            raise _unwritable(self.out, error) from None

    def write(self, relative: str, data: bytes) -> None:
        """Write a file; a file with the same bytes as one already staged becomes a hard link.

        Most objects are identical across clusters on the same versions (CRDs, RBAC), and a
        link costs a tenth of creating a file. kkpgen never writes into an existing file,
        so shared inodes are never changed under another path.
        """
        digest = hashlib.blake2b(data, digest_size=16).digest()
        self.listing.append((relative, digest, len(data)))
        first = self.contents.get(digest) if self.hard_links else None
        if first is None:
            _write(self.root, relative, data, self.made)
            if len(self.contents) - len(self.linked) >= _CONTENTS_REMEMBERED:
                self._forget_unshared()
            self.contents[digest] = relative
        else:
            try:
                _link(self.root, first, relative, self.made)
            except OSError as error:
                if error.errno != errno.EMLINK and not is_no_hard_links(error):
                    raise
                # The first file has as many links as the file system allows (65,000 on
                # ext4; shared objects are remembered for the whole run), or the file
                # system has none (vfat, SMB: issue 23): write the bytes again.
                self.hard_links = error.errno == errno.EMLINK
                _write(self.root, relative, data, self.made)
                self.contents[digest] = relative
            self.linked.add(digest)
        self.count += 1

    def take_listing(self, prefix: str) -> list[tuple[str, bytes, int]]:
        """The files written below `prefix` since the last call (paths without the prefix):
        what a cluster's record lists. Forgets everything written since."""
        found = [(p[len(prefix) :], d, n) for p, d, n in self.listing if p.startswith(prefix)]
        self.listing.clear()
        return found

    def mark(self, relative: str, data: bytes) -> None:
        """Write a bookkeeping file (a cluster's record): not linked, not counted as output."""
        _write(self.root, relative, data, self.made)

    def _forget_unshared(self) -> None:
        """Forget the contents written once only (mostly one cluster's own objects), keep
        those already linked (CRDs, RBAC: shared across the fleet): memory stays flat, and
        a shared object is not written again. Too many shared ones: forget all."""
        if len(self.linked) >= _CONTENTS_REMEMBERED:
            self.linked.clear()
        self.contents = {d: p for d, p in self.contents.items() if d in self.linked}

    def link_folder(self, name: str) -> None:
        """Reuse out/<name> unchanged: hard links cost a fraction of writing the bytes again.
        No link in it is followed (record.current_argo found none in a kept folder)."""
        _copy_tree(self.out / name, self.root / name)

    def keep_foreign(self, names: Iterable[str]) -> None:
        """Carry entries of <out> that kkpgen did not write into the new tree as they are
        (a deploy branch's .git when kkpgen/argocd-path is `.`): never deleted, never
        followed (issue 23)."""
        for name in names:
            source = self.out / name
            if source.is_dir() and not source.is_symlink():
                _copy_tree(source, self.root / name)
            else:
                link_or_copy(str(source), str(self.root / name))

    def finish(self) -> StagedTree:
        _write(self.root, OWNER_MARKER, _MARKER_TEXT.encode(), self.made)
        self.root.chmod(0o755)
        return StagedTree(self.root, self.out)


def replace_folder(staged: StagedTree, name: str) -> None:
    """Swap one staged folder into out in one step (a cluster's, or argocd/), then discard
    the staging folder; a folder staged empty is removed from out.

    Used when a single cluster changed. A cluster's folder carries its own record
    (layout.CLUSTER_RECORD), so the one exchange changes the folder and what is recorded
    about it together: <out> is the old or the new tree at every instant, each folder with
    its own record. argocd/ is swapped after it, made from the records; a run killed in
    between leaves argocd/ stale, which the next render finds and makes again. A link at
    the folder's name is moved or replaced as the link itself, never followed.

    Where no exchange is (macOS, NFS, a C library without renameat2), two renames, as
    `commit` makes: a run killed between them leaves the folder missing, which the next
    render makes again (a missing cluster folder takes the full path; argocd/ is compared).
    """
    new, old = staged.root / name, staged.out / name
    if new.exists() and os.path.lexists(old):
        if not _exchange(new, old):
            old.rename(staged.root / f".{name}.old")  # removed with the staging folder
            new.rename(old)
    elif new.exists():
        new.rename(old)
    elif os.path.lexists(old):
        old.rename(new)  # out of <out> in one step; removed with the staging folder
    discard(staged)


def remove_file(out: Path, name: str) -> None:
    """Remove one file of out (the record kkpgen 0.1 kept at its top)."""
    try:
        (out / name).unlink(missing_ok=True)
    except OSError as error:
        raise _unwritable(out, error) from None


def discard(staged: StagedTree) -> None:
    shutil.rmtree(staged.root, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (renameat2 RENAME_EXCHANGE); False where unsupported."""
    # Two renames leave a moment without <out>: a SIGKILL there would lose it (issue 7).
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    paths = (os.fsencode(a), os.fsencode(b))
    if renameat2(_AT_FDCWD, paths[0], _AT_FDCWD, paths[1], _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def commit(staged: StagedTree) -> None:
    """Swap the staged tree in atomically, else rename(out -> backup), rename(staged -> out)."""
    out = staged.out
    if out.is_dir() and not out.is_symlink() and _exchange(staged.root, out):
        discard(staged)  # the staging folder now holds the old tree
        return
    backup = None
    if out.exists():
        backup = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(backup)
    try:
        staged.root.rename(out)
    except BaseException:
        if backup is not None:
            backup.rename(out)
        discard(staged)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
