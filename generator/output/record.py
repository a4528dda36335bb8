"""Which clusters' output must be rendered again: input fingerprints, kept per cluster.

A cluster's output depends only on its resolved document, its Addon variables, the
catalog, the charts, the Argo CD settings and kkpgen itself. Their digest is stored in the
cluster's own folder (`<out>/<cluster>/.kkpgen-cluster`, with what its Argo CD objects need
and the files kkpgen wrote there); a cluster whose digest is unchanged, and whose folder holds
exactly the files its record lists, is not rendered again. Nothing fleet-wide is kept in
<out>: two pull requests that change different clusters change different files and merge
(issue 22). What speeds up the next check (per spec file, the digest of its bytes and what
checking it found; output/recheck.py) is a memo kept in the user's cache folder, keyed by
content: a missing, foreign or damaged one only makes the next render check everything.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from kkpgen.diagnostics import Diagnostic, Location
from kkpgen.kkp import defaults
from kkpgen.kkp.catalog import CATALOG_PATH
from kkpgen.kkp.charts import CHARTS_DIR
from kkpgen.kkp.check import CheckedFleet
from kkpgen.models.layout import CLUSTER_RECORD, TOP_ENTRIES, record_path
from kkpgen.output.tree import DigestCache, read_file
from kkpgen.render.applications import ArgoSettings, ClusterArgo
from kkpgen.render.contents import argo_settings
from kkpgen.source.cache import cache_descriptor
from kkpgen.source.private import read_private, write_private

_FORMAT = 5  # 5: a cluster's record carries its Argo CD facts and lists its files
_MEMO_HEAD = b"kkpgen record memo "


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
    settings: ArgoSettings | None = None  # kubermatic.yaml's Argo CD settings (in `sources`)

    def to_bytes(self) -> bytes:
        """JSON, one line per cluster and per spec file; built from json.dumps of the
        pieces, which stays on its C encoder (indent= does not)."""
        argo = asdict(self.settings) if self.settings is not None else None
        head = {"format": _FORMAT, "run": self.run, "sources": self.sources, "settings": argo}
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
    # The Argo CD facts of the kept clusters, read from their records on the way (a render
    # of one cluster of 10,000 would otherwise read every record twice).
    facts: Mapping[str, ClusterArgo] = field(default_factory=dict)


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


Listing = Sequence[tuple[str, bytes, int]]  # (path in the folder, blake2b-128 digest, size)


def cluster_record(run: str, digest: str, argo: ClusterArgo, files: Listing = ()) -> bytes:
    """What `<out>/<cluster>/.kkpgen-cluster` holds: the run and the cluster's input digest;
    what the cluster's Argo CD objects are made from (argocd/ is made again from the records
    whenever a render changes anything, so a render of one cluster keeps it current); and
    every file kkpgen wrote into the folder, with its digest and size (issue 23)."""
    facts = json.dumps([argo.wave, argo.decommissioning, list(argo.unpinned_node_ports)])
    lines = [f"kkpgen cluster record {_FORMAT}", f"run {run}", f"inputs {digest}"]
    lines += [f"argocd {facts}"]
    lines += [f"file {d.hex()} {size} {path}" for path, d, size in sorted(files)]
    return ("\n".join(lines) + "\n").encode()


def _record_head(run: str, digest: str) -> bytes:
    return f"kkpgen cluster record {_FORMAT}\nrun {run}\ninputs {digest}\n".encode()


_RECORD_LIMIT = 1 << 22  # bytes: a cluster's record lists some 50 files


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    """A cluster's record as read back: its Argo CD facts and the files it lists."""

    argo: ClusterArgo
    files: Mapping[str, tuple[str, int]]  # path in the folder -> (digest, hex; size)


