"""`kkpgen init`: add what a GitOps repository of kkpgen needs; never overwrite a file."""

from __future__ import annotations

import errno
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import semver

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location
from kkpgen.gitops import pinning
from kkpgen.gitops.ci_templates import CI_FILES, ci_file
from kkpgen.kkp import access
from kkpgen.kkp.catalog import KKPRelease, load_catalog, parse_version
from kkpgen.kkp.editor_schema import spec_schema

KUBERMATIC_YAML = """\
# yaml-language-server: $schema=./kkpgen.schema.json
# The platform's KKP settings, as kkpgen reads them (see kkpgen's README).
apiVersion: kubermatic.k8c.io/v1
kind: KubermaticConfiguration
metadata:
  name: kubermatic
  namespace: kubermatic
  annotations:
    # The KKP release the platform runs, to the patch: it decides the Kubernetes and CNI
    # versions kkpgen accepts. @KKP@ is the newest patch this kkpgen knows; write yours.
    kkpgen/kkp-version: "@KKP@"
    # Where clusters without address.url reach their apiserver ({name} = cluster name).
    kkpgen/apiserver-url: "https://{name}.kkp.example.com:6443"
    # Where Argo CD reads the rendered tree; remove these to skip the argocd/ folder.
    kkpgen/argocd-repo-url: "https://git.example.com/platform/fleet.git"
    kkpgen/argocd-revision: "main"
    kkpgen/argocd-path: "rendered"
    # The Argo CD cluster name of the seed that runs the clusters' control planes.
    kkpgen/seed-destination: "in-cluster"
spec:
  featureGates:
    KonnectivityService: true
  api:
    accessibleAddons:
      - hubble
"""

EXAMPLE_CLUSTER = """\
# yaml-language-server: $schema=../kkpgen.schema.json
# One KKP Cluster per file. Quote versions: YAML reads 1.30 as the number 1.3.
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: example
spec:
  version: "@KUBERNETES@"
  cloud:
    dc: europe-west3-c
    aws: {}
  cniPlugin:
    type: canal
    version: @CANAL@
  clusterNetwork:
    proxyMode: ipvs
    konnectivityEnabled: true
---
# yaml-language-server: $schema=../kkpgen.schema.json
# An Addon sets its chart's values.yaml keys for one cluster. The editor checks only the
# document below a modeline, so every document of a file starts with one.
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata:
  name: konnectivity
  namespace: cluster-example
spec:
  name: konnectivity
  cluster:
    name: example
    kind: Cluster
  variables:
    replicas: 2
"""

GITIGNORE = """\
# the diff CI comments on pull requests, and the full one it keeps as an artifact
kkpgen-diff.md
kkpgen-diff-full.md
# kkpgen's staging folders beside `--out rendered`, while a render runs
/.rendered.*
"""

SCHEMA_FILE = "kkpgen.schema.json"
PRE_COMMIT_FILE = ".pre-commit-config.yaml"
_FILES = "^(kubermatic\\.yaml|clusters/.*\\.ya?ml)$"

# The kkpgen release is pinned everywhere kkpgen is installed from: its git tag.
# https and file URLs without any userinfo (a token is userinfo); ssh with a user name only;
# scp-like git@host:path.
_GIT_URL = re.compile(
    r"(?:https|file)://[^\s@/]*/[^\s@]*"
    r"|(?:ssh|git)://(?:[\w.-]+@)?[^\s@/:]+(?::\d+)?/[^\s@]*"
    r"|[\w.-]+@[\w.-]+:[^\s@]+",
    re.ASCII,
)
_WHEEL = re.compile(r"[^\s]+\.whl", re.ASCII)


@dataclass(frozen=True, slots=True)
class InitOptions:
    ci: Literal["github", "gitlab", "none"] = "github"
    kkpgen_repo: str | None = None  # a git URL of kkpgen that has the release tag
    kkpgen_wheel: str | None = None  # a kkpgen wheel CI can reach (a path in the repo, a URL)


@dataclass(frozen=True, slots=True)
class InitResult:
    created: tuple[str, ...]
    kept: tuple[str, ...]  # already there: never overwritten


def _refuse(
    code: str, where: str, message: str, hint: str, exit_code: ExitCode = ExitCode.INVALID_INPUT
) -> KkpgenError:
    return KkpgenError([Diagnostic(code, Location(where), "", message, hint)], exit_code)


def _requirement(options: InitOptions, pin: pinning.Pin | None) -> str:
    """The pip requirement CI installs kkpgen with."""
    if options.kkpgen_wheel is not None:
        wheel = options.kkpgen_wheel
        if not _WHEEL.fullmatch(wheel) or access.has_credentials(wheel):
            raise _refuse(
                "init.kkpgen-wheel",
                "--kkpgen-wheel",
                f"{access.redacted(wheel)!r} is not the path or URL of a wheel, or it carries "
                "credentials",
                "name the kkpgen wheel file (kkpgen-X.Y.Z-py3-none-any.whl) without spaces, "
                "and no user, password or token in the URL",
            )
        return options.kkpgen_wheel
    if options.kkpgen_repo is not None:
        assert pin is not None  # noqa: S101  skeleton() pins every --kkpgen-repo
        return f"kkpgen @ git+{_git_url(options.kkpgen_repo)}@{pin.rev}"
    raise _refuse(
        "init.kkpgen-source",
        "--kkpgen-repo",
        "kkpgen init writes CI that installs kkpgen, but does not know where CI gets it from",
        "pass --kkpgen-repo GIT_URL (your clone of kkpgen) or --kkpgen-wheel PATH_OR_URL "
        "(a kkpgen wheel CI can reach), or --ci none",
    )


