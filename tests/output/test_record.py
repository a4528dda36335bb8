"""The incremental record: every input is in its digest, and the record reads back whole."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from kkpgen.diagnostics import Diagnostic, Location
from kkpgen.kkp.catalog import CATALOG_PATH
from kkpgen.kkp.charts import CHARTS_DIR
from kkpgen.kkp.check import check_fleet
from kkpgen.models.layout import (
    ARGOCD_DIR,
    CLUSTER_RECORD,
    LEGACY_INPUTS_FILE,
    OWNER_MARKER,
)
from kkpgen.models.options import SourceOptions
from kkpgen.output import record
from kkpgen.output.record import (
    OutputInputs,
    SpecFileRecord,
    cluster_digest,
    cluster_record,
    current_argo,
    digest_files,
    fleet_inputs,
    foreign_entries,
    memo_name,
    parse_inputs,
    plan_changes,
    read_cluster_record,
    read_inputs,
    record_bytes,
    recorded_folders,
    sealed,
    write_record,
)
from kkpgen.render.applications import ArgoSettings, ClusterArgo
from tests.conftest import CONFIG, cluster_yaml
from tests.output.memo_helpers import memo_file


@pytest.fixture
def charts(tmp_path: Path) -> Path:
    root = tmp_path / "charts"
    (root / "a" / "templates").mkdir(parents=True)
    (root / "a" / "Chart.yaml").write_text("name: a\n")
    (root / "a" / "templates" / "x.yaml").write_text("kind: X\n")
    (root / "a" / "values.schema.json").write_text("{}\n")
    return root


def test_the_charts_digest_follows_every_template_schema_and_chart_file(charts: Path) -> None:
    """A chart's template source is an input of every cluster: any byte of it counts."""
    templates = charts / "a" / "templates"
    seen = {digest_files(charts)}
    (templates / "x.yaml").write_text("kind: Y\n")
    seen.add(digest_files(charts))
    (templates / "_helpers.tpl").write_text("{# m #}\n")
    seen.add(digest_files(charts))
    (charts / "a" / "values.schema.json").write_text('{"type": "object"}\n')
    seen.add(digest_files(charts))
    (templates / "x.yaml").rename(templates / "z.yaml")
    seen.add(digest_files(charts))
    assert len(seen) == 5


def test_the_charts_digest_leaves_out_what_does_not_shape_the_output(charts: Path) -> None:
    before = digest_files(charts)
    (charts / "a" / "README.md").write_text("# a\n")
    (charts / "a" / "templates" / "notes").mkdir()
    assert digest_files(charts) == before


