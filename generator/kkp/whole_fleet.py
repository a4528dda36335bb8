"""Rules about the whole fleet: kubermatic.yaml (kkpgen's annotations, the feature gates it
reads, URLs without secrets) and, base -> head, the clusters a change deletes.

Each rule declares its codes (`@rule`) and is listed in a table (CONFIG_RULES,
REMOVAL_RULES), which registry.py runs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import get_args

from kkpgen.diagnostics import Diagnostic, Location
from kkpgen.kkp import access
from kkpgen.kkp.subject import Code, FleetChange, Rule, RuleContext, rule
from kkpgen.models.labels import (
    APISERVER_URL_ANNOTATION,
    ARGOCD_MODE_ANNOTATION,
    ARGOCD_PATH_ANNOTATION,
    ARGOCD_REPO_ANNOTATION,
    ARGOCD_REVISION_ANNOTATION,
    DECOMMISSION_LABEL,
    KKP_VERSION_ANNOTATION,
    NODE_ACCESS_NETWORK_ANNOTATION,
    SEED_DESTINATION_ANNOTATION,
    ArgoMode,
)
from kkpgen.source.fleet import Fleet

_CONFIG_ANNOTATIONS = (
    KKP_VERSION_ANNOTATION,
    APISERVER_URL_ANNOTATION,
    ARGOCD_MODE_ANNOTATION,
    ARGOCD_REPO_ANNOTATION,
    ARGOCD_REVISION_ANNOTATION,
    ARGOCD_PATH_ANNOTATION,
    SEED_DESTINATION_ANNOTATION,
    NODE_ACCESS_NETWORK_ANNOTATION,
)
# Whole-value forms (fullmatch, ASCII): what is written into every Application.
_SETTING_FORMS = {
    ARGOCD_PATH_ANNOTATION: (
        re.compile(r"/?[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*/?"),
        "a folder of the repository such as rendered/fleet (no '..', spaces or newlines)",
    ),
    ARGOCD_REVISION_ANNOTATION: (
        re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*"),
        "a branch, tag or commit such as main, v1.2.0 or HEAD",
    ),
    SEED_DESTINATION_ANNOTATION: (
        re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"),
        "the Argo CD cluster name of the seed, a DNS name such as in-cluster",
    ),
    NODE_ACCESS_NETWORK_ANNOTATION: (
        re.compile(
            r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
            r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])"
        ),
        "the seed-controller-manager's -node-access-network, an IPv4 CIDR such as 10.254.0.0/16",
    ),
}
_READ_GATES = ("KonnectivityService",)
ARGOCD_MODES: tuple[ArgoMode, ...] = get_args(ArgoMode)
_ANNOTATION = "metadata.annotations.*"


def _config_diagnostic(
    fleet: Fleet, key: tuple[str, ...], code: str, texts: tuple[str, str]
) -> Diagnostic:
    where = fleet.config_source.locate(key) if fleet.config_source else Location("kubermatic.yaml")
    return Diagnostic(code, where, ".".join(key), texts[0], texts[1])


@rule(
    Code("config.annotation.unknown", "error", _ANNOTATION, "use an annotation kkpgen reads"),
    Code("config.annotation.invalid", "error", _ANNOTATION, "write a value of the form named"),
)
def config_annotations_valid(fleet: Fleet, _: RuleContext) -> Iterator[Diagnostic]:
    """kkpgen's annotations: a typo is an error, not a setting silently ignored, and values
    are checked whole before they reach any file."""
    annotations = fleet.config.metadata.annotations
    for key in sorted(k for k in annotations if k.startswith("kkpgen/")):
        path = ("metadata", "annotations", key)
        if key not in _CONFIG_ANNOTATIONS:
            close = difflib.get_close_matches(key, _CONFIG_ANNOTATIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            yield _config_diagnostic(
                fleet,
                path,
                "config.annotation.unknown",
                (
                    f"unknown kkpgen annotation {key!r} in kubermatic.yaml",
                    hint + f"kkpgen reads: {', '.join(_CONFIG_ANNOTATIONS)}",
                ),
            )
        elif key in _SETTING_FORMS:
            form, what = _SETTING_FORMS[key]
            value = annotations[key]
            bad = not form.fullmatch(value) or ".." in value.split("/") or ".." in value
            if bad and not (key == ARGOCD_PATH_ANNOTATION and value == ""):
                yield _config_diagnostic(
                    fleet,
                    path,
                    "config.annotation.invalid",
                    (f"{key} {value!r} is not valid", f"write {what}"),
                )


@rule(
    Code(
        "argocd.mode.unknown",
        "error",
        f"metadata.annotations.{ARGOCD_MODE_ANNOTATION}",
        "use applicationset or applications",
    )
)
def argocd_mode_known(fleet: Fleet, _: RuleContext) -> Iterator[Diagnostic]:
    """kkpgen/argocd-mode names how argocd/ is written: one of ARGOCD_MODES."""
    mode = fleet.config.metadata.annotations.get(ARGOCD_MODE_ANNOTATION)
    if mode is not None and mode not in ARGOCD_MODES:
        yield _config_diagnostic(
            fleet,
            ("metadata", "annotations", ARGOCD_MODE_ANNOTATION),
            "argocd.mode.unknown",
            (
                f"unknown Argo CD mode {mode!r}",
                "use applicationset (one ApplicationSet per destination kind) or "
                "applications (one Application file per cluster and destination)",
            ),
        )


@rule(
    Code(
        "config.feature-gate.unknown",
        "error",
        "spec.featureGates.*",
        "spell the feature gate as KKP does",
    )
)
def feature_gates_known(fleet: Fleet, _: RuleContext) -> Iterator[Diagnostic]:
    """A feature gate kkpgen reads, misspelt, would leave the gate off without a word."""
    for gate in sorted(fleet.config.spec.feature_gates):
        close = difflib.get_close_matches(gate, _READ_GATES, n=1, cutoff=0.8)
        if close and close[0] != gate:
            yield _config_diagnostic(
                fleet,
                ("spec", "featureGates", gate),
                "config.feature-gate.unknown",
                (
                    f"feature gate {gate!r} is not a KKP feature gate kkpgen knows",
                    f"did you mean {close[0]!r}?",
                ),
            )


@rule(Code("config.url.credentials", "error", _ANNOTATION, "remove the credentials"))
def config_urls_without_credentials(fleet: Fleet, _: RuleContext) -> Iterator[Diagnostic]:
    """URLs in kubermatic.yaml are copied into every Application or cluster: no secrets."""
    annotations = fleet.config.metadata.annotations
    for key in (ARGOCD_REPO_ANNOTATION, APISERVER_URL_ANNOTATION):
        value = annotations.get(key)
        if value and access.has_credentials(value):
            path = ("metadata", "annotations", key)
            yield Diagnostic(
                "config.url.credentials",
                fleet.config_source.locate(path) if fleet.config_source else Location(""),
                f"metadata.annotations.{key}",
                f"{key} carries credentials (user info before '@', or a query string such as "
                "?private_token=); kkpgen would copy "
                "them into every generated file that names this URL",
                "remove them: Argo CD reads repository credentials from its own Secrets",
            )


def decommission_hint(name: str, command: str) -> str:
    """Both ways to delete a cluster: the label first, or the flag that confirms it."""
    return (
        f'first merge the label {DECOMMISSION_LABEL}: "true" on the cluster, then delete its '
        f"file; or, if the cluster is being decommissioned now, re-run with --decommission "
        f"{name} ({command} --decommission {name})"
    )


@rule(
    Code("cluster.removed", "error", "metadata.name", "decommission the cluster first"),
    Code("cluster.decommissioned", "notice", "metadata.name", "nothing to do"),
)
def removed_clusters_decommissioned(change: FleetChange, _: RuleContext) -> Iterator[Diagnostic]:
    """A cluster deleted from the repository takes its Applications with it, and Argo CD
    would prune the CNI of a running cluster: only a decommissioned cluster may go (the
    label in the base, or --decommission NAME)."""
    base, head, confirmed = change.base, change.head, change.decommission
    for loaded in base.clusters:
        if head.cluster(loaded.name) is not None:
            continue
        labelled = loaded.cluster.metadata.labels.get(DECOMMISSION_LABEL) == "true"
        marked = labelled or loaded.name in confirmed
        yield Diagnostic(
            "cluster.removed" if not marked else "cluster.decommissioned",
            replace(loaded.locate(("metadata", "name")), ref=base.ref),
            "metadata.name",
            f"cluster {loaded.name!r} is deleted"
            + (
                " (it was marked for decommissioning)"
                if marked
                else "; its Applications and the network of a running cluster would be pruned"
            ),
            (
                "nothing more to do: this change deletes the cluster's folder and its Applications"
                if marked
                else decommission_hint(loaded.name, f"kkpgen check --base {base.ref}")
            ),
            "notice" if marked else "error",
            loaded.name,
        )


@rule(
    Code(
        "cluster.decommission.unknown",
        "error",
        "",
        "name a cluster this change deletes",
    )
)
def decommission_names_deleted(change: FleetChange, _: RuleContext) -> Iterator[Diagnostic]:
    """--decommission names a cluster this change deletes; a typo must not pass unnoticed."""
    for name in change.decommission:
        found = _unknown_decommission(name, change.base, change.head)
        if found is not None:
            yield found


def _unknown_decommission(name: str, base: Fleet, head: Fleet) -> Diagnostic | None:
    if base.cluster(name) is not None and head.cluster(name) is None:
        return None
    deleted = [c.name for c in base.clusters if head.cluster(c.name) is None]
    why = "is still in the repository" if head.cluster(name) is not None else "is not in the base"
    return Diagnostic(
        "cluster.decommission.unknown",
        Location("--decommission"),
        "",
        f"--decommission {name}: cluster {name!r} {why}, so this change does not delete it",
        f"clusters this change deletes: {', '.join(deleted) or '(none)'}",
    )


CONFIG_RULES: tuple[Rule[Fleet], ...] = (
    config_annotations_valid,
    argocd_mode_known,
    feature_gates_known,
    config_urls_without_credentials,
)
REMOVAL_RULES: tuple[Rule[FleetChange], ...] = (
    removed_clusters_decommissioned,
    decommission_names_deleted,
)
