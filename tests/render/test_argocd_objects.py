"""Argo CD objects: ApplicationSets over the rendered tree, rollout waves, per-cluster mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from kkpgen.kkp.check import check_fleet
from kkpgen.kkp.waves import wave_order
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.render.applications import ArgoSettings, ArgoTarget
from kkpgen.render.appsets import control_files
from tests.conftest import CONFIG, RenderFleet, Repo, cluster_yaml

RunCli = Callable[..., Result]
ARGO = """\
    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"
    kkpgen/seed-destination: "seed-1"
"""


def _config(mode: str | None = None) -> str:
    extra = ARGO + (f'    kkpgen/argocd-mode: "{mode}"\n' if mode else "")
    return CONFIG.replace("  annotations:\n", "  annotations:\n" + extra, 1)


def _waved(name: str, wave: str) -> str:
    return cluster_yaml(name, labels=f"kkpgen/rollout-wave: '{wave}'\n")


def _argocd(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "argocd").iterdir())}


def test_adding_a_cluster_adds_no_argo_cd_file(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")}, config=_config())
    out = tmp_path / "out"
    render_fleet(repo.path, out=out, validate=True, backend="builtin")
    before = _argocd(out)
    assert sorted(before) == [
        "application-kkpgen-bootstrap.yaml",
        "applicationset-kkpgen-seed.yaml",
        "applicationset-kkpgen-user-cluster.yaml",
        "appproject-kkpgen.yaml",
    ]
    repo.write({"clusters/c2.yaml": cluster_yaml("c2")})
    render_fleet(repo.path, out=out)
    assert _argocd(out) == before
    params = json.loads((out / "c2/user-cluster/argocd.json").read_text())
    assert params == {"cluster": "c2", "destination": "user-cluster", "wave": ""}


def test_rolling_sync_steps_follow_the_waves_and_unwaved_clusters_go_last(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    specs = {f"clusters/{n}.yaml": _waved(n, w) for n, w in [("a", "10"), ("b", "2"), ("c", "1")]}
    specs["clusters/d.yaml"] = cluster_yaml("d")
    repo = make_repo(base=specs, config=_config())
    out = tmp_path / "out"
    render_fleet(repo.path, out=out)
    appset = yaml.safe_load((out / "argocd/applicationset-kkpgen-user-cluster.yaml").read_text())
    steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
    assert [s["matchExpressions"] for s in steps] == [
        [{"key": "kkpgen/rollout-wave", "operator": "In", "values": [wave]}]
        for wave in ("1", "2", "10", "")
    ]
    template = appset["spec"]["template"]
    assert template["metadata"]["labels"]["kkpgen/rollout-wave"] == "{{ .wave }}"
    assert template["metadata"]["annotations"] == {
        "argocd.argoproj.io/manifest-generate-paths": "."
    }
    assert appset["spec"]["generators"][0]["git"]["files"] == [
        {"path": "rendered/*/user-cluster/argocd.json"}
    ]
    # Argo CD's git files generator: .path.path is the folder of the file it found
    assert template["spec"]["source"]["path"] == "{{ .path.path }}"
    assert json.loads((out / "b/seed/argocd.json").read_text())["wave"] == "2"


def test_a_rolling_sync_template_has_no_automated_sync_and_the_applications_mode_has(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """RollingSync syncs the generated Applications itself and turns their automated sync off
    (Argo CD logs a warning for each template that sets it): docs/argocd.md, Rollout waves."""
    repo = make_repo(base={"clusters/a.yaml": _waved("a", "1")}, config=_config())
    for mode, automated in (("applicationset", False), ("applications", True)):
        repo.write({"kubermatic.yaml": _config(mode)})
        out = tmp_path / mode
        render_fleet(repo.path, out=out)
        objects = [yaml.safe_load(p.read_text()) for p in sorted((out / "argocd").iterdir())]
        specs = [
            o["spec"]["template"]["spec"] if o["kind"] == "ApplicationSet" else o["spec"]
            for o in objects
            if o["kind"] in ("Application", "ApplicationSet") and o["metadata"]["name"] != "kkpgen"
        ]
        assert len(specs) == 2  # user-cluster and seed
        for spec in specs:
            assert ("automated" in spec["syncPolicy"]) is automated
            assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]


def test_applications_mode_writes_one_application_per_cluster_and_destination(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": _waved("c1", "3")}, config=_config("applications"))
    out = tmp_path / "out"
    render_fleet(repo.path, out=out, validate=True, backend="builtin")
    names = sorted(_argocd(out))
    assert "application-c1-user-cluster.yaml" in names
    assert not any(n.startswith("applicationset-") for n in names)
    assert not (out / "c1/user-cluster/argocd.json").exists()
    app = yaml.safe_load((out / "argocd/application-c1-user-cluster.yaml").read_text())
    assert app["metadata"]["labels"]["kkpgen/rollout-wave"] == "3"
    assert app["metadata"]["annotations"] == {"argocd.argoproj.io/manifest-generate-paths": "."}
    assert app["spec"]["project"] == "kkpgen"
    assert app["spec"]["destination"] == {"name": "c1", "namespace": "kube-system"}
    seed = yaml.safe_load((out / "argocd/application-c1-seed.yaml").read_text())
    assert seed["spec"]["destination"] == {"name": "seed-1", "namespace": "cluster-c1"}


def test_only_a_cluster_marked_for_decommissioning_has_its_objects_deleted_with_it(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """The resources finalizer: deleting the Application of a running cluster (a spec file
    deleted by mistake) must not take its CNI with it; a decommissioned one's goes."""
    specs = {
        "clusters/kept.yaml": cluster_yaml("kept"),
        "clusters/gone.yaml": cluster_yaml("gone", labels='kkpgen/decommission: "true"\n'),
        "clusters/live.yaml": cluster_yaml("live", labels='kkpgen/decommission: "false"\n'),
    }
    repo = make_repo(base=specs, config=_config("applications"))
    out = tmp_path / "out"
    render_fleet(repo.path, out=out)
    for name, finalizers in (("kept", None), ("gone", ["resources-finalizer.argocd.argoproj.io"])):
        for destination in ("user-cluster", "seed"):
            text = (out / f"argocd/application-{name}-{destination}.yaml").read_text()
            assert yaml.safe_load(text)["metadata"].get("finalizers") == finalizers
    live = yaml.safe_load((out / "argocd/application-live-user-cluster.yaml").read_text())
    assert "finalizers" not in live["metadata"]


