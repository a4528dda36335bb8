"""Benchmark: render with the default --jobs (the cores available) and the process tree's peak.

Usage: python bench/bench_jobs.py [COUNT ...]   (default: 10000)
Prints wall time and the peak of the whole tree (parent and forked workers) as summed PSS
and summed RSS, for --jobs 1 and for the default. The budget is 300 MB (issue 15).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet
from bench.treemem import sample_tree
from kkpgen.output.workers import available_cores

KKPGEN = Path(sys.executable).parent / "kkpgen"


def measure(args: list[str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(KKPGEN), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    pss, rss = sample_tree(process)
    if process.returncode != 0:
        sys.exit(f"kkpgen {' '.join(args)} failed ({process.returncode})")
    return time.perf_counter() - start, pss, rss


def bench(count: int, work: Path) -> None:
    repo = make_fleet(work / f"fleet-{count}", count)
    for jobs in (["--jobs", "1"], []):
        out = work / f"out-{count}-{len(jobs)}"
        seconds, pss, rss = measure(["render", "--repo", str(repo), "--out", str(out), *jobs])
        label = " ".join(jobs) or f"default --jobs ({available_cores()})"
        print(
            f"{count:>6} clusters  render {label:<22} {seconds:7.2f} s  "
            f"tree peak PSS {pss:5.0f} MB  RSS {rss:5.0f} MB"
        )


def main(counts: list[int]) -> None:
    root = Path(__file__).resolve().parent.parent.parent
    with tempfile.TemporaryDirectory(prefix="kkpgen-bench-", dir=root) as tmp:
        for count in counts:
            bench(count, Path(tmp))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10000])
