"""SIGTERM during a render (issue 14, class 7).

SIGTERM unwinds like an error: the staging folder is removed and <out> is the old tree
(the default action left the staging behind).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.fleet import make_fleet
from tests.good_fleet import tree

KKPGEN = Path(sys.executable).parent / "kkpgen"


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["one-process", "workers"])
def test_sigterm_during_a_render_removes_the_staging_and_keeps_out(
    tmp_path: Path, jobs: str
) -> None:
    repo = make_fleet(tmp_path / "repo", 60)
    out = tmp_path / "out"
    argv = [str(KKPGEN), "render", "--repo", str(repo), "--out", str(out), "--jobs", jobs]
    assert subprocess.run(argv, capture_output=True, check=False).returncode == 0
    before = tree(out)
    config = (repo / "kubermatic.yaml").read_text()
    (repo / "kubermatic.yaml").write_text(config.replace("kkp.example.com", "kkp.example.org"))
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.tmp-") for p in tmp_path.iterdir()):
        assert process.poll() is None, "the render ended before it staged anything"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:  # it finished in between: nothing to test this time
        return
    assert process.returncode == 128 + signal.SIGTERM, stderr.decode()
    assert b"Traceback" not in stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []
    assert tree(out) == before
