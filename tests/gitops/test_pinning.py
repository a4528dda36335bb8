"""Which commit kkpgen runs from (what `init --kkpgen-repo` pins): pip's record of a git
install, else the checkout kkpgen's package is in, and never some other repository's."""

from __future__ import annotations

import json
import os
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


def _clone(tmp_path: Path, *, tag: str | None = None) -> tuple[str, str]:
    """A bare kkpgen clone of one commit (tagged `tag` if given): its URL and commit."""
    work = tmp_path / "work"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README").write_text("kkpgen\n")
    commit_all(work, "one")
    if tag:
        identity = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
        git(work, *identity, "tag", "-a", tag, "-m", tag)  # annotated, as released
    bare = tmp_path / "kkpgen.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare.as_uri(), git(bare, "rev-parse", "HEAD").strip()


def test_a_clone_that_has_the_running_commit_is_pinned_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, commit = _clone(tmp_path, tag=pinning.release_tag())
    monkeypatch.setattr(pinning, "running_commit", lambda: commit)
    found = pinning.pin(url)
    assert found is not None
    assert found.rev == commit
    assert found.note.endswith(f", commit {commit[:12]}")


def test_a_clone_without_the_running_commit_is_pinned_to_the_tag_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pinning, "running_commit", lambda: SHA)
    tag = pinning.release_tag()
    url, _ = _clone(tmp_path / "tagged", tag=tag)
    assert pinning.pin(url) == pinning.Pin(tag, f"kkpgen {tag}")
    other, _ = _clone(tmp_path / "untagged")
    assert pinning.pin(other) is None


def test_a_remote_that_cannot_tell_is_pinned_to_the_running_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`git ls-remote` lists only the commits refs point at: a remote (or one that cannot
    be read) gets the commit kkpgen runs, which CI then fetches by its SHA."""
    monkeypatch.setattr(pinning, "running_commit", lambda: SHA)
    monkeypatch.setattr(pinning, "_git", lambda *args, cwd=None: None)
    found = pinning.pin("https://git.example.com/platform/kkpgen.git")
    assert found is not None
    assert found.rev == SHA


def test_git_never_waits_for_a_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private https remote would make git ask for a password on the terminal, and `init`
    (or CI) would hang: every git call runs with GIT_TERMINAL_PROMPT=0."""
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "prompt=$GIT_TERMINAL_PROMPT"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    assert pinning._git("ls-remote", "https://git.example.com/private.git") == "prompt=0\n"
