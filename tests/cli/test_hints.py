"""Hints are instructions: a user runs what a hint says, so each test follows one and it works."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from kkpgen.kkp import check as check_stage
from tests.conftest import CONFIG, Repo, cluster_yaml, git

RunCli = Callable[..., Result]


def _hint(result: Result) -> str:
    hints = [line for line in result.stderr.splitlines() if line.startswith("  hint: ")]
    assert hints, result.stderr
    return hints[0].removeprefix("  hint: ")


def _backticked(hint: str) -> str:
    match = re.search(r"`([^`]+)`", hint)
    assert match, hint
    return match.group(1)


def test_the_missing_kubeconform_hint_names_an_option_that_exists(
    run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_cli(["render", "--repo", "fixtures", "--out", str(out)])
    missing = str(tmp_path / "no-kubeconform")
    failed = run_cli(
        ["validate", str(out), "--backend", "kubeconform", "--kubeconform", missing], expect=4
    )
    hint = _hint(failed)
    assert "--backend builtin" in hint
    run_cli(["validate", str(out), "--backend", "builtin"])


def test_debug_is_accepted_after_the_command_as_the_internal_error_message_suggests(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("planted bug")

    monkeypatch.setattr(check_stage, "load_catalog", broken)
    failed = run_cli(["check", "--repo", "fixtures"], expect=70)
    assert failed.stderr.splitlines()[-1] == "re-run with --debug for the traceback"
    again = run_cli(["check", "--repo", "fixtures", "--debug"], expect=70)
    assert "Traceback" in again.stderr
    assert "RuntimeError: planted bug" in again.stderr


def test_the_fetch_hint_for_a_missing_remote_branch_is_a_command_git_accepts(
    run_cli: RunCli, make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    upstream = make_repo(base={"clusters/c1.yaml": cluster_yaml()})
    git(upstream.path, "branch", "release")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--single-branch", "-b", "main", str(upstream.path), str(clone)],
        check=True,
    )
    failed = run_cli(["check", "--repo", str(clone), "--base", "origin/release"], expect=4)
    command = _backticked(_hint(failed))
    assert command.startswith("git fetch origin ")
    subprocess.run(["git", "-C", str(clone), *shlex.split(command)[1:]], check=True)
    run_cli(["check", "--repo", str(clone), "--base", "origin/release"])


def test_base_outside_a_git_repository_says_so(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "kubermatic.yaml").write_text(CONFIG)
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters/c1.yaml").write_text(cluster_yaml())
    failed = run_cli(["check", "--repo", str(tmp_path), "--base", "main"], expect=4)
    assert "is not a git repository" in failed.stderr
    assert "unknown git ref" not in failed.stderr
    run_cli(["check", "--repo", str(tmp_path)])  # the hint's way out: read the files as they are


def _fleet(tmp_path: Path, cluster: str) -> Path:
    (tmp_path / "kubermatic.yaml").write_text(CONFIG)
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters/c1.yaml").write_text(cluster)
    return tmp_path / "clusters/c1.yaml"


def test_an_unquoted_cni_version_gets_a_hint_that_passes_check(
    run_cli: RunCli, tmp_path: Path
) -> None:
    spec = _fleet(tmp_path, cluster_yaml(extra="cniPlugin:\n  type: canal\n  version: 3.22\n"))
    failed = run_cli(["check", "--repo", str(tmp_path)], expect=1)
    hint = _hint(failed)
    assert hint == 'write the version as a string with its v: "v3.22"'
    spec.write_text(spec.read_text().replace("version: 3.22", 'version: "v3.22"'))
    run_cli(["check", "--repo", str(tmp_path)])


def test_a_known_field_at_the_wrong_indentation_is_told_where_it_belongs(
    run_cli: RunCli, tmp_path: Path
) -> None:
    spec = _fleet(
        tmp_path,
        cluster_yaml(extra="konnectivityEnabled: true\nclusterNetwork:\n  proxyMode: ipvs\n"),
    )
    failed = run_cli(["check", "--repo", str(tmp_path)], expect=1)
    hint = _hint(failed)
    assert (
        hint
        == "'konnectivityEnabled' belongs at spec.clusterNetwork.konnectivityEnabled: move it there"
    )
    assert "remove" not in hint
    spec.write_text(
        cluster_yaml(extra="clusterNetwork:\n  proxyMode: ipvs\n  konnectivityEnabled: true\n")
    )
    run_cli(["check", "--repo", str(tmp_path)])
    resolved = yaml.safe_load(run_cli(["resolve", "c1", "--repo", str(tmp_path)]).stdout)
    assert resolved["spec"]["clusterNetwork"]["konnectivityEnabled"] is True
