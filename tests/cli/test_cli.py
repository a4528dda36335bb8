"""End to end: the README's commands, exit codes, exact messages, and <out> safety on failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import Result

from tests.conftest import Repo, cluster_yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
KKPGEN = Path(sys.executable).parent / "kkpgen"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _kkpgen(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KKPGEN), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_readme_render_command_renders_the_example_fleet(tmp_path: Path) -> None:
    result = _kkpgen(
        ["render", "--repo", str(FIXTURES), "--out", str(tmp_path / "rendered")], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    clusters = sorted(p.name for p in (tmp_path / "rendered").iterdir() if p.is_dir())
    assert clusters == [
        "argocd",
        "byo-none",
        "dual-canal",
        "edge-cilium",
        "hetzner-canal",
        "lab-kubevirt",
        "prod-canal",
    ]
    assert "Traceback" not in result.stderr


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block[0].endswith("kkpgen render --repo fixtures --out rendered")
    assert block[1] == "bash .ci/run"


def test_render_is_byte_identical_across_cwd_tz_and_hash_seed(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    (tmp_path / "elsewhere").mkdir()
    a = _kkpgen(
        ["render", "--repo", str(FIXTURES), "--out", str(first)],
        cwd=ROOT,
        env={"TZ": "UTC", "PYTHONHASHSEED": "1"},
    )
    b = _kkpgen(
        ["render", "--repo", str(FIXTURES), "--out", str(second)],
        cwd=tmp_path / "elsewhere",
        env={"TZ": "Asia/Tokyo", "PYTHONHASHSEED": "4242", "LC_ALL": "C"},
    )
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert _tree(first) == _tree(second)


def test_a_failed_render_leaves_out_byte_identical(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    before = _tree(out)
    repo.write(
        {"clusters/c1.yaml": cluster_yaml("c1", extra="cniPlugin: {type: cilium, version: v9.9}\n")}
    )
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out)], expect=1)
    assert "cni.version.unsupported" in result.stderr
    assert _tree(out) == before


def test_a_deleted_cluster_loses_its_output_folder(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1"), "clusters/c2.yaml": cluster_yaml("c2")}
    )
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    assert (out / "c2").is_dir()
    repo.write({"clusters/c2.yaml": None})
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    assert not (out / "c2").exists()
    assert (out / "c1" / "resolved.yaml").is_file()


def test_render_refuses_a_folder_it_does_not_own(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("not kkpgen's")
    result = run_cli(["render", "--repo", str(repo.path), "--out", str(out)], expect=4)
    assert "holds files kkpgen did not write" in result.stderr
    assert (out / "notes.txt").read_text() == "not kkpgen's"


def test_check_reports_file_line_column_code_and_hint(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    spec = cluster_yaml(
        "c1", extra="cniPlugin: {type: canal, version: v3.22}\nclusterNetwork:\n  proxyMode: ebpf\n"
    )
    repo = make_repo(base={"clusters/c1.yaml": spec})
    result = run_cli(["check", "--repo", str(repo.path)], expect=1)
    lines = result.stderr.splitlines()
    first = lines.index(
        "clusters/c1.yaml:11:5: error[network.proxy-mode.ebpf-requires-cilium]: "
        "spec.clusterNetwork.proxyMode: ebpf proxy mode is valid only for Cilium CNI, not 'canal'"
    )
    assert lines[first : first + 2] == [
        "clusters/c1.yaml:11:5: error[network.proxy-mode.ebpf-requires-cilium]: "
        "spec.clusterNetwork.proxyMode: ebpf proxy mode is valid only for Cilium CNI, not 'canal'",
        "  hint: use proxyMode ipvs or iptables, or the cilium CNI",
    ]
    assert "Traceback" not in result.stderr


def test_check_json_format_lists_errors_with_their_location(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1", version="1.30")})
    result = run_cli(["check", "--repo", str(repo.path), "--format", "json"], expect=1)
    payload = json.loads(result.stdout)
    error = payload["errors"][0]
    assert (error["code"], error["file"], error["line"], error["field"]) == (
        "schema.string-type",
        "clusters/c1.yaml",
        6,
        "spec.version",
    )
    assert 'quote the value: "1.30"' in error["hint"]


def test_check_github_format_prints_workflow_annotations(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(
        base={
            "clusters/c1.yaml": cluster_yaml(
                "c1", extra="cniPlugin: {type: canal, version: v3.1}\n"
            )
        }
    )
    result = run_cli(["check", "--repo", str(repo.path), "--format", "github"], expect=1)
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert errors[0].startswith("::error file=clusters/c1.yaml,line=9,col=")
    assert "title=cni.version.unsupported" in result.stdout


def test_check_at_a_ref_reads_committed_files_not_the_work_tree(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    repo.write({"clusters/c1.yaml": "not: [valid"})
    run_cli(["check", "--repo", str(repo.path), "--ref", "HEAD"])
    run_cli(["check", "--repo", str(repo.path)], expect=1)


def test_a_missing_base_ref_is_an_environment_error_with_a_hint(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    result = run_cli(["check", "--repo", str(repo.path), "--base", "origin/main"], expect=4)
    assert "unknown git ref 'origin/main'" in result.stderr
    assert "hint:" in result.stderr


def test_resolve_prints_the_cluster_with_every_default(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1", cloud="kubevirt: {}")})
    result = run_cli(["resolve", "c1", "--repo", str(repo.path), "--format", "json"])
    network = json.loads(result.stdout)["spec"]["clusterNetwork"]
    assert network == {
        "services": {"cidrBlocks": ["10.241.0.0/20"]},
        "pods": {"cidrBlocks": ["172.26.0.0/16"]},
        "dnsDomain": "cluster.local",
        "proxyMode": "ipvs",
        "ipvs": {"strictArp": True},
        "nodeLocalDNSCacheEnabled": True,
        "konnectivityEnabled": False,
    }


def test_versions_marks_deprecated_versions(run_cli: Callable[..., Result]) -> None:
    result = run_cli(["versions", "--kkp-version", "v2.19"])
    assert result.stdout.startswith(
        "KKP v2.19.x\n"
        "  canal       v3.19, v3.20, v3.21 (default)\n"
        "              deprecated v3.8: uses v1beta1 CRDs"
    )
    assert "  cilium      v1.11 (default)\n" in result.stdout


def test_versions_groups_deprecations_by_reason_and_kubernetes_by_minor(
    run_cli: Callable[..., Result],
) -> None:
    """KKP v2.31.0 deprecates 25 Cilium versions: one line per CVE set, not one long line."""
    lines = run_cli(["versions", "--kkp-version", "v2.31.0"]).stdout.splitlines()
    assert lines[0] == "KKP v2.31.0"
    assert "  cilium      1.17.16, 1.18.10, 1.19.4 (default)" in lines
    assert "              deprecated 1.17.14, 1.18.8: CVE-2026-41520" in lines
    assert lines[-1].startswith("  kubernetes  1.33 (1.33.0-1.33.13, 12 patches), 1.34 (")
    assert lines[-1].endswith(", 1.36 (1.36.3)")
    assert max(map(len, lines)) < 160


def test_upgrades_lists_one_minor_step(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(
        base={
            "clusters/c1.yaml": cluster_yaml(
                "c1", version='"1.22.9"', extra="cniPlugin: {type: canal, version: v3.20}\n"
            )
        }
    )
    result = run_cli(["upgrades", "c1", "--repo", str(repo.path)])
    assert result.stdout == "c1: canal v3.20 -> v3.21\n"


def test_an_unknown_cluster_name_is_reported(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": cluster_yaml("c1")})
    result = run_cli(["resolve", "nope", "--repo", str(repo.path)], expect=1)
    assert "no cluster named 'nope'" in result.stderr


def test_render_with_cluster_keeps_the_other_clusters_output(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    repo = make_repo(
        base={"clusters/c1.yaml": cluster_yaml("c1"), "clusters/c2.yaml": cluster_yaml("c2")}
    )
    out = tmp_path / "out"
    run_cli(["render", "--repo", str(repo.path), "--out", str(out)])
    before = _tree(out / "c2")
    repo.write(
        {"clusters/c1.yaml": cluster_yaml("c1", extra="clusterNetwork: {proxyMode: iptables}\n")}
    )
    run_cli(["render", "--repo", str(repo.path), "--out", str(out), "--cluster", "c1"])
    assert _tree(out / "c2") == before
    configmap = yaml.safe_load(
        (out / "c1/user-cluster/kube-proxy/configmap-kube-proxy.yaml").read_text()
    )
    assert yaml.safe_load(configmap["data"]["config.conf"])["mode"] == "iptables"
