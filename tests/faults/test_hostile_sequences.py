"""Any sequence of edits, renders (full, --cluster, --shard, on a file system without hard
links) and tampering with the committed tree (links planted in cluster folders, files added
or edited there, entries kkpgen did not write at the top, a folder's record edited): then a
full render gives a fresh render's tree, with the entries kkpgen did not write kept as they
were, nothing followed out of <out>, and nothing left beside it (issue 23)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkpgen.cli import main
from kkpgen.models.layout import record_path
from tests.conftest import CONFIG, cluster_yaml, files_and_links, git

NAMES = ("alpha", "bravo", "charlie")
FOREIGN = {"README.md": b"the deploy branch\n", ".github/CODEOWNERS": b"* @platform\n"}


def _render(repo: Path, out: Path, *flags: str, hard_links: bool = True) -> int:
    argv = ["render", "--repo", str(repo), "--out", str(out), *flags]
    if hard_links:
        return CliRunner().invoke(main, argv, catch_exceptions=False).exit_code
    refused = OSError(errno.EPERM, "Operation not permitted")
    with mock.patch.object(os, "link", side_effect=refused):
        return CliRunner().invoke(main, argv, catch_exceptions=False).exit_code


def _spec(repo: Path, name: str, patch: int) -> None:
    text = cluster_yaml(name, version=f'"1.23.{patch}"')
    (repo / "clusters" / f"{name}.yaml").write_text(text)


def _tamper(out: Path, how: str, name: str, outside: Path) -> None:
    folder = out / name
    if not folder.is_dir() or folder.is_symlink():
        return
    if how == "link":
        (folder / "seed" / "ssh").unlink(missing_ok=True)
        (folder / "seed" / "ssh").symlink_to(outside)
    elif how == "add":
        (folder / "user-cluster" / "extra.yaml").write_text("kind: Secret\n")
    elif how == "edit":
        manifest = next(p for p in sorted(folder.rglob("*.yaml")) if p.is_file())
        manifest.write_bytes(manifest.read_bytes()[:-2] + b"x\n")
    elif how == "record":  # the folder's own record: the same lines, other bytes
        record = out / record_path(name)
        record.write_bytes(record.read_bytes() + b"\n")


STEP = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(NAMES), st.integers(6, 8)),
    st.tuples(
        st.just("tamper"),
        st.sampled_from(["link", "add", "edit", "record"]),
        st.sampled_from(NAMES),
    ),
    st.tuples(st.just("foreign"), st.just(""), st.just("")),
    st.tuples(
        st.just("render"),
        st.sampled_from([(), ("--cluster", "alpha"), ("--shard", "1/2"), ("--shard", "2/2")]),
        st.booleans(),
    ),
)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=5))
def test_any_sequence_of_hostile_changes_then_a_full_render_is_a_fresh_render(
    steps: list[tuple[object, ...]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    repo, out, outside = root / "repo", root / "work" / "out", root / "home" / ".ssh"
    outside.mkdir(parents=True)
    (outside / "id_ed25519").write_text("PRIVATE KEY\n")
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    for name in NAMES:
        _spec(repo, name, 6)
    git(repo, "init", "-q", "-b", "main")
    assert _render(repo, out) == 0
    planted = False
    for action, first, second in steps:
        if action == "edit":
            _spec(repo, str(first), int(str(second)))
        elif action == "tamper":
            _tamper(out, str(first), str(second), outside)
        elif action == "foreign":
            for path, data in FOREIGN.items():
                (out / path).parent.mkdir(exist_ok=True)
                (out / path).write_bytes(data)
            planted = True
        else:
            flags = tuple(str(f) for f in first)  # type: ignore[attr-defined]
            assert _render(repo, out, *flags, hard_links=bool(second)) == 0
    assert _render(repo, out) == 0
    fresh = root / "fresh"
    assert _render(repo, fresh) == 0
    found = files_and_links(out)
    if planted:
        assert {k: found.pop(k) for k in FOREIGN} == FOREIGN
    assert found == files_and_links(fresh)
    assert files_and_links(outside) == {"id_ed25519": b"PRIVATE KEY\n"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    shutil.rmtree(root)
