"""Wires the stages load -> resolve -> rules -> plan -> render -> write -> validate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.kkp import defaults, transitions
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.models.resolved import ResolvedCluster


def resolved_document(opts: SourceOptions, name: str) -> dict[str, object]:
    checked = check_fleet(opts, only=(name,))
    loaded = checked.fleet.cluster(name)
    assert loaded is not None  # noqa: S101  check_fleet raised for unknown names
    return defaults.resolved_document(loaded, checked.resolved[0])


def upgrade_targets(opts: SourceOptions, name: str) -> tuple[ResolvedCluster, tuple[str, ...]]:
    checked = check_fleet(opts, only=(name,))
    cluster = checked.resolved[0]
    return cluster, transitions.upgrade_targets(
        cluster, catalog=load_catalog(), release=checked.release
    )


def validate_output(
    out: Path,
    *,
    backend: str,
    kubeconform: str | None,
    cache_dir: Path | None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Schema-check a rendered tree; raise KkpgenError (exit 3) with every finding, else
    return the number of files checked."""
    if not out.is_dir():
        raise KkpgenError(
            [
                Diagnostic(
                    "validate.no-tree",
                    Location(str(out)),
                    "",
                    f"{out} is not a folder",
                    "render first: kkpgen render --out DIR",
                )
            ],
            exit_code=ExitCode.USAGE,
        )
    # Imported here: jsonschema adds 0.2 s to the start of every command that does not validate.
    from kkpgen.validate import run_validation

    return run_validation(
        out,
        backend=backend,
        kubeconform=kubeconform,
        cache_dir=cache_dir,
        display_root=str(out),
        progress=progress,
    )
