"""Benchmark: `kkpgen plan` on a synthetic fleet in mixed states (deprecated Canal v3.8,
every Canal minor, Cilium, OpenVPN and Konnectivity, Kubernetes 1.20-1.23, four rollout
waves) at KKP v2.20.9, planned to v2.20.16 and to the newest release the catalog knows
(every KKP upgrade on the way). Usage: bench_plan.py [COUNT...] (default 1000)."""

from __future__ import annotations

import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet
from kkpgen.kkp.catalog import load_catalog, parse_version

CANAL = ("v3.8", "v3.19", "v3.20", "v3.21", "v3.22")
KUBERNETES = ("1.20.14", "1.21.12", "1.22.9", "1.23.6")  # all offered by KKP v2.20.9


def _mixed(text: str, rng: random.Random) -> str:
    """One cluster of bench/fleet.py moved to a random state the catalog allows."""
    text = re.sub(r'version: "1\.23\.\d"', f'version: "{rng.choice(KUBERNETES)}"', text)
    text = re.sub(r"version: v3\.2[12]", f"version: {rng.choice(CANAL)}", text)
    wave = f'  labels:\n    kkpgen/rollout-wave: "{rng.randint(1, 4)}"\n'
    return re.sub(r"(metadata:\n  name: c\d+\n)", lambda m: m.group(1) + wave, text, count=1)


def make_mixed_fleet(repo: Path, count: int, seed: int = 11) -> Path:
    make_fleet(repo, count)
    rng = random.Random(seed)
    config = repo / "kubermatic.yaml"
    config.write_text(config.read_text().replace('"v2.20"', '"v2.20.9"'))
    for path in sorted((repo / "clusters").glob("*.yaml")):
        path.write_text(_mixed(path.read_text(), rng))
    identity = ["-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run(["git", "-C", str(repo), *identity, "commit", "-qam", "mixed"], check=True)
    return repo


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _plan(repo: Path, to_kkp: str) -> tuple[float, float, dict[str, object]]:
    """The best of 3 whole-process runs (wall clock, and the CPU time of that run: on a
    shared machine the wall clock also counts the others' work), and the plan."""
    kkpgen = Path(sys.executable).parent / "kkpgen"
    args = [str(kkpgen), "plan", "--repo", str(repo), "--ref", "HEAD", "--to-kkp", to_kkp]
    best, cpu, output = float("inf"), 0.0, ""
    for _ in range(3):
        start, used = time.perf_counter(), _cpu()
        result = subprocess.run([*args, "--format", "json"], capture_output=True, text=True)
        took = time.perf_counter() - start
        if took < best:
            best, cpu = took, _cpu() - used
        if result.returncode != 0:
            sys.exit(f"plan failed:\n{result.stderr[-2000:]}")
        output = result.stdout
    plan: dict[str, object] = json.loads(output)
    return best, cpu, plan


def main(counts: list[int]) -> None:
    newest = max(load_catalog().patches, key=lambda v: parse_version(v) or 0)
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            repo = make_mixed_fleet(Path(tmp) / "fleet", count)
            for to_kkp in ("v2.20.16", newest):
                took, cpu, plan = _plan(repo, to_kkp)
                clusters = plan["clusters"]
                assert isinstance(clusters, list)  # noqa: S101  our own JSON
                statuses = Counter(c["status"] for c in clusters)
                steps = sum(len(c["steps"]) for c in clusters)
                upgrades = plan["kkpUpgrades"]
                assert isinstance(upgrades, list)  # noqa: S101  our own JSON
                print(
                    f"plan {count} clusters in mixed states, KKP v2.20.9 -> {to_kkp}: "
                    f"{took:.2f} s (best of 3, whole process; {cpu:.2f} s CPU); "
                    f"{dict(sorted(statuses.items()))}, "
                    f"{steps} cluster steps, {len(upgrades)} KKP upgrades"
                )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
