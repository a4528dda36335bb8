"""Peak memory of a whole process tree, sampled from /proc (Linux): PSS and RSS summed.

A forked worker's resident size counts the pages it shares with its parent, so summed RSS
overstates the tree; PSS divides each shared page among the processes that map it, so
summed PSS is what the tree costs the machine. Both are reported.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += _children(current)
    return pids


def _kilobytes(pid: int) -> tuple[int, int]:
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def sample_tree(process: subprocess.Popen[bytes], every: float = 0.05) -> tuple[float, float]:
    """Wait for `process`; return the peak summed PSS and RSS of its tree, in MB."""
    peak_pss = peak_rss = 0
    while process.poll() is None:
        sizes = [_kilobytes(p) for p in _tree(process.pid)]
        peak_pss = max(peak_pss, sum(s[0] for s in sizes))
        peak_rss = max(peak_rss, sum(s[1] for s in sizes))
        time.sleep(every)
    return peak_pss / 1024, peak_rss / 1024
