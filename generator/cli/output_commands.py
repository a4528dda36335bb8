"""Commands about the output tree: render, validate."""

from __future__ import annotations

from pathlib import Path

import click

from generator import pipeline
from generator.cli.options import parse_shard, source, source_options
from generator.cli.printing import emit, run_action
from generator.output import update


@click.command()
@source_options
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
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
    options = update.RenderOptions(
        out=out,
        only=only,
        shard=shard,
        jobs=jobs,
        validate=validate,
        backend=backend,
        kubeconform=kubeconform,
        schema_cache=schema_cache,
    )
    result = run_action(lambda: update.render_fleet(source(repo, ref, base, kkp_version), options))
    emit(result.notices, "text")
    click.echo(
        f"rendered {result.clusters} clusters, {result.files} files into {out}",
        err=True,
    )


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
def validate(out: Path, backend: str, kubeconform: str | None, schema_cache: Path | None) -> None:
    """Validate a rendered tree OUT against offline Kubernetes, CRD and Argo CD schemas (strict)."""
    run_action(
        lambda: pipeline.validate_output(
            out, backend=backend, kubeconform=kubeconform, cache_dir=schema_cache
        )
    )
    click.echo(f"{out}: all manifests valid", err=True)
