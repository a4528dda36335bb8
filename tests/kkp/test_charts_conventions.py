"""Every chart follows the house layout: Chart.yaml fields, documented values, helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kkpgen.kkp.charts import CHARTS_DIR, load_chart

CHARTS = sorted(p.parent for p in CHARTS_DIR.glob("*/Chart.yaml"))
KEY = re.compile(r"^(?P<indent>\s*)(?:- )?(?P<key>[A-Za-z0-9_.\-/]+):(?P<value>.*)$")


@pytest.mark.parametrize("folder", CHARTS, ids=[p.name for p in CHARTS])
def test_chart_yaml_has_the_required_fields(folder: Path) -> None:
    meta = yaml.safe_load((folder / "Chart.yaml").read_text())
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == folder.name
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert isinstance(meta["appVersion"], str)
    assert meta["appVersion"]
    assert meta["description"]
    assert meta["kubeVersion"]
    assert (folder / "README.md").is_file()


def _undocumented_keys(text: str) -> list[str]:
    """Leaf keys with neither a `# --` comment above them nor a documented parent.

    A group key (`agent:` with the value on the next lines) needs no comment of its own
    when each of its leaves has one (helm-docs documents leaves).
    """
    missing: list[str] = []
    documented_indents: list[int] = []  # indents of the documented ancestors in scope
    previous_comment = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            previous_comment = True
            continue
        if stripped.startswith("#") or not stripped:
            previous_comment = previous_comment and stripped.startswith("#")
            continue
        match = KEY.match(line)
        if match is None:
            previous_comment = False
            continue
        indent = len(match.group("indent"))
        documented_indents = [i for i in documented_indents if i < indent]
        if previous_comment:
            documented_indents.append(indent)
        elif not documented_indents and match.group("value").split("#")[0].strip():
            missing.append(match.group("key"))
        previous_comment = False
    return missing


@pytest.mark.parametrize("folder", CHARTS, ids=[p.name for p in CHARTS])
def test_every_value_is_documented(folder: Path) -> None:
    values = folder / "values.yaml"
    assert _undocumented_keys(values.read_text()) == []


@pytest.mark.parametrize("folder", CHARTS, ids=[p.name for p in CHARTS])
def test_values_hold_no_images_or_versions(folder: Path) -> None:
    text = (folder / "values.yaml").read_text()
    assert not re.search(r"^\s*(image|tag|version)\s*:", text, re.M)


@pytest.mark.parametrize("folder", CHARTS, ids=[p.name for p in CHARTS])
def test_templates_are_listed_without_helpers(folder: Path) -> None:
    chart = load_chart(folder)
    assert chart.templates
    assert not any(Path(t).name.startswith("_") for t in chart.templates)


def test_undocumented_keys_are_found() -> None:
    text = "# -- documented\na: 1\nb: 2\n# -- parent\nc:\n  d: 3\ngroup:\n  e: 4\n"
    assert _undocumented_keys(text) == ["b", "e"]


@pytest.mark.parametrize("folder", CHARTS, ids=[p.name for p in CHARTS])
def test_the_label_set_and_image_tags_come_from_the_chart_library(folder: Path) -> None:
    """Issue 20: one labels helper and one image helper, in charts/_library (a label set
    written in a chart, or a tag cut from an image there, is a second way to do it)."""
    for path in sorted(p for p in (folder / "templates").rglob("*") if p.is_file()):
        text = path.read_text()
        name = path.relative_to(folder).as_posix()
        assert "app.kubernetes.io/managed-by" not in text, name
        assert not re.search(r"\{%-? macro (labels|tag|image_tag)\(", text), name
        assert not re.search(r"images\.\w+\.(split|rsplit|rpartition|partition)\(", text), name
