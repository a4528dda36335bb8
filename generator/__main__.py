"""python -m kkpgen: the kkpgen command line."""

from kkpgen.cli import run

run()
