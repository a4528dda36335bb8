"""Benchmark: render CPU in one process, nothing written. Usage: bench_render_cpu.py REPO

Checks the fleet, then renders every cluster's files in memory (`contents.selected_files`)
and prints the CPU seconds of the render alone, and how many template outputs were parsed
in full or re-dumped from the last one (render/respan.py, where the code has it). It
imports `kkpgen` from the interpreter's environment, so one script times two checkouts:
run it with each checkout's own venv, from outside both.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.render.engine import Renderer, build_environment


def main(repo: Path) -> None:
    checked = check_fleet(SourceOptions(repo=repo))
    renderer = Renderer(build_environment())
    selected = contents.select_clusters(checked, [c.name for c in checked.resolved])
    start = time.process_time()
    files = sum(1 for _ in contents.selected_files(checked, selected, renderer=renderer))
    seconds = time.process_time() - start
    respans = getattr(renderer, "respans", None)
    saved = "" if respans is None else f", {respans.hits} re-dumped, {respans.parses} parsed"
    print(f"{len(selected)} clusters, {files} files: render CPU {seconds:.2f} s{saved}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
