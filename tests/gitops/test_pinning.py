"""Which commit kkpgen runs from (what `init --kkpgen-repo` pins): pip's record of a git
install, else the checkout kkpgen's package is in, and never some other repository's."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

import kkpgen
from kkpgen.gitops import pinning
from tests.conftest import commit_all, git

SHA = "0123456789abcdef0123456789abcdef01234567"


class _Installed:
    """pip's record of how kkpgen was installed (direct_url.json, PEP 610)."""

    def __init__(self, record: dict[str, object] | None) -> None:
        self.record = record

    def read_text(self, name: str) -> str | None:
        return json.dumps(self.record) if name == "direct_url.json" and self.record else None


def _installed(monkeypatch: pytest.MonkeyPatch, record: dict[str, object] | None) -> None:
    monkeypatch.setattr(metadata, "distribution", lambda name: _Installed(record))


def _package_in(monkeypatch: pytest.MonkeyPatch, repo: Path, package: str) -> str:
    """kkpgen's package at `repo/package` in a git repository of one commit; its HEAD."""
    (repo / package).mkdir(parents=True)
    (repo / package / "__init__.py").write_text("")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "one")
    monkeypatch.setattr(kkpgen, "__file__", str(repo / package / "__init__.py"))
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_git_install_runs_the_commit_pip_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://git.example.com/kkpgen.git"
    _installed(monkeypatch, {"url": url, "vcs_info": {"vcs": "git", "commit_id": SHA}})
    assert pinning.running_commit() == SHA


@pytest.mark.parametrize(
    "record",
    [
        None,
        {"url": "file:///src/kkpgen", "dir_info": {"editable": True}},
        {"url": "https://git.example.com/kkpgen.git", "vcs_info": {"commit_id": "main"}},
    ],
    ids=["no-record", "editable", "not-a-sha"],
)
def test_a_checkout_runs_its_head(
    record: dict[str, object] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _installed(monkeypatch, record)
    head = _package_in(monkeypatch, tmp_path / "kkpgen", "generator")
    assert pinning.running_commit() == head


def test_a_package_that_is_not_kkpgens_checkout_has_no_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kkpgen installed into a venv inside the user's fleet repository: that repository's
    HEAD is not a kkpgen commit."""
    _installed(monkeypatch, None)
    _package_in(monkeypatch, tmp_path / "fleet", ".venv/lib/site-packages/kkpgen")
    assert pinning.running_commit() is None


def test_a_package_outside_any_repository_has_no_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> object:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    (tmp_path / "generator").mkdir()
    monkeypatch.setattr(kkpgen, "__file__", str(tmp_path / "generator" / "__init__.py"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert pinning.running_commit() is None
