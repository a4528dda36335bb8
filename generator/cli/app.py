"""The kkpgen command line: the command group, its commands, and the console script."""

from __future__ import annotations

import gc
import signal
import sys
from types import FrameType

import click

from kkpgen.cli import gitops_commands, output_commands, rollout_commands, spec_commands


class _KkpgenGroup(click.Group):
    """`--debug` is a flag of kkpgen itself, accepted before or after the command: the
    internal-error message says "re-run with --debug", and users add it at the end."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:end]:
            args = ["--debug", *(a for a in args[:end] if a != "--debug"), *args[end:]]
        return super().parse_args(ctx, args)


@click.group(cls=_KkpgenGroup)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(package_name="kkpgen", prog_name="kkpgen")
def main(debug: bool) -> None:
    """Render and check the network layer of a fleet of KKP user clusters."""


for _command in (
    spec_commands.check,
    spec_commands.resolve,
    spec_commands.versions,
    spec_commands.upgrades,
    spec_commands.schema,
    output_commands.render,
    output_commands.validate,
    gitops_commands.diff,
    gitops_commands.argocd_group,
    gitops_commands.init_repo,
    rollout_commands.plan,
):
    main.add_command(_command)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like an error (exit 143): the staging folder is removed and <out>
    stays whole, where the default action left the staging behind."""
    del frame
    sys.exit(128 + signum)


def run() -> None:
    """The `kkpgen` console script: tune the garbage collector, then run the command line."""
    signal.signal(signal.SIGTERM, _terminate)
    # A fleet run keeps millions of small objects alive to the end (specs, models, rendered
    # text). With CPython's default thresholds the collector scans them again and again:
    # a quarter of `check` on 10,000 clusters. kkpgen builds few reference cycles.
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)
    main()
