"""The committed output tree is input, and hostile: a kept folder is re-rendered when it
holds anything kkpgen did not write, no link is followed, what kkpgen did not write at the
top of <out> is kept, and `render --check` reads nothing through a link (issue 23)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kkpgen.cli import main
from kkpgen.models.layout import ARGOCD_DIR, CLUSTER_RECORD
from kkpgen.output import staging
from tests.conftest import CONFIG, cluster_yaml, files_and_links, git

NAMES = ("alpha", "bravo", "charlie")


class Fleet:
    def __init__(self, root: Path) -> None:
        self.root, self.repo, self.out = root, root / "repo", root / "out"
        (self.repo / "clusters").mkdir(parents=True)
        (self.repo / "kubermatic.yaml").write_text(CONFIG)
        for name in NAMES:
            self.spec(name, 6)
        git(self.repo, "init", "-q", "-b", "main")
        assert self.render().exit_code == 0

    def spec(self, name: str, patch: int) -> None:
        text = cluster_yaml(name, version=f'"1.23.{patch}"')
        (self.repo / "clusters" / f"{name}.yaml").write_text(text)

    def render(self, *args: str, out: Path | None = None) -> Result:
        argv = ["render", "--repo", str(self.repo), "--out", str(out or self.out), *args]
        return CliRunner().invoke(main, argv, catch_exceptions=False)

    def fresh(self) -> dict[str, bytes | str]:
        """What a render of the repository into an empty folder writes."""
        fresh = self.root / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        assert self.render(out=fresh).exit_code == 0
        return files_and_links(fresh)


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return Fleet(tmp_path)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A fake ~/.ssh outside the repository and <out>."""
    folder = tmp_path / "home" / ".ssh"
    folder.mkdir(parents=True)
    (folder / "id_ed25519").write_text("PRIVATE KEY\n")
    return folder


