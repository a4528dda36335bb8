"""Class 2: incremental renders are exact (issue 14).

After any sequence of full, `--cluster` and `--shard` renders, a full render leaves <out>
byte for byte as a fresh render of the same repository would.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.output.contents import shard_names
from tests.conftest import CONFIG, cluster_yaml, git
from tests.hardening.conftest import assert_rejected, tree

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
