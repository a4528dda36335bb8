"""A render after a small change checks only the changed spec files, and ends exactly where a
render from scratch ends: the same tree, the same record and the same diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bench.fleet import make_fleet
from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from kkpgen.output.recheck import diagnostic_order, file_records, recheck, sources_digest
from kkpgen.output.record import OutputInputs, read_inputs
from kkpgen.source import fleet as fleet_loader
from kkpgen.source import sourcemap
from kkpgen.source.repository import CONFIG_FILE, SourceTree, read_tree
from kkpgen.source.sourcemap import Document
from tests.conftest import RenderFleet, commit_all, git
from tests.output.memo_helpers import memo_file


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return make_fleet(tmp_path / "fleet", 12, seed=5)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The spec files the loader parses, in order."""
    files: list[str] = []
    original = sourcemap.load_documents

    def counting(text: bytes, *, file: str, ref: str | None) -> Iterator[Document]:
        files.append(file)
        return original(text, file=file, ref=ref)

    monkeypatch.setattr(fleet_loader, "load_documents", counting)
    return files


def _edit(repo: Path, name: str, change: Callable[[str], str]) -> None:
    path = repo / "clusters" / f"{name}.yaml"
    path.write_text(change(path.read_text()))


def _same_as_scratch(
    repo: Path, out: Path, result: update.RenderResult, tmp: Path, render_fleet: RenderFleet
) -> None:
    scratch = tmp / "scratch"
    fresh = render_fleet(repo, out=scratch).result
    assert _tree(out) == _tree(scratch)
    assert result.notices == fresh.notices
    assert result.clusters == fresh.clusters


