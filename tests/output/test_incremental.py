"""Re-renders touch only what changed, and end byte-identical to a render from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.fleet import make_fleet
from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.models.layout import CLUSTER_RECORD
from kkpgen.output.record import read_inputs
from kkpgen.render import contents
from tests.conftest import CONFIG, RenderFleet, cluster_yaml


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / "clusters" / f"{name}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return make_fleet(tmp_path / "fleet", 12, seed=5)


def test_one_changed_cluster_swaps_only_its_folder(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    untouched = out / "c00001" / "resolved.yaml"
    inode = untouched.stat().st_ino
    _edit(fleet, "c00003", 'version: "1.23.', 'version: "1.22.')
    result = render_fleet(fleet, out=out).result
    assert untouched.stat().st_ino == inode  # not rewritten, not even relinked
    assert result.rendered == 1
    # one cluster's files, not the fleet's (its record is not counted)
    assert result.files == len(_tree(out / "c00003")) - 1
    scratch = tmp_path / "scratch"
    render_fleet(fleet, out=scratch)
    assert _tree(out) == _tree(scratch)


@pytest.mark.parametrize("only", [(), ("c00003",)], ids=["rechecked", "checked"])
def test_a_wave_change_counts_its_folder_and_the_argocd_files_it_rewrites(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet, only: tuple[str, ...]
) -> None:
    """One folder swapped in and argocd/ made again after it (all of it, as one folder):
    both are files written, whether the render checks every file or one (--cluster)."""
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    argocd = _tree(out / "argocd")
    wave = '  labels:\n    kkpgen/rollout-wave: "7"\n'
    _edit(fleet, "c00003", "  annotations:\n", wave + "  annotations:\n")
    result = render_fleet(fleet, out=out, only=only).result
    assert _tree(out / "argocd") != argocd  # the wave is in argocd/
    assert result.rendered == 1
    assert result.files == len(_tree(out / "c00003")) - 1 + len(_tree(out / "argocd"))


def test_an_unchanged_fleet_renders_nothing_again(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    first = render_fleet(fleet, out=out).result
    before = _tree(out)
    second = render_fleet(fleet, out=out).result
    # the ownership marker and the clusters' own records are not counted
    assert (first.files, first.rendered, first.clusters) == (len(before) - 1 - 12, 12, 12)
    assert (second.files, second.rendered, second.clusters) == (0, 0, 12)
    assert _tree(out) == before


def test_added_and_removed_clusters_match_a_render_from_scratch(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    (fleet / "clusters" / "c00002.yaml").unlink()
    text = (fleet / "clusters" / "c00004.yaml").read_text().replace("c00004", "c99999")
    (fleet / "clusters" / "c99999.yaml").write_text(text)
    render_fleet(fleet, out=out)
    scratch = tmp_path / "scratch"
    render_fleet(fleet, out=scratch)
    assert _tree(out) == _tree(scratch)
    assert not (out / "c00002").exists()


def test_a_changed_run_input_renders_everything(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    record = read_inputs(out)
    assert record is not None
    # Each folder's own record says which run rendered it (as another kkpgen version would)
    for marker in out.glob(f"*/{CLUSTER_RECORD}"):
        marker.write_text(marker.read_text().replace(record.run, "0" * len(record.run)))
    result = render_fleet(fleet, out=out).result
    assert result.rendered == 12  # every cluster again
    assert result.files == len(_tree(out)) - 1 - 12


def test_shards_split_the_fleet_without_overlap_and_stay_put(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    names = [f"c{i:05d}" for i in range(12)]
    shards = [contents.shard_names(names, k, 3) for k in (1, 2, 3)]
    assert sorted(name for shard in shards for name in shard) == names
    assert contents.shard_names([*names, "c99999"], 2, 3) in (shards[1], [*shards[1], "c99999"])
    out = tmp_path / "out"
    render_fleet(fleet, out=out, shard=(2, 3))
    rendered = sorted(p.name for p in out.iterdir() if p.is_dir() and p.name != "argocd")
    assert rendered == shards[1]


def test_a_render_in_worker_processes_is_byte_identical(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    render_fleet(fleet, out=serial)
    result = render_fleet(fleet, out=parallel, jobs=3).result
    assert _tree(parallel) == _tree(serial)
    # the ownership marker and the clusters' own records are not counted
    assert result.files == len(_tree(serial)) - 1 - 12


def test_an_error_in_a_worker_is_reported_and_out_is_untouched(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    for marker in out.glob(f"*/{CLUSTER_RECORD}"):  # force a full render
        marker.unlink()
    before = _tree(out)
    failing = KkpgenError([Diagnostic("render.template", Location("charts/x"), "", "boom")])

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise failing

    monkeypatch.setattr(contents, "render_cluster", broken)
    with pytest.raises(KkpgenError) as caught:
        render_fleet(fleet, out=out, jobs=2)
    assert caught.value.diagnostics[0].message == "boom"
    assert _tree(out) == before


def test_a_new_node_access_network_renders_the_openvpn_clusters_again(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """kubermatic.yaml's kkpgen/node-access-network is in no cluster's document."""
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    config = fleet / "kubermatic.yaml"
    text = config.read_text()
    assert "  annotations:\n" in text
    config.write_text(
        text.replace(
            "  annotations:\n",
            '  annotations:\n    kkpgen/node-access-network: "10.99.0.0/16"\n',
            1,
        )
    )
    render_fleet(fleet, out=out)
    scratch = tmp_path / "scratch"
    render_fleet(fleet, out=scratch)
    assert _tree(out) == _tree(scratch)
    assert any(b"10.99.0.0" in data for data in _tree(out).values())


def test_a_kkp_upgrade_renders_again_the_clusters_whose_documents_stay_the_same(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """KKP v2.30.6 -> v2.31.0 changes the konnectivity agent's affinity and nothing of the
    resolved Cluster: a folder kept by its record would hold v2.30.6's Deployment."""
    spec = cluster_yaml(
        "c1",
        version='"1.34.10"',
        extra="cniPlugin: {type: canal, version: v3.31}\n",
    ).replace(
        "  name: c1\n", '  name: c1\n  annotations:\n    kkpgen/konnectivity-server-port: "31210"\n'
    )
    config = CONFIG.replace('"v2.20"', '"v2.30.6"')
    out = tmp_path / "out"
    render_fleet(tmp_path / "repo", specs={"c1": spec}, config=config, out=out)
    config = config.replace('"v2.30.6"', '"v2.31.0"')
    render_fleet(tmp_path / "repo", specs={"c1": spec}, config=config, out=out)
    scratch = tmp_path / "scratch"
    render_fleet(tmp_path / "repo", out=scratch)
    assert _tree(out) == _tree(scratch)
    agent = out / "c1/user-cluster/konnectivity/deployment-konnectivity-agent.yaml"
    assert "weight: 100" in agent.read_text()


