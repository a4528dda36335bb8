"""End to end: the GitOps workflow (diff, Argo CD plugin mode, schema, pre-commit hook, init)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from jsonschema import Draft202012Validator

from kkpgen.gitops import pinning, report
from tests.conftest import CONFIG, V2_20_FLEET, Repo, cluster_yaml, commit_all, git

ROOT = Path(__file__).resolve().parents[2]
KKPGEN = Path(sys.executable).parent / "kkpgen"
RunCli = Callable[..., Result]
MakeRepo = Callable[..., Repo]


def _canal(version: str, kubernetes: str = '"1.22.9"', network: str = "") -> str:
    extra = f"cniPlugin: {{type: canal, version: {version}}}\n" + network
    return cluster_yaml("c1", version=kubernetes, extra=extra)


def _diff_json(run_cli: RunCli, repo: Repo) -> dict[str, object]:
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "base", "--format", "json"])
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


def _cluster(payload: dict[str, object], name: str) -> dict[str, object]:
    clusters = payload["clusters"]
    assert isinstance(clusters, list)
    found: dict[str, object] = next(c for c in clusters if c["name"] == name)
    return found


def _codes(cluster: dict[str, object]) -> list[str]:
    disruptions = cluster["disruptions"]
    assert isinstance(disruptions, list)
    return [d["code"] for d in disruptions]


# --- kkpgen diff -------------------------------------------------------------------------


def test_diff_warns_that_a_cni_version_change_drops_connectivity(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.21")}, head={"clusters/c1.yaml": _canal("v3.22")}
    )
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "base", "--ref", "HEAD"])
    assert "! CNI version change Canal v3.21 -> v3.22: the CNI pods restart" in result.stdout
    assert "pod connectivity drops while they do; plan a maintenance window" in result.stdout
    assert "~ c1/user-cluster/canal/daemonset-canal.yaml" in result.stdout
    assert re.search(r"^-\s+image: \S+:v3\.21", result.stdout, re.MULTILINE)
    assert re.search(r"^\+\s+image: \S+:v3\.22", result.stdout, re.MULTILINE)
    assert _codes(_cluster(_diff_json(run_cli, repo), "c1")) == ["disruption.cni-version"]


def test_diff_warns_that_switching_to_konnectivity_restarts_the_control_plane(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    openvpn = cluster_yaml("c1", extra="clusterNetwork: {konnectivityEnabled: false}\n")
    konnectivity = cluster_yaml("c1", extra="clusterNetwork: {konnectivityEnabled: true}\n")
    repo = make_repo(base={"clusters/c1.yaml": openvpn}, head={"clusters/c1.yaml": konnectivity})
    cluster = _cluster(_diff_json(run_cli, repo), "c1")
    disruption = cluster["disruptions"][0]  # type: ignore[index]
    assert disruption["code"] == "disruption.konnectivity-switch"
    assert disruption["message"].startswith(
        "switching OpenVPN -> Konnectivity restarts most control-plane components"
    )
    assert disruption["action"] == "plan a maintenance window"
    changes = {o["path"]: o["change"] for o in cluster["objects"]}  # type: ignore[attr-defined]
    assert changes["c1/seed/openvpn/deployment-openvpn-server.yaml"] == "removed"
    assert "added" in {v for k, v in changes.items() if "/konnectivity" in k}


def test_diff_warns_about_a_cni_upgrade_forced_by_a_kubernetes_upgrade(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.20", kubernetes='"1.22.9"')},
        head={"clusters/c1.yaml": _canal("v3.20", kubernetes='"1.23.6"')},
    )
    cluster = _cluster(_diff_json(run_cli, repo), "c1")
    assert _codes(cluster) == ["disruption.forced-cni-upgrade", "disruption.cni-version"]
    forced = cluster["disruptions"][0]  # type: ignore[index]
    assert forced["message"].startswith(
        "the Kubernetes upgrade 1.22.9 -> 1.23.6 forces Canal v3.20 -> v3.22"
    )
    assert 'set spec.cniPlugin.version: "v3.22"' in forced["action"]


def test_diff_warns_that_a_deprecated_version_is_still_in_use(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    legacy = _canal("v3.8", kubernetes='"1.21.12"')
    repo = make_repo(
        base={"clusters/c1.yaml": legacy},
        head={"clusters/c1.yaml": "# still on v3.8\n" + legacy},
    )
    cluster = _cluster(_diff_json(run_cli, repo), "c1")
    assert cluster["status"] == "unchanged"
    assert cluster["objects"] == []
    disruption = cluster["disruptions"][0]  # type: ignore[index]
    assert disruption["code"] == "disruption.deprecated-version"
    assert disruption["message"].startswith("Canal v3.8 is deprecated (uses v1beta1 CRDs")
    assert disruption["action"] == "upgrade soon to v3.22"


def test_diff_of_a_quiet_change_has_no_warnings(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1")},
        head={
            "clusters/c1.yaml": cluster_yaml("c1", extra="clusterNetwork: {proxyMode: iptables}\n")
        },
    )
    cluster = _cluster(_diff_json(run_cli, repo), "c1")
    assert cluster["disruptions"] == []
    assert {o["change"] for o in cluster["objects"]} == {"changed"}  # type: ignore[attr-defined]


def test_diff_reports_new_and_removed_clusters(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        base={"clusters/old.yaml": cluster_yaml("old")},
        head={"clusters/old.yaml": None, "clusters/new.yaml": cluster_yaml("new")},
    )
    payload = _diff_json(run_cli, repo)
    assert _cluster(payload, "old")["status"] == "removed"
    assert _cluster(payload, "new")["status"] == "added"
    removed = _cluster(payload, "old")["objects"]
    assert all(o["change"] == "removed" for o in removed)  # type: ignore[attr-defined]
    assert removed[0]["diff"].startswith("--- a/old/")  # type: ignore[index]


def test_diff_against_a_base_without_clusters_shows_the_first_cluster_as_added(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(base={}, head={"clusters/c1.yaml": cluster_yaml("c1")})
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "base"])
    assert "note:" not in result.stdout
    assert "== c1 (added)" in result.stdout


def test_diff_says_when_the_base_fails_the_rules_and_still_exits_0(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    broken = cluster_yaml("c1", extra="clusterNetwork: {proxyMode: ebpf}\n")
    repo = make_repo(
        base={"clusters/c1.yaml": broken, "clusters/c2.yaml": cluster_yaml("c2")},
        head={"clusters/c1.yaml": cluster_yaml("c1")},
    )
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "base"])
    assert result.stdout.splitlines()[1] == (
        "note: the base base fails the rules (clusters: c1); the objects of what failed there "
        "are shown as added"
    )
    assert "error[network.proxy-mode.ebpf-requires-cilium]" in result.stdout
    assert "== c1 (added)" in result.stdout
    assert "== c2" not in result.stdout  # rendered the same at both refs


def test_diff_without_changes_says_so(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "base"])
    assert result.stdout == "kkpgen diff base -> work tree\nno changes\n"


def test_diff_markdown_is_a_pr_comment_with_one_details_block_per_cluster(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.21"), "clusters/c2.yaml": cluster_yaml("c2")},
        head={"clusters/c1.yaml": _canal("v3.22"), "clusters/c2.yaml": None},
    )
    args = ["diff", "--repo", str(repo.path), "--base", "base", "--format", "markdown"]
    text = run_cli(args).stdout
    assert text.startswith("### kkpgen diff `base` -> `work tree`\n")
    assert "**2 clusters**: 0 added, 1 removed, 1 changed, 0 unchanged · **objects**: " in text
    assert "> [!WARNING]\n> no wave, 1 cluster (disruption.cluster-removed): **c2**." in text
    assert (
        "\n> no wave, 1 cluster (disruption.cni-version): **c1**. "
        "c1: CNI version change Canal v3.21 -> v3.22"
    ) in text
    assert text.count("<details>") == text.count("</details>") == 2
    assert "<summary><b>c2 (removed)</b>" in text
    assert "```diff\n--- a/c1/" in text
    assert len(text) < report.MARKDOWN_LIMIT


def test_diff_markdown_leaves_out_the_diffs_when_they_do_not_fit(
    make_repo: MakeRepo, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "MARKDOWN_LIMIT", 1200)
    repo = make_repo(base={"clusters/c1.yaml": _canal("v3.21")})
    repo.write({"clusters/c1.yaml": _canal("v3.22")})
    args = ["diff", "--repo", str(repo.path), "--base", "base", "--format", "markdown"]
    text = run_cli(args).stdout
    assert "```diff" not in text
    assert "_diff left out to fit a comment: run `kkpgen diff` locally_" in text
    assert "- changed: `c1/user-cluster/canal/daemonset-canal.yaml`" in text


def test_diff_needs_a_base(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    result = run_cli(["diff", "--repo", str(repo.path)], expect=2)
    assert "diff needs --base REF" in result.stderr


def test_diff_fails_when_the_head_fails_the_rules(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    repo.write(
        {"clusters/c1.yaml": cluster_yaml("c1", extra="clusterNetwork: {proxyMode: ebpf}\n")}
    )
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "base"], expect=1)
    assert "network.proxy-mode.ebpf-requires-cilium" in result.stderr


# --- Argo CD Config Management Plugin ---------------------------------------------------


def _rendered_stream(folder: Path) -> bytes:
    """The objects of a rendered folder (its kustomization.yaml lists them; not an object)."""
    files = sorted(
        (p.relative_to(folder).as_posix(), p)
        for p in folder.rglob("*.yaml")
        if p.name != "kustomization.yaml"
    )
    return b"---\n".join(p.read_bytes() for _, p in files)


def test_plugin_output_equals_what_render_writes_for_each_folder(
    run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(V2_20_FLEET), "--out", str(out)])
    clusters = sorted(p.name for p in out.iterdir() if (p / "seed").is_dir())
    assert len(clusters) == 6
    for cluster in clusters:
        for destination in ("user-cluster", "seed"):
            args = ["--cluster", cluster, "--destination", destination]
            result = run_cli(["argocd", "generate", "--repo", str(V2_20_FLEET), *args])
            assert result.stdout_bytes == _rendered_stream(out / cluster / destination)
            assert result.stdout_bytes.startswith(b"# Source: ")


@pytest.mark.parametrize(
    "env",
    [
        {"ARGOCD_ENV_CLUSTER": "edge-cilium", "ARGOCD_ENV_DESTINATION": "seed"},
        {"ARGOCD_APP_NAME": "edge-cilium-seed"},
        {
            "ARGOCD_APP_NAME": "other-user-cluster",
            "ARGOCD_ENV_CLUSTER": "edge-cilium",
            "ARGOCD_ENV_DESTINATION": "seed",
        },
    ],
    ids=["plugin-env", "app-name", "plugin-env-wins"],
)
def test_plugin_reads_the_target_from_argo_cd_environment(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    expected = run_cli(
        [
            "argocd",
            "generate",
            "--repo",
            str(V2_20_FLEET),
            "--cluster",
            "edge-cilium",
            "--destination",
            "seed",
        ]
    ).stdout_bytes
    assert run_cli(["argocd", "generate", "--repo", str(V2_20_FLEET)]).stdout_bytes == expected


def test_plugin_without_a_target_is_a_usage_error_with_a_hint(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ARGOCD_ENV_CLUSTER", "ARGOCD_ENV_DESTINATION", "ARGOCD_APP_NAME"):
        monkeypatch.delenv(name, raising=False)
    result = run_cli(["argocd", "generate", "--repo", str(V2_20_FLEET)], expect=2)
    assert result.stderr.splitlines() == [
        "$ARGOCD_ENV_CLUSTER: error[argocd.plugin.target]: no cluster given",
        "  hint: pass --cluster, set ARGOCD_ENV_CLUSTER (plugin env CLUSTER) or name the "
        "Application <cluster>-<destination>",
    ]


def test_plugin_yaml_runs_kkpgen_as_argo_cd_would(tmp_path: Path) -> None:
    plugin = yaml.safe_load((ROOT / "argocd/plugin.yaml").read_text())
    assert (plugin["apiVersion"], plugin["kind"]) == (
        "argoproj.io/v1alpha1",
        "ConfigManagementPlugin",
    )
    assert plugin["spec"]["version"] == "v1"
    assert plugin["spec"]["discover"] == {"fileName": "./kubermatic.yaml"}
    path = f"{KKPGEN.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "ARGOCD_APP_NAME": "prod-canal-user-cluster", "PATH": path}

    def run(step: str) -> bytes:
        command = plugin["spec"][step]["command"]
        assert command[0] == "kkpgen"
        result = subprocess.run(command, cwd=V2_20_FLEET, env=env, capture_output=True, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("init")
    out = tmp_path / "out"
    subprocess.run(
        [str(KKPGEN), "render", "--repo", str(V2_20_FLEET), "--out", str(out)], check=True
    )
    assert run("generate") == _rendered_stream(out / "prod-canal" / "user-cluster")


def test_the_cmp_doc_describes_the_sidecar() -> None:
    doc = (ROOT / "docs/argocd-cmp.md").read_text()
    for needle in (
        "/home/argocd/cmp-server/config/plugin.yaml",
        "/var/run/argocd/argocd-cmp-server",
        "runAsUser: 999",
        "replicas",
    ):
        assert needle in doc


# --- schema and pre-commit --------------------------------------------------------------


@pytest.fixture(scope="module")
def spec_validator() -> Draft202012Validator:
    from click.testing import CliRunner

    from kkpgen.cli import main

    result = CliRunner().invoke(main, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["discriminator"]["propertyName"] == "kind"
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


SPEC_FILES = sorted([V2_20_FLEET / "kubermatic.yaml", *(V2_20_FLEET / "clusters").glob("*.yaml")])


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.name for p in SPEC_FILES])
def test_schema_accepts_every_fixture_document(
    spec_validator: Draft202012Validator, path: Path
) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        errors = [e.message for e in spec_validator.iter_errors(document)]
        assert errors == [], f"{path.name}: {errors}"


@pytest.mark.parametrize(
    ("extra", "version"),
    [("clusterNetwork: {proxyMod: ipvs}\n", '"1.23.6"'), ("", "1.30")],
    ids=["unknown-field", "unquoted-version"],
)
def test_schema_rejects_what_check_rejects(
    spec_validator: Draft202012Validator, extra: str, version: str
) -> None:
    document = yaml.safe_load(cluster_yaml("c1", version=version, extra=extra))
    assert not spec_validator.is_valid(document)


def test_schema_rejects_an_unknown_kind(spec_validator: Draft202012Validator) -> None:
    document = yaml.safe_load(cluster_yaml("c1").replace("kind: Cluster", "kind: Clusterr"))
    assert not spec_validator.is_valid(document)


def test_the_readme_documents_the_yaml_language_server_modeline() -> None:
    assert "# yaml-language-server: $schema=" in (ROOT / "README.md").read_text()


def test_pre_commit_hook_runs_check_on_spec_files() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "kkpgen-check"
    assert (hook["language"], hook["entry"], hook["pass_filenames"]) == (
        "python",
        "kkpgen check",
        False,
    )
    files = re.compile(hook["files"])
    assert files.search("kubermatic.yaml")
    assert files.search("clusters/eu/prod.yml")
    assert not files.search("README.md")
    assert not files.search("rendered/c1/resolved.yaml")


# --- kkpgen init --------------------------------------------------------------------------

WHEEL = "wheels/kkpgen-0.1.0-py3-none-any.whl"


def test_init_creates_a_repo_that_checks_renders_and_diffs(run_cli: RunCli, tmp_path: Path) -> None:
    repo = tmp_path / "fleet"
    result = run_cli(["init", str(repo), "--kkpgen-wheel", WHEEL])
    assert f"created {repo / 'clusters/example.yaml'}" in result.stderr
    run_cli(["check", "--repo", str(repo)])
    run_cli(
        [
            "render",
            "--repo",
            str(repo),
            "--out",
            str(tmp_path / "rendered"),
            "--validate",
            "--backend",
            "builtin",
        ]
    )
    assert (tmp_path / "rendered/example/user-cluster").is_dir()
    assert (tmp_path / "rendered/argocd/applicationset-kkpgen-seed.yaml").is_file()
    assert (tmp_path / "rendered/example/seed/argocd.json").is_file()
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "init")
    run_cli(["check", "--repo", str(repo), "--base", "HEAD"])
    assert "no changes" in run_cli(["diff", "--repo", str(repo), "--base", "HEAD"]).stdout


def test_init_writes_a_ci_workflow_that_checks_renders_and_diffs(
    run_cli: RunCli, tmp_path: Path
) -> None:
    run_cli(
        ["init", str(tmp_path / "fleet"), "--kkpgen-repo", "https://git.example.com/kkpgen.git"]
    )
    workflow = yaml.safe_load((tmp_path / "fleet/.github/workflows/kkpgen.yml").read_text())
    # example.com cannot be read: the commit this kkpgen runs from (tests/gitops/test_init_pins)
    rev = pinning.running_commit() or pinning.release_tag()
    assert workflow["env"]["KKPGEN_REQUIREMENT"] == (
        f"kkpgen @ git+https://git.example.com/kkpgen.git@{rev}"
    )
    steps = workflow["jobs"]["kkpgen"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    commands = [s.get("run", "") for s in steps]
    base = "--base origin/${{ github.base_ref }}"
    assert 'python -m pip install "$KKPGEN_REQUIREMENT"' in commands
    assert f"kkpgen check {base} --format github" in commands
    assert "kkpgen render --validate --out rendered" in commands
    assert any(f"kkpgen diff {base} --format markdown" in c for c in commands)
    assert (tmp_path / "fleet/.gitignore").is_file()
    hooks = yaml.safe_load((tmp_path / "fleet/.pre-commit-config.yaml").read_text())
    assert hooks["repos"] == [
        {
            "repo": "https://git.example.com/kkpgen.git",
            "rev": rev,
            "hooks": [{"id": "kkpgen-check"}],
        }
    ]


def test_init_writes_gitlab_ci_on_request(run_cli: RunCli, tmp_path: Path) -> None:
    run_cli(["init", str(tmp_path / "fleet"), "--ci", "gitlab", "--kkpgen-wheel", WHEEL])
    pipeline = yaml.safe_load((tmp_path / "fleet/.gitlab-ci.yml").read_text())
    assert pipeline["variables"]["KKPGEN_REQUIREMENT"] == WHEEL
    assert pipeline["kkpgen"]["before_script"] == ['python -m pip install "$KKPGEN_REQUIREMENT"']
    assert not (tmp_path / "fleet/.github").exists()


def test_init_puts_a_modeline_on_every_yaml_document_it_writes(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = tmp_path / "fleet"
    run_cli(["init", str(repo), "--kkpgen-wheel", WHEEL])
    schema = json.loads((repo / "kkpgen.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for spec in (repo / "kubermatic.yaml", repo / "clusters/example.yaml"):
        documents = spec.read_text().split("\n---\n")
        assert len(documents) >= 1
        for document in documents:
            modeline = document.splitlines()[0]
            target = modeline.removeprefix("# yaml-language-server: $schema=")
            assert target != modeline, f"{spec.name}: {modeline}"
            assert (spec.parent / target).resolve() == (repo / "kkpgen.schema.json").resolve()
    kinds = [d["kind"] for d in yaml.safe_load_all((repo / "clusters/example.yaml").read_text())]
    assert kinds == ["Cluster", "Addon"]


def test_init_in_an_existing_repository_adds_what_is_missing_and_keeps_the_rest(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = tmp_path / "fleet"
    (repo / "clusters").mkdir(parents=True)
    (repo / "kubermatic.yaml").write_text(CONFIG)
    (repo / "clusters/c1.yaml").write_text(cluster_yaml())
    (repo / ".gitignore").write_text("mine\n")
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    result = run_cli(["init", str(repo), "--kkpgen-wheel", WHEEL])
    assert {p: p.read_bytes() for p in before} == before
    assert f"kept {repo / 'kubermatic.yaml'} (already there)" in result.stderr
    assert f"kept {repo / '.gitignore'} (already there)" in result.stderr
    assert f"created {repo / '.pre-commit-config.yaml'}" in result.stderr
    assert not (repo / "clusters/example.yaml").exists()  # it would render as a cluster
    again = run_cli(["init", str(repo)])  # everything there: no source needed
    assert "created" not in again.stderr
    run_cli(["check", "--repo", str(repo)])


def test_init_without_a_kkpgen_source_says_how_to_give_one(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["init", str(tmp_path / "fleet")], expect=1)
    assert "--kkpgen-repo GIT_URL" in result.stderr
    assert not (tmp_path / "fleet").exists()
    run_cli(["init", str(tmp_path / "fleet"), "--ci", "none"])


@pytest.mark.parametrize(
    "url",
    [
        "https://ci:s3cret@git.example.com/kkpgen.git",
        "https://ghp_token@github.com/org/kkpgen.git",
        "https://git.example.com/kkpgen.git\nrev: main",
    ],
    ids=["user-and-password", "token-as-user", "newline"],
)
def test_init_refuses_a_kkpgen_url_with_credentials(
    run_cli: RunCli, tmp_path: Path, url: str
) -> None:
    result = run_cli(["init", str(tmp_path / "fleet"), "--kkpgen-repo", url], expect=1)
    assert "init.kkpgen-repo" in result.stderr
    assert not (tmp_path / "fleet").exists()


def test_init_below_a_regular_file_is_an_environment_error(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run_cli(["init", str(tmp_path / "file/fleet"), "--ci", "none"], expect=4)
    assert "init.unwritable" in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_output_writes_the_full_report_and_groups_disruptions_by_wave(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "MARKDOWN_LIMIT", 1200)
    labels = "kkpgen/rollout-wave: '2'\n"
    repo = make_repo(base={"clusters/c1.yaml": _canal("v3.21")})
    repo.write(
        {
            "clusters/c1.yaml": _canal("v3.22").replace(
                "  name: c1\n", f"  name: c1\n  labels:\n    {labels}"
            )
        }
    )
    full = tmp_path / "report.md"
    args = ["diff", "--repo", str(repo.path), "--base", "base", "--format", "markdown"]
    comment = run_cli([*args, "--output", str(full)]).stdout
    assert "```diff" not in comment
    assert "```diff\n--- a/c1/" in full.read_text()
    assert "> wave 2, 1 cluster (disruption.cni-version): **c1**." in comment
    assert "| wave 2 | 1 | 1 |" in comment


def test_plugin_mode_applies_addons_from_another_file_and_falls_back_when_needed(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    cilium = "cniPlugin: {type: cilium, version: v1.11}\n"
    addons = """\
        apiVersion: kubermatic.k8c.io/v1
        kind: Addon
        metadata: {name: hubble, namespace: cluster-c1}
        spec: {name: hubble, cluster: {name: c1}}
        ---
        apiVersion: kubermatic.k8c.io/v1
        kind: Addon
        metadata: {name: hubble, namespace: cluster-c2}
        spec: {name: hubble, cluster: {name: c2}}
        """
    repo = make_repo(
        base={
            "clusters/c1.yaml": cluster_yaml("c1", extra=cilium),
            "clusters/c2.yaml": cluster_yaml("c2", extra=cilium),
            "clusters/addons.yaml": addons,
        }
    )
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    for cluster in ("c1", "c2"):
        args = ["--cluster", cluster, "--destination", "user-cluster"]
        result = run_cli(["argocd", "generate", "--repo", str(repo.path), *args])
        assert result.stdout_bytes == _rendered_stream(out / cluster / "user-cluster")
        assert b"hubble" in result.stdout_bytes
