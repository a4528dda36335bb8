"""The work tree and a ref read the same spec files: a link inside the repository is followed
in both, one leading out is refused by both; a Git LFS pointer is named as such (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkpgen.diagnostics import KkpgenError
from kkpgen.source.repository import SourceTree, read_tree
from tests.conftest import CONFIG, cluster_yaml, commit_all, git

LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 120\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "specs").mkdir()
    (repo / "kubermatic.yaml").write_text(CONFIG)
    (repo / "specs" / "c1.yaml").write_text(cluster_yaml("c1"))
    git(repo, "init", "-q", "-b", "main")
    return repo


def _both(repo: Path) -> tuple[SourceTree | str, SourceTree | str]:
    """What the work tree and HEAD read: the tree, or the diagnostics' codes and files."""
    commit_all(repo, "state")
    found: list[SourceTree | str] = []
    for ref in (None, "HEAD"):
        try:
            tree = read_tree(repo, ref)
            found.append(SourceTree(None, tree.files))
        except KkpgenError as error:
            found.append(" ".join(f"{d.code}@{d.location.file}" for d in error.diagnostics))
    return found[0], found[1]


@pytest.mark.parametrize(
    "target",
    ["../specs/c1.yaml", "./../specs/../specs/c1.yaml", "chain.yaml"],
    ids=["relative", "dotted", "link-to-link"],
)
def test_a_link_inside_the_repository_reads_the_same_from_the_work_tree_and_a_ref(
    repo: Path, target: str
) -> None:
    (repo / "clusters" / "chain.yaml").symlink_to("../specs/c1.yaml")
    (repo / "clusters" / "c1.yaml").symlink_to(target)
    work, head = _both(repo)
    assert work == head
    assert isinstance(work, SourceTree)
    assert [f.path for f in work.files] == [
        "clusters/c1.yaml",
        "clusters/chain.yaml",
        "kubermatic.yaml",
    ]


@pytest.mark.parametrize(
    "make",
    ["absolute-inside", "out-of-the-repository", "dangling", "loop", "to-a-folder"],
)
def test_a_link_that_cannot_be_read_at_a_ref_is_refused_by_both(repo: Path, make: str) -> None:
    link = repo / "clusters" / "c1.yaml"
    if make == "absolute-inside":
        link.symlink_to(repo / "specs" / "c1.yaml")
    elif make == "out-of-the-repository":
        (repo.parent / "outside.yaml").write_text(cluster_yaml("c1"))
        link.symlink_to("../../outside.yaml")
    elif make == "dangling":
        link.symlink_to("gone.yaml")
    elif make == "loop":
        link.symlink_to("c1.yaml")
    else:
        link.symlink_to("../specs")
    work, head = _both(repo)
    assert work == head == "source.symlink@clusters/c1.yaml"


def test_a_linked_clusters_folder_is_refused_not_read_only_in_the_work_tree(repo: Path) -> None:
    (repo / "clusters").rmdir()
    (repo / "clusters").symlink_to("specs")
    with pytest.raises(KkpgenError) as caught:
        read_tree(repo, None)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.location.file) == ("source.symlink", "clusters")
    assert "move the spec files into clusters/ itself" in diagnostic.hint


def test_a_git_lfs_pointer_is_named_as_such_in_both_readings(repo: Path) -> None:
    (repo / "clusters" / "c1.yaml").write_bytes(LFS)
    work, head = _both(repo)
    assert work == head == "source.lfs-pointer@clusters/c1.yaml"
    with pytest.raises(KkpgenError) as caught:
        read_tree(repo, None)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location.line == 1
    assert "a Git LFS pointer, not the spec file" in diagnostic.message
    assert "`git lfs pull`" in diagnostic.hint


def test_a_link_in_a_subfolder_resolves_from_its_own_folder(repo: Path) -> None:
    (repo / "clusters" / "eu").mkdir()
    (repo / "clusters" / "eu" / "c1.yaml").symlink_to("../../specs/c1.yaml")
    work, head = _both(repo)
    assert work == head
    assert isinstance(work, SourceTree)
    assert "clusters/eu/c1.yaml" in [f.path for f in work.files]
