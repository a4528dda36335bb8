"""`kkpgen init`: write the skeleton of a new GitOps repository into an empty folder."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from generator.diagnostics import Diagnostic, ExitCode, KkpgenError, Location

KUBERMATIC_YAML = """\
# The platform's KKP settings, as kkpgen reads them (see kkpgen's README).
apiVersion: kubermatic.k8c.io/v1
kind: KubermaticConfiguration
metadata:
  name: kubermatic
  namespace: kubermatic
  annotations:
    # The KKP release the platform runs: decides the supported CNI versions.
    kkpgen/kkp-version: "v2.20"
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
# One KKP Cluster per file. Quote versions: YAML reads 1.30 as the number 1.3.
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: example
spec:
  version: "1.23.6"
  cloud:
    dc: europe-west3-c
    aws: {}
  cniPlugin:
    type: canal
    version: v3.22
  clusterNetwork:
    proxyMode: ipvs
    konnectivityEnabled: true
"""

WORKFLOW = """\
# Check the cluster specs, render and validate the manifests, and comment the rendered
# diff on pull requests. fetch-depth: 0 gives kkpgen the base branch to compare with.
name: kkpgen
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  kkpgen:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install kkpgen
        run: pip install "kkpgen==@VERSION@"
      - name: Check the cluster specs against the base branch
        if: github.event_name == 'pull_request'
        run: kkpgen check --base origin/${{ github.base_ref }} --format github
      - name: Check the cluster specs
        if: github.event_name != 'pull_request'
        run: kkpgen check --format github
      - name: Render and validate
        run: kkpgen render --validate --out rendered
      - name: Diff the rendered manifests against the base branch
        if: github.event_name == 'pull_request'
        run: kkpgen diff --base origin/${{ github.base_ref }} --format markdown > kkpgen-diff.md
      - name: Comment the diff on the pull request
        if: github.event_name == 'pull_request'
        env:
          GH_TOKEN: ${{ github.token }}
          PR: ${{ github.event.pull_request.number }}
        run: |
          gh pr comment "$PR" --body-file kkpgen-diff.md --edit-last \\
            || gh pr comment "$PR" --body-file kkpgen-diff.md
"""

GITIGNORE = """\
# the diff CI comments on pull requests
kkpgen-diff.md
# kkpgen's lock file and staging folders beside `--out rendered`
/.rendered.*
"""


def _version() -> str:
    try:
        return version("kkpgen")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.1.0"


def skeleton() -> dict[str, str]:
    """Repository-relative path -> text of every file `kkpgen init` writes."""
    return {
        "kubermatic.yaml": KUBERMATIC_YAML,
        "clusters/example.yaml": EXAMPLE_CLUSTER,
        ".github/workflows/kkpgen.yml": WORKFLOW.replace("@VERSION@", _version()),
        ".gitignore": GITIGNORE,
    }


def init_repo(root: Path) -> tuple[str, ...]:
    """Write the skeleton into `root` (created if absent); refuse a folder that holds anything."""
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise KkpgenError(
            [
                Diagnostic(
                    "init.not-empty",
                    Location(str(root)),
                    "",
                    f"{root} is not an empty folder",
                    "pass a new or empty folder: kkpgen init DIR",
                )
            ]
        )
    files = skeleton()
    try:
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode())
            target.chmod(0o644)
    except OSError as error:  # below a regular file, read-only, full: not a bug of kkpgen
        raise KkpgenError(
            [
                Diagnostic(
                    "init.unwritable",
                    Location(str(root)),
                    "",
                    f"cannot write {root}: {error.strerror or error}",
                    "pass a new folder in a writable place: kkpgen init DIR",
                )
            ],
            exit_code=ExitCode.ENVIRONMENT,
        ) from None
    return tuple(files)
