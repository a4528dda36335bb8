"""`kkpgen init` pins what exists: the newest exact KKP patch of the catalog, and with
--kkpgen-repo a commit or tag that repository has (issue 22)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import semver
import yaml
from click.testing import Result

from kkpgen.gitops import pinning
from kkpgen.kkp.catalog import load_catalog, parse_version
from tests.conftest import commit_all, git

RunCli = Callable[..., Result]


def _newest_patch() -> str:
    return max(load_catalog().patches, key=lambda v: parse_version(v) or semver.Version(0))


def _init(run_cli: RunCli, target: Path, *args: str, expect: int = 0) -> Result:
    return run_cli(["init", str(target), *args], expect=expect)


def test_init_pins_the_newest_exact_patch_and_then_checks_kubernetes_versions(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = tmp_path / "fleet"
    _init(run_cli, repo, "--ci", "none")
    config = yaml.safe_load((repo / "kubermatic.yaml").read_text())
    assert config["metadata"]["annotations"]["kkpgen/kkp-version"] == _newest_patch()
    run_cli(["check", "--repo", str(repo)])
    example = repo / "clusters" / "example.yaml"
    spec = yaml.safe_load_all(example.read_text())
    version = next(spec)["spec"]["version"]
    example.write_text(example.read_text().replace(f'"{version}"', '"1.10.0"', 1))
    result = run_cli(["check", "--repo", str(repo)], expect=1)
    assert "error[cluster.version.unsupported]" in result.stderr


def _bare(tmp_path: Path, name: str, *, tag: str | None = None) -> Path:
    """A kkpgen repository of one unrelated commit, tagged `tag` if given."""
    work = tmp_path / f"{name}-work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README").write_text("kkpgen\n")
    commit_all(work, "one")
    if tag:
        git(work, "tag", tag)
    bare = tmp_path / f"{name}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare


def _pins(repo: Path) -> tuple[str, str]:
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    workflow = yaml.safe_load((repo / ".github/workflows/kkpgen.yml").read_text())
    return hooks["repos"][0]["rev"], workflow["env"]["KKPGEN_REQUIREMENT"].rpartition("@")[2]


def test_a_clone_that_has_the_running_commit_is_pinned_to_it(
    run_cli: RunCli, tmp_path: Path
) -> None:
    commit = pinning.running_commit()
    if commit is None:
        pytest.skip("kkpgen runs from neither a git checkout nor a git install")
    checkout = Path(__file__).resolve().parents[2]  # the checkout kkpgen runs from
    clone = tmp_path / "kkpgen.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(checkout), str(clone)], check=True)
    _init(run_cli, tmp_path / "fleet", "--kkpgen-repo", clone.as_uri())
    assert _pins(tmp_path / "fleet") == (commit, commit)


def test_a_clone_without_the_commit_is_pinned_to_the_tag_it_has(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pinning, "running_commit", lambda: None)
    tag = pinning.release_tag()
    clone = _bare(tmp_path, "tagged", tag=tag)
    _init(run_cli, tmp_path / "fleet", "--kkpgen-repo", clone.as_uri())
    assert _pins(tmp_path / "fleet") == (tag, tag)


def test_a_clone_with_neither_is_refused_and_the_hint_fixes_it(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pinning, "running_commit", lambda: None)
    clone = _bare(tmp_path, "empty")
    url = clone.as_uri()
    result = _init(run_cli, tmp_path / "fleet", "--kkpgen-repo", url, expect=1)
    assert "error[init.kkpgen-repo.unpinned]" in result.stderr
    assert not (tmp_path / "fleet" / ".pre-commit-config.yaml").exists()
    # The hint, run as written from a kkpgen clone that has the release tag:
    command = result.stderr.split("push kkpgen's tag there (", 1)[1].split(")", 1)[0]
    assert command == f"git push {shlex.quote(url)} {pinning.release_tag()}"
    source = _bare(tmp_path, "source", tag=pinning.release_tag())
    subprocess.run(shlex.split(command), cwd=source, check=True, capture_output=True)
    _init(run_cli, tmp_path / "fleet", "--kkpgen-repo", url)
    assert _pins(tmp_path / "fleet")[0] == pinning.release_tag()
