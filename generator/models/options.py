"""What every command reads: the repository, the refs and the KKP release it asks for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceOptions:
    repo: Path = Path()
    ref: str | None = None  # None: the work tree
    base: str | None = None  # None: every cluster counts as existing
    kkp_version: str | None = None  # overrides the KubermaticConfiguration annotation
    # --decommission: clusters deleted since base whose deletion the user confirms (as the
    # label kkpgen/decommission: "true" in the base would)
    decommission: tuple[str, ...] = ()
