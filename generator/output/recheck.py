"""Check only the spec files that changed since <out> was rendered; the record has the rest.

A spec file is self-contained when its Addons name only clusters it defines itself. Checking
it then depends on nothing but its own bytes and what every file shares: kkpgen, the catalog,
the charts, kubermatic.yaml, the KKP version and the ref (the `sources` digest). Unchanged
self-contained files are not parsed again: their clusters' digests and diagnostics come from
the memo of the last render (output/record.py). Anything unusual (no memo, --base, a changed
shared input, a cluster name defined twice, an error) returns None, and the caller checks the
whole fleet, which reports it with the whole fleet in view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kkpgen.diagnostics import Diagnostic, KkpgenError
from kkpgen.kkp.check import CheckedFleet, check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.output.record import OutputInputs, SpecFileRecord, code_digest
from kkpgen.source.repository import CONFIG_FILE, SourceFile, SourceTree


def sources_digest(tree: SourceTree, opts: SourceOptions, run: str) -> str:
    """What every file's check shares; `run` (the record's run digest, which follows from
    the same inputs) is bound in, so a record edited by hand is not trusted."""
    config = next((f.data for f in tree.files if f.path == CONFIG_FILE), b"(none)")
    sha = hashlib.sha256(code_digest().encode())
    for part in (config, str(opts.kkp_version).encode(), str(tree.ref).encode(), run.encode()):
        sha.update(b"\0" + part)
    return sha.hexdigest()


def file_digest(source: SourceFile) -> str:
    return hashlib.sha256(source.path.encode() + b"\0" + source.data).hexdigest()


def diagnostic_order(diagnostic: Diagnostic) -> tuple[object, ...]:
    """A total order, so a partial and a full check print the same lines in the same order."""
    return (*diagnostic.sort_key(), diagnostic.message, diagnostic.hint, diagnostic.severity)


def file_records(
    checked: CheckedFleet, tree: SourceTree, diagnostics: Iterable[Diagnostic]
) -> tuple[dict[str, SpecFileRecord], tuple[Diagnostic, ...]]:
    """What the record keeps per self-contained spec file, and the diagnostics of no cluster."""
    file_of = {c.name: c.source.file for c in checked.fleet.clusters}
    entangled = {
        path
        for c in checked.fleet.clusters
        for addon in c.addons
        if addon.source.file != c.source.file
        for path in (addon.source.file, c.source.file)
    }
    names: dict[str, list[str]] = {}  # by file: one pass, not a scan of the fleet per file
    for name, path in sorted(file_of.items()):
        names.setdefault(path, []).append(name)
    grouped: dict[str, list[Diagnostic]] = {}
    shared: list[Diagnostic] = []
    for diagnostic in sorted(diagnostics, key=diagnostic_order):
        if diagnostic.cluster in file_of:
            grouped.setdefault(file_of[diagnostic.cluster], []).append(diagnostic)
        else:
            shared.append(diagnostic)
    records = {
        source.path: SpecFileRecord(
            file_digest(source),
            tuple(names.get(source.path, ())),
            tuple(grouped.get(source.path, ())),
        )
        for source in tree.files
        if source.path != CONFIG_FILE and source.path not in entangled
    }
    return records, tuple(shared)


@dataclass(frozen=True, slots=True)
class Recheck:
    checked: CheckedFleet | None  # the changed files' clusters; None when no file changed
    changed: SourceTree  # the spec files checked again (and kubermatic.yaml)
    kept: Mapping[str, SpecFileRecord]  # unchanged files, from the record
    sources: str


def recheck(opts: SourceOptions, old: OutputInputs | None, tree: SourceTree) -> Recheck | None:
    """Check the files that changed since `old` was recorded; None: check the whole fleet."""
    if old is None or opts.base is not None or not old.files:
        return None
    sources = sources_digest(tree, opts, old.run)
    if old.sources != sources:
        return None
    kept: dict[str, SpecFileRecord] = {}
    changed: list[SourceFile] = []
    for source in tree.files:
        record = old.files.get(source.path)
        if record is not None and record.digest == file_digest(source):
            kept[source.path] = record
        elif source.path != CONFIG_FILE:
            changed.append(source)
    config = [f for f in tree.files if f.path == CONFIG_FILE]
    partial = SourceTree(tree.ref, tuple(config + changed))
    if not changed:
        return Recheck(None, partial, kept, sources)
    try:
        checked = check_fleet(opts, tree=partial)
    except KkpgenError:
        return None
    if _names_clash(checked, kept.values()):
        return None
    return Recheck(checked, partial, kept, sources)


def _names_clash(checked: CheckedFleet, kept: Iterable[SpecFileRecord]) -> bool:
    names: Sequence[str] = [name for record in kept for name in record.clusters]
    unique = set(names)
    return len(unique) != len(names) or any(c.name in unique for c in checked.resolved)
