"""A team in one repository: rendered trees committed on two branches merge with real git,
and the merge passes `render --check` (issue 22; the workflow of docs/team-workflow.md)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import CONFIG, Repo, cluster_yaml, git

ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)
APPLICATIONS = ARGO.replace(
    "  annotations:\n", '  annotations:\n    kkpgen/argocd-mode: "applications"\n'
)
NAMES = ("alpha", "bravo", "charlie")
RunCli = Callable[..., Result]


def _spec(name: str, *, patch: int = 6, wave: str = "") -> str:
    labels = f'kkpgen/rollout-wave: "{wave}"\n' if wave else ""
    return cluster_yaml(name, version=f'"1.23.{patch}"', labels=labels)


@pytest.fixture(params=["applicationset", "applications"])
def team(request: pytest.FixtureRequest, make_repo: Callable[..., Repo], run_cli: RunCli) -> Repo:
    """main with three clusters, rendered into rendered/ and committed."""
    config = ARGO if request.param == "applicationset" else APPLICATIONS
    repo = make_repo(base={f"clusters/{n}.yaml": _spec(n) for n in NAMES}, config=config)
    _render(run_cli, repo)
    repo.commit({}, "render")
    return repo


def _render(run_cli: RunCli, repo: Path | Repo, *args: str) -> Result:
    path = repo.path if isinstance(repo, Repo) else repo
    return run_cli(["render", "--repo", str(path), "--out", str(path / "rendered"), *args])


def _check(run_cli: RunCli, repo: Repo, expect: int = 0) -> Result:
    out = str(repo.path / "rendered")
    return run_cli(["render", "--repo", str(repo.path), "--out", out, "--check"], expect=expect)


def _branch(run_cli: RunCli, repo: Repo, name: str, files: dict[str, str], *args: str) -> None:
    """A pull request: a branch off main that changes specs and commits the render."""
    git(repo.path, "checkout", "-q", "-b", name, "main")
    repo.write(files)
    _render(run_cli, repo, *args)
    repo.commit({}, name)
    git(repo.path, "checkout", "-q", "main")


def _merge(repo: Repo, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo.path), "merge", "--no-ff", "-q", "-m", f"merge {branch}", branch],
        capture_output=True,
        text=True,
        check=False,
    )


def test_nothing_fleet_wide_is_committed(team: Repo) -> None:
    top = sorted(p.name for p in (team.path / "rendered").iterdir() if p.is_file())
    assert top == [".kkpgen-output"]  # the marker never changes


@pytest.mark.parametrize(
    "changes",
    [
        {"alpha": {"patch": 7}, "bravo": {"patch": 7}},
        {"alpha": {"wave": "1"}, "bravo": {"patch": 7}},
        {"alpha": {"patch": 7}, "charlie": {"patch": 5}},
    ],
    ids=["two-upgrades", "wave-and-upgrade", "upgrade-and-downgrade"],
)
def test_two_pull_requests_that_change_different_clusters_merge_and_pass_the_check(
    team: Repo, run_cli: RunCli, changes: dict[str, dict[str, int | str]]
) -> None:
    for name, change in changes.items():
        _branch(run_cli, team, f"pr-{name}", {f"clusters/{name}.yaml": _spec(name, **change)})  # type: ignore[arg-type]
    for name in changes:
        merged = _merge(team, f"pr-{name}")
        assert merged.returncode == 0, merged.stdout + merged.stderr
    _check(run_cli, team)


def test_the_second_pull_request_rebased_on_the_first_renders_nothing_new(
    team: Repo, run_cli: RunCli
) -> None:
    _branch(run_cli, team, "pr-a", {"clusters/alpha.yaml": _spec("alpha", patch=7)})
    _branch(run_cli, team, "pr-b", {"clusters/bravo.yaml": _spec("bravo", patch=7)})
    assert _merge(team, "pr-a").returncode == 0
    git(team.path, "checkout", "-q", "pr-b")
    git(team.path, "rebase", "-q", "main")
    _check(run_cli, team)
    result = _render(run_cli, team)
    assert "0 files written" in result.stderr
    assert git(team.path, "status", "--porcelain") == ""


def test_two_wave_changes_conflict_in_argocd_and_a_render_resolves_it(
    team: Repo, run_cli: RunCli
) -> None:
    """The ApplicationSets list the fleet's waves: two new waves touch the same lines. As
    docs/team-workflow.md says: take either side, render, commit."""
    shared = (team.path / "rendered" / "argocd" / "applicationset-kkpgen-seed.yaml").exists()
    _branch(run_cli, team, "pr-a", {"clusters/alpha.yaml": _spec("alpha", wave="1")})
    _branch(run_cli, team, "pr-b", {"clusters/bravo.yaml": _spec("bravo", wave="2")})
    assert _merge(team, "pr-a").returncode == 0
    if not shared:  # applications mode: one Application file per cluster, nothing to conflict
        assert _merge(team, "pr-b").returncode == 0
        _check(run_cli, team)
        return
    conflicted = _merge(team, "pr-b")
    assert conflicted.returncode != 0
    unmerged = git(team.path, "diff", "--name-only", "--diff-filter=U").split()
    assert unmerged
    assert all(p.startswith("rendered/argocd/") for p in unmerged)
    git(team.path, "checkout", "--theirs", "--", "rendered/argocd")
    _render(run_cli, team)
    git(team.path, "add", "-A", "rendered")
    _check(run_cli, team)
    steps = (team.path / "rendered" / "argocd" / "applicationset-kkpgen-seed.yaml").read_text()
    assert "- '1'" in steps
    assert "- '2'" in steps


def test_a_conflict_in_a_clusters_own_folder_is_resolved_by_rendering_that_cluster(
    team: Repo, run_cli: RunCli
) -> None:
    _branch(run_cli, team, "pr-a", {"clusters/alpha.yaml": _spec("alpha", patch=7)})
    _branch(run_cli, team, "pr-b", {"clusters/alpha.yaml": _spec("alpha", patch=8)})
    assert _merge(team, "pr-a").returncode == 0
    assert _merge(team, "pr-b").returncode != 0
    unmerged = git(team.path, "diff", "--name-only", "--diff-filter=U").split()
    assert "clusters/alpha.yaml" in unmerged
    # The spec is resolved by hand (here: pr-b's), then the folder is rendered again.
    git(team.path, "checkout", "--theirs", "--", "clusters/alpha.yaml")
    _render(run_cli, team, "--cluster", "alpha")
    git(team.path, "add", "-A", "clusters", "rendered")
    assert git(team.path, "diff", "--name-only", "--diff-filter=U") == ""
    _check(run_cli, team)
    assert "1.23.8" in (team.path / "rendered" / "alpha" / "resolved.yaml").read_text()


def test_a_tree_of_kkpgen_0_1_is_stale_until_rendered(team: Repo, run_cli: RunCli) -> None:
    legacy = team.path / "rendered" / ".kkpgen-inputs.json"
    legacy.write_text("{}\n")
    result = _check(run_cli, team, expect=1)
    assert f"extra: {legacy}" in result.stderr
    _render(run_cli, team)
    assert not legacy.exists()
    _check(run_cli, team)
