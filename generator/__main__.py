"""python -m generator: the kkpgen command line."""

from generator.cli import run

run()