def test_the_charts_digest_keeps_names_and_bytes_apart(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for root, name, text in ((one, "ab.yaml", "c"), (two, "a.yaml", "bc")):
        root.mkdir()
        (root / name).write_text(text)
    assert digest_files(one) != digest_files(two)


def test_a_cluster_digest_holds_the_addons_and_not_the_key_order() -> None:
    document = {"metadata": {"name": "c1"}, "spec": {"version": "1.23.6", "cloud": {}}}
    reordered = {"spec": {"cloud": {}, "version": "1.23.6"}, "metadata": {"name": "c1"}}
    assert cluster_digest(document, []) == cluster_digest(reordered, [])
    addon = {"name": "hubble", "variables": {"relay": {"replicas": 2}}}
    assert cluster_digest(document, [addon]) != cluster_digest(document, [])
    other = {"name": "hubble", "variables": {"relay": {"replicas": 3}}}
    assert cluster_digest(document, [addon]) != cluster_digest(document, [other])
    # a value JSON has no type for (a YAML date) is digested by its text, not refused
    dated = {**document, "created": datetime.date(2026, 1, 2)}
    assert cluster_digest(dated, []) != cluster_digest(document, [])


def test_the_record_reads_back_whole() -> None:
    where = Location("kubermatic.yaml", 6, 5, "HEAD")
    shared = Diagnostic("config.x", where, "metadata.annotations", "m", "h", "warning")
    mine = Diagnostic("cni.y", Location("clusters/a.yaml", 3, 1, "HEAD"), "spec", "m", "h",
                      "notice", "a")  # fmt: skip
    inputs = OutputInputs(
        "run", {"a": "d1"}, "sources", {"clusters/a.yaml": SpecFileRecord("f", ("a",), (mine,))},
        (shared,),
    )  # fmt: skip
    assert parse_inputs(inputs.to_bytes()) == inputs


def _recorded_folder(out: Path, name: str) -> None:
    (out / name).mkdir(parents=True)
    (out / name / CLUSTER_RECORD).write_bytes(b"kkpgen cluster record\n")


def test_the_plan_removes_what_either_record_knows_and_keeps_the_others_of_a_cluster_render(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    _recorded_folder(out, "a")
    _recorded_folder(out, "b")
    _recorded_folder(out, "left-by-a-killed-run")  # in <out>, not in the top record
    old = OutputInputs("run", {"a": "1", "b": "2", "gone": "3"})
    new = OutputInputs("run", {"a": "1", "b": "2"})
    plan = plan_changes(old, new, out=out, only=("a",))
    assert plan.render == ("a",)
    assert plan.keep == ("b",)
    assert plan.removed == ("gone", "left-by-a-killed-run")


def test_the_code_digest_holds_kkpgen_s_code_its_catalog_and_its_charts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A changed kkpgen (its Python code, its catalog data or its charts) checks and renders
    every cluster again: each of the three is an input of the digest."""
    package = Path(record.__file__).parents[1]
    parts = {
        (package, (".py",)): "code",
        (CATALOG_PATH.parent, (".yaml", ".tpl", ".json")): "catalog",
        (CHARTS_DIR, (".yaml", ".tpl", ".json")): "charts",
    }

    def digest(root: Path, suffixes: tuple[str, ...] = (".yaml", ".tpl", ".json")) -> str:
        return parts[(root, suffixes)]

    monkeypatch.setattr(record, "digest_files", digest)
    seen = {record.code_digest.__wrapped__()}
    for key in list(parts):
        parts[key] += " changed"
        seen.add(record.code_digest.__wrapped__())
    assert len(seen) == 4


def test_the_run_digest_holds_kkpgen_s_version_and_each_part_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new kkpgen release renders every cluster again, even with the same code digest."""
    first = record.run_digest("code", "settings")
    assert record.run_digest("code", "settings") == first
    assert record.run_digest("settings", "code") != first
    assert record.run_digest("code", "other") != first
    assert record.run_digest("codesettings") != first
    monkeypatch.setattr("kkpgen.output.record.metadata.version", lambda name: "99.0")
    assert record.run_digest("code", "settings") != first


ARGO = ClusterArgo("10", True, ("openvpn-server",))


def _write_folder(out: Path, files: dict[str, bytes], argo: ClusterArgo = ARGO) -> None:
    folder = out / "c1"
    folder.mkdir(parents=True, exist_ok=True)
    listing = []
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
        listing.append((path, hashlib.blake2b(data, digest_size=16).digest(), len(data)))
    (folder / CLUSTER_RECORD).write_bytes(cluster_record("run", "inputs", argo, listing))


FILES = {"seed/a.yaml": b"a: 1\n", "user-cluster/b/c.yaml": b"c: 2\n", "seed/empty.yaml": b""}


def test_a_cluster_record_reads_back_its_argo_facts_and_files(tmp_path: Path) -> None:
    _write_folder(tmp_path, FILES)
    read = read_cluster_record(tmp_path, "c1", "run", "inputs")
    assert read is not None
    assert read.argo == ARGO
    assert read.files == {
        path: (hashlib.blake2b(data, digest_size=16).hexdigest(), len(data))
        for path, data in FILES.items()
    }
    assert current_argo(tmp_path, "c1", "run", "inputs") == ARGO
    for run, inputs in (("other", "inputs"), ("run", "other")):
        assert read_cluster_record(tmp_path, "c1", run, inputs) is None
        assert current_argo(tmp_path, "c1", run, inputs) is None
    assert read_cluster_record(tmp_path, "c2", "run", "inputs") is None


RECORD_EDITS: dict[str, Callable[[str], str]] = {
    "argocd-tag": lambda text: text.replace("argocd ", "argo ", 1),
    "argocd-json": lambda text: text.replace('["10"', '["10"]', 1),
    "file-tag": lambda text: text.replace("file ", "File ", 1),
    "size-not-a-number": lambda text: text.replace(" 5 seed/a.yaml", " x seed/a.yaml", 1),
    "digest-not-hex": lambda text: text.replace("file ", "file zz", 1),
    "not-as-written": lambda text: text.replace("true", "1", 1),
    "file-added": lambda text: text + "file 00 1 extra.yaml\n",
    "size-spelled-otherwise": lambda text: text.replace(" 5 seed/a.yaml", " 05 seed/a.yaml", 1),
    "size-negative": lambda text: text.replace(" 0 seed/empty.yaml", " -0 seed/empty.yaml", 1),
    "short-line": lambda text: text + "file 00 1\n",
    "line-added": lambda text: text + "\n",
    "no-last-newline": lambda text: text.rstrip("\n"),
}


@pytest.mark.parametrize("edit", RECORD_EDITS)
def test_a_cluster_record_not_written_by_a_render_is_not_read(tmp_path: Path, edit: str) -> None:
    _write_folder(tmp_path, FILES)
    path = tmp_path / "c1" / CLUSTER_RECORD
    path.write_text(RECORD_EDITS[edit](path.read_text()))
    assert read_cluster_record(tmp_path, "c1", "run", "inputs") is None
    assert current_argo(tmp_path, "c1", "run", "inputs") is None


def test_a_cluster_record_in_a_linked_folder_or_as_a_link_is_not_read(tmp_path: Path) -> None:
    _write_folder(tmp_path / "elsewhere", FILES)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "c1").symlink_to(tmp_path / "elsewhere" / "c1")
    assert read_cluster_record(tmp_path / "out", "c1", "run", "inputs") is None
    _write_folder(tmp_path / "out2", {})
    record_file = tmp_path / "out2" / "c1" / CLUSTER_RECORD
    record_file.rename(tmp_path / "record")
    record_file.symlink_to(tmp_path / "record")
    assert read_cluster_record(tmp_path / "out2", "c1", "run", "inputs") is None


FOLDER_CHANGES: dict[str, Callable[[Path], object]] = {
    "same-size": lambda folder: (folder / "seed/a.yaml").write_bytes(b"a: 2\n"),
    "larger": lambda folder: (folder / "seed/a.yaml").write_bytes(b"a: 10\n"),
    "empty-filled": lambda folder: (folder / "seed/empty.yaml").write_bytes(b"x"),
    "removed": lambda folder: (folder / "seed/a.yaml").unlink(),
    "added": lambda folder: (folder / "seed/new.yaml").write_bytes(b""),
    "added-at-top": lambda folder: (folder / "new").write_bytes(b""),
    "link": lambda folder: (folder / "seed/link.yaml").symlink_to(folder / "seed/a.yaml"),
    # a link is an entry of its own, never descended into, even to a folder holding nothing
    "link-to-a-folder": lambda folder: (folder / "seed/in").symlink_to(folder / "empty-folder"),
    "pipe": lambda folder: os.mkfifo(folder / "seed/pipe"),
}


@pytest.mark.parametrize("change", FOLDER_CHANGES)
def test_a_folder_is_current_only_while_it_holds_exactly_what_its_record_lists(
    tmp_path: Path, change: str
) -> None:
    _write_folder(tmp_path, FILES)
    (tmp_path / "c1" / "empty-folder").mkdir()  # a folder holds nothing of its own
    assert current_argo(tmp_path, "c1", "run", "inputs") == ARGO
    FOLDER_CHANGES[change](tmp_path / "c1")
    assert current_argo(tmp_path, "c1", "run", "inputs") is None
    record = read_cluster_record(tmp_path, "c1", "run", "inputs")  # the record alone
    assert record is not None
    assert record.argo == ARGO


def _inputs(**clusters: str) -> OutputInputs:
    return OutputInputs("run", clusters)


def test_the_plan_keeps_current_folders_and_renders_the_others(tmp_path: Path) -> None:
    _write_folder(tmp_path, FILES)  # c1: current for run "run", inputs "inputs"
    (tmp_path / "c3").mkdir()  # no record
    (tmp_path / "c4").symlink_to(tmp_path / "c1")  # a link is no folder of kkpgen's
    new = _inputs(c1="inputs", c2="inputs", c3="inputs", c4="inputs")
    plan = plan_changes(None, new, out=tmp_path, only=())
    assert (plan.render, plan.keep, plan.removed) == (("c2", "c3", "c4"), ("c1",), ())
    assert plan.facts == {"c1": ARGO}
    changed = plan_changes(None, _inputs(c1="changed"), out=tmp_path, only=())
    assert (changed.render, changed.keep) == (("c1",), ())
    full = plan_changes(None, new, out=tmp_path, only=(), full=True)
    assert (full.render, full.keep, full.facts) == (("c1", "c2", "c3", "c4"), (), {})
    only = plan_changes(None, new, out=tmp_path, only=("c2",))
    assert (only.render, only.keep, only.facts) == (("c2",), ("c1", "c3"), {})
    named = plan_changes(None, new, out=tmp_path, only=("c1",))
    assert (named.render, named.keep) == (("c1",), ("c3",))


def test_foreign_entries_are_what_kkpgen_did_not_write_at_the_top_of_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_folder(out, FILES)  # a folder with a record: a removed cluster's
    for name in ("c2", "notes", ARGOCD_DIR):
        (out / name).mkdir()
    for name in (OWNER_MARKER, LEGACY_INPUTS_FILE, "README.md"):
        (out / name).write_text("")
    (out / "c5").symlink_to(out / "c1")  # a link to a recorded folder is not one
    assert foreign_entries(out, ["c2"]) == ["README.md", "c5", "notes"]
    assert recorded_folders(out) == {"c1"}
    assert foreign_entries(tmp_path / "missing", []) == []
    assert recorded_folders(tmp_path / "missing") == set()


SETTINGS = ArgoSettings("https://git.example.com/fleet.git", "main", "out", "seed", "applications")


def test_the_memo_reads_back_its_argo_settings_and_refuses_anything_else() -> None:
    inputs = OutputInputs("run", {"a": "d"}, "sources", {}, (), SETTINGS)
    assert parse_inputs(inputs.to_bytes()) == inputs
    other = replace(inputs, settings=replace(SETTINGS, mode="applicationset"))
    assert parse_inputs(other.to_bytes()) == other
    payload = json.loads(inputs.to_bytes())
    for broken in (
        {**payload, "format": 4},
        {**payload, "settings": {**payload["settings"], "mode": "bogus"}},
        {**payload, "settings": ["not", "an", "object"]},
        {key: value for key, value in payload.items() if key != "run"},
        [payload],
    ):
        assert parse_inputs(json.dumps(broken).encode()) is None
    assert parse_inputs(b"{not json") is None
    assert parse_inputs(None) is None


def test_one_memo_per_output_folder_whatever_name_reaches_it(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "out")
    name = memo_name(tmp_path / "out")
    assert memo_name(tmp_path / "link") == name
    assert memo_name(tmp_path / "other") != name


def test_the_memo_is_kept_sealed_and_read_back_only_for_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "out"
    inputs = OutputInputs("run", {"a": "d"}, "sources", {}, (), SETTINGS)
    write_record(out, inputs)
    assert memo_file(out).parent == tmp_path / "cache" / "kkpgen" / "records"
    assert read_inputs(out) == inputs
    assert record_bytes(out) == inputs.to_bytes()
    memo = memo_file(out)
    head, _, body = memo.read_bytes().partition(b"\n")
    memo.write_bytes(head + b"\n" + body.replace(b'"run"', b'"ran"'))
    assert record_bytes(out) is None
    memo.write_bytes(sealed(tmp_path / "other", body))  # sealed for another folder
    assert record_bytes(out) is None
    memo.write_bytes(sealed(out, body))
    assert read_inputs(out) == inputs


ARGO_CONFIG = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)


