"""The output tree is replaced all at once, only when kkpgen owns it, and one run at a time."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError
from kkpgen.models.layout import OWNER_MARKER
from kkpgen.output import staging
from kkpgen.output.staging import (
    StagedTree,
    Stager,
    check_owned,
    commit,
    discard,
    output_lock,
    replace_folder,
)
from kkpgen.output.workers import share_of
from tests.conftest import CONFIG, RenderFleet, Repo, cluster_yaml, files_and_links
from tests.output.staging_helpers import stage_tree

# argocd/ follows the waves: a changed wave makes the one-folder path update it too
ARGO_CONFIG = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n'
    '    kkpgen/seed-destination: "seed-1"\n',
    1,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_commit_swaps_the_staged_tree_in_and_removes_what_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n"), ("b/y.yaml", b"2\n")], out=out))
    commit(stage_tree([("a/x.yaml", b"3\n")], out=out))
    assert _tree(out) == {"a/x.yaml": b"3\n", OWNER_MARKER: _tree(out)[OWNER_MARKER]}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_files_are_written_with_mode_644(tmp_path: Path) -> None:
    commit(stage_tree([("a/x.yaml", b"1\n")], out=tmp_path / "out"))
    assert (tmp_path / "out/a/x.yaml").stat().st_mode & 0o777 == 0o644


def test_discarded_stage_leaves_out_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    before = _tree(out)
    staged = stage_tree([("a/x.yaml", b"changed\n")], out=out)
    discard(staged)
    assert _tree(out) == before
    assert not staged.root.exists()


def test_keep_copies_folders_of_the_previous_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n"), ("b/y.yaml", b"2\n")], out=out))
    commit(stage_tree([("a/x.yaml", b"9\n")], out=out, keep=["b"]))
    assert (out / "b/y.yaml").read_bytes() == b"2\n"
    assert (out / "a/x.yaml").read_bytes() == b"9\n"


def test_a_folder_kkpgen_did_not_write_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    with pytest.raises(KkpgenError) as caught:
        check_owned(out)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert caught.value.diagnostics[0].code == "output.refused"


def test_writing_outside_the_tree_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KkpgenError):
        stage_tree([("../escape.yaml", b"x")], out=tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")] == []


def test_a_second_run_on_the_same_out_is_refused_while_the_first_holds_the_lock(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with output_lock(out), pytest.raises(KkpgenError) as caught, output_lock(out):
        pass
    assert "another kkpgen run" in caught.value.diagnostics[0].message


def test_the_lock_leaves_nothing_beside_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(out):
        commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_names_of_one_out_share_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(out)
    with output_lock(out), pytest.raises(KkpgenError) as caught, output_lock(alias):
        pass
    assert "another kkpgen run" in caught.value.diagnostics[0].message


def test_the_stager_forgets_unshared_contents_but_keeps_linking_shared_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "_CONTENTS_REMEMBERED", 4)
    with Stager(tmp_path / "out") as stager:
        stager.write("a/crd.yaml", b"shared\n")
        stager.write("b/crd.yaml", b"shared\n")  # linked: remembered from now on
        for index in range(10):  # unique contents: forgotten every 4
            stager.write(f"c{index}/own.yaml", f"own {index}\n".encode())
        stager.write("z/crd.yaml", b"shared\n")
        assert len(stager.contents) <= 4 + 1
        staged = stager.finish()
    root = staged.root
    inodes = {(root / p).stat().st_ino for p in ("a/crd.yaml", "b/crd.yaml", "z/crd.yaml")}
    assert len(inodes) == 1
    assert (root / "c7/own.yaml").read_bytes() == b"own 7\n"
    assert stager.count == 13
    discard(staged)


def test_worker_shares_are_contiguous_cover_everything_and_differ_by_one_at_most() -> None:
    items = list(range(11))
    for jobs in (1, 2, 3, 4):
        shares = [list(share_of(items, index, jobs)) for index in range(jobs)]
        assert [i for share in shares for i in share] == items
        assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_a_file_with_the_most_links_allowed_is_written_again_and_linked_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    full = {"a/crd.yaml"}

    def link(source: str, target: str) -> None:
        if source.endswith(tuple(full)):
            raise OSError(errno.EMLINK, os.strerror(errno.EMLINK))
        real_link(source, target)

    monkeypatch.setattr(os, "link", link)
    with Stager(tmp_path / "out") as stager:
        for folder in ("a", "b", "c"):
            stager.write(f"{folder}/crd.yaml", b"shared\n")
        staged = stager.finish()
    root = staged.root
    assert [(root / f"{f}/crd.yaml").read_bytes() for f in "abc"] == [b"shared\n"] * 3
    assert (root / "b/crd.yaml").stat().st_ino == (root / "c/crd.yaml").stat().st_ino
    assert (root / "a/crd.yaml").stat().st_ino != (root / "b/crd.yaml").stat().st_ino
    discard(staged)


def test_only_a_folder_kkpgen_marked_or_an_empty_one_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    check_owned(out)  # missing: made by the render
    out.mkdir()
    check_owned(out)  # empty
    (out / OWNER_MARKER).write_text("")
    (out / "c1").mkdir()
    check_owned(out)  # kkpgen's
    (out / OWNER_MARKER).unlink()
    with pytest.raises(KkpgenError) as caught:
        check_owned(out)
    (refused,) = caught.value.diagnostics
    assert (refused.location.file, refused.field) == (str(out), "")  # a folder, no spec field
    assert refused.message == f"{out} holds files kkpgen did not write"
    assert refused.hint == (
        f"choose an empty or new --out folder (kkpgen marks its own with {OWNER_MARKER})"
    )
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(KkpgenError) as caught:
        check_owned(file)
    (refused,) = caught.value.diagnostics
    assert (refused.message, refused.hint) == (
        f"{file} exists and is not a folder",
        "choose another --out",
    )
    assert caught.value.exit_code == ExitCode.ENVIRONMENT


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        (".out.tmp-abcd_123", True),  # mkdtemp's 8 characters
        (".out.tmp-abcd123", False),
        (".out.tmp-abcd12345", False),
        (".out.tmp-ABCD1234", False),
        (".out.old-1", True),
        (".out.old-", False),
        (".out.old-12x", False),
        (".out.rec-42", True),
        (".out.rec-", False),
        ("x.out.tmp-abcd1234", False),
        (".outer.tmp-abcd1234", False),
        (".out.new-12", False),
    ],
)
def test_only_what_a_killed_run_left_is_removed_beside_out(
    tmp_path: Path, name: str, removed: bool
) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / "x").write_text("")
    (tmp_path / f"{name}-file").write_text("")
    staging.remove_leftovers(tmp_path / "out")
    assert (tmp_path / name).exists() is not removed
    assert (tmp_path / f"{name}-file").exists()


def test_a_link_named_like_a_leftover_is_kept_and_not_followed(tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "x").write_text("mine")
    (tmp_path / ".out.tmp-abcd1234").symlink_to(tmp_path / "precious")
    (tmp_path / ".out.rec-1").write_text("")
    staging.remove_leftovers(tmp_path / "out")
    assert (tmp_path / ".out.tmp-abcd1234").is_symlink()
    assert (tmp_path / "precious" / "x").read_text() == "mine"
    assert not (tmp_path / ".out.rec-1").exists()


def test_a_cluster_s_listing_holds_the_files_written_below_it_since_the_last(
    tmp_path: Path,
) -> None:
    with Stager(tmp_path / "out") as stager:
        stager.write("c1/seed/a.yaml", b"a")
        stager.write("c10/seed/a.yaml", b"bb")
        stager.write("c1/user-cluster/b.yaml", b"")
        listing = stager.take_listing("c1/")
        stager.write("c2/seed/a.yaml", b"a")
        again = stager.take_listing("c2/")
        assert stager.take_listing("c1/") == []
        staged = stager.finish()
    digest = hashlib.blake2b(b"a", digest_size=16).digest()
    empty = hashlib.blake2b(b"", digest_size=16).digest()
    assert listing == [("seed/a.yaml", digest, 1), ("user-cluster/b.yaml", empty, 0)]
    assert again == [("seed/a.yaml", digest, 1)]
    assert stager.count == 4
    marker = staged.root / OWNER_MARKER
    assert (
        marker.read_text() == "This folder is written by kkpgen; changes made by hand are lost.\n"
    )
    assert staged.root.stat().st_mode & 0o777 == 0o755
    discard(staged)


def test_the_folders_remembered_are_bounded_and_made_again_when_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "_FOLDERS_REMEMBERED", 3)
    with Stager(tmp_path / "out") as stager:
        for index in range(6):
            stager.write(f"c{index}/seed/x.yaml", f"{index}".encode())
            assert len(stager.made) <= 3
        stager.write("c0/seed/y.yaml", b"y")  # its folder was forgotten, and exists
        staged = stager.finish()
    assert (staged.root / "c0/seed/y.yaml").read_bytes() == b"y"
    assert (staged.root / "c5/seed/x.yaml").read_bytes() == b"5"
    discard(staged)


def test_foreign_entries_are_carried_over_as_they_are(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".git" / "objects").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/deploy\n")
    (out / "README.md").write_text("ours\n")
    (out / "docs").symlink_to(tmp_path)
    with Stager(out) as stager:
        stager.keep_foreign([".git", "README.md", "docs"])
        staged = stager.finish()
    root = staged.root
    assert (root / ".git" / "HEAD").read_text() == "ref: refs/heads/deploy\n"
    assert (root / ".git" / "objects").is_dir()
    assert (root / "README.md").stat().st_ino == (out / "README.md").stat().st_ino
    assert (root / "docs").readlink() == tmp_path
    discard(staged)


def _staged_folder(out: Path, name: str | None) -> StagedTree:
    files = [(f"{name}/x.yaml", b"new\n")] if name else []
    return stage_tree(files, out=out)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_one_folder_is_swapped_in_added_or_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"old\n"), ("b/x.yaml", b"old\n")], out=out))
    if not exchange:  # macOS, NFS, a C library without renameat2: two renames
        monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    replace_folder(_staged_folder(out, "a"), "a")  # swapped
    replace_folder(_staged_folder(out, "c"), "c")  # added
    replace_folder(_staged_folder(out, None), "b")  # staged empty: removed
    replace_folder(_staged_folder(out, None), "d")  # neither: nothing
    assert _tree(out) == {
        "a/x.yaml": b"new\n",
        "c/x.yaml": b"new\n",
        OWNER_MARKER: _tree(out)[OWNER_MARKER],
    }
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_without_an_exchange_commit_renames_through_a_backup_and_restores_it_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    commit(stage_tree([("a/x.yaml", b"2\n")], out=out))
    assert (out / "a/x.yaml").read_bytes() == b"2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    staged = stage_tree([("a/x.yaml", b"3\n")], out=out)
    real = Path.rename

    def failing(self: Path, target: Path) -> Path:
        if self == staged.root:
            raise OSError(errno.EIO, "I/O error")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError, match="I/O error"):
        commit(staged)
    assert (out / "a/x.yaml").read_bytes() == b"2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_there_is_no_exchange_but_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("")
    monkeypatch.setattr("sys.platform", "darwin")
    assert staging._exchange(tmp_path / "a", tmp_path / "b") is False
    assert (tmp_path / "a" / "x").exists()


def test_a_file_of_out_that_cannot_be_removed_is_an_environment_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    staging.remove_file(tmp_path / "out", "missing")  # nothing to remove: fine

    def refused(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refused)
    with pytest.raises(KkpgenError) as caught:
        staging.remove_file(tmp_path / "out", ".kkpgen-inputs.json")
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    (problem,) = caught.value.diagnostics
    assert problem.message == f"cannot write beside {tmp_path / 'out'}: Permission denied"
    assert problem.hint == "make the parent folder of --out writable (and check free disk space)"


def test_without_renameat2_in_the_c_library_commit_renames_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """musl and glibc before 2.28 have no renameat2."""
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    monkeypatch.setattr("ctypes.CDLL", lambda *args, **kwargs: object())
    commit(stage_tree([("a/x.yaml", b"2\n")], out=out))
    assert (out / "a/x.yaml").read_bytes() == b"2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_exchange_that_fails_says_why(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    with pytest.raises(FileNotFoundError):
        staging._exchange(tmp_path / "missing", tmp_path / "b")


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP])
def test_where_the_file_system_cannot_exchange_commit_renames_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """An exchange refused by the kernel or the file system (NFS, an old kernel)."""

    class Library:
        @staticmethod
        def renameat2(*args: object) -> int:
            return -1

    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    monkeypatch.setattr("ctypes.CDLL", lambda *args, **kwargs: Library())
    monkeypatch.setattr("ctypes.get_errno", lambda: code)
    commit(stage_tree([("a/x.yaml", b"2\n")], out=out))
    assert (out / "a/x.yaml").read_bytes() == b"2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_commit_exchanges_the_folders_in_one_step_where_it_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With renameat2 there is no moment without <out> (issue 7: a SIGKILL between two
    renames lost it). A link at <out> is never exchanged: render_fleet swaps the folder it
    names (test_output_folder.py)."""
    out = tmp_path / "out"
    commit(stage_tree([("a/x.yaml", b"1\n")], out=out))
    exchanged: list[tuple[Path, Path]] = []
    real = staging._exchange

    def spy(a: Path, b: Path) -> bool:
        exchanged.append((a, b))
        return real(a, b)

    monkeypatch.setattr(staging, "_exchange", spy)
    staged = stage_tree([("a/x.yaml", b"2\n")], out=out)
    commit(staged)
    assert exchanged == [(staged.root, out)]
    assert (out / "a/x.yaml").read_bytes() == b"2\n"
    (tmp_path / "link").symlink_to(out)
    exchanged.clear()
    staged = stage_tree([("a/x.yaml", b"3\n")], out=tmp_path / "link")
    commit(staged)
    assert exchanged == []


