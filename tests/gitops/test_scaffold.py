"""`kkpgen init` refusals: each names what is wrong and where, with its exit code."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

from kkpgen.cli import main
from kkpgen.diagnostics import ExitCode, KkpgenError, format_diagnostic
from kkpgen.gitops import pinning, scaffold
from kkpgen.gitops.scaffold import InitOptions, init_repo


def test_a_folder_below_a_regular_file_is_an_environment_error(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file\n")
    target = tmp_path / "notes" / "fleet"
    with pytest.raises(KkpgenError) as raised:
        init_repo(target, InitOptions(ci="none"))
    assert raised.value.exit_code == ExitCode.ENVIRONMENT
    (diagnostic,) = raised.value.diagnostics
    assert format_diagnostic(diagnostic) == (
        f"{target}: error[init.unwritable]: cannot write the repository skeleton into "
        f"{target}: not a folder\n"
        "  hint: pass a folder you can write to, whose parents are folders: kkpgen init DIR"
    )
    assert (tmp_path / "notes").read_text() == "a file\n"


def test_ci_without_a_kkpgen_source_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    with pytest.raises(KkpgenError) as raised:
        init_repo(tmp_path / "fleet", InitOptions(ci="github"))
    assert raised.value.exit_code == ExitCode.INVALID_INPUT
    (diagnostic,) = raised.value.diagnostics
    assert format_diagnostic(diagnostic) == (
        "--kkpgen-repo: error[init.kkpgen-source]: kkpgen init writes CI that installs kkpgen, "
        "but does not know where CI gets it from\n"
        "  hint: pass --kkpgen-repo GIT_URL (your clone of kkpgen) or --kkpgen-wheel "
        "PATH_OR_URL (a kkpgen wheel CI can reach), or --ci none"
    )
    assert not (tmp_path / "fleet" / "kubermatic.yaml").exists()


WHEEL = "https://files.example.com/kkpgen-1.0.0-py3-none-any.whl"


def _workflow(root: Path) -> dict[str, object]:
    text = (root / ".github" / "workflows" / "kkpgen.yml").read_text()
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_ci_installs_the_wheel_it_is_given(tmp_path: Path) -> None:
    init_repo(tmp_path / "fleet", InitOptions(ci="github", kkpgen_wheel=WHEEL))
    assert _workflow(tmp_path / "fleet")["env"] == {"KKPGEN_REQUIREMENT": WHEEL}


@pytest.mark.parametrize(
    ("wheel", "shown"),
    [
        ("kkpgen-1.0.0.tar.gz", "'kkpgen-1.0.0.tar.gz'"),
        ("https://ci:s3cret@files.example.com/kkpgen-1.0.0-py3-none-any.whl", "'https://***@"),
    ],
    ids=["not-a-wheel", "credentials"],
)
def test_a_wheel_that_is_no_wheel_or_carries_credentials_is_refused(
    wheel: str, shown: str, tmp_path: Path
) -> None:
    with pytest.raises(KkpgenError) as raised:
        init_repo(tmp_path / "fleet", InitOptions(ci="github", kkpgen_wheel=wheel))
    (diagnostic,) = raised.value.diagnostics
    text = format_diagnostic(diagnostic)
    assert text.startswith(f"--kkpgen-wheel: error[init.kkpgen-wheel]: {shown}")
    assert text.endswith(
        "is not the path or URL of a wheel, or it carries credentials\n"
        "  hint: name the kkpgen wheel file (kkpgen-X.Y.Z-py3-none-any.whl) without spaces, "
        "and no user, password or token in the URL"
    )
    assert "s3cret" not in text
    assert not (tmp_path / "fleet").exists()


@pytest.mark.parametrize(
    "url",
    ["https://oauth2:glpat-s3cret@git.example.com/kkpgen.git", "ftp://git.example.com/k.git"],
    ids=["credentials", "not-git"],
)
def test_a_kkpgen_repo_that_is_no_git_url_or_carries_credentials_is_refused(
    url: str, tmp_path: Path
) -> None:
    with pytest.raises(KkpgenError) as raised:
        init_repo(tmp_path / "fleet", InitOptions(ci="github", kkpgen_repo=url))
    (diagnostic,) = raised.value.diagnostics
    text = format_diagnostic(diagnostic)
    assert text.startswith("--kkpgen-repo: error[init.kkpgen-repo]: '")
    assert text.endswith(
        "' is not a git URL kkpgen can pin, or it carries credentials\n"
        "  hint: use https://host/path/kkpgen.git or git@host:path/kkpgen.git, without a "
        "password or token (CI and pre-commit authenticate by their own means)"
    )
    assert "s3cret" not in text


def test_a_kkpgen_repo_without_the_commit_or_tag_says_how_to_push_the_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pinning, "pin", lambda url: None)
    url = "https://git.example.com/platform/kkpgen.git"
    with pytest.raises(KkpgenError) as raised:
        init_repo(tmp_path / "fleet", InitOptions(ci="github", kkpgen_repo=url))
    (diagnostic,) = raised.value.diagnostics
    tag = pinning.release_tag()
    assert format_diagnostic(diagnostic) == (
        f"--kkpgen-repo: error[init.kkpgen-repo.unpinned]: '{url}' has neither the commit of "
        f"this kkpgen nor its tag {tag}\n"
        f"  hint: push kkpgen's tag there (git push {url} {tag}), name the clone this kkpgen "
        "was installed from, or pass --kkpgen-wheel PATH_OR_URL"
    )


def test_the_pre_commit_hook_is_kkpgens_pinned_repository_when_init_is_given_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin = pinning.Pin(
        "0123456789abcdef0123456789abcdef01234567", "kkpgen 1.0.0, commit 0123456789ab"
    )
    monkeypatch.setattr(pinning, "pin", lambda url: pin)
    url = "https://git.example.com/platform/kkpgen.git"
    init_repo(tmp_path / "fleet", InitOptions(ci="none", kkpgen_repo=url))
    assert (tmp_path / "fleet" / ".pre-commit-config.yaml").read_text() == (
        "# kkpgen check on every commit that changes a spec file (pre-commit.com).\n"
        "repos:\n"
        f'  - repo: "{url}"\n'
        f"    rev: {pin.rev}  # {pin.note}\n"
        "    hooks:\n"
        "      - id: kkpgen-check\n"
    )


def test_without_a_repository_the_pre_commit_hook_runs_the_installed_kkpgen(
    tmp_path: Path,
) -> None:
    init_repo(tmp_path / "fleet", InitOptions(ci="none"))
    text = (tmp_path / "fleet" / ".pre-commit-config.yaml").read_text()
    assert text.startswith(
        "# kkpgen check on every commit that changes a spec file (pre-commit.com), with the\n"
        "# kkpgen installed where git runs; kkpgen init --kkpgen-repo URL pins a release "
        "instead.\n"
    )
    (repo,) = yaml.safe_load(text)["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    assert (hook["id"], hook["name"], hook["entry"]) == (
        "kkpgen-check",
        "kkpgen check",
        "kkpgen check",
    )
    assert (hook["language"], hook["pass_filenames"]) == ("system", False)
    spec_files = re.compile(hook["files"])
    for path in ("kubermatic.yaml", "clusters/a.yaml", "clusters/eu/b.yml"):
        assert spec_files.search(path), path
    for path in ("rendered/a/x.yaml", "README.md", "clusters/a.json"):
        assert not spec_files.search(path), path


def test_init_adds_no_example_to_a_fleet_that_has_clusters(tmp_path: Path) -> None:
    """An example beside real clusters would be rendered and synced as one more cluster."""
    (tmp_path / "fleet" / "clusters").mkdir(parents=True)
    (tmp_path / "fleet" / "clusters" / "prod.yml").write_text("kind: Cluster\n")
    created = init_repo(tmp_path / "fleet", InitOptions(ci="none")).created
    assert "kubermatic.yaml" in created
    assert "clusters/example.yaml" not in created
    assert (
        init_repo(tmp_path / "empty", InitOptions(ci="none")).created.count("clusters/example.yaml")
        == 1
    )


def test_init_pins_the_newest_patch_by_version_not_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """As text "v2.31.9" sorts after "v2.31.10"; the newest patch is v2.31.10."""
    patches = {v: f"release {v}" for v in ("v2.31.9", "v2.31.10", "v2.9.30", "not-a-version")}
    monkeypatch.setattr(scaffold, "load_catalog", lambda: SimpleNamespace(patches=patches))
    assert str(scaffold.newest_patch()) == "release v2.31.10"


def test_the_schema_init_writes_is_what_kkpgen_schema_prints(tmp_path: Path) -> None:
    """A maintainer refreshes the file with `kkpgen schema > kkpgen.schema.json`: no diff
    when nothing changed."""
    init_repo(tmp_path, InitOptions(ci="none"))
    printed = CliRunner().invoke(main, ["schema"], catch_exceptions=False).stdout
    assert (tmp_path / scaffold.SCHEMA_FILE).read_text() == printed
    assert printed.startswith('{\n  "$schema": ')
