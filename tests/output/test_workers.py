"""Render workers die with their parent (and the lock with them), and a worker killed from
outside (the out-of-memory killer's SIGKILL) is an environment error naming memory and --jobs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from kkpgen.cli import main
from kkpgen.diagnostics import ExitCode, KkpgenError, Location
from kkpgen.output.staging import output_lock
from kkpgen.output.workers import (
    Progress,
    available_cores,
    counted,
    warm_up_count,
    write_in_workers,
    write_warmed,
)
from kkpgen.render import contents
from tests.conftest import CONFIG, cluster_yaml, git

# A parent that takes the lock and forks two workers that never finish; it writes their pids.
PARENT = """
import os, sys, time
from pathlib import Path
from kkpgen.output.staging import output_lock
from kkpgen.output.workers import available_cores, counted, write_in_workers

out, pids = Path(sys.argv[1]), Path(sys.argv[2])

def files(share):
    with pids.open("a") as stream:
        stream.write(f"{os.getpid()}\\n")
    while True:
        time.sleep(1)
        yield "x", b""

with output_lock(out):
    write_in_workers([1, 2], jobs=2, files=files, write=lambda path, data: None)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead: reaped by init in a moment
    status = Path(f"/proc/{pid}/stat").read_text().split()[2] if sys.platform == "linux" else ""
    return status != "Z"


def _wait_for(condition: object, what: str) -> None:
    """Poll up to 30 s (a liveness bound on a loaded machine, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_parent_and_the_lock_is_free(tmp_path: Path) -> None:
    out, pids = tmp_path / "out", tmp_path / "pids"
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT))
    parent = subprocess.Popen([sys.executable, str(script), str(out), str(pids)])
    try:
        _wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2, "no workers")
        workers = [int(p) for p in pids.read_text().split()]
        with pytest.raises(KkpgenError, match="another kkpgen run"), output_lock(out):
            pass
        parent.send_signal(signal.SIGKILL)  # a CI job's timeout
        parent.wait(timeout=30)
        _wait_for(lambda: not any(_alive(pid) for pid in workers), "a worker outlived its parent")
        with output_lock(out):  # the next render is not refused
            pass
    finally:
        parent.kill()
        parent.wait()


def _killed_by_oom(share: Sequence[int]) -> Iterator[tuple[str, bytes]]:
    if share[0] == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    yield from ()


def test_a_worker_killed_by_sigkill_names_memory_and_jobs() -> None:
    with pytest.raises(KkpgenError) as caught:
        write_in_workers([0, 1], jobs=2, files=_killed_by_oom, write=lambda p, d: None)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "render.worker-killed"
    assert re.match(r"render worker [1-9]\d* was killed \(SIGKILL\)", diagnostic.message)
    assert (diagnostic.location, diagnostic.field) == (Location(""), "")  # no file at fault
    assert "out-of-memory killer" in diagnostic.message
    assert diagnostic.hint == (
        "re-run with fewer workers (--jobs 1 uses the least memory), or on a machine "
        "with more memory"
    )


def test_render_exits_4_when_the_oom_killer_takes_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    for index in range(4):
        (repo / "clusters" / f"c{index}.yaml").write_text(cluster_yaml(f"c{index}"))
    git(repo, "init", "-q")
    real, tests = contents.selected_files, os.getpid()

    def files(checked, selected, *, renderer):
        if selected[0][0].name == "c3" and os.getpid() != tests:  # in a worker only
            os.kill(os.getpid(), signal.SIGKILL)
        return real(checked, selected, renderer=renderer)

    monkeypatch.setattr("kkpgen.output.update.selected_files", files)
    out = tmp_path / "out"
    argv = ["render", "--repo", str(repo), "--out", str(out), "--jobs", "2"]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 4, result.stderr
    assert "out-of-memory killer" in result.stderr
    assert "re-run with fewer workers (--jobs 1" in result.stderr
    assert not out.exists()  # nothing swapped in
    hint = CliRunner().invoke(main, [*argv[:-2], "--jobs", "1"], catch_exceptions=False)
    assert hint.exit_code == 0, hint.stderr  # the hint works: no worker with --jobs 1


def _files(*clusters: str) -> list[tuple[str, bytes]]:
    return [(f"{name}/seed/x-{index}.yaml", b"") for name in clusters for index in (1, 2)]


def test_progress_is_told_once_per_cluster_as_its_files_end() -> None:
    told: list[tuple[int, int]] = []
    files = _files("a", "b", "c")
    passed = list(counted(files, 3, lambda done, total: told.append((done, total))))
    assert passed == files
    assert told == [(1, 3), (2, 3), (3, 3)]
    told.clear()
    assert list(counted([], 0, lambda done, total: told.append((done, total)))) == []
    assert told == []
    assert list(counted(files, 3, None)) == files


def test_the_first_worker_s_progress_stands_for_all_workers() -> None:
    """Scaled by the workers' count and never past the clusters in all; the last report is
    the whole render."""
    told: list[tuple[int, int]] = []
    list(counted(_files("a", "b", "c"), 5, lambda done, total: told.append((done, total)), 2))
    assert told == [(2, 5), (4, 5), (5, 5)]


def test_the_workers_together_write_every_cluster_and_count_every_file(tmp_path: Path) -> None:
    def files(share: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        for name in share:
            (tmp_path / name).write_text("")  # what the workers did, seen by this process
            yield from ((f"{name}/x.yaml", b""), (f"{name}/y.yaml", b""))

    names = ["a", "b", "c", "d", "e"]
    for jobs in (1, 2, 3):
        count = write_in_workers(names, jobs=jobs, files=files, write=lambda path, data: None)
        assert count == 10
        assert sorted(p.name for p in tmp_path.iterdir()) == names
        for path in tmp_path.iterdir():
            path.unlink()


@pytest.mark.parametrize(("cpus", "cores"), [(set(), 1), ({0}, 1), ({0, 3, 5}, 3)])
def test_the_cores_available_are_the_cpu_set_of_the_process(
    monkeypatch: pytest.MonkeyPatch, cpus: set[int], cores: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus, raising=False)
    assert available_cores() == cores


@pytest.mark.parametrize(("count", "cores"), [(None, 1), (1, 1), (6, 6)])
def test_without_cpu_sets_the_cores_are_the_machine_s(
    monkeypatch: pytest.MonkeyPatch, count: int | None, cores: int
) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # not on Linux
    monkeypatch.setattr(os, "cpu_count", lambda: count)
    assert available_cores() == cores


def test_when_a_worker_is_killed_the_others_are_stopped_before_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller removes the staging folder on the error: no other worker may write on."""
    forked: list[int] = []
    fork = os.fork

    def recording() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    def files(share: Sequence[int]) -> Iterator[tuple[str, bytes]]:
        if share[0] == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        for _ in range(1200):  # far longer than the first worker lives
            time.sleep(0.1)
        (tmp_path / "finished").write_text("")
        yield from ()

    monkeypatch.setattr(os, "fork", recording)
    with pytest.raises(KkpgenError, match="was killed"):
        write_in_workers([0, 1], jobs=2, files=files, write=lambda path, data: None)
    assert len(forked) == 2
    assert not any(_alive(pid) for pid in forked)  # killed and reaped
    assert not (tmp_path / "finished").exists()


