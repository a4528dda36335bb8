"""Diagnostics to the terminal (text, JSON, GitHub annotations) and the exit code of a failure."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import click

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, format_diagnostic
from kkpgen.escape import control, terminal

T = TypeVar("T")


_COLOURS = {"error": "red", "warning": "yellow", "notice": "cyan"}


def painted(diagnostic: Diagnostic) -> str:
    """format_diagnostic with the severity coloured and the hint dimmed. click.echo drops
    the colours where they do not belong (not a terminal, NO_COLOR, --color never)."""
    text = format_diagnostic(diagnostic)
    token = f"{diagnostic.severity}[{diagnostic.code}]"
    colour = _COLOURS.get(diagnostic.severity, "")
    text = text.replace(token, click.style(token, fg=colour, bold=True), 1)
    return text.replace("\n  hint: ", f"\n  {click.style('hint:', dim=True)} ", 1)


def _emit_text(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(painted(diagnostic), err=True)


def github_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does (escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (escapeProperty): also `:` and `,`, which would
    end the value or start another property."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def _emit_github(diagnostics: Sequence[Diagnostic]) -> None:
    levels = {"error": "error", "warning": "warning", "notice": "notice"}
    for d in diagnostics:
        loc = d.location
        props = (
            [("file", loc.file)]
            + ([("line", str(loc.line))] if loc.line else [])
            + ([("col", str(loc.column))] if loc.column else [])
            + [("title", d.code)]
        )
        # Escaped first (CR and LF as %0D/%0A), then any other control character made visible.
        fields = ",".join(f"{key}={control(github_property(value))}" for key, value in props)
        text = f"{d.field + ': ' if d.field else ''}{d.message}. Hint: {d.hint}"
        click.echo(f"::{levels[d.severity]} {fields}::{control(github_data(text))}")


def _as_json(d: Diagnostic) -> dict[str, object]:
    return {
        "code": d.code,
        "cluster": d.cluster,
        "file": d.location.file,
        "line": d.location.line,
        "column": d.location.column,
        "field": d.field,
        "message": d.message,
        "hint": d.hint,
        "severity": d.severity,
    }


def emit(diagnostics: Sequence[Diagnostic], fmt: str) -> None:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    if fmt == "json":
        payload = {
            "errors": [_as_json(d) for d in ordered if d.severity == "error"],
            "warnings": [_as_json(d) for d in ordered if d.severity != "error"],
        }
        click.echo(json.dumps(payload, indent=2))
    elif fmt == "github":
        _emit_github(ordered)
    else:
        _emit_text(ordered)


def emit_report(command: str, summary: Mapping[str, object], found: Sequence[Diagnostic]) -> None:
    """`--format json` of render and validate: one object on stdout, whatever happened."""
    ordered = sorted(found, key=Diagnostic.sort_key)
    payload = {
        "command": command,
        "summary": dict(summary),
        "errors": [_as_json(d) for d in ordered if d.severity == "error"],
        "warnings": [_as_json(d) for d in ordered if d.severity != "error"],
    }
    click.echo(json.dumps(payload, indent=2))


def run_reported(command: str, action: Callable[[], T]) -> T:
    """run_action for `--format json`: a known failure is a report with ok false, its exit
    code in the summary and the process's."""
    try:
        return run_action(action, fmt="none")
    except _Failed as failed:
        summary = {"ok": False, "exit_code": int(failed.error.exit_code)}
        emit_report(command, summary, failed.error.diagnostics)
        sys.exit(int(failed.error.exit_code))


class _Failed(Exception):
    def __init__(self, error: KkpgenError) -> None:
        super().__init__(str(error))
        self.error = error


def run_action(action: Callable[[], T], *, fmt: str = "text") -> T:
    """Known failures print diagnostics and exit with their code; bugs print one line."""
    try:
        return action()
    except KkpgenError as error:
        if fmt == "none":  # the caller reports it (run_reported)
            raise _Failed(error) from None
        emit(error.diagnostics, fmt)
        sys.exit(int(error.exit_code))
    except Exception as error:  # noqa: BLE001  the one place that turns bugs into exit 70
        if click.get_current_context().find_root().params.get("debug"):
            traceback.print_exc()
        else:
            click.echo(
                terminal(f"kkpgen: internal error: {type(error).__name__}: {error}"), err=True
            )
            click.echo("re-run with --debug for the traceback", err=True)
        sys.exit(int(ExitCode.INTERNAL))
