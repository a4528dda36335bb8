"""Benchmark: `kkpgen plan` on a synthetic fleet in mixed states (deprecated Canal v3.8,
every Canal minor, Cilium, OpenVPN and Konnectivity, Kubernetes 1.20-1.23, four rollout
waves), KKP v2.20.9 planned to v2.20.16. Usage: bench_plan.py [COUNT...] (default 1000)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import make_fleet

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


def main(counts: list[int]) -> None:
    kkpgen = Path(sys.executable).parent / "kkpgen"
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            repo = make_mixed_fleet(Path(tmp) / "fleet", count)
            args = [str(kkpgen), "plan", "--repo", str(repo), "--ref", "HEAD"]
            args += ["--to-kkp", "v2.20.16", "--format", "json"]
            best, output = float("inf"), ""
            for _ in range(3):
                start = time.perf_counter()
                result = subprocess.run(args, capture_output=True, text=True, check=False)
                best = min(best, time.perf_counter() - start)
                if result.returncode != 0:
                    sys.exit(f"plan failed:\n{result.stderr[-2000:]}")
                output = result.stdout
            plan = json.loads(output)
            statuses = Counter(c["status"] for c in plan["clusters"])
            steps = sum(len(c["steps"]) for c in plan["clusters"])
            print(
                f"plan {count} clusters in mixed states at a ref: {best:.2f} s (best of 3, "
                f"whole process); {dict(sorted(statuses.items()))}, {steps} cluster steps"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
