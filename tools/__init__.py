"""Maintainer tools that record upstream facts as kkpgen data (not shipped in the wheel)."""
