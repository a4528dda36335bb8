"""Class 10: every write, link, rename and exchange of a render fails in turn (issue 14).

Not random kill times: each operation of the writer is made to fail (an OSError such as
ENOSPC) or to kill the process (os._exit, no cleanup runs) in turn. After each, <out> is the
old or the new tree (the record may lag, never lead), and the next render repairs it to the
bytes of a fresh render, leaving no staging folder behind.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.output import staging
from generator.output.record import INPUTS_FILE
from tests.conftest import CONFIG, cluster_yaml, git
from tests.hardening.conftest import tree

ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)
# The operations the writer performs on the file system, by the name they are patched under.
OPERATIONS: dict[str, tuple[object, str]] = {
    "write": (staging, "_write"),
    "link": (os, "link"),
    "rename": (os, "rename"),
    "replace": (os, "replace"),
    "exchange": (staging, "_exchange"),
}
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
}


@dataclass(frozen=True)
class Scenario:
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


def _render(argv: list[str]) -> int:
    return CliRunner().invoke(main, argv, catch_exceptions=False).exit_code


def _patched(operation: str, fault: Callable[[int], None]) -> None:
    """Wrap one operation: `fault(n)` runs before its n-th call (in this process only)."""
    module, name = OPERATIONS[operation]
    original = getattr(module, name)
    calls = [0]

    def wrapper(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        fault(calls[0])
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


def _count(scenario: Scenario, operation: str) -> int:
    """How often a render of the change calls `operation` (in a child: nothing leaks)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  the child
        seen = [0]

        def count(n: int) -> None:
            seen[0] = n

        _patched(operation, count)
        status = _render(scenario.argv())
        os.write(write, f"{status} {seen[0]}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        status, calls = map(int, pipe.read().split())
    os.waitpid(pid, 0)
    assert status == 0
    scenario.reset()
    return calls


def _with_fault(scenario: Scenario, operation: str, at: int, kind: str) -> int:
    """Render in a child whose `at`-th `operation` fails (exit 4 expected) or kills it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover  the child

        def fault(n: int) -> None:
            if n != at:
                return
            if kind == "kill":
                os._exit(137)  # no finally, no __exit__: what SIGKILL leaves
            raise OSError(errno.ENOSPC, "No space left on device")

        _patched(operation, fault)
        try:
            os._exit(_render(scenario.argv()))
        except BaseException:  # noqa: BLE001  a traceback is a failure: report it as 99
            os._exit(99)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _without_record(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path != INPUTS_FILE}


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
    assert _render(["render", "--repo", str(repo), "--out", str(out)]) == 0
    old = tree(out)
    saved = root / "saved"
    shutil.copytree(out, saved)
    for name, text in CHANGES[request.param].items():
        (repo / name).write_text(text)
    fresh = root / "fresh"
    assert _render(["render", "--repo", str(repo), "--out", str(fresh)]) == 0
    assert tree(fresh) != old
    return Scenario(repo, out, saved, old, tree(fresh))


@pytest.mark.parametrize("kind", ["fail", "kill"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_fault_at_any_operation_leaves_the_old_or_new_tree_and_the_next_render_repairs_it(
    scenario: Scenario, operation: str, kind: str
) -> None:
    scenario.reset()
    total = _count(scenario, operation)
    for at in _points(total, operation):
        scenario.reset()
        status = _with_fault(scenario, operation, at, kind)
        assert status == (137 if kind == "kill" else 4), f"{operation} #{at}: exit {status}"
        assert scenario.out.is_dir(), f"{operation} #{at}: <out> is gone"
        now = _without_record(tree(scenario.out))
        assert now in (_without_record(scenario.old), _without_record(scenario.new)), (
            f"{operation} #{at}/{total}: <out> is neither the old nor the new tree"
        )
        assert _render(scenario.argv()) == 0
        assert tree(scenario.out) == scenario.new, f"{operation} #{at}: not repaired"
        leftovers = [p.name for p in scenario.out.parent.iterdir() if p.name != "out"]
        assert leftovers == [], f"{operation} #{at}: left {leftovers}"


def test_the_writer_calls_every_operation_the_faults_target(scenario: Scenario) -> None:
    """A fault test is only as good as its coverage: each patched operation does run."""
    scenario.reset()
    used = {op for op in OPERATIONS if _count(scenario, op) > 0}
    # renames are the fallback where exchange fails; links reuse unchanged clusters' files
    expected = {"write", "exchange"}
    assert used >= expected
