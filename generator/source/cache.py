"""What kkpgen keeps between runs, in $XDG_CACHE_HOME/kkpgen: results derived from kkpgen's
own files only (its catalog, its charts), each under a digest of everything it was derived
from, so a changed kkpgen never reads a stale one. A cache that cannot be read or written
is not used: the result is derived again."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_folder(name: str) -> Path:
    """$XDG_CACHE_HOME/kkpgen/<name> (~/.cache without XDG_CACHE_HOME), made if missing."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "kkpgen" / name
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def kept(kind: str, inputs: Iterable[bytes], derive: Callable[[], T]) -> T:
    """derive(), or what it returned before for the same inputs (and the same Python)."""
    sha = hashlib.sha256(sys.version.encode())
    for part in inputs:
        sha.update(len(part).to_bytes(8, "big") + part)
    path = cache_folder("derived") / f"{kind}-{sha.hexdigest()}.pickle"
    # Any entry that cannot be read back (missing, cut short, from an older layout): derive.
    with contextlib.suppress(Exception), path.open("rb") as stream:
        return pickle.load(stream)  # type: ignore[no-any-return]  # noqa: S301  kkpgen's own
    value = derive()
    with contextlib.suppress(OSError, pickle.PicklingError):
        temporary = path.with_name(f"{path.name}.{os.getpid()}")
        temporary.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        temporary.replace(path)  # whole or absent when two processes write it at once
    return value