def test_without_an_exchange_a_render_of_one_changed_cluster_swaps_its_folder_in(
    make_repo: Callable[..., Repo],
    tmp_path: Path,
    render_fleet: RenderFleet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """macOS, NFS, musl: the one-folder path and argocd/'s update rename twice, as commit
    does (they refused with "renameat2 exchange is not available", exit 4)."""
    monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    specs = {f"clusters/{n}.yaml": cluster_yaml(n) for n in ("c1", "c2")}
    repo = make_repo(base=specs, config=ARGO_CONFIG)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    render_fleet(repo.path, out=out)
    repo.write({"clusters/c1.yaml": cluster_yaml("c1", labels="kkpgen/rollout-wave: '2'\n")})
    render_fleet(repo.path, out=out)
    render_fleet(repo.path, out=fresh)
    assert files_and_links(out) == files_and_links(fresh)
    assert sorted(p.name for p in out.parent.iterdir()) == ["fresh", "out", "repo"]  # no leftover


def test_a_staging_folder_that_cannot_be_made_is_an_environment_error_with_signals_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(**_: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    with pytest.raises(KkpgenError) as caught:
        Stager(tmp_path / "out")
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    (problem,) = caught.value.diagnostics
    assert problem.message == f"cannot write beside {tmp_path / 'out'}: No space left on device"
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == held  # SIGTERM not left held
    assert list(tmp_path.iterdir()) == []
