"""Records are evidence, not trust: the memo of the last render lets a render skip checking
the spec files it lists only when this user's kkpgen wrote exactly those bytes (in the
private cache, sealed); an edited memo, or a record committed into <out> (kkpgen 0.1's
`.kkpgen-inputs.json`), falls back to a full check (one digest edited made `render` pass a
broken spec: issue 23)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kkpgen.cli import main
from kkpgen.kkp.check import check_fleet
from kkpgen.models.layout import LEGACY_INPUTS_FILE
from tests.conftest import CONFIG, cluster_yaml, git
from tests.output.memo_helpers import memo_file

BROKEN = cluster_yaml("alpha", extra='cniPlugin:\n  type: canal\n  version: "v9.99"\n')


def _render(repo: Path, out: Path, *args: str) -> Result:
    argv = ["render", "--repo", str(repo), "--out", str(out), *args]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    for name in ("alpha", "bravo"):
        (repo / "clusters" / f"{name}.yaml").write_text(cluster_yaml(name))
    git(repo, "init", "-q", "-b", "main")
    return repo


@pytest.fixture
def full_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often render checks the whole fleet (not just the changed files)."""
    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return check_fleet(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("kkpgen.output.update.check_fleet", counting)
    return calls


def _forge(out: Path, path: str, data: bytes, where: str) -> None:
    """The memo with the file's digest set to its new bytes: edited in place (its seal left
    as it was), or committed into <out> as kkpgen 0.1's record, as a pull request could."""
    seal, _, body = memo_file(out).read_bytes().partition(b"\n")
    record = json.loads(body)
    record["files"][path]["digest"] = hashlib.sha256(path.encode() + b"\0" + data).hexdigest()
    forged = json.dumps(record).encode()
    if where == "memo":
        memo_file(out).write_bytes(seal + b"\n" + forged)
    else:
        (out / LEGACY_INPUTS_FILE).write_bytes(forged)


@pytest.mark.parametrize("where", ["memo", "committed"])
def test_an_edited_record_does_not_let_a_broken_spec_through(
    repo: Path, tmp_path: Path, where: str
) -> None:
    out = tmp_path / "out"
    assert _render(repo, out).exit_code == 0
    (repo / "clusters" / "alpha.yaml").write_text(BROKEN)
    _forge(out, "clusters/alpha.yaml", BROKEN.encode(), where)
    check = CliRunner().invoke(main, ["check", "--repo", str(repo)], catch_exceptions=False)
    result = _render(repo, out)
    assert check.exit_code == 1
    assert result.exit_code == 1, result.stderr
    assert "clusters/alpha.yaml" in result.stderr
    assert "v9.99" in result.stderr


def test_a_record_written_here_spares_the_full_check(
    repo: Path, tmp_path: Path, full_checks: list[int]
) -> None:
    out = tmp_path / "out"
    assert _render(repo, out).exit_code == 0
    assert full_checks == [1]
    path = repo / "clusters" / "alpha.yaml"
    path.write_text(path.read_text() + "# a comment\n")
    assert _render(repo, out).exit_code == 0
    assert full_checks == [1]  # the changed file alone was checked


def test_a_record_from_another_machine_is_checked_in_full_once(
    repo: Path, tmp_path: Path, full_checks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert _render(repo, out).exit_code == 0
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-cache"))  # a CI runner
    assert _render(repo, out).exit_code == 0
    assert full_checks == [1, 1]
    assert _render(repo, out).exit_code == 0  # checked in full: now this machine's record
    assert full_checks == [1, 1]
