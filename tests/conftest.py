"""Shared fixtures: temporary GitOps repositories (with base/head commits) and a CLI runner."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from click.testing import CliRunner, Result

from kkpgen.cli import main
from kkpgen.diagnostics import Diagnostic
from kkpgen.models.options import SourceOptions
from kkpgen.output import update

# The good fleet (rendered once per module, copied per test), for every folder's tests.
pytest_plugins = ["tests.good_fleet"]

CONFIG = """\
apiVersion: kubermatic.k8c.io/v1
kind: KubermaticConfiguration
metadata:
  name: kubermatic
  annotations:
    kkpgen/kkp-version: "v2.20"
    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"
spec:
  featureGates:
    KonnectivityService: true
  api:
    accessibleAddons: [hubble]
"""


# A cluster_yaml cluster has no tunnel NodePort annotation, so `check` notes that on each
# (kkp/access.tunnel_port_known, tested in tests/kkp/test_tunnel_port.py): the helpers of
# rule tests leave that notice out.
TUNNEL_PORT_NOTICE = "network.tunnel-port.unknown"


ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_FLEET = ROOT / "fixtures"  # the README's example fleet, on the newest KKP
V2_20_FLEET = ROOT / "tests" / "fleets" / "kkp-v2.20"  # the example fleet of KKP v2.20


def without_tunnel_notice(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(d for d in diagnostics if d.code != TUNNEL_PORT_NOTICE)


def cluster_yaml(
    name: str = "c1",
    *,
    version: str = '"1.23.6"',
    cloud: str = "aws: {}",
    extra: str = "",
    labels: str = "",
) -> str:
    """A minimal valid Cluster; `extra` is YAML appended under spec (indented by 2)."""
    label_block = f"  labels:\n{textwrap.indent(textwrap.dedent(labels), '    ')}" if labels else ""
    body = f"""\
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: {name}
{label_block}spec:
  version: {version}
  cloud:
    {cloud}
"""
    return body + textwrap.indent(textwrap.dedent(extra), "  ")


def files_and_links(root: Path) -> dict[str, bytes | str]:
    """Every file (bytes) and link (its target) below `root`, none followed."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[key] = f"-> {path.readlink()}"
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def commit_all(repo: Path, message: str) -> None:
    """Stage and commit everything in `repo`, as a user with no git identity configured."""
    identity = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
    git(repo, *identity, "add", "-A")
    git(repo, *identity, "commit", "-qm", message)


@dataclass
class Repo:
    path: Path

    def write(self, files: Mapping[str, str | None]) -> None:
        for name, text in files.items():
            target = self.path / name
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text))

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        self.write(files)
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD").strip()


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    """make_repo(base={...}, head={...}): commit `base` (tagged "base"), then `head` (HEAD)."""

    def build(
        base: Mapping[str, str | None] | None = None,
        head: Mapping[str, str | None] | None = None,
        config: str | None = CONFIG,
    ) -> Repo:
        path = tmp_path / "repo"
        for n in range(2, 100):  # a test may build several repositories
            if not path.exists():
                break
            path = tmp_path / f"repo-{n}"
        path.mkdir()
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "user.email", "t@example.com")
        git(path, "config", "user.name", "t")
        repo = Repo(path)
        files: dict[str, str | None] = {"kubermatic.yaml": config} if config else {}
        repo.commit({**files, **(base or {})}, "base")
        git(path, "tag", "base")
        if head is not None:
            repo.commit(head, "head")
        return repo

    return build


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run kkpgen in-process; the failure message shows stdout and stderr."""

    def run(args: Sequence[str], expect: int | None = 0) -> Result:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"exit {result.exit_code}, expected {expect}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    return run


@dataclass(frozen=True)
class Rendered:
    """What one in-process render wrote into `out`, and what it reported."""

    out: Path
    result: update.RenderResult

    def objects(self, under: str = "") -> dict[str, Any]:
        """{path below `under`: parsed object} of every YAML file written there."""
        root = self.out / under
        return {
            p.relative_to(root).as_posix(): yaml.safe_load(p.read_text())
            for p in sorted(root.rglob("*.yaml"))
        }


class RenderFleet(Protocol):
    def __call__(
        self,
        repo: Path,
        *,
        specs: Mapping[str, str] | None = None,
        config: str = CONFIG,
        out: Path | None = None,
        **options: Any,
    ) -> Rendered: ...


def _render_fleet(
    repo: Path,
    *,
    specs: Mapping[str, str] | None = None,
    config: str = CONFIG,
    out: Path | None = None,
    **options: Any,
) -> Rendered:
    """`kkpgen render` of `repo` in-process (into `repo/out` unless told; `options` are
    RenderOptions'). With `specs`, first write `config` as kubermatic.yaml and each spec as
    clusters/<name>.yaml."""
    if specs is not None:
        (repo / "clusters").mkdir(parents=True, exist_ok=True)
        (repo / "kubermatic.yaml").write_text(config)
        for name, text in specs.items():
            (repo / "clusters" / f"{name}.yaml").write_text(text)
    out = repo / "out" if out is None else out
    result = update.render_fleet(SourceOptions(repo=repo), update.RenderOptions(out, **options))
    return Rendered(out, result)


@pytest.fixture(scope="session")
def render_fleet() -> RenderFleet:
    """The one way tests render a fleet in-process: render_fleet(repo, specs={...})."""
    return _render_fleet
