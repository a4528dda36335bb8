"""Class 3: planted secrets reach no output of any command (issue 14).

tests/security/test_secrets.py scans the rendered files. Here every command runs on a
repository with secrets planted in every input kkpgen accepts (cloud credentials of the
base and the head) and in the inputs it refuses (URLs with a password, a token as user
name or in a query string), and its stdout, stderr and any report file it writes are
scanned: check in every format, resolve, render, diff in every format with --output,
argocd generate, versions, upgrades and init.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kkpgen.cli import main
from tests.conftest import CONFIG, cluster_yaml, commit_all, git
from tests.security.test_secrets import CLOUD, SECRET

ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)


def _invoke(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), catch_exceptions=False)


def _clean(result: Result, *files: Path) -> None:
    assert "Traceback" not in result.output
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert SECRET not in text, f"{name} of a command carries the planted secret:\n{text}"
    for path in files:
        found = [p for p in (path.rglob("*") if path.is_dir() else [path]) if p.is_file()]
        leaking = [str(p) for p in found if SECRET.encode() in p.read_bytes()]
        assert leaking == [], leaking


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A repository whose base and head both carry cloud credentials; head changes a."""
    repo = tmp_path_factory.mktemp("planted")
    (repo / "clusters").mkdir()
    (repo / "kubermatic.yaml").write_text(ARGO)
    (repo / "clusters" / "a.yaml").write_text(cluster_yaml("a", cloud=CLOUD["aws"]))
    (repo / "clusters" / "b.yaml").write_text(cluster_yaml("b", cloud=CLOUD["openstack"]))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    head = cluster_yaml("a", version='"1.23.7"', cloud=CLOUD["aws"])
    (repo / "clusters" / "a.yaml").write_text(head)
    (repo / "clusters" / "c.yaml").write_text(cluster_yaml("c", cloud=CLOUD["kubevirt"]))
    commit_all(repo, "head")
    return repo, base


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check_prints_no_secret(planted: tuple[Path, str], fmt: str) -> None:
    repo, base = planted
    result = _invoke("check", "--repo", str(repo), "--base", base, "--format", fmt, "--verbose")
    assert result.exit_code == 0, result.stderr
    _clean(result)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("name", ["a", "b", "c"])
def test_resolve_prints_no_secret(planted: tuple[Path, str], fmt: str, name: str) -> None:
    repo, _ = planted
    result = _invoke("resolve", name, "--repo", str(repo), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout
    _clean(result)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_prints_and_writes_no_secret(
    planted: tuple[Path, str], fmt: str, tmp_path: Path
) -> None:
    repo, base = planted
    report = tmp_path / f"diff.{fmt}"
    result = _invoke("diff", "--repo", str(repo), "--base", base, "--format", fmt,
                     "--output", str(report))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert report.stat().st_size > 0
    _clean(result, report)


def test_render_prints_and_writes_no_secret(planted: tuple[Path, str], tmp_path: Path) -> None:
    repo, _ = planted
    out = tmp_path / "out"
    result = _invoke("render", "--repo", str(repo), "--out", str(out), "--verbose")
    assert result.exit_code == 0, result.stderr
    again = _invoke("render", "--repo", str(repo), "--out", str(out), "--check", "--verbose")
    assert again.exit_code == 0, again.stderr
    _clean(result, out)
    _clean(again)


@pytest.mark.parametrize("destination", ["user-cluster", "seed"])
def test_argocd_generate_prints_no_secret(planted: tuple[Path, str], destination: str) -> None:
    repo, _ = planted
    for name in ("a", "b", "c"):
        result = _invoke("argocd", "generate", "--cluster", name, "--destination", destination,
                         "--repo", str(repo))  # fmt: skip
        assert result.exit_code == 0, result.stderr
        _clean(result)


def test_upgrades_and_versions_print_no_secret(planted: tuple[Path, str]) -> None:
    repo, base = planted
    for name in ("a", "b", "c"):
        result = _invoke("upgrades", name, "--repo", str(repo), "--base", base)
        assert result.exit_code == 0, result.stderr
        _clean(result)
    for fmt in ("text", "json"):
        result = _invoke("versions", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        _clean(result)


def test_init_writes_and_prints_no_secret(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    result = _invoke("init", str(target), "--kkpgen-repo", "https://git.example.com/kkpgen.git")
    assert result.exit_code == 0, result.stderr
    _clean(result, target)


REFUSED_URLS = {
    "password": f"https://ci:{SECRET}@git.example.com/kkpgen.git",
    "token-as-user": f"https://{SECRET}@git.example.com/kkpgen.git",
    "token-in-query": f"https://git.example.com/kkpgen.git?private_token={SECRET}",
}


@pytest.mark.parametrize("url", list(REFUSED_URLS.values()), ids=list(REFUSED_URLS))
def test_init_refuses_a_url_with_credentials_without_printing_them(
    url: str, tmp_path: Path
) -> None:
    result = _invoke("init", str(tmp_path), "--kkpgen-repo", url)
    assert result.exit_code == 1, result.output
    assert "error[init.kkpgen-repo]" in result.stderr
    _clean(result, tmp_path)
    wheel = url.replace("kkpgen.git", "kkpgen-1.0.0-py3-none-any.whl")
    result = _invoke("init", str(tmp_path), "--kkpgen-wheel", wheel)
    assert result.exit_code == 1, result.output
    assert "error[init.kkpgen-wheel]" in result.stderr
    _clean(result, tmp_path)


@pytest.mark.parametrize("url", list(REFUSED_URLS.values()), ids=list(REFUSED_URLS))
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_refused_repo_url_is_not_echoed_in_any_format(
    planted: tuple[Path, str], url: str, fmt: str, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "clusters" / "a.yaml").write_text(cluster_yaml("a"))
    (repo / "kubermatic.yaml").write_text(ARGO.replace("https://git.example.com/fleet.git", url))
    result = _invoke("check", "--repo", str(repo), "--format", fmt)
    assert result.exit_code == 1, result.output
    assert "config.url.credentials" in result.output
    _clean(result)
    out = tmp_path / "out"
    result = _invoke("render", "--repo", str(repo), "--out", str(out))
    assert result.exit_code == 1, result.output
    _clean(result)
    assert not out.exists()
