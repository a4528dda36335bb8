"""Commands about the specs: check, resolve, versions, upgrades, schema."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from kkpgen import pipeline
from kkpgen.cli.matrix import release_block
from kkpgen.cli.options import decommission_option, source, source_options, with_decommission
from kkpgen.cli.printing import emit, run_action
from kkpgen.cli.summary import (
    Verbosity,
    closing_line,
    emit_grouped,
    plural,
    run_fleet_action,
    verbosity_options,
)
from kkpgen.escape import terminal
from kkpgen.kkp import editor_schema
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.check import check_fleet
from kkpgen.render.manifest import dump_yaml


@click.command()
@source_options
@decommission_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text")
@verbosity_options
def check(
    repo: Path,
    ref: str | None,
    base: str | None,
    kkp_version: str | None,
    decommission: tuple[str, ...],
    fmt: str,
    verbosity: Verbosity,
) -> None:
    """Check every cluster spec against KKP's CNI and cluster-network rules."""
    started = time.monotonic()
    opts = with_decommission(source(repo, ref, base, kkp_version), decommission)
    if fmt != "text":  # machine formats: every diagnostic, nothing else
        checked = run_action(lambda: check_fleet(opts), fmt=fmt)
        emit(checked.diagnostics, fmt)
        return
    checked = run_fleet_action(lambda: check_fleet(opts), verbosity=verbosity, started=started)
    emit_grouped(checked.diagnostics, verbosity)
    if verbosity != "quiet":
        click.echo(
            f"{plural(len(checked.resolved), 'cluster')} ok (KKP {checked.release.version}); "
            f"{closing_line(checked.diagnostics, started)}",
            err=True,
        )


@click.command()
@click.argument("name")
@source_options
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
def resolve(
    name: str, repo: Path, ref: str | None, base: str | None, kkp_version: str | None, fmt: str
) -> None:
    """Print the Cluster NAME with every default filled in."""
    document = run_action(
        lambda: pipeline.resolved_document(source(repo, ref, base, kkp_version), name)
    )
    click.echo(
        json.dumps(document, indent=2) if fmt == "json" else dump_yaml(document), nl=fmt == "json"
    )


@click.command()
@click.option("--kkp-version", default=None, help="Only this KKP release.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def versions(kkp_version: str | None, fmt: str) -> None:
    """Print the CNI support matrix per KKP release (deprecated versions marked)."""
    catalog = load_catalog()
    releases = sorted(
        catalog.listed_releases(),
        key=lambda r: [int(p) for p in r.version[1:].split(".")],
        reverse=True,
    )
    if kkp_version:
        wanted = catalog.release(kkp_version)
        releases = [wanted] if wanted else []
        if not releases:
            known = ", ".join(r.version for r in catalog.listed_releases())
            raise click.BadParameter(
                f"unknown KKP version; known: {known} (or any patch kkpgen has facts for)",
                param_hint="--kkp-version",
            )
    if fmt == "json":
        table = {
            r.version: {
                cni: {
                    "default": s.default,
                    "supported": list(s.supported),
                    "deprecated": dict(s.deprecated),
                }
                for cni, s in r.cni.items()
                if cni != "none"
            }
            for r in releases
        }
        click.echo(json.dumps(table, indent=2))
        return
    click.echo("\n".join(release_block(release) for release in releases), nl=False)


@click.command()
@click.argument("name")
@source_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def upgrades(
    name: str, repo: Path, ref: str | None, base: str | None, kkp_version: str | None, fmt: str
) -> None:
    """List the CNI versions cluster NAME may move to now (KKP's upgrade dialog)."""
    cluster, targets = run_action(
        lambda: pipeline.upgrade_targets(source(repo, ref, base, kkp_version), name)
    )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "cluster": name,
                    "cni": cluster.cni.type,
                    "current": cluster.cni.version,
                    "upgrades": list(targets),
                }
            )
        )
    elif not targets:
        click.echo(
            terminal(f"{name}: {cluster.cni.type} {cluster.cni.version}: no upgrade available")
        )
    else:
        line = f"{name}: {cluster.cni.type} {cluster.cni.version} -> {', '.join(targets)}"
        click.echo(terminal(line))


@click.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the spec files, for editors and CI."""
    click.echo(json.dumps(editor_schema.spec_schema(), indent=2))
