"""Broken repositories rather than broken files: symlinks leading out, refs that are missing
or cut off by a shallow clone, a git submodule below clusters/. Each is refused with its exit
code and leaves <out> as it was. A submodule is refused in the work tree and at a ref alike
(it was read from the work tree, and skipped at --ref)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kkpgen.cli import main
from tests.conftest import cluster_yaml, git
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected


@dataclass(frozen=True)
class Expect:
    code: str
    file: str  # "{repo}" stands for the repository's absolute path
    line: int | None = None
    exit_code: int = 1
    hint: str = ""


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)


def link_to_system_file(fleet: GoodFleet) -> list[str]:
    (fleet.repo / "clusters" / "evil.yaml").symlink_to("/etc/passwd")
    return []


def relative_link_out_of_the_repo(fleet: GoodFleet) -> list[str]:
    (fleet.repo.parent / "outside.yaml").write_text(cluster_yaml("outside"))
    (fleet.repo / "clusters" / "evil.yaml").symlink_to("../../outside.yaml")
    return []


def clusters_folder_is_a_link_out(fleet: GoodFleet) -> list[str]:
    outside = fleet.repo.parent / "elsewhere"
    (fleet.repo / "clusters").rename(outside)
    (fleet.repo / "clusters").symlink_to(outside)
    return []


def link_loop(fleet: GoodFleet) -> list[str]:
    (fleet.repo / "clusters" / "loop.yaml").symlink_to("loop.yaml")
    return []


def dangling_link(fleet: GoodFleet) -> list[str]:
    (fleet.repo / "clusters" / "gone.yaml").symlink_to("missing.yaml")
    return []


def config_is_a_link_out(fleet: GoodFleet) -> list[str]:
    outside = fleet.repo.parent / "kubermatic.yaml"
    (fleet.repo / "kubermatic.yaml").rename(outside)
    (fleet.repo / "kubermatic.yaml").symlink_to(outside)
    return []


def committed_link(fleet: GoodFleet) -> list[str]:
    link = fleet.repo / "clusters" / "evil.yaml"
    link.symlink_to("/etc/passwd")
    _commit(fleet.repo, "link")
    link.unlink()  # the work tree is clean; the commit is not
    return ["--ref", "HEAD"]


def missing_base_ref(fleet: GoodFleet) -> list[str]:
    return ["--base", "origin/main"]


def missing_head_ref(fleet: GoodFleet) -> list[str]:
    return ["--ref", "no-such-branch"]


def ref_that_looks_like_an_option(fleet: GoodFleet) -> list[str]:
    return [f"--base=--output={fleet.repo.parent / 'pwned'}"]


def shallow_clone_without_the_base(fleet: GoodFleet) -> list[str]:
    (fleet.repo / "clusters" / "good.yaml").write_text("# edited\n" + cluster_yaml("good"))
    _commit(fleet.repo, "second")
    clone = fleet.repo.parent / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{fleet.repo}", str(clone)],
        check=True,
        capture_output=True,
    )
    return ["--repo", str(clone), "--base", "HEAD~1"]


def repo_without_clusters(fleet: GoodFleet) -> list[str]:
    (fleet.repo.parent / "not-the-repo").mkdir()
    return ["--repo", str(fleet.repo.parent / "not-the-repo")]


def clusters_is_a_file(fleet: GoodFleet) -> list[str]:
    (fleet.repo / "clusters" / "good.yaml").unlink()
    (fleet.repo / "clusters").rmdir()
    (fleet.repo / "clusters").write_text("not a folder\n")
    return []


SYMLINK = Expect("source.symlink", "clusters/evil.yaml", hint="replace the link")
CASES: dict[str, tuple[Callable[[GoodFleet], list[str]], Expect]] = {
    "symlink-to-etc-passwd": (link_to_system_file, SYMLINK),
    "symlink-relative-out-of-the-repo": (relative_link_out_of_the_repo, SYMLINK),
    "clusters-folder-links-out": (
        clusters_folder_is_a_link_out,
        Expect("source.symlink", "clusters/good.yaml"),
    ),
    "symlink-loop": (link_loop, Expect("source.symlink", "clusters/loop.yaml")),
    "dangling-symlink": (dangling_link, Expect("source.symlink", "clusters/gone.yaml")),
    "kubermatic-yaml-links-out": (
        config_is_a_link_out,
        Expect("source.symlink", "kubermatic.yaml"),
    ),
    "committed-symlink": (
        committed_link,
        Expect("source.symlink", "clusters/evil.yaml", hint="commit the file itself"),
    ),
    "missing-base-ref": (
        missing_base_ref,
        Expect("git.ref-not-found", "{repo}", exit_code=4, hint="fetch"),
    ),
    "missing-head-ref": (missing_head_ref, Expect("git.ref-not-found", "{repo}", exit_code=4)),
    "ref-looking-like-an-option": (
        ref_that_looks_like_an_option,
        Expect("git.ref-not-found", "{repo}", exit_code=4),
    ),
    "shallow-clone-without-the-base": (
        shallow_clone_without_the_base,
        Expect("git.ref-not-found", "{repo}/../shallow", exit_code=4, hint="fetch-depth: 0"),
    ),
    "repo-without-clusters": (repo_without_clusters, Expect("source.no-clusters", "clusters/")),
    "clusters-is-a-file": (clusters_is_a_file, Expect("source.no-clusters", "clusters/")),
}


@pytest.mark.parametrize(("setup", "expect"), CASES.values(), ids=CASES.keys())
def test_broken_repository_is_refused_and_out_is_untouched(
    setup: Callable[[GoodFleet], list[str]], expect: Expect, good_fleet: GoodFleet
) -> None:
    extra = setup(good_fleet)
    argv = ["render", "--repo", str(good_fleet.repo), "--out", str(good_fleet.out), *extra]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    file = expect.file.replace("{repo}/../", f"{good_fleet.repo.parent}/")
    assert_rejected(
        result,
        code=expect.code,
        file=file.replace("{repo}", str(good_fleet.repo)),
        line=expect.line,
        exit_code=expect.exit_code,
    )
    assert expect.hint in result.stderr
    assert_out_untouched(good_fleet)
    assert not (good_fleet.repo.parent / "pwned").exists()


def test_the_fixture_fleet_renders_from_a_symlinked_checkout(
    good_fleet: GoodFleet, tmp_path: Path
) -> None:
    """A link to the whole repository (a CI workspace) is not a link out of it."""
    (tmp_path / "workspace").symlink_to(good_fleet.repo)
    argv = ["render", "--repo", str(tmp_path / "workspace"), "--out", str(good_fleet.out)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert_out_untouched(good_fleet)


def test_a_submodule_below_clusters_is_refused_in_the_work_tree(good_fleet: GoodFleet) -> None:
    sub = good_fleet.repo / "clusters" / "team"
    sub.mkdir()
    (sub / ".git").write_text("gitdir: ../../.git/modules/team\n")
    (sub / "team.yaml").write_text(cluster_yaml("team"))
    result = good_fleet.render()
    assert_rejected(result, code="source.submodule", file="clusters/team", line=None)
    assert_out_untouched(good_fleet)


def test_a_submodule_below_clusters_is_refused_at_a_ref(
    good_fleet: GoodFleet, tmp_path: Path
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "team.yaml").write_text(cluster_yaml("team"))
    git(team, "init", "-q", "-b", "main")
    git(team, "add", "-A")
    git(team, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "team")
    git(
        good_fleet.repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(team),
        "clusters/team",
    )
    git(good_fleet.repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "sub")
    argv = ["render", "--repo", str(good_fleet.repo), "--out", str(good_fleet.out)]
    result = CliRunner().invoke(main, [*argv, "--ref", "HEAD"], catch_exceptions=False)
    assert_rejected(result, code="source.submodule", file="clusters/team", line=None)
    assert_out_untouched(good_fleet)
