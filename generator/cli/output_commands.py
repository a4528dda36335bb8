"""Commands about the output tree: render, validate."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import click

from kkpgen import pipeline
from kkpgen.cli.options import (
    decommission_option,
    parse_shard,
    source,
    source_options,
    with_decommission,
)
from kkpgen.cli.printing import emit_report, run_action, run_reported
from kkpgen.cli.summary import (
    ProgressLine,
    Verbosity,
    closing_line,
    emit_grouped,
    plural,
    run_fleet_action,
    verbosity_options,
)
from kkpgen.escape import terminal
from kkpgen.models.layout import ARGOCD_DIR
from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from kkpgen.output.workers import available_cores
from kkpgen.render.contents import shard_of

F = TypeVar("F", bound=Callable[..., object])


def _no_stream(out: Path) -> Path:
    """`--out -` made a folder named "-": render writes a tree, never a stream."""
    if str(out) == "-":
        raise click.BadParameter(
            "render writes a tree of files (a folder per cluster, argocd/), not a stream; "
            "hint: write it into a folder, e.g. `--out rendered`; to print one cluster's "
            "manifests as one YAML stream, run `kkpgen argocd generate --cluster NAME "
            "--destination user-cluster`"
        )
    return out


def format_option(command: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="json: one object on stdout (summary, errors, warnings), for CI and scripts.",
    )(command)


@click.command()
@source_options
@decommission_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    callback=lambda _ctx, _param, value: _no_stream(value),
    help="Output folder (a tree of files; not a stream).",
)
@click.option("--cluster", "only", multiple=True, help="Render only this cluster (repeatable).")
@click.option("--validate/--no-validate", default=False, help="Validate before swapping in.")
@click.option("--backend", type=click.Choice(["auto", "kubeconform", "builtin"]), default="auto")
@click.option("--kubeconform", default=None, help="Path of the kubeconform executable.")
@click.option("--schema-cache", type=click.Path(path_type=Path), default=None)
@click.option(
    "--shard",
    callback=parse_shard,
    default=None,
    metavar="K/N",
    help="Render the K-th of N shards (by a hash of the cluster name), for CI matrices.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=lambda: min(64, available_cores()),
    show_default="the cores available",
    help="Worker processes for large renders.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming the clusters and files when OUT differs from a render.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Render every cluster again, whatever the folder records say "
    "(repairs files edited by hand).",
)
@format_option
@verbosity_options
def render(
    repo: Path,
    ref: str | None,
    base: str | None,
    kkp_version: str | None,
    decommission: tuple[str, ...],
    out: Path,
    only: tuple[str, ...],
    validate: bool,
    backend: str,
    kubeconform: str | None,
    schema_cache: Path | None,
    shard: tuple[int, int] | None,
    jobs: int,
    check: bool,
    full: bool,
    fmt: str,
    verbosity: Verbosity,
) -> None:
    """Render every cluster into OUT (atomically: OUT changes only if all of it succeeds)."""
    started = time.monotonic()
    _check_shard(only, shard)
    options = update.RenderOptions(
        out=out,
        only=only,
        shard=shard,
        jobs=jobs,
        validate=validate,
        backend=backend,
        kubeconform=kubeconform,
        schema_cache=schema_cache,
        full=full,
    )
    opts = with_decommission(source(repo, ref, base, kkp_version), decommission)
    if fmt == "json":
        (_check_json if check else _render_json)(opts, options)
        return
    if check:
        _check_out(opts, options, verbosity=verbosity, started=started)
        return
    progress = ProgressLine("rendering") if verbosity != "quiet" else None
    options = replace(options, progress=progress)
    try:
        result = run_fleet_action(
            lambda: update.render_fleet(opts, options), verbosity=verbosity, started=started
        )
    finally:
        if progress is not None:
            progress.clear()
    emit_grouped(result.notices, verbosity)
    if verbosity != "quiet":
        unchanged = result.clusters - result.rendered
        click.echo(
            terminal(
                f"{plural(result.clusters, 'cluster')}: {result.rendered} rendered, "
                f"{unchanged} unchanged; {plural(result.files, 'file')} written into {out}; "
                f"{closing_line(result.notices, started)}"
            ),
            err=True,
        )


def _render_json(opts: SourceOptions, options: update.RenderOptions) -> None:
    """`render --format json`: the summary and the warnings on stdout (errors too, exit code
    unchanged); only the progress line goes to stderr."""
    progress = ProgressLine("rendering")
    try:
        result = run_reported(
            "render", lambda: update.render_fleet(opts, replace(options, progress=progress))
        )
    finally:
        progress.clear()
    summary = {
        "ok": True,
        "out": str(options.out),
        "clusters": result.clusters,
        "rendered": result.rendered,
        "unchanged": result.clusters - result.rendered,
        "files": result.files,
    }
    emit_report("render", summary, result.notices)


def _check_json(opts: SourceOptions, options: update.RenderOptions) -> None:
    """`render --check --format json`: what differs, as data; exit 1 when anything does."""
    progress = ProgressLine("comparing")
    try:
        report = run_reported(
            "render", lambda: update.output_drift(opts, options, progress=progress)
        )
    finally:
        progress.clear()
    summary = {
        "ok": not report.drifts,
        "out": str(options.out),
        "clusters": report.clusters,
        "files": report.files,
        "drifts": [{"group": d.group, "path": d.path, "kind": d.kind} for d in report.drifts],
    }
    emit_report("render", summary, report.notices)
    if report.drifts:
        sys.exit(1)


def _check_shard(only: tuple[str, ...], shard: tuple[int, int] | None) -> None:
    """--cluster names a cluster of another shard: a usage error (it rendered every cluster)."""
    if shard is None:
        return
    index, count = shard
    for name in only:
        home = shard_of(name, count)
        if home != index:
            raise click.UsageError(
                f"--cluster {terminal(name)} is in shard {home}/{count}, not in --shard "
                f"{index}/{count}: pass --shard {home}/{count}, or leave out --shard"
            )


def _check_out(
    opts: SourceOptions, options: update.RenderOptions, *, verbosity: Verbosity, started: float
) -> None:
    """`render --check`: list what differs, grouped by cluster, and exit 1 if anything does."""
    progress = ProgressLine("comparing") if verbosity != "quiet" else None
    try:
        report = run_fleet_action(
            lambda: update.output_drift(opts, options, progress=progress),
            verbosity=verbosity,
            started=started,
        )
    finally:
        if progress is not None:
            progress.clear()
    emit_grouped(report.notices, verbosity)
    groups = report.groups
    for group, drifts in groups.items():
        click.echo(terminal(f"{group or options.out}: {_differ(len(drifts))}"), err=True)
        for drift in drifts:  # names found in <out>: anything a committed tree holds
            click.echo(terminal(f"  {drift.kind}: {options.out / drift.path}"), err=True)
    clusters = [g for g in groups if g and g != ARGOCD_DIR]
    compared = f"{plural(report.clusters, 'cluster')}, {plural(report.files, 'file')} compared"
    if verbosity != "quiet" or groups:
        state = (
            f"{options.out} is stale: {_differ(len(report.drifts))} "
            f"({plural(len(clusters), 'cluster')}{', argocd/' if ARGOCD_DIR in groups else ''})"
            if groups
            else f"{options.out} is up to date"
        )
        line = f"{state} ({compared}); {closing_line(report.notices, started)}"
        click.echo(terminal(line), err=True)
    if groups:
        # --full, not a plain render: it renders every folder whatever its record says (a
        # record edited together with its folder, say, as a merge resolved by hand can be).
        command = f"kkpgen render --full --out {shlex.quote(str(options.out))}"
        click.echo(terminal(f"  hint: run `{command}` and commit the result"), err=True)
        sys.exit(1)


def _differ(files: int) -> str:
    return f"{plural(files, 'file')} {'differs' if files == 1 else 'differ'}"


@click.command()
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
@format_option
def validate(
    out: Path, backend: str, kubeconform: str | None, schema_cache: Path | None, fmt: str
) -> None:
    """Validate a rendered tree OUT against offline Kubernetes, CRD and Argo CD schemas (strict)."""
    progress = ProgressLine("validating", noun="file")  # on a terminal, after 2 s

    def check() -> int:
        return pipeline.validate_output(
            out, backend=backend, kubeconform=kubeconform, cache_dir=schema_cache, progress=progress
        )

    try:
        files = run_reported("validate", check) if fmt == "json" else run_action(check)
    finally:
        progress.clear()
    if fmt == "json":
        emit_report("validate", {"ok": True, "tree": str(out), "files": files}, ())
    else:
        click.echo(terminal(f"{out}: all {plural(files, 'manifest')} valid"), err=True)
