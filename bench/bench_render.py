"""Benchmark: cold render, one-cluster re-render, peak memory and check on synthetic fleets.

Usage: python bench/bench_render.py [COUNT ...]   (default: 1000 10000)
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
from bench.fleet import make_fleet

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


def bench(count: int, work: Path) -> None:
    repo = make_fleet(work / f"fleet-{count}", count)
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
    target = repo / "clusters" / f"c{count // 2:05d}.yaml"
    target.write_text(target.read_text().replace('version: "1.23.', 'version: "1.22.', 1))
    report(count, "one cluster changed", run(["render", "--repo", str(repo), "--out", str(out)]))
    report(count, "nothing changed", run(["render", "--repo", str(repo), "--out", str(out)]))
    shutil.rmtree(out)
    shutil.rmtree(repo)


def main(counts: list[int]) -> None:
    root = Path(__file__).resolve().parent.parent.parent
    with tempfile.TemporaryDirectory(prefix="kkpgen-bench-", dir=root) as tmp:
        for count in counts:
            bench(count, Path(tmp))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
