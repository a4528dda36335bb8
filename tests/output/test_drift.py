"""`render --check`: every file that differs from a render is named once, by what is wrong
with it (missing, extra, changed), in its cluster's group; nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kkpgen.models.layout import CLUSTER_RECORD, LEGACY_INPUTS_FILE, OWNER_MARKER
from kkpgen.models.options import SourceOptions
from kkpgen.output.drift import Drift, DriftReport
from kkpgen.output.update import RenderOptions, output_drift
from tests.conftest import CONFIG, RenderFleet, cluster_yaml, commit_all, git

NAMES = ("alpha", "bravo", "charlie")
SERVICE = "seed/openvpn/service-openvpn-server.yaml"
ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, render_fleet: RenderFleet) -> Path:
    repo = tmp_path_factory.mktemp("drift")
    render_fleet(repo, specs={name: cluster_yaml(name) for name in NAMES}, config=ARGO)
    return repo


@pytest.fixture
def repo(rendered: Path, tmp_path: Path) -> Path:
    """A copy of the rendered repository, to be changed by one test."""
    copy = tmp_path / "repo"
    for path in sorted(rendered.rglob("*")):
        target = copy / path.relative_to(rendered)
        if path.is_dir():
            target.mkdir(parents=True)
        else:
            target.write_bytes(path.read_bytes())
    return copy


def _drift(repo: Path, **options: object) -> DriftReport:
    render = RenderOptions(repo / "out", **options)  # type: ignore[arg-type]
    return output_drift(SourceOptions(repo=repo), render)


def test_a_fresh_render_has_no_drift_and_every_file_is_compared(repo: Path) -> None:
    report = _drift(repo)
    out = repo / "out"
    bookkeeping = (CLUSTER_RECORD, OWNER_MARKER)
    written = [p for p in out.rglob("*") if p.is_file() and p.name not in bookkeeping]
    assert report.drifts == ()
    assert report.clusters == 3
    assert report.files == len(written)
    assert report.groups == {}


def test_each_kind_of_drift_is_named_in_its_cluster_s_group(repo: Path) -> None:
    out = repo / "out"
    (out / "alpha" / SERVICE).write_text("edited: true\n")
    (out / "bravo" / SERVICE).unlink()
    (out / "bravo" / "seed" / "notes.yaml").write_text("{}\n")
    (out / "charlie" / SERVICE).write_bytes((out / "charlie" / SERVICE).read_bytes() + b"\n")
    (out / "argocd" / "extra.yaml").write_text("{}\n")
    report = _drift(repo)
    assert report.drifts == (
        Drift("alpha", f"alpha/{SERVICE}", "changed"),
        Drift("argocd", "argocd/extra.yaml", "extra"),
        Drift("bravo", "bravo/seed/notes.yaml", "extra"),
        Drift("bravo", f"bravo/{SERVICE}", "missing"),
        Drift("charlie", f"charlie/{SERVICE}", "changed"),
    )
    assert list(report.groups) == ["alpha", "argocd", "bravo", "charlie"]
    assert report.groups["bravo"] == list(report.drifts[2:4])


def test_a_link_where_a_file_or_a_folder_belongs_is_changed_never_followed(repo: Path) -> None:
    out = repo / "out"
    service = out / "alpha" / SERVICE
    copy = repo / "copy.yaml"
    copy.write_bytes(service.read_bytes())
    service.unlink()
    service.symlink_to(copy)  # the same bytes, through a link
    (out / "bravo").rename(repo / "bravo")
    (out / "bravo").symlink_to(repo / "bravo")
    report = _drift(repo)
    assert Drift("alpha", f"alpha/{SERVICE}", "changed") in report.drifts
    bravo = report.groups["bravo"]
    assert Drift("bravo", "bravo", "changed") not in bravo
    assert {d.kind for d in bravo} == {"missing", "extra"}
    assert Drift("bravo", "bravo", "extra") in bravo


def test_a_removed_cluster_s_folder_and_the_old_fleet_record_are_extra(repo: Path) -> None:
    (repo / "clusters" / "charlie.yaml").unlink()
    out = repo / "out"
    (out / LEGACY_INPUTS_FILE).write_text("{}\n")
    (out / "README.md").write_text("not kkpgen's\n")  # kept by a render: no drift
    report = _drift(repo)
    charlie = [d for d in report.drifts if d.group == "charlie"]
    expected = sorted(
        p.relative_to(out).as_posix() for p in (out / "charlie").rglob("*") if p.is_file()
    )
    assert [d.path for d in charlie] == expected
    assert {d.kind for d in charlie} == {"extra"}
    assert Drift("", LEGACY_INPUTS_FILE, "extra") in report.drifts
    assert not any(d.path == "README.md" for d in report.drifts)
    assert report.clusters == 2


def test_a_selection_compares_only_its_clusters_folders(repo: Path) -> None:
    out = repo / "out"
    for name in NAMES:
        (out / name / SERVICE).unlink()
    (out / "argocd" / "extra.yaml").write_text("{}\n")
    (repo / "clusters" / "charlie.yaml").unlink()
    told: list[tuple[int, int]] = []
    only = output_drift(
        SourceOptions(repo=repo),
        RenderOptions(out, only=("bravo",)),
        progress=lambda done, total: told.append((done, total)),
    )
    assert only.drifts == (Drift("bravo", f"bravo/{SERVICE}", "missing"),)
    assert (only.clusters, told) == (1, [(1, 1)])
    shard = _drift(repo, shard=(1, 2))
    assert [d.group for d in shard.drifts] == ["alpha"]
    assert shard.clusters == 1


def test_the_check_of_a_ref_compares_what_is_committed_there(repo: Path) -> None:
    """`render --check --ref HEAD` in CI: an uncommitted change of the work tree is not what
    is compared."""
    git(repo, "init", "-q")
    commit_all(repo, "fleet")
    (repo / "clusters" / "alpha.yaml").write_text(cluster_yaml("alpha", version='"1.22.9"'))
    at_head = output_drift(SourceOptions(repo=repo, ref="HEAD"), RenderOptions(repo / "out"))
    assert at_head.drifts == ()
    assert _drift(repo).drifts != ()  # the work tree


def test_a_check_before_the_first_render_names_every_file_missing(repo: Path) -> None:
    shutil.rmtree(repo / "out")
    report = _drift(repo)
    assert report.files > 0
    assert len(report.drifts) == report.files
    assert {d.kind for d in report.drifts} == {"missing"}
    assert not (repo / "out").exists()  # nothing written
