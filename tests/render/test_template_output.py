"""render/engine.py: what a template writes becomes objects, or an error that names what it
wrote instead; each template is read once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kkpgen.render.engine import Renderer, build_environment


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