def test_one_changed_file_is_the_only_one_parsed(
    fleet: Path, tmp_path: Path, parsed: list[str], render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    parsed.clear()
    _edit(fleet, "c00003", lambda t: t.replace('version: "1.23.', 'version: "1.22.', 1))
    result = render_fleet(fleet, out=out).result
    assert parsed == ["kubermatic.yaml", "clusters/c00003.yaml"]
    assert 0 < result.files < 80
    parsed.clear()
    assert render_fleet(fleet, out=out).result.files == 0
    assert parsed == []  # the memo the partial check kept is as good as a full one's
    _same_as_scratch(fleet, out, result, tmp_path, render_fleet)


def test_nothing_changed_parses_no_spec_file(
    fleet: Path, tmp_path: Path, parsed: list[str], render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    first = render_fleet(fleet, out=out).result
    parsed.clear()
    again = render_fleet(fleet, out=out).result
    assert parsed == []
    assert again.files == 0
    assert again.notices == first.notices
    assert again.clusters == 12


def test_a_comment_changes_nothing_in_out(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    before = _tree(out)
    _edit(fleet, "c00004", lambda t: f"# owner: team-a\n{t}")
    result = render_fleet(fleet, out=out).result
    after = _tree(out)
    assert result.files == 0
    assert after == before  # the memo in the user's cache changed, not the committed tree
    _same_as_scratch(fleet, out, result, tmp_path, render_fleet)


def test_an_addon_in_another_file_is_checked_with_its_cluster(
    fleet: Path, tmp_path: Path, parsed: list[str], render_fleet: RenderFleet
) -> None:
    addon = (
        "apiVersion: kubermatic.k8c.io/v1\nkind: Addon\nmetadata:\n  name: dashboard\n"
        "  namespace: cluster-c00001\nspec:\n  name: dashboard\n  cluster: {name: c00001}\n"
    )
    (fleet / "clusters" / "addons.yaml").write_text(addon)
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    record = read_inputs(out)
    assert record is not None
    assert "clusters/addons.yaml" not in record.files  # not self-contained: always re-checked
    assert "clusters/c00001.yaml" not in record.files
    parsed.clear()
    _edit(fleet, "c00005", lambda t: t.replace('version: "1.23.', 'version: "1.22.', 1))
    result = render_fleet(fleet, out=out).result
    assert sorted(parsed) == sorted(
        ["kubermatic.yaml", "clusters/addons.yaml", "clusters/c00001.yaml", "clusters/c00005.yaml"]
    )
    _same_as_scratch(fleet, out, result, tmp_path, render_fleet)


def test_a_name_taken_by_an_unchanged_file_is_an_error(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    before = _tree(out)
    _edit(fleet, "c00006", lambda t: t.replace("name: c00006", "name: c00002", 1))
    with pytest.raises(KkpgenError) as caught:
        render_fleet(fleet, out=out)
    assert [d.code for d in caught.value.diagnostics] == ["cluster.name.duplicate"]
    assert _tree(out) == before


def test_a_memo_edited_by_hand_is_not_trusted(
    fleet: Path, tmp_path: Path, parsed: list[str], render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    record = memo_file(out)
    text = record.read_text()
    assert '"clusters": ["c00007"]' in text
    record.write_text(text.replace('"clusters": ["c00007"]', '"clusters": []'))
    parsed.clear()
    result = render_fleet(fleet, out=out).result
    assert len(parsed) == 13  # the whole fleet: c00007 would otherwise be lost
    _same_as_scratch(fleet, out, result, tmp_path, render_fleet)


def test_a_changed_kkp_version_flag_checks_every_file_again(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """--kkp-version is an input of every file's check: with an older patch, whose KKP does
    not offer the fleet's Kubernetes versions, no file keeps its old verdict."""
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    before = _tree(out)
    older = SourceOptions(repo=fleet, kkp_version="v2.20.0")
    with pytest.raises(KkpgenError) as caught:
        update.render_fleet(older, update.RenderOptions(out))
    refused = [d for d in caught.value.diagnostics if d.code == "cluster.version.unsupported"]
    assert len(refused) == 12
    assert _tree(out) == before


def test_a_changed_addon_variable_renders_its_cluster_again(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """A cluster's input digest holds its Addons: a new variable is not a current folder."""
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    addon = (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: metrics-server, namespace: cluster-c00002}\n"
        "spec: {name: metrics-server, cluster: {name: c00002}, variables: {replicas: 3}}\n"
    )
    _edit(fleet, "c00002", lambda text: text + addon)
    result = render_fleet(fleet, out=out).result
    assert result.rendered == 1
    deployment = out / "c00002/user-cluster/metrics-server/deployment-metrics-server.yaml"
    assert "replicas: 3\n" in deployment.read_text()
    scratch = tmp_path / "scratch"
    render_fleet(fleet, out=scratch)
    assert _tree(out) == _tree(scratch)


def test_a_render_of_another_ref_names_the_new_ref(fleet: Path, tmp_path: Path) -> None:
    """The ref is an input of every file's check (each diagnostic names it): a render of
    another ref keeps no verdict that names the old one."""
    out = tmp_path / "out"
    branch = git(fleet, "rev-parse", "--abbrev-ref", "HEAD").strip()
    first = update.render_fleet(SourceOptions(repo=fleet, ref="HEAD"), update.RenderOptions(out))
    assert first.notices
    assert {n.location.ref for n in first.notices} == {"HEAD"}
    again = update.render_fleet(SourceOptions(repo=fleet, ref=branch), update.RenderOptions(out))
    assert {n.location.ref for n in again.notices} == {branch}
    assert again.files == 0  # the same commit: nothing to write
    _edit(fleet, "c00001", lambda t: f"# owner: team-a\n{t}")  # the file with a warning
    commit_all(fleet, "a comment")
    changed = update.render_fleet(SourceOptions(repo=fleet, ref=branch), update.RenderOptions(out))
    assert {n.location.ref for n in changed.notices} == {branch}


def test_a_repository_that_lost_its_kubermatic_yaml_is_refused_with_the_way_out(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    (fleet / CONFIG_FILE).unlink()
    with pytest.raises(KkpgenError) as caught:
        render_fleet(fleet, out=out)
    assert [d.code for d in caught.value.diagnostics] == ["config.missing"]


def _memo(opts: SourceOptions, tree: SourceTree, run: str = "run") -> OutputInputs:
    """What a full check of `tree` keeps for the next render."""
    checked = check_fleet(opts, tree=tree)
    diagnostics = sorted(checked.diagnostics, key=diagnostic_order)
    files, shared = file_records(checked, tree, diagnostics)
    return OutputInputs(run, {}, sources_digest(tree, opts, run), files, shared)


def test_recheck_checks_the_changed_files_alone_and_keeps_the_others(fleet: Path) -> None:
    opts = SourceOptions(repo=fleet)
    tree = read_tree(fleet, None)
    old = _memo(opts, tree)
    assert sorted(old.files) == [f"clusters/c{i:05d}.yaml" for i in range(12)]
    assert old.files["clusters/c00001.yaml"].clusters == ("c00001",)
    warned = old.files["clusters/c00001.yaml"].diagnostics
    assert [(d.code, d.cluster) for d in warned] == [("cni.version.forced-upgrade", "c00001")]
    same = recheck(opts, old, tree)
    assert same is not None
    assert (same.checked, same.kept, same.sources) == (None, old.files, old.sources)
    assert [f.path for f in same.changed.files] == [CONFIG_FILE]
    _edit(fleet, "c00003", lambda t: t.replace('version: "1.23.', 'version: "1.22.', 1))
    changed = recheck(opts, old, read_tree(fleet, None))
    assert changed is not None
    assert changed.checked is not None
    assert [c.name for c in changed.checked.resolved] == ["c00003"]
    assert [f.path for f in changed.changed.files] == [CONFIG_FILE, "clusters/c00003.yaml"]
    assert sorted(changed.kept) == sorted(set(old.files) - {"clusters/c00003.yaml"})


def test_recheck_leaves_anything_unusual_to_a_full_check(fleet: Path) -> None:
    opts = SourceOptions(repo=fleet)
    tree = read_tree(fleet, None)
    old = _memo(opts, tree)
    assert recheck(opts, None, tree) is None  # no memo
    assert recheck(SourceOptions(repo=fleet, base="HEAD"), old, tree) is None
    assert recheck(opts, replace(old, files={}), tree) is None
    assert recheck(opts, replace(old, run="another run"), tree) is None  # an edited memo
    config = fleet / CONFIG_FILE
    config.write_text(config.read_text() + "# a comment\n")  # shared by every file's check
    assert recheck(opts, old, read_tree(fleet, None)) is None
    config.write_text(config.read_text().removesuffix("# a comment\n"))
    _edit(fleet, "c00003", lambda t: t.replace("name: c00003", "name: c00002", 1))
    assert recheck(opts, old, read_tree(fleet, None)) is None  # a name a kept file has
    _edit(fleet, "c00003", lambda t: t + "  bogus: [\n")
    assert recheck(opts, old, read_tree(fleet, None)) is None  # an error: the full check says it


def test_a_file_whose_addon_names_a_cluster_of_another_file_is_not_kept(fleet: Path) -> None:
    addon = (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: hubble, namespace: cluster-c00002}\n"
        "spec: {name: hubble, cluster: {name: c00002}}\n"
    )
    _edit(fleet, "c00004", lambda text: text + addon)
    tree = read_tree(fleet, None)
    old = _memo(SourceOptions(repo=fleet), tree)
    assert "clusters/c00004.yaml" not in old.files
    assert "clusters/c00002.yaml" not in old.files
    assert len(old.files) == 10
    assert CONFIG_FILE not in old.files


def test_a_diagnostic_of_no_cluster_is_kept_apart_from_the_files() -> None:
    where = Location("kubermatic.yaml", 3, 1)
    shared = Diagnostic("config.x", where, "", "m", "h", "warning")
    clustered = Diagnostic("cni.y", Location("clusters/a.yaml", 2, 1), "", "m", "h", "notice", "a")
    order = sorted([clustered, shared], key=diagnostic_order)
    assert order == sorted([shared, clustered], key=diagnostic_order)
    twins = [replace(shared, hint="z"), replace(shared, hint="a"), replace(shared, message="a")]
    assert [d.hint for d in sorted(twins, key=diagnostic_order)] == ["h", "a", "z"]


def test_the_memo_keeps_a_file_of_no_cluster_and_the_diagnostics_of_none(fleet: Path) -> None:
    (fleet / "clusters" / "notes.yaml").write_text("# clusters move here next quarter\n")
    opts = SourceOptions(repo=fleet)
    tree = read_tree(fleet, None)
    checked = check_fleet(opts, tree=tree)
    fleet_wide = Diagnostic("config.x", Location(CONFIG_FILE, 3, 1), "", "m", "h", "warning")
    files, shared = file_records(checked, tree, [*checked.diagnostics, fleet_wide])
    assert files["clusters/notes.yaml"].clusters == ()
    assert files["clusters/notes.yaml"].diagnostics == ()
    assert shared == (fleet_wide,)
    assert sum(len(record.diagnostics) for record in files.values()) == len(checked.diagnostics)


def test_a_render_against_a_base_leaves_no_finding_for_the_next_render(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """A render with --base notes what changes from the base (a tunnel switch); its records
    hold that note, so the next render without --base checks every file again rather than
    print the note from them."""
    on = "konnectivityEnabled: true"
    spec = next(p for p in sorted((fleet / "clusters").glob("*.yaml")) if on in p.read_text())
    spec.write_text(spec.read_text().replace(on, "konnectivityEnabled: false"))  # to OpenVPN
    out = tmp_path / "out"
    against_base = update.render_fleet(
        SourceOptions(repo=fleet, base="HEAD"), update.RenderOptions(out)
    )
    assert "network.konnectivity.switch" in [d.code for d in against_base.notices]
    result = update.render_fleet(SourceOptions(repo=fleet), update.RenderOptions(out))
    assert "network.konnectivity.switch" not in [d.code for d in result.notices]
    _same_as_scratch(fleet, out, result, tmp_path, render_fleet)
