"""The project's own .pre-commit-config.yaml: it parses, every hook is local (no download),
and `pre-commit run --all-files` runs each hook on a copy of the checkout, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import git
from tests.ship.conftest import ROOT

BIN = Path(sys.executable).parent
HOOKS = ("ruff", "ruff-format", "mypy", "kkpgen-check")


def _pre_commit(args: list[str], *, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """pre-commit from the dev venv, with the venv first on PATH (language: system)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [str(BIN / "pre-commit"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The checkout's files (tracked or new, as in the work tree) in a new git repository."""
    copy = tmp_path / "checkout"
    for name in git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split(
        "\0"
    ):
        source = ROOT / name
        if not name or not (source.exists() or source.is_symlink()):
            continue  # deleted in the work tree, not yet committed
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy / name, follow_symlinks=False)
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    return copy


def test_the_config_is_valid_and_every_hook_is_local_and_system() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    assert repo["repo"] == "local"
    assert tuple(hook["id"] for hook in repo["hooks"]) == HOOKS
    for hook in repo["hooks"]:
        assert hook["language"] == "system", hook["id"]
        assert hook["pass_filenames"] is False, hook["id"]
    result = subprocess.run(
        [str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_hook_runs_and_passes_on_the_checkout(checkout: Path, tmp_path: Path) -> None:
    result = _pre_commit(["run", "--all-files"], cwd=checkout, home=tmp_path / "home")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for hook in ("ruff check", "ruff format", "mypy", "kkpgen check fixtures/"):
        assert any(
            line.startswith(hook) and line.endswith("Passed") for line in output.splitlines()
        ), f"{hook} did not run and pass:\n{output}"
    assert git(checkout, "diff", "--stat") == "", "a hook changed a file"


def test_the_kkpgen_hook_fails_on_a_broken_fixture(checkout: Path, tmp_path: Path) -> None:
    spec = checkout / "fixtures/clusters/prod-canal.yaml"
    spec.write_text(spec.read_text().replace("version: v3.31", "version: 3.31"))
    git(checkout, "add", "-A")
    result = _pre_commit(
        ["run", "kkpgen-check", "--all-files"], cwd=checkout, home=tmp_path / "home"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fixtures/clusters/prod-canal.yaml" not in result.stdout  # paths are repo-relative
    assert "clusters/prod-canal.yaml:" in result.stdout
