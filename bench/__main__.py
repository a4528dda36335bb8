"""All fleet benchmarks in one command: python -m bench [COUNT ...] [--fleet v2.20|v2.31]
(default: 1000 10000, the v2.20 fleet)

Prints the render figures for each COUNT (bench_render.py), then kkpgen against kustomize and
Kapitan for the first COUNT (compare_tools.py; about ten minutes at 1,000 clusters), both on
the fleet named (bench/fleet.py).
"""

from __future__ import annotations

import sys

from bench import bench_render, compare_tools
from bench.fleet import DEFAULT_FLEET, fleet_option


def main(counts: list[int], fleet: str = DEFAULT_FLEET) -> None:
    bench_render.main(counts, fleet)
    compare_tools.main(counts[0], fleet=fleet)


if __name__ == "__main__":
    name, args = fleet_option(sys.argv[1:])
    main([int(a) for a in args] or [1000, 10000], name)
