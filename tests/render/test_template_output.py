"""render/engine.py and contents.py: what a template writes becomes objects, or an error that
names the template and what it wrote instead; each template is read once per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kkpgen.diagnostics import KkpgenError
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.charts import CHARTS_DIR, load_charts
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render.contents import render_cluster
from kkpgen.render.engine import Renderer, build_environment
from tests.conftest import CONFIG, cluster_yaml


def objects_of(root: Path, text: str) -> tuple[str, ...]:
    (root / "t.yaml").write_text(text, encoding="utf-8")
    found = Renderer(build_environment(root)).objects("t.yaml", "c/templates/t.yaml", {})
    return tuple(f"{o.kind}/{o.name}" for o in found)


@pytest.mark.parametrize(
    ("document", "kind"),
    [("- a\n", "list"), ("just text\n", "str"), ("3\n", "int"), ("true\n", "bool")],
)
def test_a_document_that_is_not_an_object_is_refused_by_what_it_is(
    tmp_path: Path, document: str, kind: str
) -> None:
    text = f"kind: ConfigMap\nmetadata: {{name: a}}\n---\n{document}"
    with pytest.raises(ValueError, match=f"^a document is a {kind}, not an object$"):
        objects_of(tmp_path, text)


@pytest.mark.parametrize(
    "document",
    ["kind: ConfigMap\nmetadata: {namespace: x}\n", "metadata: {name: a}\n", "kind: A\n"],
    ids=["no-name", "no-kind", "no-metadata"],
)
def test_an_object_without_a_kind_or_a_name_is_refused(tmp_path: Path, document: str) -> None:
    with pytest.raises(ValueError, match=r"^every object needs kind and metadata\.name$"):
        objects_of(tmp_path, document)


def test_empty_documents_are_skipped(tmp_path: Path) -> None:
    text = "---\n---\nkind: ConfigMap\nmetadata: {name: a}\n---\n# only a comment\n"
    assert objects_of(tmp_path, text) == ("ConfigMap/a",)


def test_a_template_is_read_once_per_run(tmp_path: Path) -> None:
    """A chart edited while kkpgen renders a fleet does not put two versions of it in one
    tree: the environment never looks at a template file again once it has loaded it."""
    env = build_environment(tmp_path)
    (tmp_path / "t.yaml").write_text("kind: ConfigMap\nmetadata: {name: before}\n")
    first = Renderer(env).objects("t.yaml", "c/templates/t.yaml", {})
    template = tmp_path / "t.yaml"
    later = template.stat().st_mtime + 10  # changed, even where file times are coarse
    template.write_text("kind: ConfigMap\nmetadata: {name: after}\n")
    os.utime(template, (later, later))
    again = Renderer(env).objects("t.yaml", "c/templates/t.yaml", {})
    assert [o.name for o in (*first, *again)] == ["before", "before"]


def render_with_template(tmp_path: Path, text: str) -> None:
    """Render a cluster with the charts of the checkout plus kube-proxy/templates/extra.yaml."""
    root = tmp_path / "charts"
    shutil.copytree(CHARTS_DIR, root)
    (root / "kube-proxy" / "templates" / "extra.yaml").write_text(text, encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    (repo / "clusters" / "c1.yaml").write_text(cluster_yaml("c1"))
    (cluster,) = check_fleet(SourceOptions(repo=repo)).resolved
    renderer = Renderer(build_environment(root))
    render_cluster(cluster, charts=load_charts(root), renderer=renderer, catalog=load_catalog())


def test_a_failing_template_is_named_with_its_line_and_the_cluster(tmp_path: Path) -> None:
    with pytest.raises(KkpgenError) as caught:
        render_with_template(tmp_path, "kind: ConfigMap\nmetadata:\n  name: {{ nothing.here }}\n")
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.location.file) == (
        "render.template",
        "charts/kube-proxy/templates/extra.yaml",
    )
    assert problem.location.line == 3
    assert problem.message.startswith("rendering kube-proxy for cluster 'c1' failed: ")
    assert problem.cluster == "c1"


def test_two_objects_of_one_name_are_refused_at_the_template(tmp_path: Path) -> None:
    twice = (
        "kind: ConfigMap\nmetadata: {name: twice}\n---\nkind: ConfigMap\nmetadata: {name: twice}\n"
    )
    with pytest.raises(KkpgenError) as caught:
        render_with_template(tmp_path, twice)
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.location.file) == (
        "render.duplicate-object",
        "charts/kube-proxy/templates/extra.yaml",
    )
    assert (
        problem.message == "two objects render to c1/user-cluster/kube-proxy/configmap-twice.yaml"
    )
    assert problem.hint == "give each object of a chart a distinct kind and name"
