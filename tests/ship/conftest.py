"""The built wheel, installed in a fresh venv outside the checkout: kkpgen as users get it.

.ci/run builds and installs it once and passes KKPGEN_WHEEL and KKPGEN_VENV; without them
(a developer running pytest) the fixtures build the wheel from a copy of the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SKIPPED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path  # the venv's bin folder: python, pip, kkpgen

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment with the venv first on PATH, as a user's shell would have."""
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        return {**keep, "PATH": f"{self.bin}{os.pathsep}{keep.get('PATH', '')}", **extra}

    def run(self, args: list[str], *, cwd: Path, expect: int = 0, **env: str) -> str:
        result = subprocess.run(
            args, cwd=cwd, env=self.env(**env), capture_output=True, text=True, check=False
        )
        assert result.returncode == expect, (
            f"{args}: exit {result.returncode}, expected {expect}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
        return result.stdout + result.stderr


def build_wheel(into: Path) -> Path:
    """`pip wheel` on a copy of the checkout (a build writes build/ and *.egg-info)."""
    source = into / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_SKIPPED)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(into), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = into.glob("kkpgen-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    given_wheel, given_venv = os.environ.get("KKPGEN_WHEEL"), os.environ.get("KKPGEN_VENV")
    if given_wheel and given_venv:
        return Installed(Path(given_wheel), Path(given_venv) / "bin")
    folder = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(folder)
    return Installed(wheel, install(wheel, folder / "venv"))
