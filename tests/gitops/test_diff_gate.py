"""`kkpgen diff --fail-on disruption|change`: its own exit code for CI gates (issue 22)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from kkpgen.diagnostics import ExitCode
from tests.conftest import Repo, cluster_yaml

RunCli = Callable[..., Result]
MakeRepo = Callable[..., Repo]
GATED = 10


def _canal(version: str) -> str:
    return cluster_yaml(
        "c1", version='"1.22.9"', extra=f"cniPlugin: {{type: canal, version: {version}}}\n"
    )


def _diff(run_cli: RunCli, repo: Repo, fail_on: str, expect: int) -> Result:
    argv = ["diff", "--repo", str(repo.path), "--base", "base", "--fail-on", fail_on]
    return run_cli(argv, expect=expect)


def test_the_gate_code_is_none_of_the_other_exit_codes() -> None:
    assert int(ExitCode.GATED) == GATED
    assert GATED not in {0, 1, 2, 3, 4, 70, 130, 143}
    assert [c for c in ExitCode if c != ExitCode.GATED and int(c) == GATED] == []


@pytest.mark.parametrize("fail_on", ["disruption", "change"])
def test_a_cni_upgrade_fails_either_gate_after_printing_the_report(
    make_repo: MakeRepo, run_cli: RunCli, fail_on: str
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.21")}, head={"clusters/c1.yaml": _canal("v3.22")}
    )
    result = _diff(run_cli, repo, fail_on, GATED)
    assert "! CNI version change Canal v3.21 -> v3.22" in result.stdout
    assert f"(--fail-on {fail_on})" in result.stderr


def test_a_new_cluster_passes_the_disruption_gate_and_fails_the_change_gate(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1")},
        head={"clusters/c2.yaml": cluster_yaml("c2")},
    )
    assert "== c2 (added)" in _diff(run_cli, repo, "disruption", 0).stdout
    _diff(run_cli, repo, "change", GATED)


def test_no_change_passes_the_change_gate(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")}, head={})
    _diff(run_cli, repo, "change", 0)


def test_the_gate_still_writes_the_full_report(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: object
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.21")}, head={"clusters/c1.yaml": _canal("v3.22")}
    )
    full = repo.path.parent / "full.md"
    argv = ["diff", "--repo", str(repo.path), "--base", "base", "--format", "markdown"]
    run_cli([*argv, "--output", str(full), "--fail-on", "disruption"], expect=GATED)
    assert "disruption.cni-version" in full.read_text()
