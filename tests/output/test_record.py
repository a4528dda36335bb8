"""The incremental record: every input is in its digest, and the record reads back whole."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from kkpgen.diagnostics import Diagnostic, Location
from kkpgen.kkp.catalog import CATALOG_PATH
from kkpgen.kkp.charts import CHARTS_DIR
from kkpgen.models.layout import CLUSTER_RECORD
from kkpgen.output import record
from kkpgen.output.record import (
    OutputInputs,
    SpecFileRecord,
    cluster_digest,
    digest_files,
    parse_inputs,
    plan_changes,
)


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
