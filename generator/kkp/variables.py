"""Addon variables: an Addon may set only what its chart's values.schema.json allows.

The schema (Helm's convention, beside values.yaml) gives every key its type and form, so a
value that would change a manifest's shape (`replicas: "1\\n---\\nkind: Secret"`, `null`, a
string where an object belongs) is refused here, at the Addon's file and line, before any
template sees it. Patterns match the whole value with ASCII classes: Python's `$` also
matches before a trailing newline, and `\\d` matches any Unicode digit.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from kkpgen.diagnostics import Diagnostic
from kkpgen.kkp.charts import CHARTS_DIR, LIBRARY, Chart
from kkpgen.kkp.subject import Code, Rule, RuleContext, Subject, rule
from kkpgen.source.fleet import LoadedAddon, LoadedCluster
from kkpgen.source.sourcemap import format_field

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry

# The chart library's schema, below charts/: the definitions (`$defs`) every chart's
# values.schema.json refers to as "../_library/definitions.schema.json#/$defs/<name>".
LIBRARY_SCHEMA = f"{LIBRARY}/definitions.schema.json"
_CLOSED: Mapping[str, object] = {"type": "object", "additionalProperties": False}

_MAX_KEYS_IN_HINT = 8
_MAX_VALUE_SHOWN = 60  # a value on one line of the terminal


def _whole_match(
    validator: object, pattern: str, instance: object, schema: object
) -> Iterator[ValidationError]:
    """JSON Schema `pattern`, anchored on the whole value: `^a$` refuses "a\\n"."""
    from jsonschema.exceptions import ValidationError

    del validator, schema
    if isinstance(instance, str):
        body = pattern.removeprefix("^").removesuffix("$")
        if re.fullmatch(f"(?:{body})", instance, re.ASCII) is None:
            yield ValidationError(f"{json.dumps(instance)} does not match {pattern!r}")


def _is_integer(checker: object, instance: object) -> bool:
    """Integers only: 1.0 and true are not replica counts."""
    del checker
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def validator_class() -> type[Validator]:
    """JSON Schema 2020-12 with whole-value patterns and strict integers. Built on first
    use: importing jsonschema costs every command 60 ms, and most fleets set no variables."""
    import jsonschema
    from jsonschema import Draft202012Validator

    return jsonschema.validators.extend(  # type: ignore[no-any-return, no-untyped-call]  # untyped upstream
        Draft202012Validator,
        validators={"pattern": _whole_match},
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
    )


@functools.cache
def _library_schema(root: Path) -> Mapping[str, object]:
    """The chart library's schema (its `$defs`), read once."""
    return cast("Mapping[str, object]", json.loads((root / LIBRARY_SCHEMA).read_bytes()))


