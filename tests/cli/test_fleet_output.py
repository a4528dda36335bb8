"""`render --check` for CI, and output a person can read at fleet scale (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kkpgen.cli.summary import ProgressLine, by_code, plural
from kkpgen.diagnostics import Diagnostic, Location
from tests.conftest import Repo, cluster_yaml

RunCli = Callable[..., Result]
# Kubernetes 1.23 with Canal v3.20: KKP v2.20 forces Canal v3.22 (a warning per cluster).
FORCED = cluster_yaml
FORCED_EXTRA = "cniPlugin:\n  type: canal\n  version: v3.20\n"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _forced(*names: str) -> dict[str, str]:
    return {f"clusters/{n}.yaml": cluster_yaml(n, extra=FORCED_EXTRA) for n in names}


@pytest.fixture
def rendered(make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path) -> tuple[Repo, Path]:
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1"), "clusters/c2.yaml": cluster_yaml("c2")}
    )
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    return repo, out


def test_check_of_an_up_to_date_tree_exits_0(rendered: tuple[Repo, Path], run_cli: RunCli) -> None:
    repo, out = rendered
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out), "--check"])
    assert f"{out} is up to date (2 clusters, " in result.stderr


def test_check_of_a_stale_tree_names_the_cluster_and_file_and_writes_nothing(
    rendered: tuple[Repo, Path], run_cli: RunCli
) -> None:
    repo, out = rendered
    repo.write({"clusters/c2.yaml": cluster_yaml("c2", version='"1.22.9"')})
    before = _tree(out)
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out), "--check"], expect=1)
    assert _tree(out) == before
    assert [p.name for p in out.parent.iterdir()] == ["out", "repo"]  # no staging folder
    lines = result.stderr.splitlines()
    assert any(line.startswith("c2: ") and line.endswith(" files differ") for line in lines)
    assert f"  changed: {out}/c2/resolved.yaml" in lines
    assert not any(line.startswith("c1:") for line in lines)
    assert any(line.startswith(f"{out} is stale: ") and "(1 cluster)" in line for line in lines)


def test_check_names_missing_extra_and_removed_cluster_files(
    rendered: tuple[Repo, Path], run_cli: RunCli
) -> None:
    repo, out = rendered
    (out / "c1" / "resolved.yaml").unlink()
    (out / "c1" / "notes.yaml").write_text("mine\n")
    repo.write({"clusters/c2.yaml": None})
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out), "--check"], expect=1)
    lines = result.stderr.splitlines()
    assert f"  missing: {out}/c1/resolved.yaml" in lines
    assert f"  extra: {out}/c1/notes.yaml" in lines
    assert f"  extra: {out}/c2/resolved.yaml" in lines
    assert any(line.startswith(f"{out} is stale:") and "(2 clusters)" in line for line in lines)


def test_check_of_a_missing_out_lists_every_file_as_missing(
    make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    out = tmp_path / "never"
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out), "--check"], expect=1)
    assert f"  missing: {out}/c1/resolved.yaml" in result.stderr.splitlines()
    assert not out.exists()


def test_check_with_cluster_compares_only_that_cluster(
    rendered: tuple[Repo, Path], run_cli: RunCli
) -> None:
    repo, out = rendered
    repo.write({"clusters/c2.yaml": cluster_yaml("c2", version='"1.22.9"')})
    args = ["render", "--repo", str(repo.path), "--out", str(out), "--check", "--cluster", "c1"]
    assert "is up to date (1 cluster, " in run_cli(args).stderr


def test_warnings_of_one_code_print_once_with_a_count(
    make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(base=_forced("a1", "a2", "a3"))
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(tmp_path / "out")])
    lines = result.stderr.splitlines()
    assert sum("warning[cni.version.forced-upgrade]" in line for line in lines) == 1
    assert "  ... and 2 more like this (2 clusters: a2, a3); --verbose lists them" in lines
    # the files of the clusters and argocd/; no fleet-wide record (issue 22)
    assert lines[-1].startswith(
        f"3 clusters: 3 rendered, 0 unchanged; 165 files written into {tmp_path / 'out'}; "
        "3 warnings (3 cni.version.forced-upgrade), 3 notices (3 network.tunnel-port.unknown), "
        "0 errors, "
    )


def test_verbose_lists_every_warning_and_quiet_none(
    make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(base=_forced("a1", "a2"))
    args = ["render", "--repo", str(repo.path), "--out", str(tmp_path / "out")]
    verbose = run_cli([*args, "--verbose"]).stderr
    assert verbose.count("warning[cni.version.forced-upgrade]") == 2
    assert run_cli([*args, "--quiet"]).stderr == ""


def test_the_summary_says_1_cluster_and_what_was_unchanged(
    rendered: tuple[Repo, Path], run_cli: RunCli
) -> None:
    repo, out = rendered
    repo.write({"clusters/c2.yaml": None})
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    last = result.stderr.splitlines()[-1]
    assert last.startswith("1 cluster: 0 rendered, 1 unchanged; ")
    # c1 has no cniPlugin: an existing cluster, so KKP's Canal v3.8 and a warning.
    assert "; 1 warning (1 cni.unspecified), 1 notice (1 network.tunnel-port.unknown), " in last


def test_a_failed_render_closes_with_errors_by_code(
    make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path
) -> None:
    bad = "cniPlugin: {type: cilium, version: v9.9}\n"
    repo = make_repo(
        base={
            "clusters/b1.yaml": cluster_yaml("b1", extra=bad),
            "clusters/b2.yaml": cluster_yaml("b2", extra=bad),
        }
    )
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(tmp_path / "o")], expect=1)
    assert result.stderr.count("error[cni.version.unsupported]") == 2  # errors stay in full
    assert result.stderr.splitlines()[-1].startswith(
        "failed: 0 warnings, 2 notices (2 network.tunnel-port.unknown), "
        "2 errors (2 cni.version.unsupported), "
    )


def test_no_progress_line_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = ProgressLine("rendering", enabled=False)
    line(1, 2)
    line.clear()
    assert capsys.readouterr().err == ""
    shown = ProgressLine("rendering", enabled=True, delay=0)
    shown(2, 2)
    shown.clear()
    assert "rendering 2/2 clusters" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 clusters"), (1, "1 cluster"), (2, "2 clusters")],
    ids=["zero", "one", "two"],
)
def test_plurals_are_right(count: int, expected: str) -> None:
    assert plural(count, "cluster") == expected


def test_codes_are_counted_most_frequent_first() -> None:
    def at(code: str) -> Diagnostic:
        return Diagnostic(code, Location("f"), "", "m", severity="warning")

    assert by_code([at("b"), at("a"), at("b")]) == "2 b, 1 a"


def test_check_groups_warnings_and_closes_with_the_counts(
    make_repo: Callable[..., Repo], run_cli: RunCli
) -> None:
    repo = make_repo(base=_forced("a1", "a2"))
    lines = run_cli(["check", "--repo", str(repo.path)]).stderr.splitlines()
    assert sum("warning[cni.version.forced-upgrade]" in line for line in lines) == 1
    assert lines[-1].startswith(
        "2 clusters ok (KKP v2.20); 2 warnings (2 cni.version.forced-upgrade), "
    )
