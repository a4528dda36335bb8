"""Maintainer tools: record upstream facts (KKP, Argo CD) as kkpgen data; not in the wheel."""
