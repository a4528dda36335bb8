"""SourceTree -> Fleet: parse spec files into typed models; pydantic errors become Diagnostics."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location, Violation
from kkpgen.models.addon import Addon
from kkpgen.models.cluster import Cluster
from kkpgen.models.kubermatic import KubermaticConfiguration
from kkpgen.models.layout import RESERVED_NAMES
from kkpgen.source.repository import CONFIG_FILE, SourceTree
from kkpgen.source.sourcemap import Document, FieldPath, SourceMap, format_field, load_documents

M = TypeVar("M", bound=BaseModel)

# A cluster name becomes a folder name and a namespace suffix: DNS-1123 label only.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # use fullmatch


@dataclass(frozen=True, slots=True)
class LoadedAddon:
    addon: Addon
    source: SourceMap


@dataclass(frozen=True, slots=True)
class LoadedCluster:
    cluster: Cluster
    source: SourceMap
    addons: tuple[LoadedAddon, ...] = ()

    @property
    def name(self) -> str:
        return self.cluster.metadata.name

    def locate(self, path: FieldPath) -> Location:
        return self.source.locate(path)


@dataclass(frozen=True, slots=True)
class Fleet:
    ref: str | None
    config: KubermaticConfiguration
    config_source: SourceMap | None
    clusters: tuple[LoadedCluster, ...]  # sorted by name

    def cluster(self, name: str) -> LoadedCluster | None:
        return next((c for c in self.clusters if c.name == name), None)


_DEFAULT_CONFIG = KubermaticConfiguration.model_validate(
    {
        "apiVersion": "kubermatic.k8c.io/v1",
        "kind": "KubermaticConfiguration",
        "metadata": {"name": "kubermatic"},
    }
)


def _known_fields(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The YAML names valid next to the unknown field at `loc` (for "did you mean")."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        current = _nested_model(field.annotation) if field else None
    return [] if current is None else [f.alias or n for n, f in current.model_fields.items()]


def _nested_model(annotation: object) -> type[BaseModel] | None:
    return next(
        (
            a
            for a in getattr(annotation, "__args__", (annotation,))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ),
        None,
    )


def _field_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every field path the model knows, in YAML names (spec.clusterNetwork.proxyMode, ...)."""
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        yield path
        nested = _nested_model(field.annotation)
        if nested is not None and len(path) < 6:
            yield from _field_paths(nested, path)


