"""`kkpgen plan`: each cluster's upgrade steps to the target, and --apply-step N."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from kkpgen.cli.printing import run_action
from kkpgen.models.options import SourceOptions
from kkpgen.plan.model import Target

FORMATS = ("text", "json", "markdown")


@click.command()
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="The GitOps repository (or a folder in it).",
)
@click.option("--ref", default=None, help="Plan from the files committed at this git ref.")
@click.option(
    "--target",
    type=click.Choice(["latest", "supported"]),
    default="latest",
    show_default=True,
    help="latest: the newest CNI version and Konnectivity; supported: the least change that "
    "leaves no deprecated version and meets every KKP release on the way.",
)
@click.option("--to-kkp", default=None, metavar="vX.Y.Z", help="Plan up to this KKP release.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@click.option(
    "--apply-step",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Edit the spec files of the work tree for step N (comments and layout kept).",
)
@click.option("--wave", multiple=True, metavar="W", help="Only clusters of rollout wave W.")
@click.option("--cluster", "names", multiple=True, metavar="NAME", help="Only cluster NAME.")
def plan(
    repo: Path,
    ref: str | None,
    target: str,
    to_kkp: str | None,
    fmt: str,
    apply_step: int | None,
    wave: tuple[str, ...],
    names: tuple[str, ...],
) -> None:
    """Plan every cluster's steps to the target network layer, wave by wave."""
    from kkpgen.plan import apply, fleet, report  # only `plan` loads the planner

    opts, goal = SourceOptions(repo=repo, ref=ref), cast(Target, target)
    selection = apply.StepSelection(apply_step or 1, wave, names)
    if apply_step is None:
        result = run_action(lambda: fleet.plan_fleet(opts, target=goal, to_kkp=to_kkp))
        text = (
            report.format_markdown(result, selection)
            if fmt == "markdown"
            else report.format_plan(result, fmt)
        )
        click.echo(text, nl=False)
        return
    if ref is not None:
        raise click.UsageError("--apply-step edits the work tree: leave out --ref")
    applied = run_action(
        lambda: apply.apply_step(opts, target=goal, to_kkp=to_kkp, selection=selection)
    )
    click.echo(report.format_applied(applied, fmt), nl=False)
