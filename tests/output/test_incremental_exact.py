"""Class 2: incremental renders are exact (issue 14).

After any sequence of full, `--cluster` and `--shard` renders (and edits, and folders
deleted from <out>), a full render leaves <out> byte for byte as a fresh render of the same
repository would, also when any of those renders is killed at any write, link, rename,
replace or exchange. Each such operation in turn: tests/faults/test_fault_injection.py.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkpgen.cli import main
from kkpgen.render.contents import shard_names
from tests.conftest import CONFIG, cluster_yaml, git
from tests.faults.injection import render_exit_code, render_with_fault
from tests.good_fleet import assert_rejected, tree
from tests.output.memo_helpers import memo_file

ARGO = CONFIG.replace(
    '    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"\n',
    '    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"\n'
    '    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)
NAMES = ("alpha", "bravo", "charlie", "delta")


@dataclass(frozen=True)
class Fleet:
    repo: Path
    out: Path

    def render(self, *args: str, out: Path | None = None) -> Result:
        argv = ["render", "--repo", str(self.repo), "--out", str(out or self.out), *args]
        return CliRunner().invoke(main, argv, catch_exceptions=False)

    def write(self, name: str, text: str | None) -> None:
        path = self.repo / name
        if text is None:
            path.unlink()
        else:
            path.write_text(text)

    def fresh(self, tmp: Path) -> dict[str, bytes]:
        """What a render into a new folder gives for the repository as it is now."""
        out = tmp / "fresh"
        shutil.rmtree(out, ignore_errors=True)
        result = self.render(out=out)
        assert result.exit_code == 0, result.stderr
        return tree(out)


def version(name: str, minor: int) -> str:
    return cluster_yaml(name, version=f'"1.23.{minor}"')


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(ARGO)
    for name in NAMES:
        (repo / "clusters" / f"{name}.yaml").write_text(version(name, 6))
    git(repo, "init", "-q", "-b", "main")
    made = Fleet(repo, tmp_path / "out")
    result = made.render()
    assert result.exit_code == 0, result.stderr
    return made


def test_a_cluster_render_then_a_full_render_renders_the_clusters_it_skipped(
    fleet: Fleet, tmp_path: Path
) -> None:
    for name in NAMES:
        fleet.write(f"clusters/{name}.yaml", version(name, 7))
    assert fleet.render("--cluster", "alpha").exit_code == 0
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == fleet.fresh(tmp_path)


def test_a_shard_render_then_a_full_render_renders_the_other_shards(
    fleet: Fleet, tmp_path: Path
) -> None:
    for name in NAMES:
        fleet.write(f"clusters/{name}.yaml", version(name, 7))
    assert shard_names(list(NAMES), 1, 2) not in ([], list(NAMES))  # both shards hold some
    assert fleet.render("--shard", "1/2").exit_code == 0
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == fleet.fresh(tmp_path)


def test_a_cluster_render_keeps_the_old_folders_of_the_others_until_they_render(
    fleet: Fleet,
) -> None:
    before = tree(fleet.out)
    fleet.write("clusters/bravo.yaml", version("bravo", 7))
    assert fleet.render("--cluster", "alpha").exit_code == 0
    after = tree(fleet.out)
    assert {p: b for p, b in after.items() if p.startswith("bravo/")} == {
        p: b for p, b in before.items() if p.startswith("bravo/")
    }


def test_a_changed_argocd_repo_url_reaches_every_application(fleet: Fleet, tmp_path: Path) -> None:
    fleet.write("kubermatic.yaml", ARGO.replace("fleet.git", "moved.git"))
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    apps = [b for p, b in tree(fleet.out).items() if p.startswith("argocd/")]
    assert apps
    assert all(b"fleet.git" not in app for app in apps)
    assert tree(fleet.out) == fleet.fresh(tmp_path)


def test_a_changed_argocd_repo_url_reaches_argocd_after_a_cluster_render(
    fleet: Fleet, tmp_path: Path
) -> None:
    fleet.write("kubermatic.yaml", ARGO.replace("fleet.git", "moved.git"))
    assert fleet.render("--cluster", "alpha").exit_code == 0
    assert fleet.render().exit_code == 0
    assert tree(fleet.out) == fleet.fresh(tmp_path)


@pytest.mark.parametrize("deleted", [("alpha",), ("alpha", "bravo")], ids=["one", "two"])
def test_a_cluster_folder_deleted_from_out_is_restored(
    fleet: Fleet, deleted: tuple[str, ...]
) -> None:
    before = tree(fleet.out)
    for name in deleted:
        shutil.rmtree(fleet.out / name)
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == before


def test_a_cluster_folder_deleted_from_out_is_restored_with_a_change_elsewhere(
    fleet: Fleet, tmp_path: Path
) -> None:
    shutil.rmtree(fleet.out / "alpha")
    fleet.write("clusters/bravo.yaml", version("bravo", 7))
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == fleet.fresh(tmp_path)


def test_a_folder_is_current_only_by_its_own_record(fleet: Fleet, tmp_path: Path) -> None:
    """The top record leading the tree (a record written before a folder swap that then did
    not happen): the folder's own record names the inputs it was rendered from, so the next
    render renders it again."""
    old_alpha = tmp_path / "old-alpha"
    shutil.copytree(fleet.out / "alpha", old_alpha)
    fleet.write("clusters/alpha.yaml", version("alpha", 7))
    assert fleet.render().exit_code == 0
    shutil.rmtree(fleet.out / "alpha")
    shutil.copytree(old_alpha, fleet.out / "alpha")  # the new top record, the old folder
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == fleet.fresh(tmp_path)


@pytest.mark.parametrize("edit_back", [False, True], ids=["kept", "edited-back"])
def test_a_top_record_left_stale_by_a_folder_swap_is_repaired(
    fleet: Fleet, tmp_path: Path, edit_back: bool
) -> None:
    """A run killed between the one-folder exchange and rewriting the memo: the tree is new,
    the memo (in the user's cache) old. The next render finds the folder current by its own
    record and rewrites the memo; with the spec edited back it renders the folder again."""
    stale = memo_file(fleet.out).read_bytes()
    fleet.write("clusters/alpha.yaml", version("alpha", 7))
    assert fleet.render().exit_code == 0
    assert memo_file(fleet.out).read_bytes() != stale
    memo_file(fleet.out).write_bytes(stale)
    if edit_back:
        fleet.write("clusters/alpha.yaml", version("alpha", 6))
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == fleet.fresh(tmp_path)


@pytest.mark.parametrize("name", ["argocd"])
def test_a_cluster_cannot_take_the_name_of_a_folder_kkpgen_writes(fleet: Fleet, name: str) -> None:
    before = tree(fleet.out)
    fleet.write(f"clusters/{name}.yaml", cluster_yaml(name))
    result = fleet.render()
    assert_rejected(
        result,
        code="cluster.name.reserved",
        file=f"clusters/{name}.yaml",
        line=4,
        field="metadata.name",
    )
    assert tree(fleet.out) == before


# A render may be killed at the k-th call of one writer operation (os._exit, as SIGKILL
# leaves it): deterministic points, not random timing. Past the last call it completes.
KILL = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["write", "link"]), st.integers(1, 400)),
    st.tuples(st.sampled_from(["rename", "replace", "exchange"]), st.integers(1, 2)),
)
RENDER = st.one_of(
    st.tuples(st.just("full"), st.just("")),
    st.tuples(st.just("cluster"), st.sampled_from(NAMES)),
    st.tuples(st.just("shard"), st.sampled_from(["1/2", "2/2", "1/3", "3/3"])),
)
STEP = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(NAMES), st.integers(6, 9)),
    st.tuples(st.just("url"), st.sampled_from(["fleet", "moved"])),
    st.tuples(st.just("delete-folder"), st.sampled_from(NAMES)),
    st.tuples(st.just("render"), RENDER, KILL),
)


def _flags(kind: str, arg: str) -> tuple[str, ...]:
    return () if kind == "full" else (f"--{kind}", arg)


def _run(fleet: Fleet, step: tuple[object, ...]) -> None:
    action, arg = step[0], step[1]
    if action == "edit":
        fleet.write(f"clusters/{arg}.yaml", version(str(arg), int(str(step[2]))))
    elif action == "url":
        fleet.write("kubermatic.yaml", ARGO.replace("fleet.git", f"{arg}.git"))
    elif action == "delete-folder":
        shutil.rmtree(fleet.out / str(arg), ignore_errors=True)
    else:
        kind, name = cast(tuple[str, str], arg)  # a RENDER tuple
        argv = ["render", "--repo", str(fleet.repo), "--out", str(fleet.out)]
        argv += _flags(kind, name)
        kill = step[2]
        if kill is None:
            assert render_exit_code(argv) == 0
        else:
            operation, at = cast(tuple[str, int], kill)  # a KILL tuple
            assert render_with_fault(argv, operation, at, "kill") in (0, 137)


# 10 examples: about 20 s of CPU here (a render that may be killed runs in a fork)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=5))
def test_any_sequence_of_renders_and_kills_then_a_full_render_is_a_fresh_render(
    steps: list[tuple[object, ...]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Edits, full, --cluster and --shard renders, any of them killed at any write, link,
    rename, replace or exchange, and folders deleted from <out>: then a full render gives
    the tree and record of a fresh render into an empty folder, and nothing beside it."""
    root = tmp_path_factory.mktemp("sequence")
    repo = root / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(ARGO)
    for name in NAMES:
        (repo / "clusters" / f"{name}.yaml").write_text(version(name, 6))
    fleet = Fleet(repo, root / "work" / "out")
    assert fleet.render().exit_code == 0
    for step in steps:
        _run(fleet, step)
    result = fleet.render()
    assert result.exit_code == 0, result.stderr
    assert tree(fleet.out) == fleet.fresh(root)
    assert [p.name for p in fleet.out.parent.iterdir()] == ["out"]
