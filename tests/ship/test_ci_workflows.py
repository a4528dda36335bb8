"""The CI definitions `kkpgen init` writes: each shell step runs, in order, on the wheel."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

import yaml

from tests.conftest import commit_all, git
from tests.ship.conftest import Installed

# The expressions GitHub fills in before a step's shell runs, as on a pull request into main.
GITHUB_CONTEXT = {
    "github.base_ref": "main",
    "github.token": "a-token",
    "github.event.pull_request.number": "7",
    "contains(github.event.pull_request.labels.*.name, 'maintenance-window')": "false",
}
GH_STAND_IN = """#!/bin/sh
# gh's stand-in: the comment's body must exist; record the call.
while [ $# -gt 0 ]; do
  if [ "$1" = --body-file ]; then test -s "$2" || exit 3; fi
  shift
done
echo called >> "$GH_CALLS"
"""


def _repositories(installed: Installed, tmp_path: Path, ci: str) -> Path:
    """An upstream made by init (committed on main) and a clone on a branch adding a cluster."""
    upstream = tmp_path / "upstream"
    installed.run(
        ["kkpgen", "init", str(upstream), "--ci", ci, "--kkpgen-wheel", str(installed.wheel)],
        cwd=tmp_path,
    )
    git(upstream, "init", "-q", "-b", "main")
    commit_all(upstream, "init")
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(upstream), str(work)], check=True)
    git(work, "checkout", "-q", "-b", "add-second")
    example = (work / "clusters/example.yaml").read_text()
    (work / "clusters/second.yaml").write_text(example.replace("example", "second"))
    commit_all(work, "second cluster")
    return work


def _expand(text: str) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        assert expression in GITHUB_CONTEXT, f"no value for ${{{{ {expression} }}}}"
        return GITHUB_CONTEXT[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def _applies(condition: str | None, event: str, work: Path) -> bool:
    if condition is None:
        return True
    hashed = re.fullmatch(r"hashFiles\('([^']+)'\) != ''", condition)
    if hashed:  # GitHub hashes the files the pattern matches: '' when there are none
        return (work / hashed.group(1)).is_file()
    match = re.fullmatch(r"github\.event_name (==|!=) '(\w+)'", condition)
    assert match, f"unknown step condition {condition!r}"
    return (event == match.group(2)) == (match.group(1) == "==")


def _run_step(installed: Installed, command: str, *, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=installed.env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


def _stand_ins(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "stand-ins"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(GH_STAND_IN)
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    return {"GH_CALLS": str(tmp_path / "gh-calls"), "STAND_INS": str(bin_dir)}


def test_every_shell_step_of_the_github_workflow_runs_on_a_pull_request(
    installed: Installed, tmp_path: Path
) -> None:
    work = _repositories(installed, tmp_path, "github")
    workflow = yaml.safe_load((work / ".github/workflows/kkpgen.yml").read_text())
    stand_ins = _stand_ins(tmp_path)
    ran = []
    for step in workflow["jobs"]["kkpgen"]["steps"]:
        if "run" not in step or not _applies(step.get("if"), "pull_request", work):
            continue
        env = {
            **{k: str(v) for k, v in workflow["env"].items()},
            **{k: _expand(str(v)) for k, v in step.get("env", {}).items()},
            "GH_CALLS": stand_ins["GH_CALLS"],
        }
        command = f'PATH="{stand_ins["STAND_INS"]}:$PATH"\n{_expand(step["run"])}'
        _run_step(installed, command, cwd=work, env=env)
        ran.append(step["name"])
    assert ran == [
        "Install kkpgen",
        "Check the cluster specs against the base branch",
        "Render and validate",
        "Diff the rendered manifests against the base branch",
        "Comment the diff on the pull request",
        "A disruptive change needs the maintenance-window label",  # a new cluster passes
    ]
    assert "second" in (work / "kkpgen-diff.md").read_text()
    assert (work / "rendered/second/user-cluster").is_dir()
    assert Path(stand_ins["GH_CALLS"]).read_text() == "called\n"


def test_every_shell_step_of_the_github_workflow_runs_on_a_push(
    installed: Installed, tmp_path: Path
) -> None:
    work = _repositories(installed, tmp_path, "github")
    # Way 1 of docs/argocd.md: the rendered tree is committed, so CI checks it is current.
    installed.run(["kkpgen", "render", "--out", "rendered"], cwd=work)
    workflow = yaml.safe_load((work / ".github/workflows/kkpgen.yml").read_text())
    ran = []
    for step in workflow["jobs"]["kkpgen"]["steps"]:
        if "run" in step and _applies(step.get("if"), "push", work):
            env = {k: str(v) for k, v in workflow["env"].items()}
            _run_step(installed, _expand(step["run"]), cwd=work, env=env)
            ran.append(step["name"])
    assert "The committed rendered tree is what the specs render" in ran
    assert (work / "rendered/example/seed").is_dir()


def test_every_script_line_of_the_gitlab_pipeline_runs_on_a_merge_request(
    installed: Installed, tmp_path: Path
) -> None:
    work = _repositories(installed, tmp_path, "gitlab")
    pipeline = yaml.safe_load((work / ".gitlab-ci.yml").read_text())
    env = {
        **{k: str(v) for k, v in pipeline["variables"].items()},
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    }
    job = pipeline["kkpgen"]
    for line in [*job["before_script"], *job["script"]]:
        _run_step(installed, line, cwd=work, env=env)
    assert "second" in (work / "kkpgen-diff.md").read_text()
    for artifact in job["artifacts"]["paths"]:
        assert (work / artifact).exists()
