"""Keeping folders reads each distinct file once: the others are hard links to it, found by
the inode of their folder listing. What a folder holds is still checked whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kkpgen.models.options import SourceOptions
from kkpgen.output import tree, update
from tests.conftest import CONFIG, cluster_yaml


def _fleet(root: Path, count: int) -> Path:
    (root / "clusters").mkdir(parents=True)
    (root / "kubermatic.yaml").write_text(CONFIG)
    for index in range(count):
        name = f"c{index}"
        (root / "clusters" / f"{name}.yaml").write_text(cluster_yaml(name))
    return root


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = tree.read_regular

    def counting(path: str, limit: int) -> tuple[bytes, os.stat_result] | None:
        seen.append(path)
        return real(path, limit)

    monkeypatch.setattr(tree, "read_regular", counting)
    return seen


def _render(repo: Path, out: Path) -> update.RenderResult:
    return update.render_fleet(SourceOptions(repo=repo), update.RenderOptions(out=out))


def test_an_unchanged_render_reads_each_distinct_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, out = _fleet(tmp_path / "repo", 3), tmp_path / "out"
    _render(repo, out)
    inodes = {
        (p.stat().st_dev, p.stat().st_ino)
        for p in out.glob("c*/**/*")
        if p.is_file() and p.name != ".kkpgen-cluster"
    }
    reads = _reads(monkeypatch)
    assert _render(repo, out).rendered == 0
    kept = [p for p in reads if p.startswith(f"{out}/c") and not p.endswith(".kkpgen-cluster")]
    assert len(kept) == len(inodes) < sum(1 for p in out.glob("c*/**/*") if p.is_file())


def test_a_file_edited_in_place_is_found_in_every_folder_that_links_it(tmp_path: Path) -> None:
    repo, out = _fleet(tmp_path / "repo", 3), tmp_path / "out"
    _render(repo, out)
    shared = out / "c0" / "user-cluster" / "kube-proxy" / "serviceaccount-kube-proxy.yaml"
    linked = [p for p in out.glob("c*/user-cluster/kube-proxy/*") if p.samefile(shared)]
    assert len(linked) == 3  # one inode, three folders
    text = shared.read_text()
    with shared.open("w") as stream:  # the same inode, other bytes of the same size
        stream.write(text.replace("kube-proxy", "kube-proxz", 1))
    assert _render(repo, out).rendered == 3
    assert all(p.read_text() == text for p in linked)


def test_a_link_where_a_linked_file_was_is_not_kept(tmp_path: Path) -> None:
    repo, out = _fleet(tmp_path / "repo", 2), tmp_path / "out"
    _render(repo, out)
    path = out / "c1" / "user-cluster" / "kube-proxy" / "serviceaccount-kube-proxy.yaml"
    original = out / "c0" / "user-cluster" / "kube-proxy" / "serviceaccount-kube-proxy.yaml"
    path.unlink()
    path.symlink_to(original)  # the same bytes, through a link
    assert _render(repo, out).rendered == 1
    assert not path.is_symlink()