def _telling(told: Path) -> Progress:
    """A progress callback that appends each `done/total` to `told` (workers write there too)."""

    def progress(done: int, total: int) -> None:
        with told.open("a") as stream:
            stream.write(f"{done}/{total}\n")

    return progress


def _empty_files(share: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """One empty file per cluster of the share."""
    for name in share:
        yield f"{name}/x.yaml", b""


def test_the_first_worker_tells_the_progress_for_all_of_them(tmp_path: Path) -> None:
    """Told in the first worker (its share of 2 of 5 clusters stands for all, scaled by
    the 2 workers), which the progress bar of `render --jobs` shows."""
    told = tmp_path / "told"

    progress = _telling(told)
    names = ["a", "b", "c", "d", "e"]
    write_in_workers(names, jobs=2, files=_empty_files, write=lambda p, d: None, progress=progress)
    assert told.read_text().split() == ["2/5", "5/5"]


def test_a_bug_in_a_worker_is_an_internal_error_with_its_exit_status() -> None:
    """An exception that is no KkpgenError or OSError ends the worker with status 70
    (EX_SOFTWARE, kkpgen's exit code for an internal error), reported as a failure."""

    def broken(share: Sequence[int]) -> Iterator[tuple[str, bytes]]:
        yield from ((f"c{index}/x.yaml", b"") for index in share if 1 // index)

    status = 70 << 8  # exit status 70, as waitpid reports it
    with pytest.raises(RuntimeError, match=rf"render worker \d+ failed \(status {status}\)"):
        write_in_workers([0, 1], jobs=2, files=broken, write=lambda p, d: None)


def test_a_worker_ended_by_another_signal_is_not_blamed_on_memory() -> None:
    def terminated(share: Sequence[int]) -> Iterator[tuple[str, bytes]]:
        if share[0] == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        yield from ()

    status = signal.SIGTERM  # as waitpid reports a worker ended by the signal
    with pytest.raises(RuntimeError, match=rf"render worker \d+ failed \(status {status}\)"):
        write_in_workers([0, 1], jobs=2, files=terminated, write=lambda p, d: None)


@pytest.mark.parametrize(
    ("clusters", "jobs", "warm"), [(4, 2, 1), (10, 2, 2), (300, 2, 32), (1000, 4, 32), (3, 2, 0)]
)
def test_the_parent_warms_up_on_a_bounded_part_of_the_fleet(
    clusters: int, jobs: int, warm: int
) -> None:
    """At most 32 clusters, and at most half of one worker's share: every worker still
    gets clusters to render."""
    assert warm_up_count(clusters, jobs) == warm


def test_the_parent_renders_the_first_clusters_and_the_workers_the_rest(tmp_path: Path) -> None:
    """The workers fork after the parent rendered the first clusters, so they inherit what
    it learned; each file is written once, by the process that rendered its cluster, and
    the count returned is the workers' (the parent's writes are its own `write`'s)."""
    rendered_by = tmp_path / "rendered-by"

    def files(share: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        for name in share:
            with rendered_by.open("a") as stream:
                stream.write(f"{name} {os.getpid()}\n")
            yield f"{name}/x.yaml", b""

    written: list[str] = []
    names = [f"c{index}" for index in range(10)]
    by_workers = write_warmed(names, jobs=2, files=files, write=lambda p, d: written.append(p))
    pids = dict(line.split() for line in rendered_by.read_text().splitlines())
    assert sorted(pids) == names
    assert [pids[name] for name in names[:2]] == [str(os.getpid())] * 2  # warm_up_count
    workers = {pids[name] for name in names[2:]}
    assert len(workers) == 2
    assert str(os.getpid()) not in workers
    assert written == ["c0/x.yaml", "c1/x.yaml"]
    assert by_workers == 8


def test_progress_runs_on_from_the_parent_s_clusters_to_the_workers(tmp_path: Path) -> None:
    told = tmp_path / "told"

    progress = _telling(told)
    names = [f"c{index}" for index in range(10)]
    write_warmed(names, jobs=2, files=_empty_files, write=lambda p, d: None, progress=progress)
    assert told.read_text().split() == ["1/10", "2/10", "4/10", "6/10", "8/10", "10/10"]
