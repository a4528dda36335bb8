"""The one Jinja2 environment, and ChartRelease -> Manifests (template errors as Diagnostics)."""

from __future__ import annotations

import base64
import json
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

import jinja2
import yaml

from generator.charts import CHARTS_DIR, SEED_TEMPLATES, Chart
from generator.diagnostics import Diagnostic, KkpgenError, Location
from generator.manifests import (
    CRD_SYNC_WAVE,
    SYNC_WAVE,
    Destination,
    Manifest,
    canonical_text,
    dump_yaml,
)
from generator.plan import ChartRelease


class TemplateFailure(Exception):
    """Raised by the `required` filter, like Helm's `required`."""


def _required(value: object, message: str = "a required value is missing") -> object:
    if value is None or value == "" or isinstance(value, jinja2.Undefined):
        raise TemplateFailure(message)
    return value


def _toyaml(value: object) -> str:
    return dump_yaml(value).rstrip("\n")


def _nindent(text: str, width: int) -> str:
    return "\n" + jinja2.filters.do_indent(str(text), width, first=True)


def _quote(value: object) -> str:
    return json.dumps(str(value))  # a JSON string is a valid double-quoted YAML string


def _b64enc(value: object) -> str:
    return base64.b64encode(str(value).encode()).decode()


def build_environment(root: Path = CHARTS_DIR) -> jinja2.Environment:
    """The one environment of a run: templates compile once and are reused for every cluster."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701  manifests are YAML, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        toyaml=_toyaml, nindent=_nindent, quote=_quote, required=_required, b64enc=_b64enc
    )
    return env


def merge_values(base: Mapping[str, object], overrides: Mapping[str, object]) -> dict[str, object]:
    merged = dict(base)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_values(current, value)
        else:
            merged[key] = value
    return merged


def _template_line(error: BaseException, name: str) -> int | None:
    if isinstance(error, jinja2.TemplateSyntaxError):
        return error.lineno
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(name)]
    return frames[-1].lineno if frames else None


def _failure(
    release: ChartRelease, template: str, error: BaseException, message: str
) -> KkpgenError:
    path = f"charts/{release.chart}/templates/{template}"
    return KkpgenError(
        [
            Diagnostic(
                "render.template",
                Location(path, _template_line(error, template)),
                "",
                f"rendering {release.chart} for cluster {release.cluster.name!r} failed: {message}",
                "fix the template, or the value it reads",
                cluster=release.cluster.name,
            )
        ]
    )


def _documents(text: str) -> Iterator[dict[str, object]]:
    for doc in yaml.safe_load_all(text):
        if doc is not None:
            if not isinstance(doc, dict):
                raise ValueError(f"a document is a {type(doc).__name__}, not an object")
            yield doc


def _to_manifest(doc: dict[str, object], release: ChartRelease, template: str) -> Manifest:
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not doc.get("kind") or not meta.get("name"):
        raise ValueError("every object needs kind and metadata.name")
    kind, name = str(doc["kind"]), str(meta["name"])
    if kind == "CustomResourceDefinition":
        annotations = meta.setdefault("annotations", {})
        annotations.setdefault(SYNC_WAVE, CRD_SYNC_WAVE)
    destination: Destination = "seed" if template.startswith(SEED_TEMPLATES) else "user-cluster"
    source = f"{release.chart}/templates/{template}"
    namespace = meta.get("namespace")
    return Manifest(
        release.cluster.name,
        destination,
        release.chart,
        template,
        kind,
        name,
        None if namespace is None else str(namespace),
        canonical_text(doc, source=source),
    )


def render_release(
    release: ChartRelease, *, chart: Chart, env: jinja2.Environment, images: Mapping[str, str]
) -> tuple[Manifest, ...]:
    context = {
        "cluster": release.cluster,
        "values": merge_values(chart.values, release.overrides),
        "chart": chart,
        "images": images,
    }
    manifests: list[Manifest] = []
    for template in chart.templates:
        try:
            text = env.get_template(chart.template_path(template)).render(context)
        except jinja2.TemplateError as error:
            raise _failure(release, template, error, str(error)) from None
        except TemplateFailure as error:
            raise _failure(release, template, error, str(error)) from None
        try:
            manifests.extend(_to_manifest(doc, release, template) for doc in _documents(text))
        except (yaml.YAMLError, ValueError) as error:
            raise _failure(
                release, template, error, f"output is not a valid object: {error}"
            ) from None
    return tuple(manifests)