def _inputs_of(repo: Path, config: str, spec: str) -> OutputInputs:
    (repo / "clusters").mkdir(parents=True, exist_ok=True)
    (repo / "kubermatic.yaml").write_text(config)
    (repo / "clusters" / "c1.yaml").write_text(spec)
    return fleet_inputs(check_fleet(SourceOptions(repo=repo)))


def test_the_run_digest_follows_kkpgen_s_code_and_the_argo_settings_not_a_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every cluster is rendered again when kkpgen's code (even at the same version) or the
    Argo CD settings change; a change of one cluster changes its own digest alone."""
    base = _inputs_of(tmp_path, CONFIG, cluster_yaml("c1"))
    argo = _inputs_of(tmp_path, ARGO_CONFIG, cluster_yaml("c1"))
    moved = _inputs_of(tmp_path, ARGO_CONFIG.replace("fleet.git", "moved.git"), cluster_yaml("c1"))
    assert len({base.run, argo.run, moved.run}) == 3
    assert base.clusters == argo.clusters == moved.clusters
    edited = _inputs_of(tmp_path, CONFIG, cluster_yaml("c1", version='"1.22.9"'))
    assert edited.run == base.run
    assert edited.clusters["c1"] != base.clusters["c1"]
    monkeypatch.setattr(record, "code_digest", lambda: "another kkpgen, same version")
    assert _inputs_of(tmp_path, CONFIG, cluster_yaml("c1")).run != base.run
