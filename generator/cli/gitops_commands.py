"""Commands of the GitOps loop: diff, argocd generate, init."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import click

from kkpgen.cli.options import (
    decommission_option,
    source,
    source_options,
    with_decommission,
)
from kkpgen.cli.printing import emit, run_action
from kkpgen.diagnostics import ExitCode
from kkpgen.escape import terminal
from kkpgen.gitops import plugin

if TYPE_CHECKING:
    from kkpgen.gitops.changes import FailOn


@click.command()
@source_options
@decommission_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the full report here (a CI artifact); the Markdown comment is cut to fit.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["disruption", "change"]),
    default=None,
    help=f"Exit {int(ExitCode.GATED)} (after the report) when the diff disrupts a cluster, "
    "or changes anything; 0 otherwise. For CI gates.",
)
def diff(
    repo: Path,
    ref: str | None,
    base: str | None,
    kkp_version: str | None,
    decommission: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str | None,
) -> None:
    """Show what the rendered manifests change from --base to --ref, and how disruptive it is.

    When kkpgen/kkp-version differs, also what KKP itself changes in each cluster."""
    if base is None:
        raise click.UsageError("diff needs --base REF (the state to compare with)")
    opts = with_decommission(source(repo, ref, base, kkp_version), decommission)
    # Imported here, as in init: a `render` or `check` need not load the diff machinery.
    from kkpgen.gitops import compare, report

    result = run_action(lambda: compare.diff_refs(replace(opts, base=None), base=base))
    if output is not None:
        full = report.format_report(result, fmt, full=True)
        run_action(lambda: report.write_report(output, full))
    click.echo(report.format_report(result, fmt), nl=False)
    if fail_on is not None and result.holds(cast("FailOn", fail_on)):
        found = "a disruption" if fail_on == "disruption" else "changes"
        click.echo(f"kkpgen diff: the diff holds {found} (--fail-on {fail_on})", err=True)
        sys.exit(int(ExitCode.GATED))


@click.group("argocd")
def argocd_group() -> None:
    """Argo CD integration (Config Management Plugin mode: see docs/argocd-cmp.md)."""


@argocd_group.command("generate")
@click.option("--cluster", default=None, help=f"Default: ${plugin.CLUSTER_ENV}.")
@click.option(
    "--destination",
    type=click.Choice(plugin.DESTINATIONS),
    default=None,
    help=f"Default: ${plugin.DESTINATION_ENV}, else the suffix of ${plugin.APP_NAME_ENV}.",
)
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False), default=Path())
@click.option("--kkp-version", default=None, help="Override the KKP version of kubermatic.yaml.")
def argocd_generate(
    cluster: str | None, destination: str | None, repo: Path, kkp_version: str | None
) -> None:
    """Print one cluster's manifests for one destination as a YAML stream (the CMP contract)."""
    target = run_action(
        lambda: plugin.plugin_target(cluster=cluster, destination=destination, env=os.environ)
    )
    opts = source(repo, None, None, kkp_version)
    checked, files = run_action(lambda: plugin.plugin_files(opts, target))
    emit(checked.diagnostics, "text")
    click.echo(plugin.manifest_stream(files, target), nl=False)


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=Path())
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab", "none"]),
    default="github",
    show_default=True,
    help="The CI definition to add: GitHub Actions or GitLab CI.",
)
@click.option(
    "--kkpgen-repo",
    default=None,
    metavar="GIT_URL",
    help="A git repository of kkpgen: CI and pre-commit install the tag of this release.",
)
@click.option(
    "--kkpgen-wheel",
    default=None,
    metavar="PATH_OR_URL",
    help="A kkpgen wheel CI installs (a path in the repository, or a URL).",
)
def init_repo(directory: Path, ci: str, kkpgen_repo: str | None, kkpgen_wheel: str | None) -> None:
    """Add what a kkpgen GitOps repository needs to DIRECTORY (default: here); keep what exists."""
    if kkpgen_repo is not None and kkpgen_wheel is not None:
        raise click.UsageError("pass --kkpgen-repo or --kkpgen-wheel, not both")
    from kkpgen.gitops import scaffold

    options = scaffold.InitOptions(
        ci=cast(Literal["github", "gitlab", "none"], ci),
        kkpgen_repo=kkpgen_repo,
        kkpgen_wheel=kkpgen_wheel,
    )
    result = run_action(lambda: scaffold.init_repo(directory, options))
    for relative in result.created:
        click.echo(terminal(f"created {directory / relative}"), err=True)
    for relative in result.kept:
        click.echo(terminal(f"kept {directory / relative} (already there)"), err=True)
    git_init = "" if (directory / ".git").exists() else "git init && "
    click.echo(terminal(f"next: cd {directory} && {git_init}kkpgen check"), err=True)
