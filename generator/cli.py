"""The kkpgen command line: parse flags, call the pipeline, print diagnostics, exit."""

from __future__ import annotations

import gc
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import click

from generator import (
    cmp,
    diffreport,
    outputfiles,
    pipeline,
    refdiff,
    rendering,
    scaffold,
    specschema,
)
from generator.catalog import load_catalog
from generator.diagnostics import (
    Diagnostic,
    ExitCode,
    KkpgenError,
    format_diagnostic,
    printable,
)
from generator.manifests import dump_yaml

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])


def _emit_text(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(format_diagnostic(diagnostic), err=True)


def _emit_github(diagnostics: Sequence[Diagnostic]) -> None:
    levels = {"error": "error", "warning": "warning", "notice": "notice"}
    for d in diagnostics:
        loc = d.location
        props = (
            [f"file={loc.file}"]
            + ([f"line={loc.line}"] if loc.line else [])
            + ([f"col={loc.column}"] if loc.column else [])
            + [f"title={d.code}"]
        )
        text = printable(f"{d.field + ': ' if d.field else ''}{d.message}. Hint: {d.hint}")
        click.echo(f"::{levels[d.severity]} {','.join(props)}::{text}")


def _as_json(d: Diagnostic) -> dict[str, object]:
    return {
        "code": d.code,
        "cluster": d.cluster,
        "file": d.location.file,
        "line": d.location.line,
        "column": d.location.column,
        "field": d.field,
        "message": d.message,
        "hint": d.hint,
        "severity": d.severity,
    }


def _emit(diagnostics: Sequence[Diagnostic], fmt: str) -> None:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    if fmt == "json":
        payload = {
            "errors": [_as_json(d) for d in ordered if d.severity == "error"],
            "warnings": [_as_json(d) for d in ordered if d.severity != "error"],
        }
        click.echo(json.dumps(payload, indent=2))
    elif fmt == "github":
        _emit_github(ordered)
    else:
        _emit_text(ordered)


def _run(action: Callable[[], T], *, fmt: str = "text") -> T:
    """Known failures print diagnostics and exit with their code; bugs print one line."""
    try:
        return action()
    except KkpgenError as error:
        _emit(error.diagnostics, fmt)
        sys.exit(int(error.exit_code))
    except Exception as error:  # noqa: BLE001  the one place that turns bugs into exit 70
        if click.get_current_context().find_root().params.get("debug"):
            traceback.print_exc()
        else:
            click.echo(f"kkpgen: internal error: {type(error).__name__}: {error}", err=True)
            click.echo("re-run with --debug for the traceback", err=True)
        sys.exit(int(ExitCode.INTERNAL))


def source_options(command: F) -> F:
    options = [
        click.option(
            "--repo",
            type=click.Path(path_type=Path, file_okay=False),
            default=Path(),
            show_default=True,
            help="The GitOps repository (or a folder in it).",
        ),
        click.option(
            "--ref",
            default=None,
            help="Read committed files at this git ref (default: the work tree).",
        ),
        click.option(
            "--base",
            default=None,
            help="The previous state (e.g. origin/main): "
            "clusters absent there are new, and changes are checked.",
        ),
        click.option(
            "--kkp-version",
            default=None,
            help="Override the KKP version of kubermatic.yaml (annotation kkpgen/kkp-version).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _source(
    repo: Path, ref: str | None, base: str | None, kkp_version: str | None
) -> pipeline.SourceOptions:
    return pipeline.SourceOptions(repo=repo, ref=ref, base=base, kkp_version=kkp_version)


def _parse_shard(
    _: click.Context, __: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None
    index, _slash, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise click.BadParameter("write K/N with 1 <= K <= N, e.g. 2/8")
    return int(index), int(count)


@click.group()
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(package_name="kkpgen")
def main(debug: bool) -> None:
    """Render and check the network layer of a fleet of KKP user clusters."""


@main.command()
@source_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text")
def check(repo: Path, ref: str | None, base: str | None, kkp_version: str | None, fmt: str) -> None:
    """Check every cluster spec against KKP's CNI and cluster-network rules."""
    checked = _run(lambda: pipeline.check_fleet(_source(repo, ref, base, kkp_version)), fmt=fmt)
    _emit(checked.diagnostics, fmt)
    if fmt == "text":
        click.echo(f"{len(checked.resolved)} clusters ok (KKP {checked.release.version})", err=True)


@main.command()
@click.argument("name")
@source_options
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
def resolve(
    name: str, repo: Path, ref: str | None, base: str | None, kkp_version: str | None, fmt: str
) -> None:
    """Print the Cluster NAME with every default filled in."""
    document = _run(lambda: pipeline.resolved_document(_source(repo, ref, base, kkp_version), name))
    click.echo(
        json.dumps(document, indent=2) if fmt == "json" else dump_yaml(document), nl=fmt == "json"
    )


@main.command()
@click.option("--kkp-version", default=None, help="Only this KKP release.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def versions(kkp_version: str | None, fmt: str) -> None:
    """Print the CNI support matrix per KKP release (deprecated versions marked)."""
    catalog = load_catalog()
    releases = sorted(
        catalog.releases.values(),
        key=lambda r: [int(p) for p in r.version[1:].split(".")],
        reverse=True,
    )
    if kkp_version:
        wanted = catalog.release(kkp_version)
        releases = [wanted] if wanted else []
        if not releases:
            raise click.BadParameter(
                f"unknown KKP version; known: {', '.join(sorted(catalog.releases))}",
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
    for release in releases:
        cells = []
        for cni, support in release.cni.items():
            if cni == "none":
                continue
            listed = [
                f"{v}{' (default)' if v == support.default else ''}" for v in support.supported
            ]
            listed += [f"{v} (deprecated: {why})" for v, why in support.deprecated.items()]
            cells.append(f"{cni}: {', '.join(listed)}")
        click.echo(f"KKP {release.version}.x  " + "; ".join(cells))


@main.command()
@click.argument("name")
@source_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def upgrades(
    name: str, repo: Path, ref: str | None, base: str | None, kkp_version: str | None, fmt: str
) -> None:
    """List the CNI versions cluster NAME may move to now (KKP's upgrade dialog)."""
    cluster, targets = _run(
        lambda: pipeline.upgrade_targets(_source(repo, ref, base, kkp_version), name)
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
        click.echo(f"{name}: {cluster.cni.type} {cluster.cni.version}: no upgrade available")
    else:
        click.echo(f"{name}: {cluster.cni.type} {cluster.cni.version} -> {', '.join(targets)}")


@main.command()
@source_options
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--cluster", "only", multiple=True, help="Render only this cluster (repeatable).")
@click.option("--validate/--no-validate", default=False, help="Validate before swapping in.")
@click.option("--backend", type=click.Choice(["auto", "kubeconform", "builtin"]), default="auto")
@click.option("--kubeconform", default=None, help="Path of the kubeconform executable.")
@click.option("--schema-cache", type=click.Path(path_type=Path), default=None)
@click.option(
    "--shard",
    callback=_parse_shard,
    default=None,
    metavar="K/N",
    help="Render the K-th of N shards (by a hash of the cluster name), for CI matrices.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes for large renders (e.g. the number of cores).",
)
def render(
    repo: Path,
    ref: str | None,
    base: str | None,
    kkp_version: str | None,
    out: Path,
    only: tuple[str, ...],
    validate: bool,
    backend: str,
    kubeconform: str | None,
    schema_cache: Path | None,
    shard: tuple[int, int] | None,
    jobs: int,
) -> None:
    """Render every cluster into OUT (atomically: OUT changes only if all of it succeeds)."""
    options = rendering.RenderOptions(
        out=out,
        only=only,
        shard=shard,
        jobs=jobs,
        validate=validate,
        backend=backend,
        kubeconform=kubeconform,
        schema_cache=schema_cache,
    )
    result = _run(lambda: rendering.render_fleet(_source(repo, ref, base, kkp_version), options))
    _emit(result.notices, "text")
    click.echo(
        f"rendered {result.clusters} clusters, {result.files} files into {out}",
        err=True,
    )


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(["auto", "kubeconform", "builtin"]),
    default="auto",
    help="auto: kubeconform when found (PATH or --kubeconform), else built-in.",
)
@click.option("--kubeconform", default=None, help="Path of the kubeconform executable.")
@click.option(
    "--schema-cache",
    type=click.Path(path_type=Path),
    default=None,
    help="Where offline schemas are built once and reused.",
)
def validate(out: Path, backend: str, kubeconform: str | None, schema_cache: Path | None) -> None:
    """Validate a rendered tree OUT against offline Kubernetes, CRD and Argo CD schemas (strict)."""
    _run(
        lambda: pipeline.validate_output(
            out, backend=backend, kubeconform=kubeconform, cache_dir=schema_cache
        )
    )
    click.echo(f"{out}: all manifests valid", err=True)


@main.command()
@source_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def diff(repo: Path, ref: str | None, base: str | None, kkp_version: str | None, fmt: str) -> None:
    """Show what the rendered manifests change from --base to --ref, and how disruptive it is."""
    if base is None:
        raise click.UsageError("diff needs --base REF (the state to compare with)")
    result = _run(lambda: refdiff.diff_refs(_source(repo, ref, None, kkp_version), base=base))
    click.echo(diffreport.format_report(result, fmt), nl=False)


@main.group("argocd")
def argocd_group() -> None:
    """Argo CD integration (Config Management Plugin mode: see docs/argocd-cmp.md)."""


@argocd_group.command("generate")
@click.option("--cluster", default=None, help=f"Default: ${cmp.CLUSTER_ENV}.")
@click.option(
    "--destination",
    type=click.Choice(cmp.DESTINATIONS),
    default=None,
    help=f"Default: ${cmp.DESTINATION_ENV}, else the suffix of ${cmp.APP_NAME_ENV}.",
)
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False), default=Path())
@click.option("--kkp-version", default=None, help="Override the KKP version of kubermatic.yaml.")
def argocd_generate(
    cluster: str | None, destination: str | None, repo: Path, kkp_version: str | None
) -> None:
    """Print one cluster's manifests for one destination as a YAML stream (the CMP contract)."""
    target = _run(
        lambda: cmp.plugin_target(cluster=cluster, destination=destination, env=os.environ)
    )
    opts = _source(repo, None, None, kkp_version)
    checked, files = _run(lambda: outputfiles.rendered_files(opts, only=(target.cluster,)))
    _emit(checked.diagnostics, "text")
    click.echo(cmp.manifest_stream(files, target), nl=False)


@main.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the spec files, for editors and CI."""
    click.echo(json.dumps(specschema.spec_schema(), indent=2))


@main.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
def init_repo(directory: Path) -> None:
    """Create a new GitOps repository in DIRECTORY (which must be new or empty)."""
    written = _run(lambda: scaffold.init_repo(directory))
    for relative in written:
        click.echo(f"created {directory / relative}", err=True)
    click.echo(f"next: cd {directory} && git init && kkpgen check", err=True)


def run() -> None:
    """The `kkpgen` console script: tune the garbage collector, then run the command line."""
    # A fleet run keeps millions of small objects alive to the end (specs, models, rendered
    # text). With CPython's default thresholds the collector scans them again and again:
    # a quarter of `check` on 10,000 clusters. kkpgen builds few reference cycles.
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)
    main()
