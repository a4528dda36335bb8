"""Argo CD Config Management Plugin contract: which folder to print, as one YAML stream."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import get_args

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.kkp.check import CheckedFleet
from kkpgen.models import layout
from kkpgen.models.options import SourceOptions
from kkpgen.render.applications import ArgoTarget
from kkpgen.render.contents import rendered_files
from kkpgen.render.manifest import Destination
from kkpgen.source.repository import CONFIG_FILE, SourceTree, read_tree

# Set by Argo CD for every CMP command: plugin env entries of the Application get the
# ARGOCD_ENV_ prefix; ARGOCD_APP_NAME is a standard build environment variable.
CLUSTER_ENV = "ARGOCD_ENV_CLUSTER"
DESTINATION_ENV = "ARGOCD_ENV_DESTINATION"
APP_NAME_ENV = "ARGOCD_APP_NAME"
DOCUMENT_SEPARATOR = b"---\n"
DESTINATIONS: tuple[Destination, ...] = get_args(Destination)


def _from_app_name(app_name: str) -> tuple[str, str] | None:
    """`<cluster>-<destination>`, as kkpgen names its Applications."""
    for destination in DESTINATIONS:
        cluster = app_name.removesuffix(f"-{destination}")
        if cluster != app_name and cluster:
            return cluster, destination
    return None


def _usage(field: str, message: str, hint: str) -> KkpgenError:
    diagnostic = Diagnostic("argocd.plugin.target", Location(f"${field}"), "", message, hint)
    return KkpgenError([diagnostic], exit_code=ExitCode.USAGE)


def plugin_target(
    *, cluster: str | None, destination: str | None, env: Mapping[str, str]
) -> ArgoTarget:
    """Flags first, then ARGOCD_ENV_CLUSTER/DESTINATION, then ARGOCD_APP_NAME."""
    from_name = _from_app_name(env.get(APP_NAME_ENV, ""))
    cluster = cluster or env.get(CLUSTER_ENV) or (from_name[0] if from_name else None)
    destination = destination or env.get(DESTINATION_ENV) or (from_name[1] if from_name else None)
    if not cluster:
        raise _usage(
            CLUSTER_ENV,
            "no cluster given",
            f"pass --cluster, set {CLUSTER_ENV} (plugin env CLUSTER) or name the Application "
            "<cluster>-<destination>",
        )
    for wanted in DESTINATIONS:
        if destination == wanted:
            return ArgoTarget(cluster, wanted)
    given = f"destination {destination!r} is not" if destination else "no destination given:"
    raise _usage(
        DESTINATION_ENV,
        f"{given} one of {', '.join(DESTINATIONS)}",
        f"pass --destination or set {DESTINATION_ENV} (plugin env DESTINATION)",
    )


def manifest_stream(files: Iterable[tuple[str, bytes]], target: ArgoTarget) -> bytes:
    """The files `render` writes below <cluster>/<destination>/, by path, joined by `---`."""
    folder = (target.cluster, target.destination)
    chosen = sorted(
        (path, data)
        for path, data in files
        if layout.folder_of(path) == folder and layout.is_manifest(path)
    )
    return DOCUMENT_SEPARATOR.join(data for _, data in chosen)


def cluster_tree(tree: SourceTree, cluster: str) -> SourceTree:
    """kubermatic.yaml and the spec files that name `cluster` as a whole word: its own file
    and the files whose Addons name it. A byte search, so the other files are never parsed."""
    word = re.compile(rb"(?<![\w.-])" + re.escape(cluster.encode()) + rb"(?![\w.-])")
    files = tuple(f for f in tree.files if f.path == CONFIG_FILE or word.search(f.data))
    return SourceTree(tree.ref, files)


def plugin_files(
    opts: SourceOptions, target: ArgoTarget
) -> tuple[CheckedFleet, tuple[tuple[str, bytes], ...]]:
    """One cluster rendered from the files it needs (issue 15: the same cost in any fleet).

    Rules that look across clusters (a name defined twice) are `kkpgen check`'s job in CI.
    A narrowed tree that does not load on its own (an Addon file that also names a cluster
    defined elsewhere) falls back to the whole fleet, so the answer is never different.
    """
    tree = read_tree(opts.repo, opts.ref)
    only = (target.cluster,)
    try:
        return rendered_files(opts, only=only, tree=cluster_tree(tree, target.cluster))
    except KkpgenError:
        return rendered_files(opts, only=only, tree=tree)
