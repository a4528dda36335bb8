"""What `kkpgen init --kkpgen-repo URL` pins CI and pre-commit to: something that URL has.

The commit of the kkpgen that runs (from pip's record of a git install, or the checkout it
runs from), unless URL can be read and lacks it; else the release tag, only when URL has it
(issue 22: a pinned tag the user's clone did not have failed pre-commit and CI).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import kkpgen

_SHA = re.compile(r"[0-9a-f]{40}")
_TIMEOUT = 30  # seconds for one git call


@dataclass(frozen=True, slots=True)
class Pin:
    rev: str  # a commit SHA, or the release tag
    note: str  # what it is, for a comment beside it


def release_tag() -> str:
    return f"v{metadata.version('kkpgen')}"


def _git(*args: str, cwd: Path | None = None) -> str | None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(  # noqa: S603  git with a fixed argv
            ["git", *args],  # noqa: S607  git from PATH, as everywhere in kkpgen
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=_TIMEOUT,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def running_commit() -> str | None:
    """The commit the running kkpgen was installed from, if kkpgen can tell."""
    try:
        record = metadata.distribution("kkpgen").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        record = None
    if record:
        commit = json.loads(record).get("vcs_info", {}).get("commit_id", "")
        if _SHA.fullmatch(commit):
            return str(commit)
    package = Path(kkpgen.__file__).resolve().parent
    top = _git("rev-parse", "--show-toplevel", cwd=package)
    # Only kkpgen's own checkout: a venv inside some other repository is not kkpgen's.
    if top is None or (Path(top.strip()) / "generator").resolve() != package:
        return None
    head = (_git("rev-parse", "HEAD", cwd=package) or "").strip()
    return head if _SHA.fullmatch(head) else None


def _local_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    return Path(url) if not parts.scheme and Path(url).exists() else None


def _has_commit(url: str, sha: str) -> bool | None:
    """True/False when kkpgen can tell whether `url` has `sha` (a repository on this
    machine); None when it cannot: `git ls-remote` shows only the commits refs point at."""
    local = _local_path(url)
    if local is None:
        return None
    return _git("cat-file", "-e", f"{sha}^{{commit}}", cwd=local) is not None


def _has_tag(url: str, tag: str) -> bool:
    """Whether `url` can be read and has the tag (an annotated tag is listed twice)."""
    listed = _git("ls-remote", "--tags", url, f"refs/tags/{tag}")
    return bool(listed and listed.strip())


def pin(url: str) -> Pin | None:
    """The revision of `url` to pin; None when it has neither kkpgen's commit nor its tag."""
    commit = running_commit()
    if commit is not None and _has_commit(url, commit) is not False:
        return Pin(commit, f"kkpgen {metadata.version('kkpgen')}, commit {commit[:12]}")
    tag = release_tag()
    if _has_tag(url, tag):
        return Pin(tag, f"kkpgen {tag}")
    return None