def read_cluster_record(out: Path, name: str, run: str, digest: str) -> ClusterRecord | None:
    """out/<name>'s record, if it says the folder was rendered from these inputs: read through
    no link and bounded; None for any record that is not what a render writes, byte for byte
    (merged or edited by hand: the folder is rendered again)."""
    if os.path.islink(f"{out}/{name}"):  # noqa: PTH114  a string path, as read_file takes
        return None
    raw = read_file(f"{out}/{record_path(name)}", _RECORD_LIMIT)
    head = _record_head(run, digest)
    if raw is None or not raw.startswith(head):
        return None
    line, _, listing = raw[len(head) :].partition(b"\n")
    try:
        if not line.startswith(b"argocd "):
            return None
        wave, leaving, ports = json.loads(line[len(b"argocd ") :])
        argo = ClusterArgo(str(wave), bool(leaving), tuple(str(p) for p in ports))
        files = dict(_listed(listing.decode()))
        listed = [(path, bytes.fromhex(d), size) for path, (d, size) in files.items()]
    except (ValueError, TypeError):
        return None
    return ClusterRecord(argo, files) if cluster_record(run, digest, argo, listed) == raw else None


def _listed(text: str) -> Iterable[tuple[str, tuple[str, int]]]:
    """The `file <digest> <size> <path>` lines, parsed; whether they are what a render
    writes (tag, spelling) is checked by writing the record again from them."""
    for line in text.splitlines():
        _, digest_hex, size, path = line.split(" ", 3)
        yield path, (digest_hex, int(size))


def current_argo(
    out: Path, name: str, run: str, digest: str, digests: DigestCache | None = None
) -> ClusterArgo | None:
    """The Argo CD facts of out/<name> when the folder is current: rendered from exactly
    these inputs (its own record says so) and holding exactly what kkpgen wrote there: the
    files its record lists, with their bytes, and nothing else (no link, no file added). A
    record is evidence, not trust (issue 23). `digests` keeps what was read across the
    folders of one run."""
    record = read_cluster_record(out, name, run, digest)
    checked = digests if digests is not None else DigestCache()
    if record is None or not _holds_exactly(f"{out}/{name}", record.files, checked):
        return None
    return record.argo


def _holds_exactly(
    folder: str, listed: Mapping[str, tuple[str, int]], digests: DigestCache
) -> bool:
    """Every entry below `folder` (a link is an entry, never descended into) is a regular
    file the record lists, with its size and digest, and every listed file is there. The
    folder listing is walked as tree.walk walks it, without an object per entry: this runs
    for every file of every kept folder."""
    found = 0
    pending = [(folder, "")]
    while pending:
        path, prefix = pending.pop()
        try:
            device = os.lstat(path).st_dev  # a folder's files live on its device
            scan = os.scandir(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with scan:
            for entry in scan:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, name + "/"))
                    continue
                if name == CLUSTER_RECORD:
                    continue
                expected = listed.get(name)
                if expected is None or digests.digest(entry, device, expected[1]) != expected:
                    return False
                found += 1
    return found == len(listed)


MEMO_FOLDER = "records"  # $XDG_CACHE_HOME/kkpgen/records/<memo_name>
_MEMO_LIMIT = 256 << 20  # bytes: 10,000 clusters' memo is a few MB; a planted huge file is not read


def memo_name(out: Path) -> str:
    """The memo's file name: one per output folder, whatever name reaches it."""
    return hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:32] + ".json"


def record_bytes(out: Path) -> bytes | None:
    """The memo's body, if it verifies: read from a private folder of this user's (else
    none), sealed with the digest of itself and of the folder it was made for."""
    folder = cache_descriptor(MEMO_FOLDER)
    if folder is None:
        return None
    try:
        raw = read_private(folder, memo_name(out), _MEMO_LIMIT)
    finally:
        os.close(folder)
    if raw is None:
        return None
    head, _, body = raw.partition(b"\n")
    return body if head == sealed(out, body).partition(b"\n")[0] else None


def sealed(out: Path, body: bytes) -> bytes:
    """The memo file's bytes: a line with the digest of the folder and the body, then it."""
    digest = hashlib.sha256(str(out.resolve()).encode() + b"\0" + body).hexdigest()
    return _MEMO_HEAD + digest.encode() + b"\n" + body


def write_record(out: Path, inputs: OutputInputs) -> None:
    """Keep the memo for the next render (best effort: without it, the next one checks all)."""
    folder = cache_descriptor(MEMO_FOLDER)
    if folder is None:
        return
    try:
        with contextlib.suppress(OSError):
            write_private(folder, memo_name(out), sealed(out, inputs.to_bytes()))
    finally:
        os.close(folder)


