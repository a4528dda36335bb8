"""Render clusters in forked worker processes, each writing its share into the staging tree.

Rendering is CPU-bound Python and writing is file-system bound, so `--jobs N` forks N
workers (copy-on-write: the checked fleet is not pickled). Each worker renders a fixed,
contiguous share of the clusters into the one staging folder and reports the number of
files it wrote, or its KkpgenError, through a pipe. Contiguous, not interleaved: clusters
were loaded in order, so one worker's clusters sit on pages of their own, and the pages a
worker copies by touching its clusters are not copied by the other workers too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.models.layout import group_of

T = TypeVar("T")  # what stands for a cluster in a share
Files = Callable[[Sequence[T]], Iterable[tuple[str, bytes]]]  # a share -> its files
Write = Callable[[str, bytes], None]
Progress = Callable[[int, int], None]  # (clusters done, clusters in all)


def available_cores() -> int:
    """The cores this process may run on (a CI container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def counted(
    files: Iterable[tuple[str, bytes]], total: int, progress: Progress | None, scale: int = 1
) -> Iterator[tuple[str, bytes]]:
    """Pass `files` through, telling `progress` each time a new cluster's files begin."""
    current, done = "", 0
    for path, data in files:
        name = group_of(path)
        if progress is not None and name != current:
            if current:
                done += 1
                progress(min(done * scale, total), total)
            current = name
        yield path, data
    if progress is not None and current:
        progress(total, total)  # the stream ended: every cluster is done


WARM_UP_CLUSTERS = 32  # rendered by the parent before it forks: the memo's cold start


def warm_up_count(clusters: int, jobs: int) -> int:
    """How many of `clusters` the parent renders itself before forking `jobs` workers.

    A cold template memo costs its first clusters several times a warm one's render (on
    the bench fleets the first 10 clusters cost what the next 60 do). Workers forked after
    the parent rendered those inherit its memo copy-on-write, instead of each warming its
    own (a quarter more CPU at 300 clusters). At most a fraction of the fleet, so a small
    render still reaches every worker."""
    return min(WARM_UP_CLUSTERS, clusters // (2 * jobs))


def share_of(items: Sequence[T], index: int, jobs: int) -> Sequence[T]:
    """The `index`-th of `jobs` contiguous shares of `items`, of sizes differing by one at most."""
    return items[len(items) * index // jobs : len(items) * (index + 1) // jobs]


def _child(names: Sequence[T], *, files: Files[T], write: Write, pipe: int) -> None:
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


def _reporting(files: Files[T], total: int, progress: Progress | None, scale: int) -> Files[T]:
    return lambda share: counted(files(share), total, progress, scale)


def write_in_workers(
    names: Sequence[T],
    *,
    jobs: int,
    files: Files[T],
    write: Write,
    progress: Progress | None = None,
) -> int:
    """Fork `jobs` workers over `names` (the clusters, in any form `files` takes); return
    the files written, or raise the first error.

    Only the first worker tells `progress`, scaled by `jobs`: the shares are of equal size
    (to one cluster), so it stands for all of them without a channel back to the parent.
    """
    children: list[tuple[int, int]] = []
    parent = os.getpid()
    try:
        for index in range(jobs):
            share = share_of(names, index, jobs)
            share_files = _reporting(files, len(names), progress if index == 0 else None, jobs)
            read_end, write_end = os.pipe()
            # SIGTERM waits until the worker is on the list: a signal handled between fork
            # and append lost the worker, which wrote on into the removed staging folder.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            pid = os.fork()
            if pid == 0:  # the worker: render, report, and never return into the caller
                _die_with(parent)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
                os.close(read_end)
                status = 0
                try:
                    _child(share, files=share_files, write=write, pipe=write_end)
                except BaseException:  # noqa: BLE001  a worker must always reach os._exit
                    status = 70
                os._exit(status)
            children.append((pid, read_end))
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            os.close(write_end)
        return _collect(children)
    except BaseException:
        # Failed or interrupted (SIGTERM unwinds as an exception): no worker may go on
        # writing into the staging folder the caller is about to remove.
        _stop(children)
        raise


def write_warmed(
    names: Sequence[T],
    *,
    jobs: int,
    files: Files[T],
    write: Write,
    progress: Progress | None = None,
) -> int:
    """Render the first clusters in this process (`warm_up_count`), then fork `jobs`
    workers over the rest; return the files the workers wrote (`write` counts those this
    process wrote). The files are the same whoever renders a cluster: the memo and the
    re-dump only ever return what a fresh render writes (tests/output)."""
    warm = warm_up_count(len(names), jobs)
    for path, data in counted(files(names[:warm]), warm, _from(progress, 0, len(names))):
        write(path, data)
    rest = _from(progress, warm, len(names))
    return write_in_workers(names[warm:], jobs=jobs, files=files, write=write, progress=rest)


def _from(progress: Progress | None, start: int, total: int) -> Progress | None:
    """`progress` for a part of the render that begins after `start` clusters of `total`."""
    if progress is None:
        return None
    told = progress
    return lambda done, _: told(min(start + done, total), total)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when its parent dies (a CI job's timeout kills the
    parent alone): a worker that ran on kept the output lock, and the next render was
    refused (issue 23). Linux only; elsewhere a worker finishes its share, then exits."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl: nobody to tell
        os._exit(70)


def _stop(children: list[tuple[int, int]]) -> None:
    for pid, _ in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _killed(pid: int) -> KkpgenError:
    """SIGKILL from outside: on a CI runner nearly always the kernel's out-of-memory killer."""
    return KkpgenError(
        [
            Diagnostic(
                "render.worker-killed",
                Location(""),
                "",
                f"render worker {pid} was killed (SIGKILL), most likely by the out-of-memory "
                "killer: the workers together needed more memory than the machine has",
                "re-run with fewer workers (--jobs 1 uses the least memory), or on a machine "
                "with more memory",
            )
        ],
        exit_code=ExitCode.ENVIRONMENT,
    )


def _collect(children: list[tuple[int, int]]) -> int:
    """Read each worker's report; a reaped worker leaves `children`, so none is killed twice."""
    total: int = 0
    failure: KkpgenError | OSError | None = None
    while children:
        pid, read_end = children[0]
        with os.fdopen(read_end, "rb") as stream:
            payload = stream.read()
        _, status = os.waitpid(pid, 0)
        children.pop(0)
        result = pickle.loads(payload) if payload else None  # noqa: S301  our own child
        if isinstance(result, KkpgenError | OSError):
            failure = failure or result
        elif isinstance(result, int) and status == 0:
            total += result
        elif os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            raise _killed(pid)
        else:
            raise RuntimeError(f"render worker {pid} failed (status {status})")
    if failure is not None:
        raise failure
    return total
