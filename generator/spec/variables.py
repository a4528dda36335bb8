"""Addon variables: an Addon may set only the keys its chart's values.yaml documents."""

from __future__ import annotations

from collections.abc import Mapping

from generator.diagnostics import Diagnostic
from generator.source.fleet import LoadedCluster
from generator.spec.charts import Chart


def _unknown_keys(
    variables: Mapping[str, object], values: Mapping[str, object], prefix: tuple[str, ...]
) -> list[tuple[str, ...]]:
    unknown: list[tuple[str, ...]] = []
    for key, value in variables.items():
        if key not in values:
            unknown.append((*prefix, key))
        elif isinstance(value, Mapping) and isinstance(values[key], Mapping):
            unknown += _unknown_keys(value, values[key], (*prefix, key))  # type: ignore[arg-type]
    return unknown


def check_addon_variables(loaded: LoadedCluster, charts: Mapping[str, Chart]) -> list[Diagnostic]:
    """Addon spec.variables may only set keys the chart's values.yaml documents."""
    problems = []
    for addon in loaded.addons:
        chart = charts.get(addon.addon.spec.name)
        if chart is None:
            problems.append(
                Diagnostic(
                    "addon.unknown",
                    addon.source.locate(("spec", "name")),
                    "spec.name",
                    f"addon {addon.addon.spec.name!r} is not part of the network layer; kkpgen "
                    "does not render it",
                    f"kkpgen charts: {', '.join(sorted(charts))}",
                    severity="notice",
                    cluster=loaded.name,
                )
            )
            continue
        for path in _unknown_keys(addon.addon.spec.variables or {}, chart.values, ()):
            field_path = ("spec", "variables", *path)
            problems.append(
                Diagnostic(
                    "addon.variables.unknown",
                    addon.source.locate(field_path),
                    ".".join(field_path),
                    f"unknown variable {'.'.join(path)!r} for the {chart.name} addon",
                    f"known keys: {', '.join(sorted(chart.values))}",
                    cluster=loaded.name,
                )
            )
    return problems