def _unknown_field_hint(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    name = str(loc[-1])
    # A known field written at the wrong indentation: removing it would silently change the
    # cluster (spec.konnectivityEnabled would fall back to OpenVPN), so say where it belongs.
    homes = [".".join(p) for p in _field_paths(model) if p[-1] == name]
    if homes:
        return f"{name!r} belongs at {' or '.join(homes)}: move it there"
    close = difflib.get_close_matches(name, _known_fields(model, loc), n=1)
    return f"did you mean {close[0]!r}?" if close else "remove the field; KKP does not know it"


def _quote_hint(error: ErrorDetails, doc: Document) -> str:
    loc = tuple(error["loc"])
    written = doc.source.numbers.get(loc, str(error["input"]))
    if loc[-2:] == ("cniPlugin", "version"):  # KKP spells CNI versions with a v: v3.22, v1.11
        return f'write the version as a string with its v: "v{written.removeprefix("v")}"'
    return f'quote the value: "{written}" (YAML reads 1.30 as the number 1.3)'


def _hint_for(error: ErrorDetails, model: type[BaseModel], doc: Document) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        return _unknown_field_hint(model, loc)
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        return _quote_hint(error, doc)
    if kind == "missing":
        return f"add the field {loc[-1]!r}"
    if kind == "literal_error":
        return f"use one of: {error.get('ctx', {}).get('expected', '')}"
    if kind.startswith("bool"):
        return "use true or false without quotes"
    return "fix the value's type"


def _diagnostics(
    error: ValidationError, model: type[BaseModel], doc: Document
) -> Iterator[Diagnostic]:
    for detail in error.errors():
        loc = tuple(detail["loc"])
        shown = "" if detail["type"] == "missing" else f" (got {detail.get('input')!r})"
        message = detail["msg"] + (shown if detail["type"] != "extra_forbidden" else "")
        if detail["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        yield Diagnostic(
            f"schema.{detail['type'].replace('_', '-')}",
            doc.source.locate(loc),
            format_field(loc),
            message,
            _hint_for(detail, model, doc),
        )


def _parse(model: type[M], doc: Document, problems: list[Diagnostic]) -> M | None:
    try:
        return model.model_validate(doc.data)
    except ValidationError as error:
        problems.extend(_diagnostics(error, model, doc))
        return None


def _kind_of(doc: Document, problems: list[Diagnostic], allowed: Sequence[str]) -> str | None:
    kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
    if isinstance(kind, str) and kind in allowed:
        return kind
    problems.append(
        Diagnostic(
            "source.kind",
            doc.source.locate(("kind",)),
            "kind",
            f"unexpected document kind {kind!r}",
            f"a file here holds: {', '.join(allowed)}",
        )
    )
    return None


def _load_config(
    tree: SourceTree, problems: list[Diagnostic]
) -> tuple[KubermaticConfiguration, SourceMap | None]:
    source = next((f for f in tree.files if f.path == CONFIG_FILE), None)
    if source is None:
        return _DEFAULT_CONFIG, None
    docs = list(load_documents(source.data, file=source.path, ref=tree.ref))
    for index, doc in enumerate(docs):
        if _kind_of(doc, problems, ["KubermaticConfiguration"]):
            config = _parse(KubermaticConfiguration, doc, problems)
            problems.extend(
                Diagnostic(
                    "config.document.extra",
                    extra.source.locate(()),
                    "",
                    f"a second document in {CONFIG_FILE}; kkpgen reads the first only",
                    f"keep one KubermaticConfiguration in {CONFIG_FILE}",
                )
                for extra in docs[index + 1 :]
            )
            return (config or _DEFAULT_CONFIG), doc.source
    return _DEFAULT_CONFIG, None


# KKP puts a cluster's control plane in namespace cluster-<name>: a DNS-1123 label (63).
MAX_NAME_LENGTH = 63 - len("cluster-")


def _check_name(cluster: Cluster, source: SourceMap, problems: list[Diagnostic]) -> bool:
    name = cluster.metadata.name
    where = source.locate(("metadata", "name"))
    problem: tuple[str, str, str] | None = None
    if not DNS1123_LABEL.fullmatch(name):  # fullmatch: `$` also matches before a newline
        problem = (
            "cluster.name.invalid",
            f"cluster name {name!r} is not a DNS-1123 label",
            "use lowercase letters, digits and '-', at most 63 characters, e.g. 'prod-eu-1'",
        )
    elif len(name) > MAX_NAME_LENGTH:
        problem = (
            "cluster.name.too-long",
            f"cluster name {name!r} has {len(name)} characters; its seed namespace "
            f"cluster-{name} would exceed 63",
            f"use at most {MAX_NAME_LENGTH} characters",
        )
    elif name in RESERVED_NAMES:
        problem = (
            "cluster.name.reserved",
            f"cluster name {name!r} is the name of a folder kkpgen writes in <out>",
            f"choose another name (reserved: {', '.join(sorted(RESERVED_NAMES))})",
        )
    if problem is None:
        return True
    code, message, hint = problem
    problems.append(Diagnostic(code, where, "metadata.name", message, hint))
    return False


def _load_cluster_file(
    docs: list[Document], problems: list[Diagnostic], failed: set[str]
) -> tuple[list[tuple[Cluster, SourceMap]], list[LoadedAddon]]:
    """The Clusters and Addons of one file; `failed` gets the names of Clusters that do not
    load (their Addons then get no error of their own: the Cluster's error says it all)."""
    clusters: list[tuple[Cluster, SourceMap]] = []
    addons: list[LoadedAddon] = []
    for doc in docs:
        kind = _kind_of(doc, problems, ["Cluster", "Addon"])
        if kind == "Cluster":
            cluster = _parse(Cluster, doc, problems)
            if cluster is not None and _check_name(cluster, doc.source, problems):
                clusters.append((cluster, doc.source))
            else:
                failed.add(_written_name(doc))
        elif kind == "Addon":
            addon = _parse(Addon, doc, problems)
            if addon is not None:
                addons.append(LoadedAddon(addon, doc.source))
    return clusters, addons


def _written_name(doc: Document) -> str:
    """metadata.name as written in a document that did not load, or ""."""
    meta = doc.data.get("metadata") if isinstance(doc.data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def _attach_addons(
    clusters: Mapping[str, tuple[Cluster, SourceMap]],
    addons: list[LoadedAddon],
    problems: list[Diagnostic],
    failed: set[str],
) -> dict[str, list[LoadedAddon]]:
    by_cluster: dict[str, list[LoadedAddon]] = {name: [] for name in clusters}
    for loaded in addons:
        target = loaded.addon.spec.cluster.name
        if target in by_cluster:
            by_cluster[target].append(loaded)
            continue
        if target in failed:  # its Cluster's own error is reported; "unknown" would mislead
            continue
        problems.append(
            Diagnostic(
                "addon.cluster.unknown",
                loaded.source.locate(("spec", "cluster", "name")),
                "spec.cluster.name",
                f"addon {loaded.addon.spec.name!r} names unknown cluster {target!r}",
                f"use one of the clusters defined: {', '.join(sorted(clusters)) or '(none)'}",
            )
        )
    return by_cluster


def load_fleet(tree: SourceTree) -> Fleet:
    """Parse every spec file; raise one KkpgenError with all problems found."""
    fleet, problems = load_fleet_partially(tree)
    if problems:
        raise KkpgenError(problems)
    return fleet


def require_config(tree: SourceTree) -> None:
    """Spec files without kubermatic.yaml: one error that names it, not the follow-on errors
    of a fleet checked against no KKP version and no settings."""
    if any(f.path == CONFIG_FILE for f in tree.files) or not tree.files:
        return
    raise KkpgenError(
        [
            Diagnostic(
                "config.missing",
                Location(CONFIG_FILE),
                "",
                f"{CONFIG_FILE} is missing: kkpgen reads the KKP version and the platform's "
                "settings from it, at the root of the repository, beside clusters/",
                f"run `kkpgen init --ci none` in the repository's root folder (it adds "
                f"{CONFIG_FILE} and keeps your files), then set kkpgen/kkp-version in it to "
                "the KKP release you run",
            )
        ]
    )


def load_fleet_partially(tree: SourceTree) -> tuple[Fleet, list[Diagnostic]]:
    """Every cluster that loads, and the problems of the rest (for a base ref, whose broken
    files the head may be fixing)."""
    problems: list[Diagnostic] = []
    try:
        config, config_source = _load_config(tree, problems)
    except KkpgenError as error:  # an unparsable kubermatic.yaml, which the head may fix
        problems.extend(error.diagnostics)
        config, config_source = _DEFAULT_CONFIG, None
    clusters: dict[str, tuple[Cluster, SourceMap]] = {}
    addons: list[LoadedAddon] = []
    failed: set[str] = set()
    for source in tree.files:
        if source.path == CONFIG_FILE:
            continue
        try:
            documents = list(load_documents(source.data, file=source.path, ref=tree.ref))
        except KkpgenError as error:  # unparsable YAML: the other files still load
            problems.extend(error.diagnostics)
            continue
        found, file_addons = _load_cluster_file(documents, problems, failed)
        addons.extend(file_addons)
        for cluster, smap in found:
            name = cluster.metadata.name
            if name in clusters:
                problems.append(
                    Diagnostic(
                        "cluster.name.duplicate",
                        smap.locate(("metadata", "name")),
                        "metadata.name",
                        f"cluster {name!r} is already defined in {clusters[name][1].file}",
                        "give each cluster its own name; one file per cluster",
                    )
                )
                continue
            clusters[name] = (cluster, smap)
    by_cluster = _attach_addons(clusters, addons, problems, failed)
    loaded = tuple(
        LoadedCluster(cluster, smap, tuple(by_cluster[name]))
        for name, (cluster, smap) in sorted(clusters.items())
    )
    return Fleet(tree.ref, config, config_source, loaded), problems


def require_clusters(fleet: Fleet) -> None:
    """No cluster at head: a wrong --repo or a wiped folder; rendering it would empty <out>."""
    if fleet.clusters:
        return
    raise KkpgenError(
        [
            Diagnostic(
                "source.no-clusters",
                Location("clusters/", None, None, fleet.ref),
                "",
                "no Cluster found below clusters/",
                "point --repo at the GitOps repository; it holds clusters/<name>.yaml",
            )
        ]
    )


def locate_violation(violation: Violation, loaded: LoadedCluster) -> Diagnostic:
    """Attach the file, line and column of the field a rule names (addons: their own doc)."""
    path, source = violation.path, loaded.source
    if len(path) >= 2 and path[0] == "addon" and isinstance(path[1], int):
        source, path = loaded.addons[path[1]].source, path[2:]
    return Diagnostic(
        violation.code,
        source.locate(path),
        format_field(path),
        violation.message,
        violation.hint,
        violation.severity,
        loaded.name,
    )
