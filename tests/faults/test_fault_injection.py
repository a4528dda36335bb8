"""Class 10: every write, link, rename and exchange of a render fails in turn (issue 14).

Not random kill times: each operation of the writer is made to fail (an OSError such as
ENOSPC) or to kill the process (os._exit, no cleanup runs) in turn. After each, <out> is the
old tree or the new tree, each cluster folder with its own record (layout.CLUSTER_RECORD)
moving with it; <out> holds no fleet-wide record (the memo of the spec files' checks lives
in the user's cache). The next render repairs any of them to the bytes of a fresh render,
leaving no staging folder behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CONFIG, cluster_yaml, git
from tests.faults.injection import OPERATIONS, patch_operation, render_exit_code, render_with_fault
from tests.good_fleet import tree

ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)
SAMPLED = {"write", "link"}  # hundreds per render: the first, a middle one and the last


def version(name: str, patch: int) -> str:
    return cluster_yaml(name, version=f'"1.23.{patch}"')


CHANGES: dict[str, dict[str, str]] = {
    "one-cluster": {"clusters/alpha.yaml": version("alpha", 7)},
    "two-clusters": {
        "clusters/alpha.yaml": version("alpha", 7),
        "clusters/bravo.yaml": version("bravo", 7),
    },
    "argocd-repo-url": {"kubermatic.yaml": ARGO.replace("fleet.git", "moved.git")},
    # only the memo in the user's cache changes (the spec file's digest): <out> is untouched
    "record-only": {"clusters/alpha.yaml": version("alpha", 6) + "# a comment\n"},
}


@dataclass(frozen=True)
class Scenario:
    name: str  # the key of CHANGES
    repo: Path
    out: Path
    saved: Path  # a copy of the old <out>
    old: dict[str, bytes]
    new: dict[str, bytes]  # what a fresh render of the changed repository writes

    def reset(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)
        for leftover in self.out.parent.glob(f".{self.out.name}.*"):
            shutil.rmtree(leftover)
        shutil.copytree(self.saved, self.out)

    def argv(self) -> list[str]:
        return ["render", "--repo", str(self.repo), "--out", str(self.out)]


def _count(scenario: Scenario, operation: str) -> int:
    """How often a render of the change calls `operation` (in a child: nothing leaks)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  the child
        seen = [0]

        def count(n: int) -> None:
            seen[0] = n

        patch_operation(operation, count)
        status = render_exit_code(scenario.argv())
        os.write(write, f"{status} {seen[0]}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        status, calls = map(int, pipe.read().split())
    os.waitpid(pid, 0)
    assert status == 0
    scenario.reset()
    return calls


def _points(total: int, operation: str) -> Iterator[int]:
    if operation in SAMPLED and total:
        yield from sorted({1, max(1, total // 2), total})
    else:
        yield from range(1, total + 1)


@pytest.fixture(scope="module", params=list(CHANGES))
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("faults")
    repo = root / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(ARGO)
    for name in ("alpha", "bravo", "charlie"):
        (repo / "clusters" / f"{name}.yaml").write_text(version(name, 6))
    git(repo, "init", "-q", "-b", "main")
    out = root / "work" / "out"
    assert render_exit_code(["render", "--repo", str(repo), "--out", str(out)]) == 0
    old = tree(out)
    saved = root / "saved"
    shutil.copytree(out, saved)
    for name, text in CHANGES[request.param].items():
        (repo / name).write_text(text)
    fresh = root / "fresh"
    assert render_exit_code(["render", "--repo", str(repo), "--out", str(fresh)]) == 0
    assert (tree(fresh) == old) == (request.param == "record-only")
    return Scenario(request.param, repo, out, saved, old, tree(fresh))


@pytest.mark.parametrize("kind", ["fail", "kill"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_fault_at_any_operation_leaves_the_old_or_new_tree_and_the_next_render_repairs_it(
    scenario: Scenario, operation: str, kind: str
) -> None:
    scenario.reset()
    total = _count(scenario, operation)
    for at in _points(total, operation):
        scenario.reset()
        status = render_with_fault(scenario.argv(), operation, at, kind)
        # os.replace now writes only the memo in the user's cache, which is best effort: a
        # failed write leaves <out> whole and the run succeeds (the next one checks more).
        # Another failure is exit 4, or exit 0 with a warning once <out> has changed.
        failed = (0,) if operation == "replace" else (0, 4)
        assert status in ((137,) if kind == "kill" else failed), f"{operation} #{at}: {status}"
        assert scenario.out.is_dir(), f"{operation} #{at}: <out> is gone"
        now = tree(scenario.out)
        assert now in (scenario.old, scenario.new), (
            f"{operation} #{at}/{total}: <out> is neither the old nor the new tree and record"
        )
        # never both a failure and a change (issue 23): a failure leaves <out> as it was
        assert status != 4 or now == scenario.old, f"{operation} #{at}: exit 4, <out> changed"
        assert render_exit_code(scenario.argv()) == 0
        assert tree(scenario.out) == scenario.new, f"{operation} #{at}: not repaired"
        leftovers = [p.name for p in scenario.out.parent.iterdir() if p.name != "out"]
        assert leftovers == [], f"{operation} #{at}: left {leftovers}"


def test_the_writer_calls_every_operation_the_faults_target(scenario: Scenario) -> None:
    """A fault test is only as good as its coverage: each patched operation does run."""
    scenario.reset()
    used = {op for op in OPERATIONS if _count(scenario, op) > 0}
    # renames are the fallback where exchange fails; links reuse unchanged clusters' files
    expected = {"replace"} if scenario.name == "record-only" else {"write", "exchange"}
    assert used >= expected
