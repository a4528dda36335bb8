"""Benchmark: `kkpgen check` on a synthetic fleet at a git ref. Usage: bench_check.py [COUNT...]"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet


def main(counts: list[int]) -> None:
    kkpgen = Path(sys.executable).parent / "kkpgen"
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            repo = make_fleet(Path(tmp) / "fleet", count)
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                result = subprocess.run(
                    [str(kkpgen), "check", "--repo", str(repo), "--ref", "HEAD"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                best = min(best, time.perf_counter() - start)
                if result.returncode != 0:
                    sys.exit(f"check failed:\n{result.stderr[-2000:]}")
            print(f"check {count} clusters at a ref: {best:.2f} s (best of 3, whole process)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000])
