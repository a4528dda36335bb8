"""Maintainer scripts: read KKP's source and write kkpgen's facts (not shipped in the wheel)."""
