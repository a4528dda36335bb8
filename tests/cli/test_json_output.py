"""`render --format json` and `validate --format json`: one object on stdout for CI and
scripts (summary, errors, warnings), the exit codes unchanged; validate's progress."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kkpgen.validate import BuiltinBackend, validate_tree
from tests.conftest import Repo, cluster_yaml

RunCli = Callable[..., Result]
MakeRepo = Callable[..., Repo]


@pytest.fixture
def repo(make_repo: MakeRepo) -> Repo:
    deprecated = cluster_yaml("c2", extra="cniPlugin: {type: canal, version: v3.19}\n")
    return make_repo(base={"clusters/c1.yaml": cluster_yaml("c1"), "clusters/c2.yaml": deprecated})


def _json(result: Result) -> dict[str, object]:
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


def _render(run_cli: RunCli, repo: Repo, out: Path, *args: str, expect: int = 0) -> Result:
    argv = ["render", "--repo", str(repo.path), "--out", str(out), "--format", "json", *args]
    return run_cli(argv, expect=expect)


def test_render_json_has_the_summary_and_the_warnings(
    repo: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    payload = _json(_render(run_cli, repo, tmp_path / "out"))
    summary = payload["summary"]
    assert isinstance(summary, dict)
    assert summary["ok"] is True
    assert (summary["clusters"], summary["rendered"], summary["unchanged"]) == (2, 2, 0)
    assert summary["files"] > 0
    warnings = payload["warnings"]
    assert isinstance(warnings, list)
    assert {w["cluster"] for w in warnings} >= {"c2"}
    assert payload["errors"] == []


def test_render_json_of_a_failing_spec_reports_the_error_with_its_exit_code(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    bad = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1", version='"1.23"')})
    result = _render(run_cli, bad, tmp_path / "out", expect=1)
    payload = _json(result)
    assert payload["summary"] == {"ok": False, "exit_code": 1}
    errors = payload["errors"]
    assert isinstance(errors, list)
    assert [(e["code"], e["file"], e["line"]) for e in errors] == [
        ("cluster.version.invalid", "clusters/c1.yaml", 6)
    ]
    assert not (tmp_path / "out").exists()


def test_render_check_json_lists_the_drifts_and_exits_1(
    repo: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _render(run_cli, repo, out)
    (out / "c1" / "resolved.yaml").write_text("edited\n")
    payload = _json(_render(run_cli, repo, out, "--check", expect=1))
    summary = payload["summary"]
    assert isinstance(summary, dict)
    assert summary["ok"] is False
    assert summary["drifts"] == [{"group": "c1", "path": "c1/resolved.yaml", "kind": "changed"}]


def test_validate_json_counts_the_files_and_reports_findings_with_exit_3(
    repo: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _render(run_cli, repo, out)
    argv = ["validate", str(out), "--backend", "builtin", "--format", "json"]
    payload = _json(run_cli(argv))
    summary = payload["summary"]
    assert isinstance(summary, dict)
    assert summary == {"ok": True, "tree": str(out), "files": summary["files"]}
    assert summary["files"] > 10
    service = next((out / "c1").rglob("service-*.yaml"))
    service.write_text(service.read_text().replace("spec:", "spec:\n  bogus: 1", 1))
    failed = _json(run_cli(argv, expect=3))
    assert failed["summary"] == {"ok": False, "exit_code": 3}
    errors = failed["errors"]
    assert isinstance(errors, list)
    assert [e["code"] for e in errors] == ["validate.schema"]


def test_validation_reports_progress_over_every_file(
    repo: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _render(run_cli, repo, out)
    seen: list[tuple[int, int]] = []
    validate_tree(
        out,
        backend=BuiltinBackend(),
        cache_dir=tmp_path / "schemas",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen
    assert seen[-1][0] == seen[-1][1] > 10
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
