"""Argo CD plugin contract: which cluster and destination, and the YAML stream."""

from __future__ import annotations

import pytest

from kkpgen.diagnostics import ExitCode, KkpgenError, format_diagnostic
from kkpgen.gitops.plugin import manifest_stream, plugin_target
from kkpgen.render.applications import ArgoTarget


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        (("c1", "seed"), {}, ArgoTarget("c1", "seed")),
        (
            (None, None),
            {"ARGOCD_ENV_CLUSTER": "c1", "ARGOCD_ENV_DESTINATION": "user-cluster"},
            ArgoTarget("c1", "user-cluster"),
        ),
        (
            (None, None),
            {"ARGOCD_APP_NAME": "prod-eu-1-user-cluster"},
            ArgoTarget("prod-eu-1", "user-cluster"),
        ),
        ((None, None), {"ARGOCD_APP_NAME": "prod-eu-1-seed"}, ArgoTarget("prod-eu-1", "seed")),
        (("c2", None), {"ARGOCD_APP_NAME": "c1-seed"}, ArgoTarget("c2", "seed")),
        (
            ("c2", "user-cluster"),
            {"ARGOCD_ENV_CLUSTER": "c1", "ARGOCD_ENV_DESTINATION": "seed"},
            ArgoTarget("c2", "user-cluster"),
        ),
    ],
    ids=["flags", "plugin-env", "app-name", "app-name-seed", "flag-and-app-name", "flags-win"],
)
def test_the_target_comes_from_flags_then_plugin_env_then_app_name(
    flags: tuple[str | None, str | None], env: dict[str, str], expected: ArgoTarget
) -> None:
    assert plugin_target(cluster=flags[0], destination=flags[1], env=env) == expected


def test_an_unknown_destination_is_a_usage_error() -> None:
    with pytest.raises(KkpgenError) as raised:
        plugin_target(cluster="c1", destination=None, env={"ARGOCD_ENV_DESTINATION": "edge"})
    assert raised.value.exit_code == ExitCode.USAGE
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.message == "destination 'edge' is not one of user-cluster, seed"


@pytest.mark.parametrize(
    ("flags", "env", "error"),
    [
        (
            (None, "seed"),
            {"ARGOCD_APP_NAME": "kkpgen"},
            "$ARGOCD_ENV_CLUSTER: error[argocd.plugin.target]: no cluster given\n"
            "  hint: pass --cluster, set ARGOCD_ENV_CLUSTER (plugin env CLUSTER) or name the "
            "Application <cluster>-<destination>",
        ),
        (
            ("c1", None),
            {},
            "$ARGOCD_ENV_DESTINATION: error[argocd.plugin.target]: no destination given: one "
            "of user-cluster, seed\n"
            "  hint: pass --destination or set ARGOCD_ENV_DESTINATION (plugin env DESTINATION)",
        ),
    ],
    ids=["no-cluster", "no-destination"],
)
def test_a_missing_target_is_a_usage_error_that_says_what_to_set(
    flags: tuple[str | None, str | None], env: dict[str, str], error: str
) -> None:
    """An Application not named <cluster>-<destination> and without the plugin env: the
    error names the variable to set (what the Application's plugin env holds)."""
    with pytest.raises(KkpgenError) as raised:
        plugin_target(cluster=flags[0], destination=flags[1], env=env)
    assert raised.value.exit_code == ExitCode.USAGE
    (diagnostic,) = raised.value.diagnostics
    assert format_diagnostic(diagnostic) == error


def test_the_stream_joins_one_folder_sorted_by_path() -> None:
    files = [
        ("c1/seed/b/x.yaml", b"b: 1\n"),
        ("c1/seed/a/x.yaml", b"a: 1\n"),
        ("c1/user-cluster/a/x.yaml", b"u: 1\n"),
        ("c10/seed/a/x.yaml", b"other: 1\n"),
        ("argocd/application-c1-seed.yaml", b"app: 1\n"),
    ]
    assert manifest_stream(files, ArgoTarget("c1", "seed")) == b"a: 1\n---\nb: 1\n"


def test_plugin_mode_parses_only_the_files_that_name_the_cluster() -> None:
    from kkpgen.gitops.plugin import cluster_tree
    from kkpgen.source.repository import SourceFile, SourceTree

    files = (
        SourceFile("clusters/addons.yaml", b"spec:\n  cluster: {name: c1}\n"),
        SourceFile("clusters/c1.yaml", b"metadata:\n  name: c1\n"),
        SourceFile("clusters/c10.yaml", b"metadata:\n  name: c10\n"),
        SourceFile("clusters/c1-eu.yaml", b"metadata:\n  name: c1-eu\n"),
        SourceFile("kubermatic.yaml", b"kind: KubermaticConfiguration\n"),
    )
    narrowed = cluster_tree(SourceTree("origin/main", files), "c1")
    assert narrowed.ref == "origin/main"
    assert [f.path for f in narrowed.files] == [
        "clusters/addons.yaml",
        "clusters/c1.yaml",
        "kubermatic.yaml",
    ]
