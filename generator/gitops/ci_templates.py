"""CI definitions `kkpgen init` writes: GitHub Actions and GitLab CI, installing a pinned kkpgen."""

from __future__ import annotations

import json

from kkpgen.diagnostics import ExitCode
from kkpgen.models.layout import OWNER_MARKER

GATE_CODE = int(ExitCode.GATED)  # `kkpgen diff --fail-on`

# Shared by both: which kkpgen CI installs is one variable at the top of the file, written
# as a JSON string (valid YAML) so that no URL or path can break the file around it.
_REQUIREMENT = "@REQUIREMENT@"

GITHUB_PATH = ".github/workflows/kkpgen.yml"
GITHUB_WORKFLOW = """\
# Check the cluster specs, render and validate the manifests, and comment the rendered
# diff on pull requests. A pull request that disrupts a running cluster (a CNI upgrade, a
# tunnel switch) fails until it carries the label maintenance-window. fetch-depth: 0 gives
# kkpgen the base branch to compare with.
name: kkpgen
on:
  pull_request:
    # labeled/unlabeled: adding the maintenance-window label runs the gate again
    types: [opened, synchronize, reopened, labeled, unlabeled]
  push:
    branches: [main]
permissions:
  contents: read
env:
  # The kkpgen CI installs: a pinned git tag of kkpgen, or a wheel (kkpgen init
  # --kkpgen-repo / --kkpgen-wheel). Change it here to upgrade.
  KKPGEN_REQUIREMENT: @REQUIREMENT@
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
        run: python -m pip install "$KKPGEN_REQUIREMENT"
      - name: Check the cluster specs against the base branch
        if: github.event_name == 'pull_request'
        run: kkpgen check --base origin/${{ github.base_ref }} --format github
      - name: Check the cluster specs
        if: github.event_name != 'pull_request'
        run: kkpgen check --format github
      # Way 1, the rendered tree is committed in the pull request: fail when it is stale.
      # Way 2, rendered/ is not committed (render on merge and push it to a deploy branch
      # that Argo CD follows): this step is skipped. See kkpgen's docs/argocd.md.
      - name: The committed rendered tree is what the specs render
        if: hashFiles('rendered/@MARKER@') != ''
        run: kkpgen render --check --out rendered
      - name: Render and validate
        run: kkpgen render --validate --out rendered
      - name: Diff the rendered manifests against the base branch
        if: github.event_name == 'pull_request'
        # --fail-on disruption exits @GATED@ when the diff disrupts a cluster: kept for the gate.
        run: |
          status=0
          kkpgen diff --base origin/${{ github.base_ref }} --format markdown \\
            --output kkpgen-diff-full.md --fail-on disruption > kkpgen-diff.md || status=$?
          echo "$status" > kkpgen-diff.status
          [ "$status" = 0 ] || [ "$status" = @GATED@ ]
      - name: Keep the full diff (the comment is cut to fit GitHub's limit)
        if: github.event_name == 'pull_request'
        uses: actions/upload-artifact@v4
        with:
          name: kkpgen-diff
          path: kkpgen-diff-full.md
      - name: Comment the diff on the pull request
        if: github.event_name == 'pull_request'
        env:
          GH_TOKEN: ${{ github.token }}
          PR: ${{ github.event.pull_request.number }}
        run: |
          gh pr comment "$PR" --body-file kkpgen-diff.md --edit-last \\
            || gh pr comment "$PR" --body-file kkpgen-diff.md
      - name: A disruptive change needs the maintenance-window label
        if: github.event_name == 'pull_request'
        env:
          LABELLED: ${{ contains(github.event.pull_request.labels.*.name, 'maintenance-window') }}
        run: |
          if [ "$(cat kkpgen-diff.status)" = @GATED@ ] && [ "$LABELLED" != true ]; then
            echo "::error::this pull request disrupts running clusters (see the diff comment):" \\
              "plan a maintenance window, then add the label maintenance-window"
            exit 1
          fi
"""

GITLAB_PATH = ".gitlab-ci.yml"
GITLAB_CI = """\
# Check the cluster specs, render and validate the manifests, and keep the rendered diff
# of a merge request as an artifact (kkpgen-diff.md). A merge request that disrupts a
# running cluster fails until it carries the label maintenance-window. GIT_DEPTH 0: kkpgen
# reads the target branch to compare with.
variables:
  # The kkpgen CI installs: a pinned git tag of kkpgen, or a wheel (kkpgen init
  # --kkpgen-repo / --kkpgen-wheel). Change it here to upgrade.
  KKPGEN_REQUIREMENT: @REQUIREMENT@
  GIT_DEPTH: "0"

kkpgen:
  image: python:3.12
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  before_script:
    - python -m pip install "$KKPGEN_REQUIREMENT"
  script:
    - |
      if [ -n "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-}" ]; then
        target="$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
        git fetch origin "+refs/heads/$target:refs/remotes/origin/$target"
        kkpgen check --base "origin/$target"
      else
        kkpgen check
      fi
    # A committed rendered tree must be what the specs render (see kkpgen's docs/argocd.md).
    - if [ -f rendered/@MARKER@ ]; then kkpgen render --check --out rendered; fi
    - kkpgen render --validate --out rendered
    - |
      if [ -n "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-}" ]; then
        target="$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
        status=0
        kkpgen diff --base "origin/$target" --format markdown --output kkpgen-diff-full.md \\
          --fail-on disruption > kkpgen-diff.md || status=$?
        if [ "$status" = @GATED@ ]; then
          case ",${CI_MERGE_REQUEST_LABELS:-}," in
            *,maintenance-window,*) echo "disruptive, and labelled maintenance-window" ;;
            *) echo "this merge request disrupts running clusters (kkpgen-diff.md):" \\
                 "plan a maintenance window, then add the label maintenance-window" >&2
               exit 1 ;;
          esac
        elif [ "$status" != 0 ]; then
          exit "$status"
        fi
      fi
  artifacts:
    when: always
    paths:
      - rendered/
      - kkpgen-diff.md
      - kkpgen-diff-full.md
    expire_in: 1 week
"""

CI_FILES = {"github": (GITHUB_PATH, GITHUB_WORKFLOW), "gitlab": (GITLAB_PATH, GITLAB_CI)}


def ci_file(ci: str, requirement: str) -> str:
    """The CI definition for `ci` (a key of CI_FILES), installing kkpgen from `requirement`."""
    text = CI_FILES[ci][1].replace("@MARKER@", OWNER_MARKER).replace("@GATED@", str(GATE_CODE))
    return text.replace(_REQUIREMENT, json.dumps(requirement))
