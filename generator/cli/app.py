"""The kkpgen command line: the command group, its commands, and the console script."""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType

import click

from kkpgen.cli import gitops_commands, output_commands, rollout_commands, spec_commands


class _KkpgenGroup(click.Group):
    """`--debug` and `--color` are options of kkpgen itself, accepted before or after the
    command: the internal-error message says "re-run with --debug", and users add it at
    the end."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        head, own = list(args[:end]), []
        if "--debug" in head:
            head.remove("--debug")
            own.append("--debug")
        for index, arg in enumerate(head):
            if arg.startswith("--color="):
                own.append(head.pop(index))
                break
            if arg == "--color" and index + 1 < len(head):
                own += [head.pop(index), head.pop(index)]
                break
        return super().parse_args(ctx, [*own, *head, *args[end:]])


def _colour(mode: str) -> bool | None:
    """--color always|never win; auto: none with NO_COLOR set (no-color.org), else colour on
    a terminal only (None: click decides per stream)."""
    if mode != "auto":
        return mode == "always"
    return False if os.environ.get("NO_COLOR") else None


@click.group(cls=_KkpgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option(
    "--color",
    "colour",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the diagnostics: auto = on a terminal, unless NO_COLOR is set.",
)
@click.version_option(package_name="kkpgen", prog_name="kkpgen")
@click.pass_context
def main(ctx: click.Context, debug: bool, colour: str) -> None:
    """Render and check the network layer of a fleet of KKP user clusters.

    Shell completion: see docs/cli.md (e.g. eval "$(_KKPGEN_COMPLETE=bash_source kkpgen)")."""
    del debug  # read by run_action from the root context
    ctx.color = _colour(colour)


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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C exits 130 (128 + SIGINT), as shells expect, and unwinds like SIGTERM; click
    would turn it into "Aborted!" and exit 1, the code of invalid input."""
    del frame
    sys.stderr.write("\nkkpgen: interrupted\n")
    sys.exit(128 + signum)


def run() -> None:
    """The `kkpgen` console script: tune the garbage collector, then run the command line."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _interrupt)
    # A fleet run keeps millions of small objects alive to the end (specs, models, rendered
    # text). With CPython's default thresholds the collector scans them again and again:
    # a quarter of `check` on 10,000 clusters. kkpgen builds few reference cycles.
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)
    main()
