"""Reading KKP's source at a release tag (tools/kkp_facts.py and its fact readers)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

GO_STRING = r'"([^"]*)"'


class FactError(Exception):
    """A fact could not be read at a tag: the tool's patterns need a look at that tag."""


@dataclass(frozen=True, slots=True)
class Source:
    git_dir: str
    tag: str

    def read(self, path: str) -> str:
        result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
            ["git", "--git-dir", self.git_dir, "show", f"{self.tag}:{path}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise FactError(f"{self.tag}: {path}: {result.stderr.strip()}")
        return result.stdout

    def exists(self, path: str) -> bool:
        result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
            ["git", "--git-dir", self.git_dir, "cat-file", "-e", f"{self.tag}:{path}"],  # noqa: S607
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def first(self, *paths: str) -> str:
        """The first of `paths` that exists at the tag (newer layouts first)."""
        for path in paths:
            if self.exists(path):
                return path
        raise FactError(f"{self.tag}: none of {', '.join(paths)} exists")

    def files(self, folder: str) -> tuple[str, ...]:
        result = subprocess.run(  # noqa: S603  a fixed git command with our own arguments
            ["git", "--git-dir", self.git_dir, "ls-tree", "--name-only", self.tag, f"{folder}/"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        return tuple(result.stdout.split())


def one(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise FactError(f"cannot find {what}")
    return match.group(1)
