"""Which clusters' output must be rendered again: input fingerprints kept beside the output.

A cluster's output depends only on its resolved document, its Addon variables, the
catalog, the charts, the Argo CD settings and kkpgen itself. Their digest is stored in
`<out>/.kkpgen-inputs.json`; a cluster whose digest is unchanged is not rendered again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

INPUTS_FILE = ".kkpgen-inputs.json"
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class OutputInputs:
    run: str  # digest of what every cluster shares: kkpgen, catalog, charts, settings
    clusters: Mapping[str, str]  # cluster name -> digest of its own inputs

    def to_bytes(self) -> bytes:
        payload = {
            "format": _FORMAT,
            "run": self.run,
            "clusters": dict(sorted(self.clusters.items())),
        }
        return (json.dumps(payload, indent=1) + "\n").encode()


@dataclass(frozen=True, slots=True)
class ChangePlan:
    render: tuple[str, ...]  # clusters to render
    keep: tuple[str, ...]  # clusters whose old folder is reused as it is
    removed: tuple[str, ...]  # folders of clusters no longer in the repository


def digest_files(root: Path, suffixes: tuple[str, ...] = (".yaml", ".tpl")) -> str:
    """Digest of the files below `root` that shape the output (names and bytes): templates,
    values and Chart.yaml of the charts, not their READMEs."""
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes):
        sha.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def run_digest(*parts: str) -> str:
    sha = hashlib.sha256(f"format={_FORMAT}\0kkpgen={metadata.version('kkpgen')}".encode())
    for part in parts:
        sha.update(b"\0" + part.encode())
    return sha.hexdigest()


def cluster_digest(document: Mapping[str, object], addons: Sequence[object]) -> str:
    text = json.dumps({"cluster": document, "addons": addons}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_inputs(out: Path) -> OutputInputs | None:
    try:
        payload = json.loads((out / INPUTS_FILE).read_text(encoding="utf-8"))
        if payload.get("format") != _FORMAT:
            return None
        return OutputInputs(str(payload["run"]), dict(payload["clusters"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no usable record: render everything


def plan_changes(
    old: OutputInputs | None, new: OutputInputs, *, out: Path, only: Sequence[str]
) -> ChangePlan:
    """Render what changed (or what `only` names); reuse the rest when its folder exists."""
    names = sorted(new.clusters)
    same_run = old is not None and old.run == new.run
    render: list[str] = []
    keep: list[str] = []
    for name in names:
        present = (out / name).is_dir()
        if only and name not in only:
            if present:  # --cluster: the others stay as they are
                keep.append(name)
            continue
        unchanged = same_run and old is not None and old.clusters.get(name) == new.clusters[name]
        (keep if present and unchanged and not only else render).append(name)
    previous = old.clusters if old is not None else {}
    removed = sorted(name for name in previous if name not in new.clusters)
    return ChangePlan(tuple(render), tuple(keep), tuple(removed))
