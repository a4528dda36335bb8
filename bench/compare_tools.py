"""Benchmark: kkpgen against kustomize and Kapitan building the same manifests for one fleet.

Usage: python bench/compare_tools.py [COUNT] [--runs N] [--tool-runs N] [--fleet v2.20|v2.31]
       (default: 1000 clusters, 3 runs, the v2.20 fleet; 50 is a quick run)

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

Every tool runs as installed: kkpgen's modules are compiled to bytecode first, as pip does
when it installs the wheel (Kapitan's venv was installed by pip). Before each timed run the
file system is settled (`sync`, then a pause): a run that starts while the kernel still writes
out the last tool's deleted tree pays for it. kkpgen's rows and the copy are the median of
RUNS runs (default 3, `--runs N`); kustomize and Kapitan take minutes and run once, or
the median of `--tool-runs N`.

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
from bench.fleet import DEFAULT_FLEET, fleet_option, make_fleet
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
from kkpgen.output.workers import available_cores

SAMPLE_SIZE = 50
KKPGEN = Path(sys.executable).parent / "kkpgen"
Row = tuple[str, float, float]  # tool, wall seconds, CPU seconds
T = TypeVar("T")


def children_cpu() -> float:
    """User and system seconds of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


SETTLE_SECONDS = 5


def settle() -> None:
    """Let the file system finish writing out what earlier steps wrote and deleted."""
    os.sync()
    time.sleep(SETTLE_SECONDS)


def timed(tool: str, action: Callable[[], T]) -> tuple[Row, T]:
    """Wall and CPU seconds of action, on a settled file system: on a shared machine CPU
    seconds tell a tool's own cost from time spent waiting for a core."""
    settle()
    cpu, start = children_cpu(), time.perf_counter()
    result = action()
    return (tool, time.perf_counter() - start, children_cpu() - cpu), result


def median_row(rows: list[Row]) -> Row:
    """The run of median wall time (its CPU seconds with it)."""
    return sorted(rows, key=lambda row: row[1])[len(rows) // 2]


def kkpgen(args: list[str]) -> None:
    result = subprocess.run([str(KKPGEN), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"kkpgen {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def compile_kkpgen() -> None:
    """Bytecode for kkpgen's modules, as `pip install` of the wheel writes it (an editable
    install under PYTHONDONTWRITEBYTECODE would compile every module on every start)."""
    package = Path(__file__).resolve().parent.parent / "generator"
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package)], check=True, env=_compiling()
    )


def _compiling() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def bench_kkpgen(repo: Path, work: Path, runs: int) -> list[Row]:
    """Cold renders with the default options and with one process, then `cp -r` of the
    rendered tree, each the median of `runs`; one default render's tree stays in work/kkpgen."""
    compile_kkpgen()
    render = ["render", "--repo", str(repo), "--out"]
    tree = work / "kkpgen"
    default, single, copied = [], [], []
    for run in range(runs):
        out = tree if run == 0 else work / f"kkpgen-{run}"
        row, _ = timed(
            f"kkpgen render (default --jobs {available_cores()})",
            partial(kkpgen, [*render, str(out)]),
        )
        default.append(row)
        single_out = work / f"kkpgen-jobs1-{run}"
        row, _ = timed(
            "kkpgen render --jobs 1", partial(kkpgen, [*render, str(single_out), "--jobs", "1"])
        )
        single.append(row)
        copy = work / f"cp-copy-{run}"
        row, _ = timed(
            "cp -r of the rendered tree",
            partial(subprocess.run, ["cp", "-r", str(tree), str(copy)], check=True),
        )
        copied.append(row)
    for run in range(runs):  # deleted at the end: deleting slows the next tool's writes
        for name in (f"kkpgen-{run}", f"kkpgen-jobs1-{run}", f"cp-copy-{run}"):
            shutil.rmtree(work / name, ignore_errors=True)
    return [median_row(default), median_row(single), median_row(copied)]


