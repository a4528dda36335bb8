"""One version source: pyproject's version is what kkpgen reports, pins and documents."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def test_the_installed_version_is_pyprojects() -> None:
    assert version("kkpgen") == _version()


def test_the_release_steps_read_the_version_kkpgen_reports() -> None:
    steps = (ROOT / "docs/releasing.md").read_text()
    match = re.search(r"version=\$\(python3 -c '([^']+)'\)", steps)
    assert match
    printed = subprocess.run(
        [sys.executable, "-c", match.group(1)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert printed.stdout.strip() == _version()


def test_the_readme_pins_the_tag_the_release_steps_create() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"rev: v{_version()}" in readme
    assert f"## {_version()}" in (ROOT / "CHANGELOG.md").read_text()
