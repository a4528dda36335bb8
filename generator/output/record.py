"""Which clusters' output must be rendered again: input fingerprints kept beside the output.

A cluster's output depends only on its resolved document, its Addon variables, the
catalog, the charts, the Argo CD settings and kkpgen itself. Their digest is stored in
`<out>/.kkpgen-inputs.json`; a cluster whose digest is unchanged is not rendered again.
The record also keeps, per spec file, the digest of its bytes and what checking it found,
so that the next render checks only the files that changed (generator/output/recheck.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from kkpgen.diagnostics import Diagnostic, Location
from kkpgen.kkp.catalog import CATALOG_PATH
from kkpgen.kkp.charts import CHARTS_DIR
from kkpgen.models.layout import CLUSTER_RECORD, record_path
from kkpgen.models.layout import LEGACY_INPUTS_FILE as INPUTS_FILE

_FORMAT = 3


@dataclass(frozen=True, slots=True)
class SpecFileRecord:
    """One spec file as last checked: its digest, its clusters and their diagnostics."""

    digest: str
    clusters: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]  # warnings and notices about its clusters


@dataclass(frozen=True, slots=True)
class OutputInputs:
    run: str  # digest of what every cluster shares: kkpgen, catalog, charts, settings
    clusters: Mapping[str, str]  # cluster name -> digest of its own inputs
    sources: str = ""  # digest of what every spec file's check shares (see recheck.py)
    files: Mapping[str, SpecFileRecord] = field(default_factory=dict)  # self-contained only
    shared: tuple[Diagnostic, ...] = ()  # diagnostics about no single cluster

    def to_bytes(self) -> bytes:
        """JSON, one line per cluster and per spec file (a diff shows what changed); built
        from json.dumps of the pieces, which stays on its C encoder (indent= does not)."""
        head = {"format": _FORMAT, "run": self.run, "sources": self.sources}
        lines = [json.dumps(head)[:-1] + ","]
        lines.append(f'"shared":{json.dumps([_diagnostic_json(d) for d in self.shared])},')
        lines.append('"clusters":{')
        lines.append(
            ",\n".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(self.clusters.items()))
        )
        lines.append('},"files":{')
        lines.append(
            ",\n".join(
                f"{json.dumps(path)}:{json.dumps(_record_json(record))}"
                for path, record in sorted(self.files.items())
            )
        )
        lines.append("}}")
        return ("\n".join(lines) + "\n").encode()


def _record_json(record: SpecFileRecord) -> dict[str, object]:
    return {
        "digest": record.digest,
        "clusters": list(record.clusters),
        "diagnostics": [_diagnostic_json(d) for d in record.diagnostics],
    }


def _diagnostic_json(d: Diagnostic) -> list[object]:
    # A list, not an object: 10,000 clusters' warnings are read back on every render.
    where: list[object] = [d.location.file, d.location.line, d.location.column, d.location.ref]
    return [d.code, *where, d.field, d.message, d.hint, d.severity, d.cluster]


def _diagnostic(item: list[Any]) -> Diagnostic:
    code, file, line, column, ref, path, message, hint, severity, cluster = item
    where = Location(file, line, column, ref)
    return Diagnostic(code, where, path, message, hint, severity, cluster)


def _file_record(payload: dict[str, Any]) -> SpecFileRecord:
    return SpecFileRecord(
        str(payload["digest"]),
        tuple(str(name) for name in payload["clusters"]),
        tuple(_diagnostic(d) for d in payload["diagnostics"]),
    )


@dataclass(frozen=True, slots=True)
class ChangePlan:
    render: tuple[str, ...]  # clusters to render
    keep: tuple[str, ...]  # clusters whose old folder is reused as it is
    removed: tuple[str, ...]  # folders of clusters no longer in the repository


def digest_files(root: Path, suffixes: tuple[str, ...] = (".yaml", ".tpl", ".json")) -> str:
    """Digest of the files below `root` that shape the output or the check (names and bytes):
    templates, values, their schema and Chart.yaml of the charts, not their READMEs."""
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes):
        sha.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


@functools.cache
def code_digest() -> str:
    """kkpgen's code, catalog and charts: a changed kkpgen checks and renders everything again."""
    parts = (
        digest_files(Path(__file__).parents[1], (".py",)),
        digest_files(CATALOG_PATH.parent),
        digest_files(CHARTS_DIR),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def run_digest(*parts: str) -> str:
    sha = hashlib.sha256(f"format={_FORMAT}\0kkpgen={metadata.version('kkpgen')}".encode())
    for part in parts:
        sha.update(b"\0" + part.encode())
    return sha.hexdigest()


def cluster_digest(document: Mapping[str, object], addons: Sequence[object]) -> str:
    text = json.dumps({"cluster": document, "addons": addons}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def cluster_record(run: str, digest: str) -> bytes:
    """What `<out>/<cluster>/.kkpgen-cluster` holds: the run and the cluster's input digest."""
    return f"kkpgen cluster record {_FORMAT}\nrun {run}\ninputs {digest}\n".encode()


def folder_is_current(out: Path, name: str, run: str, digest: str) -> bool:
    """out/<name> was rendered from exactly these inputs (its own record says so)."""
    try:
        return (out / record_path(name)).read_bytes() == cluster_record(run, digest)
    except OSError:
        return False


def record_bytes(out: Path) -> bytes | None:
    try:
        return (out / INPUTS_FILE).read_bytes()
    except OSError:
        return None


def parse_inputs(raw: bytes | None) -> OutputInputs | None:
    """The record of a previous render; None when there is none or it cannot be used."""
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
        if payload.get("format") != _FORMAT:
            return None
        return OutputInputs(
            str(payload["run"]),
            dict(payload["clusters"]),
            str(payload["sources"]),
            {path: _file_record(record) for path, record in payload["files"].items()},
            tuple(_diagnostic(d) for d in payload["shared"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # no usable record (a nested one can exhaust the parser): check all


def read_inputs(out: Path) -> OutputInputs | None:
    return parse_inputs(record_bytes(out))


def plan_changes(
    old: OutputInputs | None, new: OutputInputs, *, out: Path, only: Sequence[str]
) -> ChangePlan:
    """Render what changed (or what `only` names); reuse the rest when its folder exists.

    Whether a folder is current is read from the folder's own record, never from
    <out>/.kkpgen-inputs.json: that file only caches what the inputs were (recheck.py), so a
    run killed between swapping a folder and rewriting it cannot make a folder look current.
    """
    render: list[str] = []
    keep: list[str] = []
    for name in sorted(new.clusters):
        present = (out / name).is_dir()
        if only and name not in only:
            if present:  # --cluster: the others stay as they are
                keep.append(name)
            continue
        current = present and folder_is_current(out, name, new.run, new.clusters[name])
        (keep if current and not only else render).append(name)
    previous = set(old.clusters if old is not None else ()) | _recorded_folders(out)
    removed = sorted(name for name in previous if name not in new.clusters)
    return ChangePlan(tuple(render), tuple(keep), tuple(removed))


def _recorded_folders(out: Path) -> set[str]:
    """Cluster folders in <out> (whatever the top record says: it may lag a killed run)."""
    try:
        entries = list(os.scandir(out))
    except OSError:
        return set()
    return {e.name for e in entries if e.is_dir() and (Path(e.path) / CLUSTER_RECORD).is_file()}
