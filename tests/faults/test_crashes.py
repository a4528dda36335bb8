"""Class 4: inputs and environments that crashed kkpgen (exit 70 or a traceback) (issue 14).

(Non-ASCII digits in a port annotation or in --shard: tests/kkp/test_bad_values.py.)
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kkpgen.cli import main
from kkpgen.output.record import sealed
from kkpgen.source import repository
from kkpgen.source.sourcemap import MAX_FILE_BYTES
from tests.conftest import cluster_yaml, git
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected
from tests.output.memo_helpers import memo_file


def _huge(path: Path) -> None:
    """A sparse file far above the limit: cheap to make, costly to read whole."""
    with path.open("wb") as handle:
        handle.truncate(64 * MAX_FILE_BYTES)


def test_a_huge_spec_file_is_refused_by_its_size_before_it_is_read(
    good_fleet: GoodFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    _huge(good_fleet.repo / "clusters" / "huge.yaml")
    reads: list[int] = []
    real_read = os.read

    def counting_read(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        reads.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    result = good_fleet.render()
    monkeypatch.undo()
    assert_rejected(result, code="yaml.too-large", file="clusters/huge.yaml", line=None)
    assert f"{64 * MAX_FILE_BYTES} bytes" in result.stderr
    assert sum(reads) < MAX_FILE_BYTES  # the huge file was not read
    assert_out_untouched(good_fleet)


def test_a_huge_committed_spec_file_is_refused_by_its_size(
    good_fleet: GoodFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    _huge(good_fleet.repo / "clusters" / "huge.yaml")
    git(good_fleet.repo, "add", "-A")
    git(good_fleet.repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "huge")
    asked: list[int] = []
    real = repository._cat_blobs

    def spy(repo: Path, oids: list[str]) -> list[bytes]:
        asked.append(len(oids))
        return real(repo, oids)

    monkeypatch.setattr(repository, "_cat_blobs", spy)
    result = good_fleet.render("--ref", "HEAD")
    monkeypatch.undo()
    assert_rejected(result, code="yaml.too-large", file="clusters/huge.yaml", line=None)
    assert asked == []  # refused from the listing, before any blob is read


def test_a_full_disk_with_workers_is_an_environment_error(
    good_fleet: GoodFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("w1", "w2", "w3", "w4"):
        (good_fleet.repo / "clusters" / f"{name}.yaml").write_text(cluster_yaml(name))
    real_write = os.write
    pid = os.getpid()

    def full_in_workers(fd: int, data: bytes) -> int:  # only the forked workers' disk is full
        if os.getpid() != pid:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_in_workers)
    result = good_fleet.render("--jobs", "2")
    monkeypatch.undo()
    assert_rejected(result, code="output.refused", file=str(good_fleet.out), line=None, exit_code=4)
    assert "No space left on device" in result.stderr
    assert_out_untouched(good_fleet)


def test_init_below_a_regular_file_is_an_environment_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x\n")
    target = tmp_path / "file" / "repo"
    result = CliRunner().invoke(main, ["init", str(target)], catch_exceptions=False)
    assert_rejected(result, code="init.unwritable", file=str(target), line=None, exit_code=4)


def test_a_deeply_nested_record_is_not_trusted_and_the_render_repairs_out(
    good_fleet: GoodFleet,
) -> None:
    """A record edited into `[[[[...` exhausted the JSON parser: exit 70 (round 3 finding).
    The record is the memo in the user's cache now (issue 22), sealed as kkpgen seals it."""
    memo_file(good_fleet.out).write_bytes(sealed(good_fleet.out, b"[" * 200_000))
    result = good_fleet.render()
    assert result.exit_code == 0, result.stderr
    assert_out_untouched(good_fleet)  # the record is rewritten, the tree is as it was
    unknown = good_fleet.render("--cluster", "nope")
    assert_rejected(unknown, code="cluster.unknown", file="clusters/", line=None)


def test_diff_output_into_a_missing_folder_is_an_error_not_a_traceback(
    good_fleet: GoodFleet, tmp_path: Path
) -> None:
    """`diff --output` below a folder that does not exist raised FileNotFoundError."""
    report = tmp_path / "missing" / "diff.md"
    argv = ["diff", "--repo", str(good_fleet.repo), "--base", "HEAD", "--output", str(report)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert_rejected(result, code="diff.output.unwritable", file=str(report), line=None, exit_code=4)
    assert "No such file or directory" in result.stderr
    assert not report.parent.exists()