def _inodes(root: Path) -> set[int]:
    return {p.lstat().st_ino for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


# A change that takes the full path (two clusters change: no one-folder swap), one that
# swaps one folder, and none at all.
CHANGES = {"full": ("bravo", "charlie"), "one-folder": ("bravo",), "none": ()}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_link_in_a_kept_folder_is_never_followed_and_the_folder_is_rendered_again(
    fleet: Fleet, secret: Path, change: str
) -> None:
    (fleet.out / "alpha" / "user-cluster" / "ssh").symlink_to(secret)
    (fleet.out / "alpha" / "key.yaml").symlink_to(secret / "id_ed25519")
    for name in CHANGES[change]:
        fleet.spec(name, 7)
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert files_and_links(fleet.out) == fleet.fresh()
    assert not _inodes(fleet.out) & _inodes(secret)  # no hard link to the outside file


@pytest.mark.parametrize(
    "tamper",
    ["added-file", "edited-same-size", "record-lists-more", "fifo", "record-is-a-link"],
)
def test_a_kept_folder_holding_anything_kkpgen_did_not_write_is_rendered_again(
    fleet: Fleet, tamper: str, tmp_path: Path
) -> None:
    folder = fleet.out / "alpha"
    manifest = next(p for p in sorted(folder.rglob("*.yaml")) if p.name != "kustomization.yaml")
    if tamper == "added-file":
        (folder / "user-cluster" / "extra.yaml").write_text("kind: Secret\n")
    elif tamper == "edited-same-size":
        data = manifest.read_bytes()
        manifest.write_bytes(data[:-2] + b"x\n")
    elif tamper == "record-lists-more":
        record = folder / CLUSTER_RECORD
        record.write_bytes(record.read_bytes() + b"file 00 1 gone.yaml\n")
    elif tamper == "fifo":
        os.mkfifo(folder / "seed" / "pipe")
    else:
        record = folder / CLUSTER_RECORD
        record.rename(tmp_path / "record")
        record.symlink_to(tmp_path / "record")
    fleet.spec("bravo", 7)
    fleet.spec("charlie", 7)
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert files_and_links(fleet.out) == fleet.fresh()
    assert not (folder / "seed" / "pipe").exists()


def test_a_cluster_folder_that_is_a_link_is_replaced_not_followed(
    fleet: Fleet, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (fleet.out / "alpha").rename(elsewhere)
    (fleet.out / "alpha").symlink_to(elsewhere)
    before = files_and_links(elsewhere)
    fleet.spec("bravo", 7)
    fleet.spec("charlie", 7)
    assert fleet.render().exit_code == 0
    assert files_and_links(fleet.out) == fleet.fresh()
    assert files_and_links(elsewhere) == before


def test_entries_kkpgen_did_not_write_at_the_top_of_out_are_kept(
    fleet: Fleet, secret: Path
) -> None:
    (fleet.out / "README.md").write_text("the deploy branch\n")
    (fleet.out / ".github").mkdir()
    (fleet.out / ".github" / "CODEOWNERS").write_text("* @platform\n")
    (fleet.out / "keys").symlink_to(secret)
    fleet.spec("bravo", 7)
    fleet.spec("charlie", 7)
    assert fleet.render().exit_code == 0
    found = files_and_links(fleet.out)
    assert found["README.md"] == b"the deploy branch\n"
    assert found[".github/CODEOWNERS"] == b"* @platform\n"
    assert found["keys"] == f"-> {secret}"  # still a link, never followed
    assert {
        k: v for k, v in found.items() if k not in ("README.md", ".github/CODEOWNERS", "keys")
    } == fleet.fresh()
    check = fleet.render("--check")
    assert check.exit_code == 0, check.stderr  # what render keeps is not drift


def test_rendering_into_a_deploy_branch_checkout_keeps_its_git_folder(fleet: Fleet) -> None:
    """`kkpgen/argocd-path: .` (docs/argocd.md, way 2): <out> is a checkout of the deploy
    branch. A full render deleted its .git with exit 0."""
    git(fleet.out, "init", "-q", "-b", "rendered")
    git(fleet.out, "add", "-A")
    git(fleet.out, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "r1")
    fleet.spec("bravo", 7)
    fleet.spec("charlie", 7)
    assert fleet.render().exit_code == 0
    changed = {
        line[3:].split("/")[0] for line in git(fleet.out, "status", "--porcelain").splitlines()
    }
    assert changed == {"bravo", "charlie"}  # git sees the new render (no fleet-wide record)
    assert "r1" in git(fleet.out, "log", "--format=%s")


def test_render_check_reads_nothing_through_a_link(fleet: Fleet, secret: Path) -> None:
    manifest = next(p for p in sorted((fleet.out / "alpha").rglob("*.yaml")))
    manifest.unlink()
    manifest.symlink_to("/dev/zero")  # read whole, it exhausted memory
    (fleet.out / "bravo" / "seed").rename(fleet.root / "seed")
    (fleet.out / "bravo" / "seed").symlink_to(fleet.root / "seed")
    result = fleet.render("--check")
    assert result.exit_code == 1
    relative = manifest.relative_to(fleet.out).as_posix()
    assert f"  changed: {fleet.out}/{relative}\n" in result.stderr
    assert f"  extra: {fleet.out}/bravo/seed\n" in result.stderr  # the link itself
    assert f"  missing: {fleet.out}/bravo/seed/" in result.stderr


def test_render_check_prints_the_names_it_finds_escaped(fleet: Fleet) -> None:
    for name in ("\n::error file=x::forged", "<img src=x>", "\x1b[2Jclear"):
        (fleet.out / "alpha" / name).write_text("x\n")
    result = fleet.render("--check")
    assert result.exit_code == 1
    for line in result.stderr.split("\n"):
        assert line.isprintable(), repr(line)
        assert not line.lstrip().startswith("::"), line
    assert f"  extra: {fleet.out}/alpha/\\n::error file=x::forged\n" in result.stderr


def test_a_link_planted_at_the_record_s_temporary_name_is_not_written_through(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    (fleet.out.parent / ".out.rec-4242").symlink_to(victim)
    (fleet.repo / "clusters" / "alpha.yaml").write_text(
        cluster_yaml("alpha", version='"1.23.6"') + "# a comment: only the record changes\n"
    )
    assert fleet.render().exit_code == 0
    assert victim.read_text() == "keep\n"


@pytest.mark.parametrize("code", [errno.EPERM, errno.EXDEV], ids=["EPERM-vfat", "EXDEV"])
@pytest.mark.parametrize("change", ["full", "new-out"])
def test_without_hard_links_the_render_copies_and_stays_whole(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch, code: int, change: str
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    expected_first = fleet.fresh()
    monkeypatch.setattr(os, "link", no_links)
    if change == "full":  # keeps alpha (copied, not linked), renders bravo and charlie
        fleet.spec("bravo", 7)
        fleet.spec("charlie", 7)
        out = fleet.out
    else:
        out = fleet.root / "new"
    result = fleet.render(out=out)
    assert result.exit_code == 0, result.stderr
    monkeypatch.undo()
    assert files_and_links(out) == fleet.fresh() if change == "full" else expected_first
    assert all(p.stat().st_nlink == 1 for p in out.rglob("*") if p.is_file())


def test_a_full_disk_after_a_one_folder_swap_is_a_warning_not_a_failure(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder is swapped in, then argocd/ (made again from the records after it) cannot
    be written: exit 0 with a warning (it was exit 4 with <out> changed). A render that has
    only argocd/ to write fails there (exit 4, <out> as it was); the next render finds the
    folder current and makes argocd/."""
    argo = '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n'
    (fleet.repo / "kubermatic.yaml").write_text(CONFIG.replace("  annotations:\n", argo))
    assert fleet.render().exit_code == 0
    wave = cluster_yaml("bravo", version='"1.23.6"', labels='kkpgen/rollout-wave: "2"\n')
    (fleet.repo / "clusters" / "bravo.yaml").write_text(wave)  # bravo's folder and argocd/
    real = staging._write

    def full(root: Path, relative: str, data: bytes, made: set[str]) -> None:
        if relative.startswith(f"{ARGOCD_DIR}/"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(root, relative, data, made)

    monkeypatch.setattr(staging, "_write", full)
    result = fleet.render()
    monkeypatch.undo()
    assert result.exit_code == 0, result.stderr
    assert "warning[output.argocd-not-written]" in result.stderr
    assert "No space left on device: the cluster's folder was replaced" in result.stderr
    expected = fleet.fresh()
    now = files_and_links(fleet.out)
    assert {k: v for k, v in now.items() if not k.startswith(ARGOCD_DIR)} == {
        k: v for k, v in expected.items() if not k.startswith(ARGOCD_DIR)
    }
    assert now != expected  # argocd/ is stale
    # With no folder to swap in, argocd/ is all the render writes: a failure is the run's
    monkeypatch.setattr(staging, "_write", full)
    still_full = fleet.render()
    monkeypatch.undo()
    assert still_full.exit_code == 4, still_full.stderr
    assert "argocd-not-written" not in still_full.stderr
    assert "No space left on device" in still_full.stderr
    assert files_and_links(fleet.out) == now
    again = fleet.render()
    assert again.exit_code == 0, again.stderr
    assert "0 rendered" in again.stderr
    assert files_and_links(fleet.out) == expected
