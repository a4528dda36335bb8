"""Location, Diagnostic and KkpgenError: how every failure is described; imports only escape."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Literal

from kkpgen.escape import terminal

Severity = Literal["error", "warning", "notice"]


class ExitCode(IntEnum):
    """Exit codes of the CLI (documented in the README)."""

    OK = 0
    INVALID_INPUT = 1
    USAGE = 2
    VALIDATION_FAILED = 3
    ENVIRONMENT = 4
    # `diff --fail-on`: the diff holds what the flag names (a disruption, or any change). Its
    # own code, so CI tells it from a failure of kkpgen (1-4, 70) or a signal (130, 143).
    GATED = 10
    INTERNAL = 70


@dataclass(frozen=True, slots=True)
class Location:
    file: str  # repo-relative POSIX path
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    ref: str | None = None  # git ref the file was read at


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # stable id, e.g. "cni.version.unsupported"
    location: Location
    field: str  # YAML path as the user wrote it: "spec.cniPlugin.version"
    message: str  # what is wrong, with the offending value
    hint: str = ""  # how to fix it
    severity: Severity = "error"
    cluster: str = ""  # the cluster this is about, when there is one

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line or 0, loc.column or 0, self.code, self.field)

    def at(self, location: Location) -> Diagnostic:
        return replace(self, location=location)


class KkpgenError(Exception):
    """The one exception type of kkpgen; carries at least one Diagnostic."""

    def __init__(
        self, diagnostics: Sequence[Diagnostic], exit_code: ExitCode = ExitCode.INVALID_INPUT
    ) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        self.exit_code = exit_code

    def __reduce__(self) -> tuple[type[KkpgenError], tuple[tuple[Diagnostic, ...], ExitCode]]:
        # Render workers send their errors to the parent pickled; keep the diagnostics.
        return (KkpgenError, (self.diagnostics, self.exit_code))


def errors_of(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def format_location(location: Location) -> str:
    parts = [location.file]
    if location.line is not None:
        parts.append(str(location.line))
        if location.column is not None:
            parts.append(str(location.column))
    return ":".join(parts)


def format_diagnostic(diagnostic: Diagnostic) -> str:
    """Compiler-style text: `file:line:col: error[code]: field: message` and an indented hint."""
    head = terminal(
        f"{format_location(diagnostic.location)}: {diagnostic.severity}[{diagnostic.code}]: "
        f"{diagnostic.field + ': ' if diagnostic.field else ''}{diagnostic.message}"
    )
    if diagnostic.hint:
        return f"{head}\n  hint: {terminal(diagnostic.hint)}"
    return head


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule's finding before it has a place: the loader turns `path` into a Location."""

    code: str
    path: tuple[str | int, ...]  # ("spec", "cniPlugin", "version")
    message: str
    hint: str
    severity: Severity = "error"