def _pin(url: str) -> pinning.Pin:
    found = pinning.pin(_git_url(url))
    if found is None:
        tag = pinning.release_tag()
        raise _refuse(
            "init.kkpgen-repo.unpinned",
            "--kkpgen-repo",
            f"{access.redacted(url)!r} has neither the commit of this kkpgen nor its tag {tag}",
            f"push kkpgen's tag there (git push {shlex.quote(url)} {tag}), name the clone "
            "this kkpgen was installed from, or pass --kkpgen-wheel PATH_OR_URL",
        )
    return found


def _git_url(url: str) -> str:
    if not _GIT_URL.fullmatch(url) or access.has_credentials(url):
        raise _refuse(
            "init.kkpgen-repo",
            "--kkpgen-repo",
            f"{access.redacted(url)!r} is not a git URL kkpgen can pin, or it carries credentials",
            "use https://host/path/kkpgen.git or git@host:path/kkpgen.git, without a password "
            "or token (CI and pre-commit authenticate by their own means)",
        )
    return url


def _pre_commit_config(options: InitOptions, pin: pinning.Pin | None) -> str:
    if options.kkpgen_repo is not None and pin is not None:
        return (
            "# kkpgen check on every commit that changes a spec file (pre-commit.com).\n"
            "repos:\n"
            f"  - repo: {json.dumps(_git_url(options.kkpgen_repo))}\n"
            f"    rev: {pin.rev}  # {pin.note}\n"
            "    hooks:\n"
            "      - id: kkpgen-check\n"
        )
    return (
        "# kkpgen check on every commit that changes a spec file (pre-commit.com), with the\n"
        "# kkpgen installed where git runs; kkpgen init --kkpgen-repo URL pins a release instead.\n"
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: kkpgen-check\n"
        "        name: kkpgen check\n"
        "        language: system\n"
        "        entry: kkpgen check\n"
        "        pass_filenames: false\n"
        f"        files: {json.dumps(_FILES)}\n"
    )


def newest_patch() -> KKPRelease:
    """The newest KKP patch in kkpgen's catalog: init pins it, never a bare minor (a minor
    alone turns the check of Kubernetes versions off)."""
    catalog = load_catalog()
    newest = max(catalog.patches, key=lambda v: parse_version(v) or semver.Version(0))
    return catalog.patches[newest]


def _example_cluster(release: KKPRelease) -> str:
    """The example on that patch's default Kubernetes and Canal versions: it checks clean."""
    assert release.patch is not None  # noqa: S101  a patch of the catalog has its facts
    text = EXAMPLE_CLUSTER.replace("@KUBERNETES@", release.patch.kubernetes_default)
    return text.replace("@CANAL@", release.cni["canal"].default)


def _has_specs(root: Path) -> bool:
    clusters = root / "clusters"
    return clusters.is_dir() and any(
        p.suffix in (".yaml", ".yml") for p in clusters.iterdir() if p.is_file()
    )


def skeleton(root: Path, options: InitOptions) -> dict[str, str]:
    """Repository-relative path -> text of every file `kkpgen init` would add to `root`."""
    release = newest_patch()
    pin = _pin(options.kkpgen_repo) if options.kkpgen_repo is not None else None
    files = {
        "kubermatic.yaml": KUBERMATIC_YAML.replace("@KKP@", release.version),
        SCHEMA_FILE: json.dumps(spec_schema(), indent=2) + "\n",
        PRE_COMMIT_FILE: _pre_commit_config(options, pin),
        ".gitignore": GITIGNORE,
    }
    if not _has_specs(root):  # an example in a real fleet would render as a cluster
        files["clusters/example.yaml"] = _example_cluster(release)
    if options.ci != "none":
        path = CI_FILES[options.ci][0]
        # an existing CI file is kept, and then kkpgen need not know where CI gets it from
        kept = (root / path).exists()
        files[path] = "" if kept else ci_file(options.ci, _requirement(options, pin))
    return files


def init_repo(root: Path, options: InitOptions) -> InitResult:
    """Add every missing file of the skeleton to `root` (created if absent); keep the rest."""
    try:
        # The place comes first: no option makes a folder below a regular file writable.
        for folder in (root, *root.parents):
            if folder.exists():
                if not folder.is_dir():
                    raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
                break
        files = skeleton(root, options)
        created, kept = [], []
        for relative, text in sorted(files.items()):
            target = root / relative
            if target.exists() or target.is_symlink():
                kept.append(relative)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as handle:  # never replace a file that appeared meanwhile
                handle.write(text.encode())
            target.chmod(0o644)
            created.append(relative)
    except OSError as error:
        raise _refuse(
            "init.unwritable",
            str(root),
            f"cannot write the repository skeleton into {root}: {error.strerror or error}",
            "pass a folder you can write to, whose parents are folders: kkpgen init DIR",
            ExitCode.ENVIRONMENT,
        ) from None
    return InitResult(tuple(created), tuple(kept))
