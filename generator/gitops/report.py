"""FleetDiff -> text, JSON or Markdown (a pull-request comment) for `kkpgen diff`."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from kkpgen.diagnostics import (
    Diagnostic,
    ExitCode,
    KkpgenError,
    Location,
    format_diagnostic,
)
from kkpgen.escape import markdown, markdown_block, markdown_code, terminal_lines
from kkpgen.gitops import upgrade_report
from kkpgen.gitops.changes import ClusterDiff, Disruption, FleetDiff, KkpChanges
from kkpgen.kkp.waves import wave_order
from kkpgen.models.layout import ARGOCD_DIR
from kkpgen.output.tree import replace_with

# GitHub rejects comments above 65536 characters; keep room for a CI tool's own header.
MARKDOWN_LIMIT = 60_000
_MARKERS = {"added": "+", "removed": "-", "changed": "~"}
# Names on a line of the text report: a KKP upgrade disrupts every cluster of a fleet, and
# the clusters are listed below (--format json has them all).
TEXT_NAMES = 50


def _title(cluster: ClusterDiff) -> str:
    """Plain text: each format escapes it for its medium."""
    if cluster.name == ARGOCD_DIR:
        return "Argo CD Applications"
    return f"{cluster.name} ({cluster.status})"


def _counts(cluster: ClusterDiff) -> str:
    if not cluster.objects:
        return "no object changes"
    counts = dict.fromkeys(_MARKERS, 0)
    for change in cluster.objects:
        counts[change.kind] += 1
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())


def _base_note(diff: FleetDiff) -> list[str]:
    if not diff.base_failures:
        return []
    failed = sorted({d.cluster for d in diff.base_failures if d.cluster})
    which = f" (clusters: {', '.join(failed)})" if failed else ""
    return [
        f"note: the base {diff.base_ref} fails the rules{which}; the objects of what failed "
        "there are shown as added",
        *(format_diagnostic(d) for d in diff.base_failures),
    ]


def format_text(diff: FleetDiff) -> str:
    """Terminal text; every line escaped (escape.terminal): a value from a spec (a wave, a
    path, a line of an object's diff) cannot forge a line or a workflow command."""
    lines = [f"kkpgen diff {diff.base_ref} -> {diff.head_ref}", *_base_note(diff)]
    if not diff.clusters:
        lines.append("no changes")
    for (wave, code), group in _by_wave(diff.clusters):
        names = ", ".join(c.name for c in group[:TEXT_NAMES])
        more = f" and {len(group) - TEXT_NAMES} more" if len(group) > TEXT_NAMES else ""
        what = f"{_plural(len(group), 'cluster')} {code}"
        lines.append(f"! {_wave_name(wave)}: {what}: {names}{more}")
    lines += upgrade_report.text_lines(diff)
    for cluster in _spec_changed(diff.clusters):
        lines.append(f"== {_title(cluster)}: {_counts(cluster)}")
        lines += [f"  ! {d.message}; {d.action}" for d in cluster.disruptions]
        lines += [f"  {_MARKERS[c.kind]} {c.path}" for c in cluster.objects]
        lines += [c.diff.rstrip("\n") for c in cluster.objects]
    return terminal_lines("\n".join(lines)) + "\n"


def _spec_changed(clusters: Sequence[ClusterDiff]) -> list[ClusterDiff]:
    """The clusters with changes or disruptions of their own, beside what KKP changes."""
    return [c for c in clusters if c.objects or c.disruptions]


def _disruptions_json(found: Sequence[Disruption]) -> list[dict[str, str]]:
    return [{"code": d.code, "message": d.message, "action": d.action} for d in found]


def _kkp_json(changes: KkpChanges | None) -> dict[str, object] | None:
    if changes is None:
        return None
    objects = [
        {
            "path": o.path,
            "change": o.kind,
            "object": o.title,
            "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in o.fields],
            "diff": o.diff,
        }
        for o in changes.objects
    ]
    return {
        "objects": objects,
        "disruptions": _disruptions_json(changes.disruptions),
        "unseparated": changes.unseparated,
    }


def format_json(diff: FleetDiff) -> str:
    step = diff.kkp_step
    payload = {
        "base": diff.base_ref,
        "head": diff.head_ref,
        "baseFailures": [
            {"code": d.code, "cluster": d.cluster, "file": d.location.file, "message": d.message}
            for d in diff.base_failures
        ],
        "kkpUpgrade": (
            {"from": step.base, "to": step.head, "unchanged": list(step.unchanged)}
            if step
            else None
        ),
        "clusters": [
            {
                "name": c.name,
                "status": c.status,
                "wave": c.wave,
                "disruptions": _disruptions_json(c.disruptions),
                "objects": [{"path": o.path, "change": o.kind, "diff": o.diff} for o in c.objects],
                "kkp": _kkp_json(c.kkp),
            }
            for c in diff.clusters
        ],
    }
    return json.dumps(payload, indent=2) + "\n"


def _diff_block(cluster: ClusterDiff) -> str:
    """Unified diffs of the changed objects; added and removed ones are listed, not dumped."""
    body = "".join(c.diff for c in cluster.objects if c.kind == "changed")
    return f"\n{markdown_block(body, 'diff')}\n" if body else ""


def _markdown_cluster(cluster: ClusterDiff, block: str | None) -> str:
    title = markdown(_title(cluster))
    lines = [f"<details><summary><b>{title}</b>: {_counts(cluster)}</summary>\n"]
    lines += [f"- {change.kind}: {markdown_code(change.path)}" for change in cluster.objects]
    if block is None:
        lines.append("\n_diff left out to fit a comment: run `kkpgen diff` locally_")
    elif block:
        lines.append(block)
    lines.append("\n</details>\n")
    return "\n".join(lines)


def _wave_name(wave: str) -> str:
    return f"wave {wave}" if wave else "no wave"


def _names(names: Sequence[str], limit: int) -> str:
    shown = ", ".join(f"**{markdown(n)}**" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _summary(diff: FleetDiff, names_shown: int) -> list[str]:
    """Counts by change kind and by wave, then the disruptive clusters by name, per wave."""
    clusters = [c for c in diff.clusters if c.name != ARGOCD_DIR]
    status = Counter(c.status for c in clusters)
    objects: Counter[str] = Counter(o.kind for c in diff.clusters for o in c.objects)
    lines = [
        f"**{_plural(len(clusters), 'cluster')}**: "
        + ", ".join(f"{status[k]} {k}" for k in ("added", "removed", "changed", "unchanged"))
        + " · **objects**: "
        + ", ".join(f"{objects[k]} {k}" for k in _MARKERS)
        + "\n"
    ]
    return lines + _wave_table(clusters) + _disruptive(clusters, names_shown)


def _wave_table(clusters: Sequence[ClusterDiff]) -> list[str]:
    waves = sorted({c.wave for c in clusters}, key=wave_order)
    if not any(waves):
        return []
    lines = ["| wave | clusters | with disruptions |", "|---|---:|---:|"]
    for wave in waves:
        these = [c for c in clusters if c.wave == wave]
        hit = sum(1 for c in these if c.all_disruptions)
        lines.append(f"| {markdown(_wave_name(wave))} | {len(these)} | {hit} |")
    return [*lines, ""]


def _disruptive(clusters: Sequence[ClusterDiff], names_shown: int) -> list[str]:
    """The disruption warnings by wave and code, naming the clusters (first ones only)."""
    lines: list[str] = []
    groups = _by_wave(clusters)
    if groups:
        lines.append("> [!WARNING]")
        for (wave, code), group in groups:
            first = next(d for d in group[0].all_disruptions if d.code == code)
            lines.append(
                f"> {markdown(_wave_name(wave))}, {_plural(len(group), 'cluster')} "
                f"({markdown(code)}): {_names([c.name for c in group], names_shown)}. "
                f"{markdown(group[0].name)}: {markdown(first.message)}; "
                f"**{markdown(first.action)}**  "
            )
        lines.append("")
    return lines


def _by_wave(
    clusters: Sequence[ClusterDiff],
) -> list[tuple[tuple[str, str], list[ClusterDiff]]]:
    """Clusters with disruptions, by (wave, disruption code), in rollout order."""
    groups: dict[tuple[str, str], list[ClusterDiff]] = {}
    for cluster in clusters:
        for d in dict.fromkeys(d.code for d in cluster.all_disruptions):
            groups.setdefault((cluster.wave, d), []).append(cluster)
    return sorted(groups.items(), key=lambda g: (wave_order(g[0][0]), g[0][1]))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _head(diff: FleetDiff, names_shown: int) -> list[str]:
    refs = f"{markdown_code(diff.base_ref)} -> {markdown_code(diff.head_ref)}"
    lines = [f"### kkpgen diff {refs}\n"]
    if diff.base_failures:
        note, *details = _base_note(diff)
        lines += [f"> [!NOTE]\n> {markdown(note)}\n", markdown_block("\n".join(details)) + "\n"]
    if not diff.clusters:
        lines.append("No changes to the rendered manifests.")
        return lines
    return lines + _summary(diff, names_shown)


def format_markdown(diff: FleetDiff, *, limit: int | None = None) -> str:
    """A PR comment: the summary first, on a KKP upgrade what KKP changes (a <details> per
    group of clusters with the same changes), then one collapsed <details> per cluster.

    With a limit (GitHub's, for the comment) clusters' details go in while they fit, then
    their diffs while those fit; the rest is named in a closing line. `limit=None` gives the
    whole report, for the file that `diff --output` writes.
    """
    names_shown = 50
    head = "\n".join(_head(diff, names_shown)) + "\n"
    while limit is not None and len(head) > limit // 2 and names_shown > 1:
        names_shown //= 2  # 10,000 disruptive clusters: the summary must still fit
        head = "\n".join(_head(diff, names_shown)) + "\n"
    kkp_budget = None if limit is None else (limit - len(head)) // 2
    head += upgrade_report.markdown_section(diff, budget=kkp_budget, names_shown=names_shown)
    clusters = _spec_changed(diff.clusters)
    budget = (limit or 0) - len(head) - len(_left_out(len(clusters)))
    bodies: list[str] = []
    for cluster in clusters:
        room = budget - (1 if bodies else 0)  # the line break that joins it to the last one
        body = _markdown_cluster(cluster, _diff_block(cluster))
        if limit is not None and len(body) > room:
            body = _markdown_cluster(cluster, None)
            if len(body) > room:
                break
        bodies.append(body)
        budget = room - len(body)
    left = len(clusters) - len(bodies)
    return head + "\n".join(bodies) + (_left_out(left) if left else "")


def _left_out(count: int) -> str:
    return (
        f"\n_{_plural(count, 'more cluster')} left out to fit a comment: the full report is "
        "the CI artifact (`kkpgen diff --output FILE`), or run `kkpgen diff` locally_\n"
    )


def format_report(diff: FleetDiff, fmt: str, *, full: bool = False) -> str:
    """The report in `fmt`; a Markdown comment is cut to MARKDOWN_LIMIT unless `full`."""
    if fmt == "json":
        return format_json(diff)
    if fmt == "markdown":
        return format_markdown(diff, limit=None if full else MARKDOWN_LIMIT)
    return format_text(diff)


def write_report(path: Path, text: str) -> None:
    """`diff --output FILE`: written whole (a temporary file beside it, renamed over it), or
    a Diagnostic naming the path (a missing folder, no permission, a full disk)."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        replace_with(path, text.encode(), temporary)
    except OSError as error:
        raise KkpgenError(
            [
                Diagnostic(
                    "diff.output.unwritable",
                    Location(str(path)),
                    "",
                    f"cannot write the report to {path}: {error.strerror or error}",
                    "choose an --output path in an existing, writable folder",
                )
            ],
            exit_code=ExitCode.ENVIRONMENT,
        ) from None
