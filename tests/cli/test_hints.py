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


def _hint(result: Result, code: str = "") -> str:
    """The first hint, or the hint of the diagnostic `code`."""
    lines = result.stderr.splitlines()
    after = [i for i, line in enumerate(lines) if f"[{code}]" in line] if code else [-1]
    hints = [line for line in lines[after[0] + 1 :] if line.startswith("  hint: ")] if after else []
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


# --- issue 22: hints that went in circles ------------------------------------------------


def test_the_stale_tree_hint_repairs_a_folder_edited_by_hand(
    make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    out = tmp_path / "rendered"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    edited = next((out / "c1" / "user-cluster").rglob("*.yaml"))
    edited.write_text(edited.read_text() + "# edited by hand\n")
    check = ["render", "--repo", str(repo.path), "--out", str(out), "--check"]
    stale = run_cli(check, expect=1).stderr.splitlines()
    assert stale[-2].startswith(f"{out} is stale: 1 file differs (1 cluster)")
    command = shlex.split(_backticked(stale[-1]))
    assert command[:3] == ["kkpgen", "render", "--full"]
    run_cli(["render", "--repo", str(repo.path), *command[2:]])  # as written, plus --repo
    run_cli(check)


def test_an_addon_of_a_cluster_that_failed_to_load_gets_no_unknown_cluster_error(
    make_repo: Callable[..., Repo], run_cli: RunCli
) -> None:
    addon = (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\nmetadata: {name: konnectivity}\n"
        "spec:\n  name: konnectivity\n  cluster: {name: c1}\n"
    )
    broken = cluster_yaml("c1", extra="clusterNetwork: {proxyMode: bogus}\n") + addon
    repo = make_repo(base={"clusters/c1.yaml": broken})
    result = run_cli(["check", "--repo", str(repo.path)], expect=1)
    assert "addon.cluster.unknown" not in result.stderr
    assert "proxyMode" in result.stderr


def test_a_confirmed_decommission_is_not_asked_for_again(
    make_repo: Callable[..., Repo], run_cli: RunCli
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1"), "clusters/c2.yaml": cluster_yaml("c2")},
        head={"clusters/c2.yaml": None},
    )
    argv = ["check", "--repo", str(repo.path), "--base", "base"]
    refused = run_cli(argv, expect=1)
    assert "--decommission c2" in _hint(refused, "cluster.removed")
    confirmed = run_cli([*argv, "--decommission", "c2"])
    assert "notice[cluster.decommissioned]" in confirmed.stderr
    assert "--decommission" not in _hint(confirmed, "cluster.decommissioned")


def _addon(name: str, variables: str = "{}") -> str:
    return (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        f"metadata: {{name: {name}, namespace: cluster-c1}}\n"
        f"spec:\n  name: {name}\n  cluster: {{name: c1}}\n  variables: {variables}\n"
    )


def test_a_misspelt_addon_is_a_warning_whose_did_you_mean_works(
    make_repo: Callable[..., Repo], run_cli: RunCli
) -> None:
    cilium = cluster_yaml("c1", extra="cniPlugin: {type: cilium, version: v1.11}\n")
    typo = cilium + _addon("hubbel", "{bogus: 1}")
    repo = make_repo(base={"clusters/c1.yaml": typo})
    result = run_cli(["check", "--repo", str(repo.path)])
    assert "warning[addon.unknown]" in result.stderr
    hint = _hint(result, "addon.unknown")
    assert hint.startswith("did you mean 'hubble'? Write spec.name: hubble")
    repo.write({"clusters/c1.yaml": typo.replace("hubbel", "hubble")})
    fixed = run_cli(["check", "--repo", str(repo.path)], expect=1)
    assert "addon.unknown" not in fixed.stderr
    assert "unknown variable 'bogus' for the hubble addon" in fixed.stderr  # now read


def test_an_accessible_addon_of_kkp_stays_quiet(
    make_repo: Callable[..., Repo], run_cli: RunCli
) -> None:
    config = CONFIG.replace("accessibleAddons: [hubble]", "accessibleAddons: [hubble, dashboard]")
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1") + _addon("dashboard")}, config=config
    )
    result = run_cli(["check", "--repo", str(repo.path)])
    assert "addon" not in result.stderr


def test_a_missing_kubermatic_yaml_is_one_error_and_its_hint_adds_it(
    make_repo: Callable[..., Repo], run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")}, config=None)
    result = run_cli(["check", "--repo", str(repo.path)], expect=1)
    errors = [line for line in result.stderr.splitlines() if "error[" in line]
    assert errors == [
        "kubermatic.yaml: error[config.missing]: kubermatic.yaml is missing: kkpgen reads the "
        "KKP version and the platform's settings from it, at the root of the repository, "
        "beside clusters/"
    ]
    command = shlex.split(_backticked(_hint(result)))
    assert command[:2] == ["kkpgen", "init"]
    monkeypatch.chdir(repo.path)  # "in the repository's root folder"
    run_cli(command[1:])
    assert "config.missing" not in run_cli(["check", "--repo", str(repo.path)], expect=None).stderr
    # "then set kkpgen/kkp-version in it to the KKP release you run": c1 runs on v2.20.
    config = repo.path / "kubermatic.yaml"
    pinned = re.search(r'kkpgen/kkp-version: "([^"]+)"', config.read_text())
    assert pinned
    config.write_text(config.read_text().replace(pinned.group(1), "v2.20.16"))
    run_cli(["check", "--repo", str(repo.path)])
