"""Benchmark: kkpgen against kustomize and Kapitan building the same manifests for one fleet.

Usage: python bench/compare_tools.py [COUNT]   (default: 1000 clusters; 50 is a quick run)

Not a timed test: it prints figures. One synthetic fleet (bench/fleet.py) is rendered by kkpgen;
from that render the layouts a team would write by hand for the other tools are derived
(bench/kustomize_fleet.py, bench/kapitan_fleet.py: see their docstrings), so every tool builds
the same objects. Each figure is one tool building the whole fleet from its own input
(writing the inputs is not timed), measured from outside, on a 2-core machine:

    kkpgen render (default --jobs) one cold `kkpgen render` into an empty folder, with the
                                   default options (a worker per available core); it also
                                   checks every spec and writes kustomization.yaml and Argo CD
                                   files
    kkpgen render --jobs 1         the same in one process
    cp -r of the rendered tree     copying the tree kkpgen wrote to a new folder: the floor for
                                   writing that many files on this file system
    kubectl kustomize (...)        `kubectl kustomize overlays/<cluster>/<destination>` for every
                                   cluster and destination, two at a time, output to files
    kapitan compile -p 2 (...)     one `kapitan compile --parallelism 2` of all targets, with
                                   the default inventory backend (reclass) and with reclass-rs

"seconds" is wall time; "vs kkpgen" is a tool's seconds over the default kkpgen render's
(so cp -r shows below 1x; the line under the table gives the render over the copy); "CPU s"
is the user+system time of the tool's processes (above wall time when it uses both cores).
On a shared machine CPU seconds show a tool's own cost apart from waiting for a core; the
1-minute load average at the start is printed with the table.

Before the table it prints the size of each layout and one line per tool saying that the
objects it built equal kkpgen's for a sample of clusters (one of every profile of object
files, topped up to SAMPLE_SIZE); comments, key order, kustomization.yaml and Argo CD files
are left out of the comparison. Any difference stops the run with the objects that differ.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet
from bench.kapitan_fleet import (
    compile_fleet,
    compiled_objects,
    kapitan_command,
    write_kapitan_project,
)
from bench.kustomize_fleet import build_overlays, built_objects, write_kustomize_tree
from bench.rendered import (
    ClusterRender,
    Expected,
    expected_objects,
    read_render,
    sample_clusters,
    verify,
)
from generator.output.workers import available_cores

SAMPLE_SIZE = 50
KKPGEN = Path(sys.executable).parent / "kkpgen"
Row = tuple[str, float, float]  # tool, wall seconds, CPU seconds
T = TypeVar("T")


def children_cpu() -> float:
    """User and system seconds of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(tool: str, action: Callable[[], T]) -> tuple[Row, T]:
    """Wall and CPU seconds of action: on a shared machine CPU seconds tell a tool's own cost
    from time spent waiting for a core."""
    cpu, start = children_cpu(), time.perf_counter()
    result = action()
    return (tool, time.perf_counter() - start, children_cpu() - cpu), result


def kkpgen(args: list[str]) -> None:
    result = subprocess.run([str(KKPGEN), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"kkpgen {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def bench_kkpgen(repo: Path, work: Path) -> list[Row]:
    """Cold renders with the default options and with one process, then `cp -r` of the
    rendered tree; the first render's tree stays in work/kkpgen."""
    render = ["render", "--repo", str(repo), "--out"]
    tree = work / "kkpgen"
    default, _ = timed(
        f"kkpgen render (default --jobs {available_cores()})",
        partial(kkpgen, [*render, str(tree)]),
    )
    single_out = work / "kkpgen-jobs1"
    single, _ = timed(
        "kkpgen render --jobs 1", partial(kkpgen, [*render, str(single_out), "--jobs", "1"])
    )
    shutil.rmtree(single_out)
    copy = work / "cp-copy"
    copied, _ = timed(
        "cp -r of the rendered tree",
        partial(subprocess.run, ["cp", "-r", str(tree), str(copy)], check=True),
    )
    shutil.rmtree(copy)
    return [default, single, copied]


def bench_kustomize(clusters: list[ClusterRender], sample: Expected, work: Path) -> Row:
    """Build every overlay of the kustomize layout, then check the sample."""
    tree = write_kustomize_tree(clusters, work / "kustomize")
    print(f"kustomize layout: {len(tree.bases)} bases, {len(tree.overlays)} overlays")
    out = work / "kustomize-out"
    row, _ = timed(
        "kubectl kustomize (per overlay, 2 parallel)", partial(build_overlays, tree, out, 2)
    )
    print(verify("kubectl kustomize", sample, partial(built_objects, out)))
    shutil.rmtree(out)
    shutil.rmtree(tree.root)
    return row


def bench_kapitan(clusters: list[ClusterRender], sample: Expected, work: Path) -> list[Row]:
    """Compile the Kapitan project with each inventory backend, checking the sample each time."""
    kapitan = kapitan_command()
    project = write_kapitan_project(clusters, work / "kapitan")
    print(
        f"Kapitan layout: {project.targets} targets, {len(project.classes)} classes, "
        f"{len(project.templates)} templates"
    )
    rows: list[Row] = []
    for backend in ("reclass", "reclass-rs"):
        out = work / f"kapitan-out-{backend}"
        row, inventory = timed(
            f"kapitan compile -p 2 ({backend})",
            partial(compile_fleet, kapitan, project, out, backend),
        )
        checked = verify(f"kapitan ({backend})", sample, partial(compiled_objects, out))
        print(f"{checked}; its inventory took {inventory}")
        shutil.rmtree(out)
        rows.append(row)
    shutil.rmtree(project.root)
    return rows


def print_table(count: int, rows: list[Row], load: float) -> None:
    """tool, wall and CPU seconds, and both ratios to the default kkpgen render (rows[0])."""
    reference, reference_cpu = rows[0][1], rows[0][2]
    print(f"\n{count} clusters, whole fleet (load average at start {load:.1f})")
    print(f"{'tool':<46}{'seconds':>9}{'vs kkpgen':>11}{'CPU s':>9}{'CPU vs kkpgen':>15}")
    for tool, seconds, cpu in rows:
        print(
            f"{tool:<46}{seconds:>9.2f}{seconds / reference:>10.1f}x{cpu:>9.1f}"
            f"{cpu / reference_cpu:>14.1f}x"
        )
    copy = next(row for row in rows if row[0].startswith("cp -r"))
    print(
        f"cold render (default) / cp -r: {reference / copy[1]:.1f}x wall, "
        f"{reference_cpu / copy[2]:.1f}x CPU (target: within 3x)"
    )


def main(count: int) -> None:
    """Make a fleet of `count` clusters beside the repository, time every tool, print the table."""
    root = Path(__file__).resolve().parent.parent.parent
    # other work on the machine skews every figure; the load average shows how much there was
    load = os.getloadavg()[0]
    kapitan_command()  # install before anything is timed
    with tempfile.TemporaryDirectory(prefix="kkpgen-compare-", dir=root) as tmp:
        work = Path(tmp)
        repo = make_fleet(work / "fleet", count)
        rows = bench_kkpgen(repo, work)
        clusters = read_render(work / "kkpgen")
        sample = expected_objects(sample_clusters(clusters, SAMPLE_SIZE))
        rows.append(bench_kustomize(clusters, sample, work))
        rows += bench_kapitan(clusters, sample, work)
        print_table(count, rows, load)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
