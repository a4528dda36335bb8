"""Faults during render: SIGKILL at random points, an unwritable or full output location, and
two renders racing for one <out>. <out> is always a whole tree, old or new (issue 7)."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.fleet import make_fleet
from kkpgen.cli import main
from tests.conftest import git
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected, tree

KKPGEN = Path(sys.executable).parent / "kkpgen"
KILLS = 15


@dataclass(frozen=True)
class TwoStates:
    repo: Path
    old: str  # commit of the first fleet
    new: str  # commit of the changed fleet
    trees: dict[str, dict[str, bytes]]  # commit -> the tree `render --ref commit` writes


def _start_render(repo: Path, ref: str, out: Path) -> subprocess.Popen[bytes]:
    """Start a render; finish it with _finish (which closes its pipe)."""
    return subprocess.Popen(
        [str(KKPGEN), "render", "--repo", str(repo), "--ref", ref, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr.decode()


@pytest.fixture(scope="module")
def two_states(tmp_path_factory: pytest.TempPathFactory) -> TwoStates:
    """A fleet of 50 clusters, and a commit that changes every cluster, adds and drops one."""
    root = tmp_path_factory.mktemp("fleet")
    repo = make_fleet(root / "repo", 50)
    old = git(repo, "rev-parse", "HEAD").strip()
    config = (repo / "kubermatic.yaml").read_text()
    (repo / "kubermatic.yaml").write_text(config.replace("kkp.example.com", "kkp.example.org"))
    (repo / "clusters" / "c00001.yaml").rename(repo / "clusters" / "c00099.yaml")
    text = (repo / "clusters" / "c00099.yaml").read_text()
    (repo / "clusters" / "c00099.yaml").write_text(text.replace("c00001", "c00099"))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "new")
    new = git(repo, "rev-parse", "HEAD").strip()
    trees = {}
    for ref in (old, new):
        status, stderr = _finish(_start_render(repo, ref, root / ref))
        assert status == 0, stderr
        trees[ref] = tree(root / ref)
    assert trees[old] != trees[new]
    return TwoStates(repo, old, new, trees)


def test_sigkill_at_random_points_leaves_the_old_or_the_new_tree(
    two_states: TwoStates, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    start = time.monotonic()
    assert _finish(_start_render(two_states.repo, two_states.old, out))[0] == 0
    duration = time.monotonic() - start
    rng = random.Random(7)  # noqa: S311  kill delays, not cryptography
    current, killed_mid_run = two_states.old, 0
    for _ in range(KILLS):
        target = two_states.new if current == two_states.old else two_states.old
        process = _start_render(two_states.repo, target, out)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        killed_mid_run += process.poll() is None
        process.send_signal(signal.SIGKILL)
        _finish(process)
        found = tree(out)
        assert found in (two_states.trees[current], two_states.trees[target]), (
            f"a mix of trees after a kill: {len(found)} files"
        )
        current = target if found == two_states.trees[target] else current
        staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
        assert all(not (p / "c00000").is_symlink() for p in staging)
    assert killed_mid_run >= KILLS // 2, f"only {killed_mid_run} kills hit a running render"
    # a later run cleans up after the killed ones: <out> is whole and renders fine
    assert _finish(_start_render(two_states.repo, two_states.new, out))[0] == 0
    assert tree(out) == two_states.trees[two_states.new]


def test_two_renders_at_once_never_corrupt_out(two_states: TwoStates, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        first = _start_render(two_states.repo, two_states.old, out)
        second = _start_render(two_states.repo, two_states.new, out)
        results = {}
        for ref, process in ((two_states.old, first), (two_states.new, second)):
            status, stderr = _finish(process)
            assert status in (0, 4), stderr
            if status == 4:
                assert "another kkpgen run is writing" in stderr
                assert "Traceback" not in stderr
            results[ref] = status
        assert 0 in results.values()
        winners = [ref for ref, status in results.items() if status == 0]
        assert tree(out) in [two_states.trees[ref] for ref in winners]


def test_an_unwritable_out_parent_is_an_environment_error(good_fleet: GoodFleet) -> None:
    parent = good_fleet.out.parent / "locked"
    if os.geteuid() == 0:  # root writes through 0o555: a file where the folder should be
        parent.write_text("not a folder\n")
    else:
        parent.mkdir(mode=0o555)
    out = parent / "out"
    argv = ["render", "--repo", str(good_fleet.repo), "--out", str(out)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert_rejected(result, code="output.refused", file=str(out), line=None, exit_code=4)
    if os.geteuid() == 0:  # a file above --out is named as such (round 3)
        assert f"is below {parent}, which is not a folder" in result.stderr
    else:
        assert "hint: make the parent folder of --out writable" in result.stderr
    parent.chmod(0o755)


def test_a_full_disk_is_an_environment_error_and_out_is_untouched(
    good_fleet: GoodFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = 0
    real_write = os.write

    def fill_up(fd: int, data: bytes) -> int:  # the disk fills up after ten files
        nonlocal written
        written += 1
        if written > 10:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    (good_fleet.repo / "clusters" / "good.yaml").write_text(
        (good_fleet.repo / "clusters" / "good.yaml").read_text().replace("aws", "hetzner")
    )
    monkeypatch.setattr(os, "write", fill_up)
    result = good_fleet.render()
    monkeypatch.undo()
    assert_rejected(result, code="output.refused", file=str(good_fleet.out), line=None, exit_code=4)
    assert "No space left on device" in result.stderr
    assert_out_untouched(good_fleet)
