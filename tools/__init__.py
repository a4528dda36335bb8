"""Maintainer tools that record upstream facts (KKP, Argo CD) as kkpgen data (not shipped in the wheel)."""
