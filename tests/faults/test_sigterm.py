"""Class 7, continued: SIGTERM during a render, and submodules below clusters/ (issue 14).

SIGTERM unwinds like an error: the staging folder is removed and <out> is the old tree
(the default action left the staging behind). A git submodule below clusters/ is refused in
the work tree and at a ref alike (it was read from the work tree, and skipped at --ref).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.fleet import make_fleet
from kkpgen.cli import main
from tests.conftest import cluster_yaml, git
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected, tree

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


def test_a_submodule_below_clusters_is_refused_in_the_work_tree(good_fleet: GoodFleet) -> None:
    sub = good_fleet.repo / "clusters" / "team"
    sub.mkdir()
    (sub / ".git").write_text("gitdir: ../../.git/modules/team\n")
    (sub / "team.yaml").write_text(cluster_yaml("team"))
    result = good_fleet.render()
    assert_rejected(result, code="source.submodule", file="clusters/team", line=None)
    assert_out_untouched(good_fleet)


def test_a_submodule_below_clusters_is_refused_at_a_ref(
    good_fleet: GoodFleet, tmp_path: Path
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "team.yaml").write_text(cluster_yaml("team"))
    git(team, "init", "-q", "-b", "main")
    git(team, "add", "-A")
    git(team, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "team")
    git(
        good_fleet.repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(team),
        "clusters/team",
    )
    git(good_fleet.repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "sub")
    argv = ["render", "--repo", str(good_fleet.repo), "--out", str(good_fleet.out)]
    result = CliRunner().invoke(main, [*argv, "--ref", "HEAD"], catch_exceptions=False)
    assert_rejected(result, code="source.submodule", file="clusters/team", line=None)
    assert_out_untouched(good_fleet)
