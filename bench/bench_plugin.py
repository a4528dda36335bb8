"""Benchmark: plugin mode (`kkpgen argocd generate`) for one cluster, in a fleet of one and of N.

Usage: python bench/bench_plugin.py [COUNT]   (default: 10000)
Prints the best of five runs for each fleet and their ratio; the target is within 1.5x
(issue 15). Both fleets hold the same first cluster (bench/fleet.py, same seed).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet

KKPGEN = Path(sys.executable).parent / "kkpgen"
ARGS = ["argocd", "generate", "--cluster", "c00000", "--destination", "user-cluster"]


def best_of(repo: Path, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [str(KKPGEN), *ARGS, "--repo", str(repo)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return min(times)


def main(count: int) -> None:
    root = Path(__file__).resolve().parent.parent.parent
    with tempfile.TemporaryDirectory(prefix="kkpgen-bench-", dir=root) as tmp:
        one = best_of(make_fleet(Path(tmp) / "one", 1))
        many = best_of(make_fleet(Path(tmp) / "many", count))
    print(f"plugin mode, fleet of 1:      {one:6.2f} s")
    print(f"plugin mode, fleet of {count}: {many:6.2f} s  ({many / one:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
