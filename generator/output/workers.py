"""Render clusters in forked worker processes, each writing its share into the staging tree.

Rendering is CPU-bound Python and writing is file-system bound, so `--jobs N` forks N
workers (copy-on-write: the checked fleet is not pickled). Each worker renders a fixed,
interleaved share of the clusters into the one staging folder and reports the number of
files it wrote, or its KkpgenError, through a pipe.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Sequence

from generator.diagnostics import KkpgenError

Files = Callable[[Sequence[str]], Iterable[tuple[str, bytes]]]
Write = Callable[[str, bytes], None]


def _child(names: Sequence[str], *, files: Files, write: Write, pipe: int) -> None:
    result: int | KkpgenError | OSError
    try:
        count = 0
        for path, data in files(names):
            write(path, data)
            count += 1
        result = count
    except (KkpgenError, OSError) as error:  # a full disk is the caller's exit 4, not a bug
        result = error
    with os.fdopen(pipe, "wb") as stream:
        pickle.dump(result, stream)


def write_in_workers(names: Sequence[str], *, jobs: int, files: Files, write: Write) -> int:
    """Fork `jobs` workers over `names`; return the files written, or raise the first error."""
    children: list[tuple[int, int]] = []
    for index in range(jobs):
        share = names[index::jobs]
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: render, report, and never return into the caller
            os.close(read_end)
            status = 0
            try:
                _child(share, files=files, write=write, pipe=write_end)
            except BaseException:  # noqa: BLE001  a worker must always reach os._exit
                status = 70
            os._exit(status)
        os.close(write_end)
        children.append((pid, read_end))
    return _collect(children)


def _collect(children: Sequence[tuple[int, int]]) -> int:
    total: int = 0
    failure: KkpgenError | OSError | None = None
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as stream:
            payload = stream.read()
        _, status = os.waitpid(pid, 0)
        result = pickle.loads(payload) if payload else None  # noqa: S301  our own child
        if isinstance(result, KkpgenError | OSError):
            failure = failure or result
        elif isinstance(result, int) and status == 0:
            total += result
        else:
            raise RuntimeError(f"render worker {pid} failed (status {status})")
    if failure is not None:
        raise failure
    return total
