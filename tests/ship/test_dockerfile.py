"""The Argo CD sidecar's Dockerfile: every path it copies exists, and its install works.

No image can be built here, so its install command runs against the built wheel in a fresh
venv, and the plugin's own commands run on what that installs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.ship.conftest import ROOT, Installed

DOCKERFILE = ROOT / "argocd/Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0], line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_sidecar_runs_as_the_argocd_user() -> None:
    instructions = _instructions()
    assert ("USER", "999:999") in instructions
    assert any(op == "RUN" and "--uid 999" in arg for op, arg in instructions)


def test_every_path_the_dockerfile_copies_exists_after_the_documented_wheel_build(
    installed: Installed, tmp_path: Path
) -> None:
    context = tmp_path / "context"
    shutil.copytree(ROOT / "argocd", context / "argocd")
    (context / "dist").mkdir()
    shutil.copy(installed.wheel, context / "dist")  # what `pip wheel --no-deps -w dist .` makes
    copies = [arg.split() for op, arg in _instructions() if op == "COPY"]
    assert copies
    for *sources, _destination in copies:
        for source in sources:
            assert list(context.glob(source.rstrip("/"))), f"COPY {source}: not in the context"


def test_the_dockerfile_install_command_installs_a_working_plugin(
    installed: Installed, tmp_path: Path
) -> None:
    (install,) = [arg for op, arg in _instructions() if op == "RUN" and "pip install" in arg]
    command = install.split("&&")[0].strip()
    wheels = tmp_path / "kkpgen-wheels"
    wheels.mkdir()
    shutil.copy(installed.wheel, wheels)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (copied,) = [arg.split()[-1] for op, arg in _instructions() if op == "COPY" and "dist/" in arg]
    argv = [a.replace(copied.rstrip("/"), str(wheels)) for a in shlex.split(command)]
    assert argv[:3] == ["python", "-m", "pip"]
    expanded = [*argv[:-1], *map(str, wheels.glob(Path(argv[-1]).name))]
    subprocess.run([str(venv / "bin/python"), *expanded[1:]], check=True, capture_output=True)
    plugin = yaml.safe_load((ROOT / "argocd/plugin.yaml").read_text())
    sidecar = Installed(installed.wheel, venv / "bin")
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "fixtures", fleet)
    assert re.match(
        r"kkpgen, version \d", sidecar.run(plugin["spec"]["init"]["command"], cwd=fleet)
    )
    stream = sidecar.run(
        plugin["spec"]["generate"]["command"],
        cwd=fleet,
        ARGOCD_APP_NAME="prod-canal-seed",
    )
    assert "kind: Service" in stream
