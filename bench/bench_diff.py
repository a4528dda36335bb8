"""Benchmark: `kkpgen diff` between two commits of a synthetic fleet, time and tree peak memory.

Usage: python bench/bench_diff.py [--full] [--failing-base] [COUNT [CHANGED]]
(default: 10000 clusters, 300 changed)
Makes a fleet (bench/fleet.py), commits a change to CHANGED evenly spaced cluster files (their
kube-proxy mode), then runs `kkpgen diff --base HEAD~1 --ref HEAD --format markdown` and prints
the wall time and the peak of the whole process tree (summed PSS and RSS, bench/treemem.py).
With --failing-base, cluster c00001 fails the rules in the base (a CNI version KKP does not
offer) and the head fixes it: the base is checked cluster by cluster.
With --full it also runs the whole-tree path (tests/gitops/full_diff.py, what `diff` did
before it rendered only the changed clusters), prints its figures and checks that both
reports are the same bytes. The budget is 300 MB at 10,000 clusters, 300 changed (issue 15).

Measured on the 2-core development machine shared with other work (load average about 7),
10,000 clusters, 300 changed:
  before (whole trees, kkpgen a43469f):  837 s, tree peak PSS 2125 MB, RSS 2136 MB
  after  (changed clusters, streamed):    35 s, tree peak PSS  235 MB, RSS  242 MB
Both printed a 59,778-byte Markdown report. Wall times swing with the machine's load (a
second run of the new path took 46 s, 241 MB); memory does not. `--full` at the same size,
both in one run on a busier machine: new path 106 s, 230 MB PSS; whole-tree path 478 s,
2122 MB PSS; reports identical: True.

--failing-base (c00001 fails in the base; 3% of the clusters changed), same machine:
  before (kkpgen 2b07841, the base checked whole once per cluster):
     500 clusters,  15 changed:  278 s, tree peak PSS 2160 MB
    1000 clusters,  30 changed: 2026 s, tree peak PSS 8320 MB
  (2000 not run: both grow with the square, so about 2 h and 33 GB, more than the machine has)
  after (the base checked once, check_fleet_partially):
     500 clusters,  15 changed:  1.7 s, tree peak PSS   82 MB
    1000 clusters,  30 changed:  3.3 s, tree peak PSS   58 MB
   10000 clusters, 300 changed: 54.5 s, tree peak PSS  235 MB, RSS 242 MB
The reports had the same size before and after; `--full --failing-base 500 15` ran both
paths on this branch: whole-tree 308 s, 2154 MB PSS; reports identical: True.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet
from bench.treemem import sample_tree

KKPGEN = Path(sys.executable).parent / "kkpgen"
CHECKOUT = Path(__file__).resolve().parent.parent
_AUTHOR = ["-c", "user.name=b", "-c", "user.email=b@example.com"]
_FLIP = {"ipvs": "iptables", "iptables": "ipvs", "ebpf": "iptables"}
# the whole-tree path, as `kkpgen diff --format markdown` printed it before
_FULL = """\
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])  # the checkout: the oracle lives in its tests/
from kkpgen.gitops import report
from kkpgen.models.options import SourceOptions
from tests.gitops.full_diff import diff_refs_in_full
diff = diff_refs_in_full(SourceOptions(repo=Path(sys.argv[1]), ref="HEAD"), base="HEAD~1")
sys.stdout.write(report.format_report(diff, "markdown"))
"""


def change_clusters(repo: Path, count: int, changed: int) -> None:
    """Flip the proxy mode of `changed` evenly spaced clusters and commit that."""
    step = max(count // max(changed, 1), 1)
    for index in range(0, step * changed, step):
        path = repo / "clusters" / f"c{index:05d}.yaml"
        text = path.read_text()
        path.write_text(re.sub(r"proxyMode: (\w+)", lambda m: f"proxyMode: {_FLIP[m[1]]}", text))
    for args in (["add", "-A"], [*_AUTHOR, "commit", "-qm", "change"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)


def break_cluster(repo: Path, name: str) -> str:
    """Commit cluster `name` with a CNI version KKP does not offer, so that commit fails the
    rules for this one cluster (cni.version.unsupported); returns the text it had."""
    path = repo / "clusters" / f"{name}.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"version: v[\d.]+", "version: v9.99", text, count=1))
    for args in (["add", "-A"], [*_AUTHOR, "commit", "-qm", f"break {name}"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    return text


def measure(command: list[str], report: Path) -> tuple[float, float, float]:
    """Wall time and tree peak PSS and RSS (MB); stdout goes to `report`."""
    with report.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL)
        pss, rss = sample_tree(process)
        seconds = time.perf_counter() - start
    if process.returncode not in (0, 1):  # diff exits 1 when something changed
        sys.exit(f"{' '.join(command)} failed ({process.returncode})")
    return seconds, pss, rss


def main(count: int, changed: int, *, full: bool, failing_base: bool) -> None:
    root = Path(__file__).resolve().parent.parent.parent
    with tempfile.TemporaryDirectory(prefix="kkpgen-bench-", dir=root) as tmp:
        work = Path(tmp)
        repo = make_fleet(work / "fleet", count)
        if failing_base:  # c00001 fails in the base, and the head fixes it
            (repo / "clusters" / "c00001.yaml").write_text(break_cluster(repo, "c00001"))
        change_clusters(repo, count, changed)
        args = ["diff", "--repo", str(repo), "--base", "HEAD~1", "--ref", "HEAD"]
        runs = [("diff", [str(KKPGEN), *args, "--format", "markdown"])]
        if full:
            runs.append(
                ("whole-tree diff", [sys.executable, "-c", _FULL, str(repo), str(CHECKOUT)])
            )
        for label, command in runs:
            report = work / f"{label}.md"
            seconds, pss, rss = measure(command, report)
            print(
                f"{count} clusters, {changed} changed: {label} {seconds:.2f} s, "
                f"tree peak PSS {pss:.0f} MB, RSS {rss:.0f} MB "
                f"({report.stat().st_size} bytes of report)"
            )
        if full:
            same = (work / "diff.md").read_bytes() == (work / "whole-tree diff.md").read_bytes()
            print(f"reports identical: {same}")


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    numbers = [int(a) for a in sys.argv[1:] if not a.startswith("--")]
    count, changed = (numbers + [10_000, 300][len(numbers) :])[:2]
    main(count, changed, full="--full" in flags, failing_base="--failing-base" in flags)
