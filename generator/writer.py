"""Output tree: stage files beside <out>, then swap them in with renames (all or nothing)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Diagnostic, ExitCode, KkpgenError, Location

OWNER_MARKER = ".kkpgen-output"  # kkpgen only ever replaces a folder that carries this file
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


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Serialise runs on one <out>: a second run waits for none and refuses at once."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / f".{out.name}.kkpgen.lock"
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(
                out, f"another kkpgen run is writing {out}", "wait for it to finish, then re-run"
            ) from None
        yield


def _write(root: Path, relative: str, data: bytes) -> None:
    target = root / relative
    if not target.resolve().is_relative_to(root.resolve()):
        raise _refuse(
            root,
            f"refusing to write outside the output tree: {relative}",
            "cluster and object names must be DNS-1123 names",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    target.chmod(0o644)


def stage_tree(
    files: Iterable[tuple[str, bytes]], *, out: Path, keep: Iterable[str] = ()
) -> StagedTree:
    """Write `files` (sorted) into a new sibling folder of `out`; copy the `keep` folders of out."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for folder in sorted(keep):
            shutil.copytree(out / folder, root / folder)
        for relative, data in sorted(files):
            _write(root, relative, data)
        _write(root, OWNER_MARKER, _MARKER_TEXT.encode())
        root.chmod(0o755)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return StagedTree(root, out)


def discard(staged: StagedTree) -> None:
    shutil.rmtree(staged.root, ignore_errors=True)


def commit(staged: StagedTree) -> None:
    """Swap the staged tree in: rename(out -> backup), rename(staged -> out), remove backup."""
    out = staged.out
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
