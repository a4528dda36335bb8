"""Class 7: the output folder (issue 14).

--out inside clusters/ or at / is refused before anything is written; a linked --out stays a
link (kkpgen swaps the folder it names) and shares one lock with that folder's own name; the
staging of a killed run is removed by the next run, under the lock.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kkpgen.output.staging import lock_path
from tests.good_fleet import GoodFleet, assert_out_untouched, assert_rejected, tree


@pytest.mark.parametrize("inside", ["clusters", "clusters/rendered", "clusters/a/b"])
def test_out_inside_the_clusters_folder_is_refused(good_fleet: GoodFleet, inside: str) -> None:
    out = good_fleet.repo / inside
    result = good_fleet.render(out=out)
    assert_rejected(result, code="output.refused", file=str(out), line=None, exit_code=4)
    assert "inside the spec folder" in result.stderr
    assert not (good_fleet.repo / "clusters" / "rendered").exists()
    # and the fleet still renders: nothing was written below clusters/
    assert good_fleet.render().exit_code == 0
    assert_out_untouched(good_fleet)


def test_out_as_the_root_folder_is_refused_and_leaves_nothing_in_it(
    good_fleet: GoodFleet,
) -> None:
    before = sorted(Path("/").iterdir())
    result = good_fleet.render(out="/")
    assert_rejected(result, code="output.refused", file="/", line=None, exit_code=4)
    assert "root folder" in result.stderr
    assert sorted(Path("/").iterdir()) == before


def test_a_linked_out_stays_a_link_and_its_folder_is_updated(
    good_fleet: GoodFleet, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(good_fleet.out)
    good_fleet.write(
        {
            "clusters/good.yaml": (good_fleet.repo / "clusters/good.yaml")
            .read_text()
            .replace('"1.23.6"', '"1.23.7"')
        }
    )
    result = good_fleet.render(out=link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert tree(good_fleet.out) != good_fleet.before
    assert b"1.23.7" in (good_fleet.out / "good" / "resolved.yaml").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".link.")] == []


def test_a_link_and_its_folder_share_one_lock(good_fleet: GoodFleet, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(good_fleet.out)
    assert lock_path(link) == lock_path(good_fleet.out)
    assert lock_path(tmp_path / "." / "out") == lock_path(good_fleet.out)


@pytest.mark.parametrize("kind", ["staging", "backup", "record"])
def test_what_a_killed_run_left_beside_out_is_removed_by_the_next_run(
    good_fleet: GoodFleet, kind: str
) -> None:
    parent = good_fleet.out.parent
    leftover = {
        "staging": parent / ".out.tmp-abcd1234",
        "backup": parent / ".out.old-12345",
        "record": parent / ".out.rec-12345",
    }[kind]
    if kind == "record":
        leftover.write_text("{}")
    else:
        (leftover / "c1").mkdir(parents=True)
        (leftover / "c1" / "x.yaml").write_text("a: 1\n")
    unrelated = parent / ".outside.tmp-abcd1234"  # another folder's name: left alone
    unrelated.mkdir()
    result = good_fleet.render(out=good_fleet.out)
    assert result.exit_code == 0, result.stderr
    assert not leftover.exists()
    assert unrelated.exists()
    assert tree(good_fleet.out) == good_fleet.before


@pytest.mark.parametrize(
    ("layout", "out", "says"),
    [
        ("loop", "loop", "cannot be resolved"),
        ("loop", "loop/sub", "cannot be resolved"),
        ("file", "file/sub", "which is not a folder"),
    ],
    ids=["symlink-loop", "below-a-symlink-loop", "below-a-file"],
)
def test_an_out_that_cannot_be_a_folder_is_refused_without_a_traceback(
    good_fleet: GoodFleet, tmp_path: Path, layout: str, out: str, says: str
) -> None:
    """Round 3: a symlink loop as --out raised RuntimeError (exit 70); below a regular file
    the error blamed permissions or disk space."""
    if layout == "loop":
        (tmp_path / "loop").symlink_to(tmp_path / "loop2")
        (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    else:
        (tmp_path / "file").write_text("not a folder\n")
    target = tmp_path / out
    result = good_fleet.render(out=target)
    assert_rejected(result, code="output.refused", file=str(target), line=None,
                    exit_code=4)  # fmt: skip
    assert says in result.stderr
    assert_out_untouched(good_fleet)
