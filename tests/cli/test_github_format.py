"""Class 6: `--format github` escapes workflow-command data and properties (issue 14).

GitHub reads `::error file=F,line=L::message` lines from the log. A file name holding a
newline would forge an annotation of its own, and one holding `,` or `:` would add or end
properties. Escaped as GitHub's toolkit does: %25, %0D, %0A, and in properties %3A, %2C.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kkpgen.cli import main
from kkpgen.cli.printing import emit
from kkpgen.diagnostics import Diagnostic, Location
from tests.conftest import cluster_yaml
from tests.good_fleet import GoodFleet

WORKFLOW_COMMAND = re.compile(r"::(error|warning|notice) (?P<props>[^:]*)::(?P<data>.*)")


def _annotations(diagnostic: Diagnostic, capsys: pytest.CaptureFixture[str]) -> list[str]:
    emit([diagnostic], "github")
    return capsys.readouterr().out.splitlines()


def _properties(line: str) -> dict[str, str]:
    match = WORKFLOW_COMMAND.fullmatch(line)
    assert match is not None, line
    return dict(item.split("=", 1) for item in match["props"].split(","))


CASES = {
    "newline-in-file-name": (
        "clusters/a\n::error file=forged.yaml::pwned.yaml",
        "clusters/a%0A%3A%3Aerror file=forged.yaml%3A%3Apwned.yaml",
    ),
    "carriage-return-in-file-name": ("clusters/a\r.yaml", "clusters/a%0D.yaml"),
    "comma-in-file-name": ("clusters/a,line=1.yaml", "clusters/a%2Cline=1.yaml"),
    "colon-in-file-name": ("clusters/a::b.yaml", "clusters/a%3A%3Ab.yaml"),
    "percent-in-file-name": ("clusters/100%0A.yaml", "clusters/100%250A.yaml"),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_a_file_name_cannot_forge_an_annotation_or_a_property(
    case: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    name, escaped = case
    diagnostic = Diagnostic("x.y", Location(name, 3, 1), "spec", "bad", "fix it")
    (line,) = _annotations(diagnostic, capsys)
    assert _properties(line) == {"file": escaped, "line": "3", "col": "1", "title": "x.y"}


def test_a_message_with_newlines_stays_one_annotation(capsys: pytest.CaptureFixture[str]) -> None:
    diagnostic = Diagnostic(
        "x.y", Location("clusters/a.yaml", 1, 1), "spec", "a\n::error::forged 100%", "b\r\nc"
    )
    (line,) = _annotations(diagnostic, capsys)
    match = WORKFLOW_COMMAND.fullmatch(line)
    assert match is not None
    assert match["data"] == "spec: a%0A::error::forged 100%25. Hint: b%0D%0Ac"


def test_a_spec_key_with_a_newline_gives_one_annotation_per_diagnostic(
    good_fleet: GoodFleet,
) -> None:
    good_fleet.write({"clusters/bad.yaml": cluster_yaml("bad", extra='"x\\n::error y": 1\n')})
    argv = ["check", "--repo", str(good_fleet.repo), "--format", "github"]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert lines
    assert all(WORKFLOW_COMMAND.fullmatch(line) for line in lines)
    assert all(_properties(line)["file"] == "clusters/bad.yaml" for line in lines)
    assert "Traceback" not in result.output
