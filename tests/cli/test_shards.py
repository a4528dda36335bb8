"""--shard: an empty shard renders nothing and says so; --cluster outside the shard is a
usage error whose hint names the shard that renders it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from kkpgen.output.contents import shard_of
from tests.conftest import Repo, cluster_yaml

NAME = "c1"
HOME = shard_of(NAME, 2)  # the shard of 2 that holds the one cluster
OTHER = 3 - HOME


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_an_empty_shard_renders_nothing_and_says_so(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(base={f"clusters/{NAME}.yaml": cluster_yaml(NAME)})
    out = tmp_path / "out"
    args = ["render", "--repo", str(repo.path), "--out", str(out)]
    result = run_cli([*args, "--shard", f"{OTHER}/2"])
    assert f"notice[render.shard-empty]: shard {OTHER}/2 holds none of the 1 clusters" in (
        result.stderr
    )
    assert not out.exists()  # it rendered the whole fleet
    run_cli(args)
    before = _tree(out)
    run_cli([*args, "--shard", f"{OTHER}/2"])
    assert _tree(out) == before


def test_render_check_of_an_empty_shard_compares_nothing(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(base={f"clusters/{NAME}.yaml": cluster_yaml(NAME)})
    out = tmp_path / "out"
    args = ["render", "--repo", str(repo.path), "--out", str(out)]
    run_cli(args)
    result = run_cli([*args, "--check", "--shard", f"{OTHER}/2"])
    assert "0 clusters, 0 files compared" in result.stderr


def test_a_cluster_outside_the_shard_is_a_usage_error_and_the_hint_works(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(base={f"clusters/{NAME}.yaml": cluster_yaml(NAME)})
    out = tmp_path / "out"
    args = ["render", "--repo", str(repo.path), "--out", str(out), "--cluster", NAME]
    for extra in ([], ["--check"]):
        result = run_cli([*args, *extra, "--shard", f"{OTHER}/2"], expect=2)
        assert (
            f"--cluster {NAME} is in shard {HOME}/2, not in --shard {OTHER}/2: "
            f"pass --shard {HOME}/2, or leave out --shard"
        ) in result.stderr
        assert not out.exists()
    run_cli([*args, "--shard", f"{HOME}/2"])
    assert (out / NAME).is_dir()
