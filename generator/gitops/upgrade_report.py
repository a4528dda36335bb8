"""The "what KKP changes" section of `kkpgen diff` reports: the clusters grouped by the
changes KKP makes in them (a fleet of hundreds on the same versions is a few groups), those
in which it changes nothing in one line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kkpgen.escape import markdown, markdown_code
from kkpgen.gitops.changes import ClusterDiff, Disruption, FleetDiff, KkpChanges, KkpObject

FIELDS_SHOWN = 6  # field lines per object; --format json has them all
_MARKERS = {"added": "+", "removed": "-", "changed": "~"}
JSON_HINT = "the full diffs: the same command with --format json"
SPLIT_HINT = (
    "to see them apart, change kkpgen/kkp-version in a pull request of its own, and the "
    "specs in another"
)


@dataclass(frozen=True, slots=True)
class Group:
    """Clusters in which KKP makes the same changes (paths in the cluster's folder)."""

    names: tuple[str, ...]
    changes: KkpChanges


def groups(diff: FleetDiff) -> list[Group]:
    """The clusters with KKP changes, grouped by equal changes, in the order of their first
    cluster (the clusters are sorted by name)."""
    by_changes: dict[KkpChanges, list[str]] = {}
    for cluster in diff.clusters:
        if cluster.kkp is not None:
            by_changes.setdefault(_comparable(cluster.kkp), []).append(cluster.name)
    return [Group(tuple(names), changes) for changes, names in by_changes.items()]


def _comparable(changes: KkpChanges) -> KkpChanges:
    """Without the unified diffs, whose paths name the cluster."""
    objects = tuple(KkpObject(o.path, o.kind, o.title, o.fields, "") for o in changes.objects)
    return KkpChanges(objects, changes.disruptions, changes.unseparated)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _counted(clusters: Sequence[ClusterDiff]) -> int:
    return sum(1 for c in clusters if c.kkp is not None)


def heading(diff: FleetDiff) -> str:
    """Plain text: each format escapes it."""
    step = diff.kkp_step
    if step is None:
        return ""
    hit = _counted(diff.clusters)
    total = hit + len(step.unchanged)
    return (
        f"KKP {step.base} -> {step.head}: what KKP changes in {hit} of "
        f"{_plural(total, 'cluster')} (their head specs rendered at both releases)"
    )


def unchanged_line(diff: FleetDiff, names_shown: int) -> str:
    step = diff.kkp_step
    if step is None or not step.unchanged:
        return ""
    names = list(step.unchanged)
    shown = ", ".join(names[:names_shown])
    more = f" and {len(names) - names_shown} more" if len(names) > names_shown else ""
    return f"KKP changes nothing in {_plural(len(names), 'cluster')}: {shown}{more}"


def object_line(obj: KkpObject) -> str:
    return f"{_MARKERS[obj.kind]} {obj.path} ({obj.title})"


def field_lines(obj: KkpObject) -> list[str]:
    lines = [f.line() for f in obj.fields[:FIELDS_SHOWN]]
    left = len(obj.fields) - FIELDS_SHOWN
    if left > 0:
        lines.append(f"... and {_plural(left, 'more field')} ({JSON_HINT})")
    return lines


def disruption_line(d: Disruption) -> str:
    return f"{d.message}; {d.action}"


def unseparated_lines(changes: KkpChanges) -> list[str]:
    if not changes.unseparated:
        return []
    return [f"not told apart: {changes.unseparated}", f"hint: {SPLIT_HINT}"]


def text_lines(diff: FleetDiff, names_shown: int = 50) -> list[str]:
    """The section in terminal text (escaped by the caller, line by line)."""
    if diff.kkp_step is None:
        return []
    lines = [f"{heading(diff)}; {JSON_HINT}"]
    for group in groups(diff):
        names = ", ".join(group.names[:names_shown])
        more = len(group.names) - names_shown
        lines.append(
            f"-- {_plural(len(group.names), 'cluster')}: {names}"
            + (f" and {more} more" if more > 0 else "")
        )
        lines += [f"  ! {disruption_line(d)}" for d in group.changes.disruptions]
        lines += [f"  {line}" for line in unseparated_lines(group.changes)]
        for obj in group.changes.objects:
            lines.append(f"  {object_line(obj)}")
            lines += [f"      {line}" for line in field_lines(obj)]
    quiet = unchanged_line(diff, names_shown)
    return lines + ([quiet] if quiet else [])


def _markdown_group(group: Group, names_shown: int) -> str:
    changes = group.changes
    names = ", ".join(markdown(n) for n in group.names[:names_shown])
    more = len(group.names) - names_shown
    names += f" and {more} more" if more > 0 else ""
    what = _plural(len(changes.objects), "object") if changes.objects else "not told apart"
    lines = [
        f"<details><summary><b>{_plural(len(group.names), 'cluster')}</b>: {names} · "
        f"{what}, {_plural(len(changes.disruptions), 'disruption')}</summary>\n"
    ]
    lines += [f"- **{markdown(d.message)}**; {markdown(d.action)}" for d in changes.disruptions]
    lines += [f"- {markdown(line)}" for line in unseparated_lines(changes)]
    for obj in changes.objects:
        lines.append(f"- {obj.kind}: {markdown_code(obj.path)} ({markdown(obj.title)})")
        lines += [f"  - {markdown_code(line)}" for line in field_lines(obj)]
    lines.append("\n</details>\n")
    return "\n".join(lines)


def markdown_section(diff: FleetDiff, *, budget: int | None, names_shown: int) -> str:
    """The section as Markdown; groups go in while they fit `budget` (None: all)."""
    if diff.kkp_step is None:
        return ""
    head = [f"#### {markdown(heading(diff))}\n"]
    quiet = unchanged_line(diff, names_shown)
    if quiet:
        head.append(f"{markdown(quiet)}\n")
    text = "\n".join(head) + "\n"
    left = 0
    for group in groups(diff):
        body = _markdown_group(group, names_shown)
        if budget is not None and len(text) + len(body) > budget:
            left += 1
            continue
        text += body + "\n"
    if left:
        text += (
            f"_{_plural(left, 'more group')} of clusters left out to fit a comment: the full "
            "report is the CI artifact (`kkpgen diff --output FILE`)_\n\n"
        )
    return text