def _settings(payload: object) -> ArgoSettings | None:
    """The memo's Argo CD settings; raises (no usable memo: parse_inputs) when malformed."""
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise TypeError
    mode = payload["mode"]
    if mode not in ("applicationset", "applications"):
        raise ValueError
    return ArgoSettings(
        repo_url=str(payload["repo_url"]),
        revision=str(payload["revision"]),
        path=str(payload["path"]),
        seed_destination=str(payload["seed_destination"]),
        mode="applications" if mode == "applications" else "applicationset",
    )


def parse_inputs(raw: bytes | None) -> OutputInputs | None:
    """The memo of a previous render; None when there is none or it cannot be used."""
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
            _settings(payload["settings"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # no usable memo (a nested one can exhaust the parser): check all


def read_inputs(out: Path) -> OutputInputs | None:
    return parse_inputs(record_bytes(out))


def plan_changes(
    old: OutputInputs | None,
    new: OutputInputs,
    *,
    out: Path,
    only: Sequence[str],
    full: bool = False,
) -> ChangePlan:
    """Render what changed (or what `only` names, or all with `full`); reuse the rest when
    its folder exists. Whether a folder is current is read from the folder's own record."""
    render: list[str] = []
    keep: list[str] = []
    facts: dict[str, ClusterArgo] = {}
    digests = DigestCache()  # a file linked into many kept folders is read once
    for name in sorted(new.clusters):
        present = (out / name).is_dir() and not (out / name).is_symlink()  # a link: render
        if only and name not in only:
            if present:  # --cluster: the others stay as they are
                keep.append(name)
            continue
        argo = current_argo(out, name, new.run, new.clusters[name], digests) if present else None
        if argo is not None and not only and not full:
            keep.append(name)
            facts[name] = argo
        else:
            render.append(name)
    previous = set(old.clusters if old is not None else ()) | recorded_folders(out)
    removed = sorted(name for name in previous if name not in new.clusters)
    return ChangePlan(tuple(render), tuple(keep), tuple(removed), facts)


def foreign_entries(out: Path, clusters: Iterable[str]) -> list[str]:
    """Top-level entries of <out> kkpgen did not write: not its marker, its 0.1 record or
    argocd/, no cluster's folder, no folder with a cluster's record (a removed cluster's).
    A full render carries them over; it never deletes them (issue 23)."""
    ours = TOP_ENTRIES | set(clusters) | recorded_folders(out)
    try:
        return sorted(entry.name for entry in os.scandir(out) if entry.name not in ours)
    except OSError:
        return []


def recorded_folders(out: Path) -> set[str]:
    """Cluster folders in <out>: those that hold a record (a link is no folder of ours)."""
    try:
        entries = list(os.scandir(out))
    except OSError:
        return set()
    return {
        e.name
        for e in entries
        if e.is_dir(follow_symlinks=False) and (Path(e.path) / CLUSTER_RECORD).is_file()
    }


def fleet_inputs(checked: CheckedFleet) -> OutputInputs:
    settings = argo_settings(checked.fleet)
    # Nothing of one cluster goes in here: a cluster's record holds the run digest, so a
    # change of one cluster that changed it would rewrite every record (issue 22). argocd/
    # follows the others (waves, decommissioning) from the records (argocd_tree).
    # The node access network is a platform setting that no cluster's document holds.
    platform = repr(defaults.PlatformSettings.of(checked.fleet.config))
    # The KKP release: a cluster's resolved document need not change with it (v2.30.6 ->
    # v2.31.0 moves the konnectivity agent's affinity and nothing of the Cluster).
    run = run_digest(code_digest(), repr(settings), platform, checked.release.version)
    by_name = {c.name: c for c in checked.fleet.clusters}
    clusters = {
        cluster.name: cluster_digest(
            defaults.resolved_document(by_name[cluster.name], cluster),
            [(a.name, a.variables) for a in cluster.addons],
        )
        for cluster in checked.resolved
    }
    return OutputInputs(run, clusters, settings=settings)