def bench_kustomize(
    clusters: list[ClusterRender], sample: Expected, work: Path, runs: int = 1
) -> Row:
    """Build every overlay of the kustomize layout `runs` times (the median), then check the
    sample."""
    tree = write_kustomize_tree(clusters, work / "kustomize")
    print(f"kustomize layout: {len(tree.bases)} bases, {len(tree.overlays)} overlays")
    out = work / "kustomize-out"
    rows = []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        row, _ = timed(
            "kubectl kustomize (per overlay, 2 parallel)", partial(build_overlays, tree, out, 2)
        )
        rows.append(row)
    print(verify("kubectl kustomize", sample, partial(built_objects, out)))
    shutil.rmtree(out)
    shutil.rmtree(tree.root)
    return median_row(rows)


def bench_kapitan(
    clusters: list[ClusterRender], sample: Expected, work: Path, runs: int = 1
) -> list[Row]:
    """Compile the Kapitan project with each inventory backend `runs` times (the median),
    checking the sample of the last compile."""
    kapitan = kapitan_command()
    project = write_kapitan_project(clusters, work / "kapitan")
    print(
        f"Kapitan layout: {project.targets} targets, {len(project.classes)} classes, "
        f"{len(project.templates)} templates"
    )
    rows: list[Row] = []
    for backend in ("reclass", "reclass-rs"):
        out = work / f"kapitan-out-{backend}"
        compiles = []
        for _ in range(runs):
            shutil.rmtree(out, ignore_errors=True)
            row, inventory = timed(
                f"kapitan compile -p 2 ({backend})",
                partial(compile_fleet, kapitan, project, out, backend),
            )
            compiles.append(row)
        checked = verify(f"kapitan ({backend})", sample, partial(compiled_objects, out))
        print(f"{checked}; its inventory took {inventory}")
        shutil.rmtree(out)
        rows.append(median_row(compiles))
    shutil.rmtree(project.root)
    return rows


def print_table(
    count: int, rows: list[Row], load: float, runs: tuple[int, int], fleet: str
) -> None:
    """tool, wall and CPU seconds, and both ratios to the default kkpgen render (rows[0]);
    `runs`: how many runs kkpgen and cp -r, and kustomize and Kapitan, took the median of."""
    reference, reference_cpu = rows[0][1], rows[0][2]
    print(
        f"\n{count} clusters of the {fleet} fleet, whole fleet (load average at start"
        f" {load:.1f}, at the end {os.getloadavg()[0]:.1f}; kkpgen and cp -r: median of"
        f" {runs[0]} runs, kustomize and Kapitan: median of {runs[1]})"
    )
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


def main(count: int, runs: int = 3, fleet: str = DEFAULT_FLEET, tool_runs: int = 1) -> None:
    """Make a fleet of `count` clusters beside the repository, time every tool, print the table."""
    root = Path(__file__).resolve().parent.parent.parent
    # other work on the machine skews every figure; the load average shows how much there was
    load = os.getloadavg()[0]
    kapitan_command()  # install before anything is timed
    with tempfile.TemporaryDirectory(prefix="kkpgen-compare-", dir=root) as tmp:
        work = Path(tmp)
        repo = make_fleet(work / "fleet", count, fleet=fleet)
        rows = bench_kkpgen(repo, work, runs)
        clusters = read_render(work / "kkpgen")
        sample = expected_objects(sample_clusters(clusters, SAMPLE_SIZE))
        rows.append(bench_kustomize(clusters, sample, work, tool_runs))
        rows += bench_kapitan(clusters, sample, work, tool_runs)
        print_table(count, rows, load, (runs, tool_runs), fleet)


def _count_option(argv: list[str], name: str, default: int) -> tuple[int, list[str]]:
    """`name N` taken out of argv (at least 1), and the rest."""
    if name not in argv:
        return default, argv
    at = argv.index(name)
    return max(1, int(argv[at + 1])), argv[:at] + argv[at + 2 :]


def parse_args(argv: list[str]) -> tuple[int, int, str, int]:
    """COUNT, --runs N (kkpgen and cp -r), --tool-runs N (kustomize and Kapitan) and
    --fleet NAME from the command line."""
    fleet, argv = fleet_option(argv)
    runs, argv = _count_option(argv, "--runs", 3)
    tool_runs, argv = _count_option(argv, "--tool-runs", 1)
    return (int(argv[0]) if argv else 1000), runs, fleet, tool_runs


if __name__ == "__main__":
    main(*parse_args(sys.argv[1:]))
