"""Chart: Chart.yaml, values.yaml and template names of one chart folder, loaded once per run."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.source.sourcemap import load_data


def _installed_charts() -> Path:
    """charts/ as installed with the package (the wheel maps the repository's charts/ to
    generator/charts; a checkout links it there), so an installed kkpgen finds its charts."""
    found = resources.files("kkpgen").joinpath("charts")
    if not isinstance(found, Path):  # a zipped install: Jinja's loader needs real folders
        raise TypeError("kkpgen must be installed unpacked, not from a zip file")
    return found


CHARTS_DIR = _installed_charts()
SEED_TEMPLATES = "seed/"  # templates below templates/seed/ render into the seed
# The chart library below charts/: the macros (templates/_helpers.tpl) and the schema
# definitions (definitions.schema.json) every chart shares. Not a chart: no Chart.yaml.
LIBRARY = "_library"


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    version: str
    app_version: str
    description: str
    values: Mapping[str, object]
    templates: tuple[str, ...]  # paths relative to templates/, sorted; no helpers
    schema: Mapping[str, object] | None = None  # values.schema.json: what an Addon may set

    def template_path(self, template: str) -> str:
        """The loader name of a template: charts/ is the root."""
        return f"{self.name}/templates/{template}"


def _chart_error(path: Path, message: str) -> KkpgenError:
    return KkpgenError(
        [Diagnostic("chart.invalid", Location(str(path)), "", message, "fix the chart")],
        exit_code=ExitCode.INTERNAL,
    )


def load_chart(folder: Path) -> Chart:
    meta = load_data((folder / "Chart.yaml").read_text(encoding="utf-8"))
    values_file = folder / "values.yaml"
    values = load_data(values_file.read_text(encoding="utf-8")) if values_file.exists() else {}
    if not isinstance(meta, dict) or meta.get("name") != folder.name:
        raise _chart_error(folder / "Chart.yaml", "Chart.yaml name must equal the folder name")
    schema_file = folder / "values.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8")) if schema_file.exists() else None
    templates_dir = folder / "templates"
    templates = sorted(
        p.relative_to(templates_dir).as_posix()
        for p in templates_dir.rglob("*.yaml")
        if not p.name.startswith("_")
    )
    return Chart(
        name=str(meta["name"]),
        version=str(meta["version"]),
        app_version=str(meta.get("appVersion", "")),
        description=str(meta.get("description", "")),
        values=values or {},
        templates=tuple(templates),
        schema=schema,
    )


# A chart's data files (like Helm's .Files): YAML below <chart>/files/, read by templates
# through the `files` global of the Jinja environment.
FILES = "files"


@functools.cache  # shipped with kkpgen: each is read once per process, when first used
def load_chart_file(root: Path, chart: str, name: str) -> object:
    path = root / chart / FILES / name
    try:
        return load_data(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _chart_error(path, f"cannot read the chart data file: {error}") from None


@dataclass(frozen=True, slots=True)
class ChartFiles:
    """`files.get("canal", "crds.yaml")` in a template: constant data, so the template memo
    need not record what is read from it (the record digests every file below charts/)."""

    root: Path

    def get(self, chart: str, name: str) -> object:
        return load_chart_file(self.root, chart, name)


@functools.cache  # the charts ship with kkpgen: read them once per process (check, render)
def load_charts(root: Path = CHARTS_DIR) -> Mapping[str, Chart]:
    return {
        folder.name: load_chart(folder)
        for folder in sorted(root.iterdir())
        if (folder / "Chart.yaml").is_file()
    }
