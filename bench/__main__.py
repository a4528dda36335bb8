"""All fleet benchmarks in one command: python -m bench [COUNT ...]   (default: 1000 10000)

Prints the render figures for each COUNT (bench_render.py), then kkpgen against kustomize and
Kapitan for the first COUNT (compare_tools.py; about ten minutes at 1,000 clusters).
"""

from __future__ import annotations

import sys

from bench import bench_render, compare_tools


def main(counts: list[int]) -> None:
    bench_render.main(counts)
    compare_tools.main(counts[0])


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
