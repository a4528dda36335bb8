"""Classes 8 and 9: the base ref of `check --base` (issue 14).

Errors in the base are reported as base problems and do not fail the head, so a pull
request that fixes a broken main can pass. A cluster deleted since the base is destructive
(its Applications would prune the network of a running cluster) unless it was marked for
decommissioning first (the label in the base, or --decommission NAME); Applications
carry the resources finalizer only for such a cluster.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from kkpgen.cli import main
from tests.conftest import CONFIG, cluster_yaml, git
from tests.good_fleet import assert_rejected

ARGO = CONFIG.replace(
    "  annotations:\n",
    '  annotations:\n    kkpgen/argocd-repo-url: "https://git.example.com/fleet.git"\n',
)
DECOMMISSION = 'kkpgen/decommission: "true"\n'


def _commit(repo: Path, files: dict[str, str | None]) -> str:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x")
    return git(repo, "rev-parse", "HEAD").strip()


def _repo(tmp_path: Path, files: dict[str, str | None]) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo, _commit(repo, {"kubermatic.yaml": ARGO, **files})


def _check(repo: Path, base: str) -> Result:
    argv = ["check", "--repo", str(repo), "--base", base]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def test_a_broken_base_file_the_head_deletes_does_not_fail_the_head(tmp_path: Path) -> None:
    repo, base = _repo(
        tmp_path,
        {
            "clusters/good.yaml": cluster_yaml("good"),
            "clusters/broken.yaml": "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\n: [\n",
        },
    )
    _commit(repo, {"clusters/broken.yaml": None})
    result = _check(repo, base)
    assert result.exit_code == 0, result.stderr
    assert "clusters/broken.yaml" in result.stderr
    assert "warning[" in result.stderr
    assert f"in the base {base}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_base_file_the_head_fixes_does_not_fail_the_head(tmp_path: Path) -> None:
    broken = cluster_yaml("fixed", extra="cniPlugin: {type: calico}\n")
    repo, base = _repo(
        tmp_path, {"clusters/good.yaml": cluster_yaml("good"), "clusters/fixed.yaml": broken}
    )
    _commit(repo, {"clusters/fixed.yaml": cluster_yaml("fixed")})
    result = _check(repo, base)
    assert result.exit_code == 0, result.stderr
    assert f"in the base {base}" in result.stderr


def test_an_error_in_the_head_still_fails_with_a_broken_base(tmp_path: Path) -> None:
    repo, base = _repo(
        tmp_path,
        {
            "clusters/good.yaml": cluster_yaml("good"),
            "clusters/broken.yaml": "kind: Cluster\n: [\n",
        },
    )
    bad = cluster_yaml("good", version='"1.23"')
    _commit(repo, {"clusters/broken.yaml": None, "clusters/good.yaml": bad})
    result = _check(repo, base)
    assert_rejected(
        result,
        code="cluster.version.invalid",
        file="clusters/good.yaml",
        line=6,
        field="spec.version",
    )


def test_a_deleted_cluster_is_destructive_unless_it_was_marked_first(tmp_path: Path) -> None:
    repo, base = _repo(
        tmp_path, {"clusters/a.yaml": cluster_yaml("a"), "clusters/b.yaml": cluster_yaml("b")}
    )
    _commit(repo, {"clusters/b.yaml": None})
    result = _check(repo, base)
    assert_rejected(
        result, code="cluster.removed", file="clusters/b.yaml", line=4, field="metadata.name"
    )
    assert DECOMMISSION.split(":")[0] in result.stderr


def test_a_cluster_marked_for_decommissioning_may_be_deleted(tmp_path: Path) -> None:
    repo, _ = _repo(
        tmp_path, {"clusters/a.yaml": cluster_yaml("a"), "clusters/b.yaml": cluster_yaml("b")}
    )
    marked = _commit(repo, {"clusters/b.yaml": cluster_yaml("b", labels=DECOMMISSION)})
    _commit(repo, {"clusters/b.yaml": None})
    result = _check(repo, marked)
    assert result.exit_code == 0, result.stderr
    assert "notice[cluster.decommissioned]" in result.stderr


def test_applicationsets_never_cascade_delete_a_deleted_cluster(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path, {"clusters/a.yaml": cluster_yaml("a")})
    out = tmp_path / "out"
    argv = ["render", "--repo", str(repo), "--out", str(out)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    for path in sorted((out / "argocd").glob("applicationset-*.yaml")):
        appset = yaml.safe_load(path.read_text())
        assert appset["spec"]["syncPolicy"] == {"preserveResourcesOnDeletion": True}
        assert "finalizers" not in appset["spec"]["template"]["metadata"]


def test_applications_of_a_running_cluster_do_not_cascade_delete(tmp_path: Path) -> None:
    repo, _ = _repo(
        tmp_path,
        {
            "kubermatic.yaml": ARGO.replace(
                "  annotations:\n", '  annotations:\n    kkpgen/argocd-mode: "applications"\n'
            ),
            "clusters/a.yaml": cluster_yaml("a"),
            "clusters/b.yaml": cluster_yaml("b", labels=DECOMMISSION),
        },
    )
    out = tmp_path / "out"
    argv = ["render", "--repo", str(repo), "--out", str(out)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    for path in sorted((out / "argocd").glob("application-[ab]-*.yaml")):
        app = yaml.safe_load(path.read_text())
        leaving = app["metadata"]["labels"]["kkpgen/cluster"] == "b"
        assert ("finalizers" in app["metadata"]) == leaving, path.name
    # marking a cluster re-renders argocd/ even when only its own folder changes
    _commit(repo, {"clusters/a.yaml": cluster_yaml("a", labels=DECOMMISSION)})
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    app = yaml.safe_load((out / "argocd" / "application-a-user-cluster.yaml").read_text())
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]


def _diff(repo: Path, base: str) -> Result:
    argv = ["diff", "--repo", str(repo), "--base", base]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def test_diff_flags_a_deleted_cluster_as_destructive_unless_it_was_marked(
    tmp_path: Path,
) -> None:
    repo, base = _repo(
        tmp_path, {"clusters/a.yaml": cluster_yaml("a"), "clusters/b.yaml": cluster_yaml("b")}
    )
    _commit(repo, {"clusters/b.yaml": None})
    result = _diff(repo, base)
    assert "was not marked for decommissioning" in result.output, result.output
    assert "Traceback" not in result.output
    marked = _commit(repo, {"clusters/b.yaml": cluster_yaml("b", labels=DECOMMISSION)})
    _commit(repo, {"clusters/b.yaml": None})
    result = _diff(repo, marked)
    assert "not marked for decommissioning" not in result.output, result.output


def _hint_command(stderr_or_output: str) -> list[str]:
    """The command a hint names in parentheses: `(kkpgen check --base X --decommission b)`."""
    match = re.search(r"\((kkpgen [^)]*--decommission [a-z0-9-]+)\)", stderr_or_output)
    assert match, f"no command in the hint:\n{stderr_or_output}"
    return shlex.split(match.group(1))[1:]


def test_the_deleted_cluster_hint_names_the_label_and_the_flag_and_the_flag_works(
    tmp_path: Path,
) -> None:
    """Hints are instructions: the command the hint gives is run as written (plus --repo)."""
    repo, base = _repo(
        tmp_path, {"clusters/a.yaml": cluster_yaml("a"), "clusters/b.yaml": cluster_yaml("b")}
    )
    _commit(repo, {"clusters/b.yaml": None})
    refused = _check(repo, base)
    assert refused.exit_code == 1
    assert f"hint: first merge the label {DECOMMISSION.strip()} on the cluster" in refused.stderr
    argv = _hint_command(refused.stderr)
    assert argv == ["check", "--base", base, "--decommission", "b"]
    result = CliRunner().invoke(main, [*argv, "--repo", str(repo)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "notice[cluster.decommissioned]" in result.stderr
    out = tmp_path / "out"
    render = ["render", "--repo", str(repo), "--out", str(out), "--base", base]
    assert CliRunner().invoke(main, render, catch_exceptions=False).exit_code == 1
    confirmed = CliRunner().invoke(main, [*render, "--decommission", "b"], catch_exceptions=False)
    assert confirmed.exit_code == 0, confirmed.stderr


def test_diff_names_the_flag_and_the_flag_clears_the_disruption(tmp_path: Path) -> None:
    repo, base = _repo(
        tmp_path, {"clusters/a.yaml": cluster_yaml("a"), "clusters/b.yaml": cluster_yaml("b")}
    )
    _commit(repo, {"clusters/b.yaml": None})
    flagged = _diff(repo, base)
    assert "was not marked for decommissioning" in flagged.output
    argv = _hint_command(flagged.output)
    assert argv == ["diff", "--base", base, "--decommission", "b"]
    result = CliRunner().invoke(main, [*argv, "--repo", str(repo)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "not marked for decommissioning" not in result.output
    assert "b/" in result.output  # the deletion itself is still shown


@pytest.mark.parametrize(
    ("name", "why"),
    [("a", "is still in the repository"), ("zz", "is not in the base")],
    ids=["still-there", "typo"],
)
def test_decommission_of_a_cluster_this_change_does_not_delete_is_an_error(
    tmp_path: Path, name: str, why: str
) -> None:
    repo, base = _repo(
        tmp_path, {"clusters/a.yaml": cluster_yaml("a"), "clusters/b.yaml": cluster_yaml("b")}
    )
    _commit(repo, {"clusters/b.yaml": None})
    argv = ["check", "--repo", str(repo), "--base", base, "--decommission", "b"]
    result = CliRunner().invoke(main, [*argv, "--decommission", name], catch_exceptions=False)
    assert_rejected(result, code="cluster.decommission.unknown", file="--decommission", line=None)
    assert f"cluster {name!r} {why}" in result.stderr
    assert "hint: clusters this change deletes: b" in result.stderr


def test_decommission_without_base_is_a_usage_error(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path, {"clusters/a.yaml": cluster_yaml("a")})
    argv = ["check", "--repo", str(repo), "--decommission", "a"]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 2
    assert "--decommission needs --base REF" in result.stderr


def test_a_broken_kubermatic_yaml_in_the_base_that_the_head_fixes_does_not_fail_the_head(
    tmp_path: Path,
) -> None:
    """Round 3: an unparsable kubermatic.yaml in the base failed `check --base` (exit 1 at
    kubermatic.yaml, not said to be the base's), so the pull request fixing it could not pass."""
    repo, base = _repo(
        tmp_path,
        {"kubermatic.yaml": ARGO + "kind: [\n", "clusters/a.yaml": cluster_yaml("a")},
    )
    _commit(repo, {"kubermatic.yaml": ARGO})
    result = _check(repo, base)
    assert result.exit_code == 0, result.stderr
    assert f"warning[yaml.syntax]: in the base {base}: " in result.stderr
    out = tmp_path / "out"
    argv = ["render", "--repo", str(repo), "--out", str(out), "--base", base]
    rendered = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert rendered.exit_code == 0, rendered.stderr
