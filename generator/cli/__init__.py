"""The kkpgen command line: parse flags, call the pipeline, print diagnostics, exit."""

from kkpgen.cli.app import main, run

__all__ = ["main", "run"]
