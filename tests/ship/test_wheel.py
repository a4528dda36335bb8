"""kkpgen installed from its wheel, run from a folder outside the checkout, end to end."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import yaml

from tests.conftest import V2_20_FLEET, commit_all, git
from tests.ship.conftest import ROOT, Installed

FIXTURES = ROOT / "fixtures"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _shipped_chart_files() -> set[str]:
    return {
        p.relative_to(ROOT / "charts").as_posix()
        for p in (ROOT / "charts").rglob("*")
        if p.is_file()
    }


def test_the_wheel_carries_every_chart_file_and_the_catalog(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    charts = {n.removeprefix("kkpgen/charts/") for n in names if n.startswith("kkpgen/charts/")}
    assert charts == _shipped_chart_files()
    assert "kkpgen/kkp/data/catalog.yaml" in names
    assert "kkpgen/validate/data/argocd-schemas.json" in names
    # the folder generator/ installs under the import name only
    assert not any(n.startswith("generator/") for n in names)


def test_the_sdist_carries_the_charts_and_the_catalog(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv"))
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
            str(tmp_path / "dist"),
        ],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (sdist,) = (tmp_path / "dist").glob("kkpgen-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {f"charts/{f}" for f in _shipped_chart_files()} <= names
    assert "generator/kkp/data/catalog.yaml" in names
    assert "generator/validate/data/argocd-schemas.json" in names


def _fleet(tmp_path: Path, example: Path = FIXTURES) -> Path:
    fleet = tmp_path / "fleet"
    shutil.copytree(example, fleet)
    git(fleet, "init", "-q", "-b", "main")
    commit_all(fleet, "fleet")
    return fleet


def test_installed_kkpgen_checks_renders_validates_and_diffs_from_another_folder(
    installed: Installed, tmp_path: Path
) -> None:
    fleet, elsewhere = _fleet(tmp_path), tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert installed.run(["kkpgen", "--version"], cwd=elsewhere).strip() == "kkpgen, version 0.1.0"
    assert "6 clusters ok" in installed.run(
        ["kkpgen", "check", "--repo", str(fleet)], cwd=elsewhere
    )
    out = tmp_path / "rendered"
    installed.run(["kkpgen", "render", "--repo", str(fleet), "--out", str(out)], cwd=elsewhere)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "fleet", "rendered"]
    installed.run(["kkpgen", "validate", str(out), "--backend", "builtin"], cwd=elsewhere)
    # The checkout renders the same bytes: the wheel lost no chart, template or catalog entry.
    reference = tmp_path / "reference"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kkpgen",
            "render",
            "--repo",
            str(fleet),
            "--out",
            str(reference),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert _tree(out) == _tree(reference)
    spec = fleet / "clusters/prod-canal.yaml"
    spec.write_text(spec.read_text().replace('"30517"', '"30518"'))
    diff = installed.run(
        ["kkpgen", "diff", "--repo", str(fleet), "--base", "main", "--format", "markdown"],
        cwd=elsewhere,
    )
    assert "prod-canal" in diff


def test_installed_kkpgen_serves_the_plugin_init_and_schema(
    installed: Installed, tmp_path: Path
) -> None:
    fleet = _fleet(tmp_path)
    stream = installed.run(
        ["kkpgen", "argocd", "generate", "--repo", ".", "--destination", "user-cluster"],
        cwd=fleet,
        ARGOCD_ENV_CLUSTER="prod-canal",
    )
    kinds = {d["kind"] for d in yaml.safe_load_all(stream) if d}
    assert {"DaemonSet", "ConfigMap"} <= kinds
    new = tmp_path / "new"
    installed.run(
        ["kkpgen", "init", str(new), "--kkpgen-wheel", str(installed.wheel)], cwd=tmp_path
    )
    installed.run(["kkpgen", "check"], cwd=new)
    schema = installed.run(["kkpgen", "schema"], cwd=tmp_path)
    assert '"oneOf"' in schema or '"discriminator"' in schema


def test_installed_kkpgen_resolves_the_chart_library_schema(
    installed: Installed, tmp_path: Path
) -> None:
    """Addon variables are checked against schemas whose `$ref`s point into
    charts/_library: the wheel carries the library and kkpgen resolves it offline (the
    hubble addon's variables, which only KKP v2.20's fleet has)."""
    fleet = _fleet(tmp_path, V2_20_FLEET)
    spec = fleet / "clusters/edge-cilium.yaml"
    good = "    kind: Cluster\n  variables: {relay: {replicas: 2, resources: {limits: {cpu: 1}}}}\n"
    spec.write_text(spec.read_text().replace("    kind: Cluster\n", good, 1))
    assert "6 clusters ok" in installed.run(["kkpgen", "check", "--repo", str(fleet)], cwd=tmp_path)
    spec.write_text(spec.read_text().replace("replicas: 2", "replicas: 101"))
    refused = installed.run(["kkpgen", "check", "--repo", str(fleet)], cwd=tmp_path, expect=1)
    assert "error[addon.variables.invalid]: spec.variables.relay.replicas" in refused
    assert "hint: expected a number of replicas, 0-100" in refused
