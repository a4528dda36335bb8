"""The CI templates' gate: a diff that disrupts a cluster (kkpgen diff exits 10) fails the
pull request until it carries the label maintenance-window; any other failure fails it."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from kkpgen.gitops.ci_templates import ci_file

LABEL_EXPRESSION = "${{ contains(github.event.pull_request.labels.*.name, 'maintenance-window') }}"


def _fake_kkpgen(tmp_path: Path, status: int) -> dict[str, str]:
    """A kkpgen on PATH whose diff writes a report and exits `status`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "kkpgen"
    fake.write_text(f"#!/bin/sh\necho report\nexit {status}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def _bash(script: str, cwd: Path, env: dict[str, str]) -> int:
    run = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return run.returncode


def _github_steps() -> dict[str, dict[str, object]]:
    workflow = yaml.safe_load(ci_file("github", "kkpgen"))
    return {step["name"]: step for step in workflow["jobs"]["kkpgen"]["steps"] if "name" in step}


@pytest.mark.parametrize(
    ("status", "labelled", "passes"),
    [(0, "false", True), (10, "false", False), (10, "true", True), (1, "true", False)],
    ids=["quiet", "disruptive", "disruptive-labelled", "kkpgen-failed"],
)
def test_the_github_gate_requires_the_label_for_a_disruption(
    tmp_path: Path, status: int, labelled: str, passes: bool
) -> None:
    steps = _github_steps()
    env = _fake_kkpgen(tmp_path, status)
    diff = str(steps["Diff the rendered manifests against the base branch"]["run"])
    diff = diff.replace("${{ github.base_ref }}", "main")
    gate = steps["A disruptive change needs the maintenance-window label"]
    assert gate["env"] == {"LABELLED": LABEL_EXPRESSION}
    ok = (
        _bash(diff, tmp_path, env) == 0
        and _bash(str(gate["run"]), tmp_path, {**env, "LABELLED": labelled}) == 0
    )
    assert ok is passes


@pytest.mark.parametrize(
    ("status", "labels", "passes"),
    [
        (0, "", True),
        (10, "", False),
        (10, "team-a,maintenance-window", True),
        (10, "maintenance-windows", False),
        (3, "maintenance-window", False),
    ],
    ids=["quiet", "disruptive", "disruptive-labelled", "another-label", "kkpgen-failed"],
)
def test_the_gitlab_gate_requires_the_label_for_a_disruption(
    tmp_path: Path, status: int, labels: str, passes: bool
) -> None:
    script = yaml.safe_load(ci_file("gitlab", "kkpgen"))["kkpgen"]["script"]
    (gate,) = [line for line in script if "--fail-on disruption" in line]
    env = {
        **_fake_kkpgen(tmp_path, status),
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_LABELS": labels,
    }
    assert (_bash(gate, tmp_path, env) == 0) is passes
