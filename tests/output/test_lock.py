"""The lock on a shared machine: a private folder or a refusal, never a file opened through a
link, and a relative XDG_RUNTIME_DIR ignored (XDG base directory specification)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError
from kkpgen.output.staging import lock_path, output_lock
from tests.conftest import ROOT

NOBODY = 65534


@pytest.fixture
def no_runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No XDG_RUNTIME_DIR: the fallback below a temporary folder of this test's own."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp: anyone may create a folder here
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    return shared / f"kkpgen-{os.getuid()}"


def _refusal(out: Path) -> str:
    with pytest.raises(KkpgenError) as caught, output_lock(out):
        pass
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    (diagnostic,) = caught.value.diagnostics
    return f"{diagnostic.message}\n{diagnostic.hint}"


def test_the_fallback_lock_folder_is_made_private(tmp_path: Path, no_runtime_dir: Path) -> None:
    with output_lock(tmp_path / "out"):
        pass
    assert stat.S_IMODE(no_runtime_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((no_runtime_dir / "kkpgen-locks").stat().st_mode) == 0o700


def test_a_fallback_folder_made_by_another_user_is_refused(
    tmp_path: Path, no_runtime_dir: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder to another user")
    no_runtime_dir.mkdir(mode=0o777)
    no_runtime_dir.chmod(0o777)
    os.chown(no_runtime_dir, NOBODY, NOBODY)
    text = _refusal(tmp_path / "out")
    assert f"{no_runtime_dir} belongs to another user (uid {NOBODY})" in text
    assert "XDG_RUNTIME_DIR" in text
    assert list(no_runtime_dir.iterdir()) == []  # nothing made in it


def test_a_fallback_folder_of_another_uid_is_refused_whoever_runs(
    tmp_path: Path, no_runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_runtime_dir.mkdir(mode=0o700)
    real = os.getuid()
    monkeypatch.setattr(os, "geteuid", lambda: real + 4242)
    monkeypatch.setattr(os, "getuid", lambda: real)
    assert "belongs to another user" in _refusal(tmp_path / "out")


def test_a_fallback_folder_others_can_write_is_refused(
    tmp_path: Path, no_runtime_dir: Path
) -> None:
    no_runtime_dir.mkdir()
    no_runtime_dir.chmod(0o777)
    assert "can be written by other users" in _refusal(tmp_path / "out")


def test_a_fallback_folder_that_is_a_link_is_refused(tmp_path: Path, no_runtime_dir: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    no_runtime_dir.symlink_to(elsewhere)
    assert "symbolic link" in _refusal(tmp_path / "out")
    assert list(elsewhere.iterdir()) == []


def test_a_lock_file_planted_as_a_link_is_not_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    out = tmp_path / "out"
    path = lock_path(out)
    path.parent.mkdir(mode=0o700)
    victim = tmp_path / "home" / "victim"
    path.symlink_to(victim)
    text = _refusal(out)
    assert f"cannot lock {out}" in text
    assert not victim.exists()


def test_a_relative_runtime_dir_is_ignored(
    tmp_path: Path, no_runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "run")
    (tmp_path / "run").mkdir(mode=0o700)
    with output_lock(tmp_path / "out"):
        pass
    assert list((tmp_path / "run").iterdir()) == []
    assert lock_path(tmp_path / "out").parent == no_runtime_dir / "kkpgen-locks"


def test_a_runtime_dir_others_can_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir()
    runtime.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert "can be written by other users" in _refusal(tmp_path / "out")


def test_the_lock_is_where_the_docs_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/shared-machines.md: `$XDG_RUNTIME_DIR/kkpgen-locks`, one file per output folder."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with output_lock(tmp_path / "out"):
        (held,) = (runtime / "kkpgen-locks").iterdir()
    assert held == lock_path(tmp_path / "out")
    assert held.name.endswith(".lock")
    docs = (ROOT / "docs" / "shared-machines.md").read_text(encoding="utf-8")
    assert "| locks | `$XDG_RUNTIME_DIR/kkpgen-locks`" in docs
