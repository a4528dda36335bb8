"""Fleet-scale terminal output: warnings grouped by code, a progress line, a closing summary."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import click

from kkpgen.cli.printing import emit, painted, run_action
from kkpgen.diagnostics import Diagnostic, KkpgenError
from kkpgen.escape import terminal

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])
Verbosity = Literal["quiet", "normal", "verbose"]
_SHOWN_NAMES = 5  # clusters named after a grouped warning; --verbose lists them all
_PROGRESS_EVERY = 0.1  # seconds between redraws of the progress line


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 cluster`, `2 clusters`, `0 clusters`."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def by_code(diagnostics: Iterable[Diagnostic]) -> str:
    """`349 cni.version.forced-upgrade, 2 tunnel.port`: most frequent first."""
    counts = Counter(d.code for d in diagnostics)
    return ", ".join(
        f"{n} {code}" for code, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    )


def verbosity_options(command: F) -> F:
    command = click.option(
        "--verbose", "-v", "verbosity", flag_value="verbose", help="List every warning."
    )(command)
    command = click.option(
        "--quiet", "-q", "verbosity", flag_value="quiet", help="Print errors only."
    )(command)
    return click.option("--normal", "verbosity", flag_value="normal", default=True, hidden=True)(
        command
    )


def _more(group: Sequence[Diagnostic]) -> str:
    names = sorted({d.cluster for d in group[1:] if d.cluster})
    shown = ", ".join(names[:_SHOWN_NAMES]) + (", ..." if len(names) > _SHOWN_NAMES else "")
    which = f" ({plural(len(names), 'cluster')}: {shown})" if names else ""
    return f"  ... and {len(group) - 1} more like this{which}; --verbose lists them"


def emit_grouped(diagnostics: Sequence[Diagnostic], verbosity: Verbosity) -> None:
    """Warnings and notices by code: the first of each code in full, then a count."""
    if verbosity == "quiet":
        return
    if verbosity == "verbose":
        emit(diagnostics, "text")
        return
    groups: dict[str, list[Diagnostic]] = {}
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        groups.setdefault(diagnostic.code, []).append(diagnostic)
    for group in groups.values():
        click.echo(painted(group[0]), err=True)
        if len(group) > 1:
            click.echo(terminal(_more(group)), err=True)


def closing_line(found: Sequence[Diagnostic], started: float) -> str:
    """`2 warnings (2 cni.version.deprecated), 1 notice (1 cni.none), 0 errors, 1.2 s`."""
    parts = []
    for severity in ("warning", "notice", "error"):
        these = [d for d in found if d.severity == severity]
        if these or severity != "notice":
            counts = f" ({by_code(these)})" if these else ""
            parts.append(plural(len(these), severity) + counts)
    return ", ".join([*parts, f"{time.monotonic() - started:.1f} s"])


@dataclass
class ProgressLine:
    """`rendering 1200/10000 clusters` redrawn on stderr, only when stderr is a terminal."""

    verb: str
    noun: str = "cluster"
    enabled: bool = field(default_factory=lambda: sys.stderr.isatty())
    delay: float = 2.0  # seconds before the first draw: a quick run prints no progress
    _born: float = field(default_factory=time.monotonic)
    _last: float = 0.0
    _shown: bool = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._born < self.delay:
            return
        if now - self._last < _PROGRESS_EVERY and done < total:
            return
        self._last, self._shown = now, True
        sys.stderr.write(f"\r{self.verb} {done}/{plural(total, self.noun)}\x1b[K")
        sys.stderr.flush()

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False


def run_fleet_action(action: Callable[[], T], *, verbosity: Verbosity, started: float) -> T:
    """run_action, plus the closing line when the run fails (errors and warnings by code)."""

    def guarded() -> T:
        try:
            return action()
        except KkpgenError as error:
            problems = [d for d in error.diagnostics if d.severity == "error"]
            emit_grouped([d for d in error.diagnostics if d.severity != "error"], verbosity)
            emit(problems, "text")
            if verbosity != "quiet":
                click.echo(f"failed: {closing_line(error.diagnostics, started)}", err=True)
            raise SystemExit(int(error.exit_code)) from None

    return run_action(guarded)
