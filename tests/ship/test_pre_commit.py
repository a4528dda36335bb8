"""The pre-commit hook, from a repository `kkpgen init` made, passes and fails as it should."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from tests.conftest import commit_all, git
from tests.ship.conftest import ROOT, Installed

PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")


def _initialised(installed: Installed, tmp_path: Path) -> Path:
    repo = tmp_path / "fleet"
    installed.run(
        ["kkpgen", "init", str(repo), "--kkpgen-wheel", str(installed.wheel)], cwd=tmp_path
    )
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "init")
    return repo


def _break(repo: Path) -> None:
    spec = repo / "clusters/example.yaml"
    # The CNI version as a number (init writes the catalog's default Canal, e.g. v3.22).
    broken = re.sub(r"(type: canal\n    version: )v(\d+\.\d+)\n", r"\g<1>\2\n", spec.read_text())
    assert broken != spec.read_text()
    spec.write_text(broken)


def test_try_repo_of_the_kkpgen_checkout_passes_then_fails_on_a_broken_spec(
    installed: Installed, tmp_path: Path
) -> None:
    assert shutil.which(PRE_COMMIT)
    repo = _initialised(installed, tmp_path)
    home = str(tmp_path / "pre-commit-home")
    command = [PRE_COMMIT, "try-repo", str(ROOT), "kkpgen-check", "--all-files"]
    passed = installed.run(command, cwd=repo, PRE_COMMIT_HOME=home)
    assert "kkpgen check" in passed
    assert "Passed" in passed
    _break(repo)
    failed = installed.run(command, cwd=repo, expect=1, PRE_COMMIT_HOME=home)
    assert "clusters/example.yaml" in failed
    assert re.search(r'write the version as a string with its v: "v3\.\d+"', failed)


def test_the_pre_commit_config_init_writes_runs_the_installed_kkpgen(
    installed: Installed, tmp_path: Path
) -> None:
    repo = _initialised(installed, tmp_path)
    home = str(tmp_path / "pre-commit-home")
    installed.run([PRE_COMMIT, "validate-config", ".pre-commit-config.yaml"], cwd=repo)
    installed.run([PRE_COMMIT, "run", "--all-files"], cwd=repo, PRE_COMMIT_HOME=home)
    _break(repo)
    failed = installed.run(
        [PRE_COMMIT, "run", "--all-files"], cwd=repo, expect=1, PRE_COMMIT_HOME=home
    )
    assert "schema.string-type" in failed
