"""Options shared by commands: where the specs are read from, and --shard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import click

from kkpgen.models.options import SourceOptions

F = TypeVar("F", bound=Callable[..., object])


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


def source(repo: Path, ref: str | None, base: str | None, kkp_version: str | None) -> SourceOptions:
    return SourceOptions(repo=repo, ref=ref, base=base, kkp_version=kkp_version)


def parse_shard(_: click.Context, __: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    index, _slash, count = value.partition("/")
    digits = (index + count).isascii() and index.isdigit() and count.isdigit()  # int("²") raises
    if not (digits and 1 <= int(index) <= int(count)):
        raise click.BadParameter("write K/N with 1 <= K <= N, e.g. 2/8")
    return int(index), int(count)


def decommission_option(command: F) -> F:
    """--decommission NAME, for the commands that compare with --base."""
    return click.option(
        "--decommission",
        multiple=True,
        metavar="NAME",
        help="Confirm that cluster NAME, deleted since --base, is being decommissioned (as "
        'the label kkpgen/decommission: "true" in the base does); repeatable.',
    )(command)


def with_decommission(opts: SourceOptions, names: tuple[str, ...]) -> SourceOptions:
    if names and opts.base is None:
        raise click.UsageError("--decommission needs --base REF (it confirms a deletion since REF)")
    return replace(opts, decommission=tuple(names))
