"""Benchmark: cold render, one-cluster re-render, peak memory and check on synthetic fleets.

Usage: python bench/bench_render.py [COUNT ...] [--fleet v2.20|v2.31]
       (default: 1000 10000, the v2.20 fleet)
Each figure is one whole `kkpgen` process, measured from outside, on a settled file system
(see compare_tools.py); the output goes to a folder beside the repository's working copy
(the same file system a CI checkout uses).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.compare_tools import settle
from bench.fleet import DEFAULT_FLEET, change_one_cluster, fleet_option, make_fleet

KKPGEN = Path(sys.executable).parent / "kkpgen"


def run(args: list[str]) -> tuple[float, float, float]:
    """Seconds, peak resident MB and CPU seconds of one kkpgen process (its workers included).

    CPU seconds tell kkpgen's own cost from time spent waiting for a core on a shared machine.
    """
    settle()  # what the last run wrote and deleted would slow this one's writes
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen([str(KKPGEN), *args], stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # this process's own peak, not the run's
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"kkpgen {' '.join(args)} failed:\n{errors.read()[-3000:].decode()}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def report(count: int, what: str, figures: tuple[float, float, float], extra: str = "") -> None:
    seconds, peak, cpu = figures
    print(
        f"{count:>6} clusters  {what:<22} {seconds:7.2f} s  (CPU {cpu:6.2f} s)  "
        f"peak {peak:4.0f} MB{extra}"
    )


def bench(count: int, work: Path, fleet: str = DEFAULT_FLEET) -> None:
    repo = make_fleet(work / f"fleet-{count}", count, fleet=fleet)
    out = work / f"out-{count}"
    report(count, "check at a ref", run(["check", "--repo", str(repo), "--ref", "HEAD"]))
    figures = run(["render", "--repo", str(repo), "--out", str(out)])
    # os.walk: half a million Path objects would grow this process, and a child's peak
    # memory counts its parent's size at the fork.
    files = sum(len(names) for _, _, names in os.walk(out))
    report(count, "cold render", figures, f"  {files} files")
    parallel = work / f"out-{count}-jobs2"
    report(
        count,
        "cold render --jobs 2",
        run(["render", "--repo", str(repo), "--out", str(parallel), "--jobs", "2"]),
    )
    shutil.rmtree(parallel)
    change_one_cluster(repo, count, fleet)
    report(count, "one cluster changed", run(["render", "--repo", str(repo), "--out", str(out)]))
    report(count, "nothing changed", run(["render", "--repo", str(repo), "--out", str(out)]))
    shutil.rmtree(out)
    shutil.rmtree(repo)


def main(counts: list[int], fleet: str = DEFAULT_FLEET) -> None:
    root = Path(__file__).resolve().parent.parent.parent
    print(f"the {fleet} fleet; load average at start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="kkpgen-bench-", dir=root) as tmp:
        for count in counts:
            bench(count, Path(tmp), fleet)


if __name__ == "__main__":
    name, args = fleet_option(sys.argv[1:])
    main([int(a) for a in args] or [1000, 10000], name)