def test_diff_and_the_plugin_see_the_argo_cd_files_render_writes(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    """contents.output_files, the render in memory: an Application for each folder written,
    or kept from a render before (the clusters not rendered this time)."""
    specs = {f"clusters/{n}.yaml": cluster_yaml(n) for n in ("c1", "c2")}
    repo = make_repo(base=specs, config=_config("applications"))
    out = tmp_path / "out"
    render_fleet(repo.path, out=out)
    checked = check_fleet(SourceOptions(repo=repo.path))
    files = dict(contents.output_files(checked, only=(), kept=()))
    argocd = {path.removeprefix("argocd/"): text for path, text in files.items()}
    assert {name: argocd[name] for name in _argocd(out)} == _argocd(out)
    only = dict(contents.output_files(checked, only=("c1",), kept=()))
    assert sorted(p for p in only if p.startswith("argocd/application-c")) == [
        "argocd/application-c1-seed.yaml",
        "argocd/application-c1-user-cluster.yaml",
    ]
    kept = (ArgoTarget("c2", "user-cluster"),)
    with_kept = dict(contents.output_files(checked, only=("c1",), kept=kept))
    assert sorted(p for p in with_kept if p.startswith("argocd/application-c")) == [
        "argocd/application-c1-seed.yaml",
        "argocd/application-c1-user-cluster.yaml",
        "argocd/application-c2-user-cluster.yaml",
    ]


def test_the_bootstrap_application_syncs_the_argocd_folder(
    make_repo: Callable[..., Repo], tmp_path: Path, render_fleet: RenderFleet
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")}, config=_config())
    out = tmp_path / "out"
    render_fleet(repo.path, out=out)
    app = yaml.safe_load((out / "argocd/application-kkpgen-bootstrap.yaml").read_text())
    assert app["spec"]["source"]["path"] == "rendered/argocd"
    project = yaml.safe_load((out / "argocd/appproject-kkpgen.yaml").read_text())
    assert project["spec"]["destinations"] == [
        {"name": "seed-1", "namespace": "cluster-*"},
        {"name": "*", "namespace": "kube-system"},
    ]


@pytest.mark.parametrize("command", ["check", "render"])
def test_an_unknown_argo_cd_mode_is_refused_at_its_line_by_check_and_render(
    command: str, make_repo: Callable[..., Repo], run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")}, config=_config("apps"))
    line = _config("apps").splitlines().index('    kkpgen/argocd-mode: "apps"') + 1
    out = ["--out", str(tmp_path / "o")] if command == "render" else []
    result = run_cli([command, "--repo", str(repo.path), *out], expect=1)
    assert (
        f"kubermatic.yaml:{line}:5: error[argocd.mode.unknown]: "
        "metadata.annotations.kkpgen/argocd-mode: unknown Argo CD mode 'apps'"
    ) in result.stderr
    assert not (tmp_path / "o").exists()


def test_the_rolling_sync_steps_are_in_the_order_diff_and_plan_show() -> None:
    """Numbers by value, then names in text order ("canary" before "eu", as `diff` lists
    them; padded like numbers, "eu" went first), then the clusters with no wave."""
    waves = ["eu", "", "10", "canary", "9", "eu-west-2"]
    settings = ArgoSettings("https://git.example.com/fleet.git", "main", "rendered", "seed")
    files = dict(control_files(settings, waves=waves))
    appset = yaml.safe_load(files["argocd/applicationset-kkpgen-seed.yaml"])
    steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
    shown = [step["matchExpressions"][0]["values"][0] for step in steps]
    assert shown == ["9", "10", "canary", "eu", "eu-west-2", ""]
    assert shown == sorted(waves, key=wave_order)
