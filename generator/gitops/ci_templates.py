"""CI definitions `kkpgen init` writes: GitHub Actions and GitLab CI, installing a pinned kkpgen."""

from __future__ import annotations

import json

# Shared by both: which kkpgen CI installs is one variable at the top of the file, written
# as a JSON string (valid YAML) so that no URL or path can break the file around it.
_REQUIREMENT = "@REQUIREMENT@"

GITHUB_PATH = ".github/workflows/kkpgen.yml"
GITHUB_WORKFLOW = """\
# Check the cluster specs, render and validate the manifests, and comment the rendered
# diff on pull requests. fetch-depth: 0 gives kkpgen the base branch to compare with.
name: kkpgen
on:
  pull_request:
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

GITLAB_PATH = ".gitlab-ci.yml"
GITLAB_CI = """\
# Check the cluster specs, render and validate the manifests, and keep the rendered diff
# of a merge request as an artifact (kkpgen-diff.md). GIT_DEPTH 0: kkpgen reads the
# target branch to compare with.
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
    - kkpgen render --validate --out rendered
    - |
      if [ -n "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-}" ]; then
        target="$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
        kkpgen diff --base "origin/$target" --format markdown > kkpgen-diff.md
      fi
  artifacts:
    when: always
    paths:
      - rendered/
      - kkpgen-diff.md
    expire_in: 1 week
"""

CI_FILES = {"github": (GITHUB_PATH, GITHUB_WORKFLOW), "gitlab": (GITLAB_PATH, GITLAB_CI)}


def ci_file(ci: str, requirement: str) -> str:
    """The CI definition for `ci` (a key of CI_FILES), installing kkpgen from `requirement`."""
    return CI_FILES[ci][1].replace(_REQUIREMENT, json.dumps(requirement))
