"""FleetDiff -> text, JSON or Markdown (a pull-request comment) for `kkpgen diff`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from generator.diagnostics import format_diagnostic
from generator.gitops.changes import ClusterDiff, FleetDiff
from generator.render.applications import ARGOCD_DIR

# GitHub rejects comments above 65536 characters; keep room for a CI tool's own header.
MARKDOWN_LIMIT = 60_000
_MARKERS = {"added": "+", "removed": "-", "changed": "~"}


def _title(cluster: ClusterDiff) -> str:
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
    lines = [f"kkpgen diff {diff.base_ref} -> {diff.head_ref}", *_base_note(diff)]
    if not diff.clusters:
        lines.append("no changes")
    for cluster in diff.clusters:
        lines.append(f"== {_title(cluster)}: {_counts(cluster)}")
        lines += [f"  ! {d.message}; {d.action}" for d in cluster.disruptions]
        lines += [f"  {_MARKERS[c.kind]} {c.path}" for c in cluster.objects]
        lines += [c.diff.rstrip("\n") for c in cluster.objects]
    return "\n".join(lines) + "\n"


def format_json(diff: FleetDiff) -> str:
    payload = {
        "base": diff.base_ref,
        "head": diff.head_ref,
        "baseFailures": [
            {"code": d.code, "cluster": d.cluster, "file": d.location.file, "message": d.message}
            for d in diff.base_failures
        ],
        "clusters": [
            {
                "name": c.name,
                "status": c.status,
                "disruptions": [
                    {"code": d.code, "message": d.message, "action": d.action}
                    for d in c.disruptions
                ],
                "objects": [{"path": o.path, "change": o.kind, "diff": o.diff} for o in c.objects],
            }
            for c in diff.clusters
        ],
    }
    return json.dumps(payload, indent=2) + "\n"


def _diff_block(cluster: ClusterDiff) -> str:
    """Unified diffs of the changed objects; added and removed ones are listed, not dumped."""
    body = "".join(c.diff for c in cluster.objects if c.kind == "changed")
    return f"\n```diff\n{body.replace('```', '` ` `')}```" if body else ""


def _markdown_cluster(cluster: ClusterDiff, block: str | None) -> Iterator[str]:
    yield f"<details><summary><b>{_title(cluster)}</b>: {_counts(cluster)}</summary>\n"
    for change in cluster.objects:
        yield f"- {change.kind}: `{change.path}`"
    if block is None:
        yield "\n_diff left out to fit a comment: run `kkpgen diff` locally_"
    elif block:
        yield block
    yield "\n</details>\n"


def _markdown(diff: FleetDiff, blocks: Sequence[str | None]) -> str:
    lines = [f"### kkpgen diff `{diff.base_ref}` -> `{diff.head_ref}`\n"]
    if diff.base_failures:
        note, *details = _base_note(diff)
        lines += [f"> [!NOTE]\n> {note}\n", "```", *details, "```\n"]
    warnings = [(c, d) for c in diff.clusters for d in c.disruptions]
    if warnings:
        lines.append("> [!WARNING]")
        lines += [f"> **{c.name}**: {d.message}; **{d.action}**  " for c, d in warnings]
        lines.append("")
    if not diff.clusters:
        lines.append("No changes to the rendered manifests.")
    for cluster, block in zip(diff.clusters, blocks, strict=True):
        lines += _markdown_cluster(cluster, block)
    return "\n".join(lines) + "\n"


def format_markdown(diff: FleetDiff) -> str:
    """A PR comment: warnings first, one collapsible <details> per cluster, within the limit.

    Each cluster's diff goes in while the comment stays under MARKDOWN_LIMIT; the others
    keep their object list and a note.
    """
    budget = MARKDOWN_LIMIT - len(_markdown(diff, [None] * len(diff.clusters)))
    blocks: list[str | None] = []
    for block in (_diff_block(c) for c in diff.clusters):
        fits = len(block) <= budget
        blocks.append(block if fits else None)
        budget -= len(block) if fits else 0
    return _markdown(diff, blocks)


def format_report(diff: FleetDiff, fmt: str) -> str:
    if fmt == "json":
        return format_json(diff)
    return format_markdown(diff) if fmt == "markdown" else format_text(diff)