def test_an_empty_shard_renders_nothing_and_says_so(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    names = [f"c{i:05d}" for i in range(12)]
    empty = next(k for k in range(1, 41) if not contents.shard_names(names, k, 40))
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    before = _tree(out)
    result = render_fleet(fleet, out=out, shard=(empty, 40)).result
    assert (result.files, result.rendered, result.clusters) == (0, 0, 12)
    (notice,) = [n for n in result.notices if n.code == "render.shard-empty"]
    assert (notice.severity, notice.location, notice.field) == ("notice", Location(""), "")
    assert notice.hint == "nothing to do: the other shards render every cluster"
    assert notice.message == (
        f"shard {empty}/40 holds none of the 12 clusters: nothing rendered, the output is as it was"
    )
    assert _tree(out) == before


def test_full_renders_every_cluster_again_to_the_same_bytes(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    out = tmp_path / "out"
    first = render_fleet(fleet, out=out).result
    before = _tree(out)
    again = render_fleet(fleet, out=out, full=True).result
    assert (again.rendered, again.files) == (12, first.files)
    assert _tree(out) == before


def test_validate_checks_the_staged_tree_and_a_refused_one_is_not_swapped_in(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--validate checks what is about to be swapped in, even when nothing changed, and shows
    the files under <out>'s name; a finding leaves <out> as it was."""
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    before = _tree(out)
    seen: list[tuple[object, ...]] = []

    def validating(root: Path, **options: object) -> int:
        assert (options["kubeconform"], options["cache_dir"]) == ("/opt/kc", schemas)
        seen.append((root.parent, options["backend"], options["display_root"], len(_tree(root))))
        raise KkpgenError([Diagnostic("validate.schema", Location("x.yaml"), "", "refused")])

    monkeypatch.setattr("kkpgen.validate.run_validation", validating)
    schemas = tmp_path / "schemas"

    def refused_render() -> None:
        with pytest.raises(KkpgenError, match="refused"):
            render_fleet(
                fleet,
                out=out,
                validate=True,
                backend="builtin",
                kubeconform="/opt/kc",
                schema_cache=schemas,
            )

    refused_render()
    assert seen == [(tmp_path, "builtin", str(out), len(before))]
    _edit(fleet, "c00003", 'version: "1.23.', 'version: "1.22.')
    seen.clear()
    refused_render()
    # the one changed folder, staged with its record and the ownership marker
    assert seen == [(tmp_path, "builtin", str(out), len(_tree(out / "c00003")) + 1)]
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_a_shard_renders_only_the_clusters_named_that_are_in_it(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    names = [f"c{i:05d}" for i in range(12)]
    shard = contents.shard_names(names, 1, 3)
    other = next(name for name in names if name not in shard)
    assert len(shard) >= 2
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    for name in (shard[0], shard[1], other):
        _edit(fleet, name, "metadata:\n", "metadata:\n  labels: {team: a}\n")
    before = _tree(out)
    result = render_fleet(fleet, out=out, shard=(1, 3), only=(shard[0], other)).result
    assert result.rendered == 1
    after = _tree(out)
    changed = sorted({path.split("/")[0] for path in after if after[path] != before.get(path)})
    assert changed == [shard[0]]


def test_a_destination_folder_removed_by_hand_is_made_again_through_the_whole_tree(
    fleet: Path, tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """A cluster whose destination folders differ from what it renders changes argocd/ too:
    not the one-folder swap; and the folder staged for that swap is not left behind."""
    out = tmp_path / "out"
    render_fleet(fleet, out=out)
    shutil.rmtree(out / "c00003" / "seed")
    result = render_fleet(fleet, out=out).result
    assert result.rendered == 1
    scratch = tmp_path / "scratch"
    render_fleet(fleet, out=scratch)
    assert _tree(out) == _tree(scratch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet", "out", "scratch"]
