"""Finding and Backend: what a schema check of the output tree reports, and who checks."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location


@dataclass(frozen=True, slots=True)
class Finding:
    """One schema violation of one object in the output tree."""

    file: str  # POSIX path relative to the tree root
    kind: str
    name: str
    message: str
    field: str  # JSON path, e.g. "spec.template.spec.containers[0].image"; "" for the object
    backend: str

    def sort_key(self) -> tuple[str, str, str, str, str, str]:
        return (self.file, self.field, self.message, self.kind, self.name, self.backend)

    def to_diagnostic(self, *, prefix: str = "") -> Diagnostic:
        """As a Diagnostic on `prefix/file` (prefix: the tree root as the user named it)."""
        file = f"{prefix.rstrip('/')}/{self.file}" if prefix else self.file
        return Diagnostic(
            code="validate.schema",
            location=Location(file=file),
            field=self.field,
            message=f"{self.kind}/{self.name}: {self.message}" if self.kind else self.message,
            hint="fix the chart template that renders this file; the schema is strict",
        )


_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def json_path(parts: Sequence[str | int]) -> str:
    """("spec", "containers", 0, "image") → "spec.containers[0].image"; odd keys quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


class Backend(Protocol):
    """Checks manifest files against the kubeconform-layout schema folder `schema_dir`."""

    @property
    def name(self) -> str: ...

    def validate(self, files: Sequence[Path], *, root: Path, schema_dir: Path) -> list[Finding]: ...


def environment_error(code: str, *, message: str, hint: str, file: str = "") -> KkpgenError:
    """A KkpgenError for a broken environment (exit 4): a tool or schema kkpgen cannot use."""
    diagnostic = Diagnostic(
        code=code, location=Location(file=file), field="", message=message, hint=hint
    )
    return KkpgenError([diagnostic], exit_code=ExitCode.ENVIRONMENT)