@functools.cache
def _library(root: Path) -> Registry:
    """The chart library's schema, under the file URI the charts' `$ref`s resolve to."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(_library_schema(root), default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource((root / LIBRARY_SCHEMA).as_uri(), resource)
    return registry


def values_validator(chart: Chart, root: Path = CHARTS_DIR) -> Validator:
    """A validator of the chart's values.schema.json (closed: no key when it has none),
    with its `$ref`s into the chart library resolved from the files, offline."""
    uri = (root / chart.name / "values.schema.json").as_uri()
    schema = {"$id": uri, **(chart.schema or _CLOSED)}
    return validator_class()(schema, registry=_library(root))


def _describe(schema: Mapping[str, object]) -> str:
    """The `description` of a schema node, following one `$ref` into the chart library."""
    if "description" in schema:
        return str(schema["description"])
    ref = schema.get("$ref")
    if isinstance(ref, str) and "#/$defs/" in ref:
        defs = cast("Mapping[str, Mapping[str, object]]", _library_schema(CHARTS_DIR)["$defs"])
        return str(defs.get(ref.partition("#/$defs/")[2], {}).get("description", ""))
    return ""


def _properties(schema: Mapping[str, object]) -> list[str]:
    return sorted(cast("Mapping[str, object]", schema.get("properties", {})))


# Variables that became one platform setting: where each went.
_MOVED = {
    "nodeAccessNetwork": "the node access network is one value for the platform: set the "
    "annotation kkpgen/node-access-network in kubermatic.yaml and remove this variable",
}


def _unknown_key_hint(key: str, known: list[str]) -> str:
    if key in _MOVED:
        return _MOVED[key]
    close = difflib.get_close_matches(key, known, n=1)
    shown = ", ".join(known[:_MAX_KEYS_IN_HINT]) + (
        ", ..." if len(known) > _MAX_KEYS_IN_HINT else ""
    )
    known_text = f"known keys here: {shown}" if known else "this value takes no keys"
    return f"did you mean {close[0]!r}? {known_text}" if close else known_text


def _diagnostics(
    error: ValidationError, addon: LoadedAddon, chart: Chart, cluster: str
) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = _properties(cast("Mapping[str, object]", error.schema))
        for key in sorted(k for k in error.instance if k not in known):
            field_path = ("spec", "variables", *path, key)
            yield Diagnostic(
                "addon.variables.unknown",
                addon.source.locate(field_path),
                format_field(field_path),
                f"unknown variable {format_field((*path, key))!r} for the {chart.name} addon",
                _unknown_key_hint(str(key), known),
                cluster=cluster,
            )
        return
    field_path = ("spec", "variables", *path)
    value = json.dumps(error.instance, default=str)
    if len(value) > _MAX_VALUE_SHOWN:
        value = value[: _MAX_VALUE_SHOWN - 3] + "..."
    expected = _describe(cast("Mapping[str, object]", error.schema))
    yield Diagnostic(
        "addon.variables.invalid",
        addon.source.locate(field_path),
        format_field(field_path),
        f"{value} is not a valid value for {format_field(path)!r} of the {chart.name} addon",
        f"expected {expected}" if expected else error.message,
        cluster=cluster,
    )


def _unknown_addon(addon: LoadedAddon, charts: Mapping[str, Chart], cluster: str) -> Diagnostic:
    name = addon.addon.spec.name
    close = difflib.get_close_matches(name, sorted(charts), n=1, cutoff=0.75)
    hint = (
        f"did you mean {close[0]!r}? Write spec.name: {close[0]}"
        if close
        else f"name a kkpgen chart ({', '.join(sorted(charts))}) or an accessible addon "
        "of KKP (spec.api.accessibleAddons of kubermatic.yaml)"
    )
    return Diagnostic(
        "addon.unknown",
        addon.source.locate(("spec", "name")),
        "spec.name",
        f"addon {name!r} is neither a kkpgen chart nor an accessible addon of KKP: "
        "kkpgen renders nothing for it and its variables are not used",
        hint,
        severity="warning",
        cluster=cluster,
    )


def _duplicate(addon: LoadedAddon, first: LoadedAddon, cluster: str) -> Diagnostic:
    where = first.source.locate(("spec", "name"))
    return Diagnostic(
        "addon.duplicate",
        addon.source.locate(("spec", "name")),
        "spec.name",
        f"a second {addon.addon.spec.name!r} Addon for cluster {cluster!r}; the first is at "
        f"{where.file}:{where.line}",
        "merge the two Addons' variables into one Addon",
        cluster=cluster,
    )


def check_addon_variables(
    loaded: LoadedCluster, charts: Mapping[str, Chart], *, accessible: Collection[str] = ()
) -> list[Diagnostic]:
    """Addon spec.variables against the chart's values.schema.json; one Addon per chart.
    An Addon of no chart is KKP's business when it is an accessible addon (`accessible`),
    else most likely a typo, whose variables would be dropped without a word."""
    problems = []
    seen: dict[str, LoadedAddon] = {}
    for addon in loaded.addons:
        name = addon.addon.spec.name
        if name in seen:
            problems.append(_duplicate(addon, seen[name], loaded.name))
            continue
        seen[name] = addon
        chart = charts.get(name)
        if chart is None:
            if name not in accessible:
                problems.append(_unknown_addon(addon, charts, loaded.name))
            continue
        variables = addon.addon.spec.variables or {}
        validator = values_validator(chart)
        errors = sorted(validator.iter_errors(variables), key=lambda e: list(map(str, e.path)))
        for error in errors:
            problems.extend(_diagnostics(error, addon, chart, loaded.name))
    return problems


@rule(
    Code("addon.duplicate", "error", "spec.name", "merge the two Addons' variables into one"),
    Code(
        "addon.unknown",
        "warning",
        "spec.name",
        "name a kkpgen chart or an accessible addon of KKP",
    ),
    Code("addon.variables.unknown", "error", "spec.variables.*", "set a key the chart has"),
    Code("addon.variables.invalid", "error", "spec.variables*", "set a value the chart takes"),
)
def addon_variables_valid(subject: Subject, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Each Addon of the cluster against its chart's values.schema.json."""
    # KKP defaults an empty accessibleAddons list to its DefaultAccessibleAddons.
    accessible = ctx.config.spec.api.accessible_addons or ctx.catalog.default_accessible_addons(
        ctx.release
    )
    return iter(check_addon_variables(subject.loaded, ctx.charts, accessible=accessible))


RULES: tuple[Rule[Subject], ...] = (addon_variables_valid,)
