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


def _has_commit(url: str, sha: str, refs: dict[str, str] | None) -> bool | None:
    """True/False when kkpgen can tell whether `url` has `sha`; None when it cannot."""
    local = _local_path(url)
    if local is not None:
        return _git("cat-file", "-e", f"{sha}^{{commit}}", cwd=local) is not None
    if refs is None:
        return None
    return sha in refs.values() or None


def remote_refs(url: str) -> dict[str, str] | None:
    """ref -> commit of `url` (tags peeled), or None when it cannot be read."""
    listed = _git("ls-remote", "--tags", "--heads", url)
    if listed is None:
        return None
    refs: dict[str, str] = {}
    for line in listed.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref.removesuffix("^{}")] = sha
    return refs


def pin(url: str) -> Pin | None:
    """The revision of `url` to pin; None when it has neither kkpgen's commit nor its tag."""
    refs = remote_refs(url)
    commit = running_commit()
    if commit is not None and _has_commit(url, commit, refs) is not False:
        return Pin(commit, f"kkpgen {metadata.version('kkpgen')}, commit {commit[:12]}")
    tag = release_tag()
    if refs is not None and f"refs/tags/{tag}" in refs:
        return Pin(tag, f"kkpgen {tag}")
    return None
