"""FleetPlan and ApplyResult -> text, JSON, or Markdown (the pull request's description)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from kkpgen.escape import markdown, terminal
from kkpgen.kkp.waves import wave_order
from kkpgen.plan.apply import Applied, ApplyResult, StepSelection
from kkpgen.plan.model import Change, ClusterPlan, FleetPlan, KkpUpgrade, Step, Value

MAINTENANCE = "plan a maintenance window"


def _value(value: Value | None) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _change(change: Change) -> str:
    return f"{'.'.join(change.path)}: {_value(change.before)} -> {_value(change.after)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _wave_name(wave: str) -> str:
    return f"wave {wave}" if wave else "no wave"


def _by_wave(clusters: Sequence[ClusterPlan]) -> list[tuple[str, list[ClusterPlan]]]:
    waves: dict[str, list[ClusterPlan]] = {}
    for cluster in clusters:
        waves.setdefault(cluster.wave, []).append(cluster)
    return [(w, waves[w]) for w in sorted(waves, key=wave_order)]


def _headline(plan: FleetPlan) -> str:
    counts = {s: sum(c.status == s for c in plan.clusters) for s in ("planned", "at-target")}
    blocked = sum(c.status == "blocked" for c in plan.clusters)
    to = f" -> {plan.to_kkp}" if plan.to_kkp != plan.kkp else ""
    return (
        f"plan: KKP {plan.kkp}{to}, target {plan.target}; "
        f"{_plural(len(plan.clusters), 'cluster')}: {counts['planned']} with steps, "
        f"{counts['at-target']} at the target, {blocked} blocked"
    )


def _upgrade_line(upgrade: KkpUpgrade, config_file: str) -> str:
    waits = f"  [blocked by: {', '.join(upgrade.blocked_by)}]" if upgrade.blocked_by else ""
    return (
        f"step {upgrade.number}  KKP {upgrade.from_version} -> {upgrade.to_version} "
        f"(the whole fleet: {config_file}, kkpgen/kkp-version){waits}"
    )


def _text_cluster(cluster: ClusterPlan) -> list[str]:
    lines = [f"  {cluster.name}  {cluster.file}  {cluster.state}"]
    if cluster.urgent:
        lines.append(f"    first: {cluster.urgent}")
    for step in cluster.steps:
        mark = "disruptive" if step.disruptive else "not disruptive"
        lines.append(f"    step {step.number}  {step.summary}  [{mark}; KKP {step.kkp}]")
        lines += [f"            {_change(c)}" for c in step.changes]
        lines.append(f"            why: {step.reason}")
    if cluster.status == "at-target":
        lines.append("    at the target")
    if cluster.blocked:
        lines.append(f"    no allowed path further: {cluster.blocked}")
    return lines


def format_text(plan: FleetPlan) -> str:
    lines = [_headline(plan)]
    for wave, clusters in _by_wave(plan.clusters):
        lines.append(_wave_name(wave))
        for cluster in clusters:
            lines += _text_cluster(cluster)
    lines += [_upgrade_line(u, plan.config_file) for u in plan.kkp_upgrades]
    if plan.last_step:
        lines.append("next: kkpgen plan --apply-step 1 [--wave W], then a pull request")
    return "\n".join(terminal(line) for line in lines) + "\n"


def _step_json(step: Step) -> dict[str, object]:
    return {
        "step": step.number,
        "kind": step.kind,
        "summary": step.summary,
        "changes": [
            {"field": ".".join(c.path), "before": c.before, "after": c.after} for c in step.changes
        ],
        "disruptive": step.disruptive,
        "reason": step.reason,
        "kkp": step.kkp,
    }


def _plan_json(plan: FleetPlan) -> dict[str, object]:
    return {
        "kkp": plan.kkp,
        "toKkp": plan.to_kkp,
        "target": plan.target,
        "clusters": [
            {
                "name": c.name,
                "file": c.file,
                "wave": c.wave,
                "state": c.state,
                "urgent": c.urgent,
                "status": c.status,
                "blocked": c.blocked,
                "steps": [_step_json(s) for s in c.steps],
            }
            for c in plan.clusters
        ],
        "waves": _waves_json(plan),
        "kkpUpgrades": [
            {
                "step": u.number,
                "from": u.from_version,
                "to": u.to_version,
                "file": plan.config_file,
                "blockedBy": list(u.blocked_by),
            }
            for u in plan.kkp_upgrades
        ],
    }


def _waves_json(plan: FleetPlan) -> list[dict[str, object]]:
    """Per rollout wave, per step: the clusters it changes (one pull request per row)."""
    waves: list[dict[str, object]] = []
    for wave, clusters in _by_wave(plan.clusters):
        steps: dict[int, list[str]] = {}
        for cluster in clusters:
            for step in cluster.steps:
                steps.setdefault(step.number, []).append(cluster.name)
        waves.append(
            {
                "wave": wave,
                "steps": [{"step": n, "clusters": sorted(steps[n])} for n in sorted(steps)],
            }
        )
    return waves


def format_json(plan: FleetPlan) -> str:
    return json.dumps(_plan_json(plan), indent=2) + "\n"


def md(text: str) -> str:
    """Text in a Markdown table cell or line: escape.markdown, the one Markdown escape."""
    return markdown(text)


def _rows(pairs: Sequence[tuple[ClusterPlan, Step]]) -> list[str]:
    rows = ["| wave | cluster | change | fields | disruptive |", "|---|---|---|---|---|"]
    for cluster, step in pairs:
        fields = "<br>".join(md(_change(c)) for c in step.changes)
        rows.append(
            f"| {md(_wave_name(cluster.wave))} | {md(cluster.name)} | {md(step.summary)} | "
            f"{fields} | {'yes' if step.disruptive else 'no'} |"
        )
    return rows


def _disruptions(pairs: Sequence[tuple[ClusterPlan, Step]]) -> list[str]:
    reasons: dict[tuple[str, str], list[str]] = {}
    for cluster, step in pairs:
        if step.disruptive:
            reasons.setdefault((step.kind, step.reason), []).append(cluster.name)
    if not reasons:
        return ["No disruption: nothing that runs changes; no maintenance window needed."]
    lines = [f"Disruptive: {MAINTENANCE} for each wave; Argo CD rolls the waves in order."]
    for (_, reason), names in sorted(reasons.items()):
        lines.append(f"- {md(reason)} ({_plural(len(names), 'cluster')}: {md(', '.join(names))})")
    return lines


def _pr(
    plan: FleetPlan,
    number: int,
    pairs: Sequence[tuple[ClusterPlan, Step]],
    left: Sequence[tuple[str, str]],
) -> str:
    waves = sorted({c.wave for c, _ in pairs}, key=wave_order)
    lines = [
        f"## Network upgrade step {number} of {plan.last_step}: KKP {md(plan.kkp)}, "
        f"target {plan.target}",
        "",
        f"Generated by `kkpgen plan`. This pull request changes the specs of "
        f"{_plural(len(pairs), 'cluster')} in {_plural(len(waves), 'wave')} "
        f"({md(', '.join(_wave_name(w) for w in waves)) or 'none'}).",
        "",
        *(_rows(pairs) if pairs else ["Nothing to change in this step."]),
        "",
        "### Disruption",
        "",
        *_disruptions(pairs),
    ]
    if left:
        lines += ["", "### Left as is", ""]
        lines += [f"- {md(name or 'the fleet')}: {md(why)}" for name, why in left]
    lines += ["", "### After the merge", ""]
    lines.append(
        "Argo CD rolls the change wave by wave. Once every wave is healthy, run `kkpgen plan` "
        "again for the next step."
    )
    return "\n".join(lines) + "\n"


def _step_pairs(plan: FleetPlan, selection: StepSelection) -> list[tuple[ClusterPlan, Step]]:
    return [
        (c, s)
        for c in plan.clusters
        if selection.picks(c) and (s := c.step(selection.number)) is not None
    ]


def format_markdown(plan: FleetPlan, selection: StepSelection | None = None) -> str:
    """The pull request for step N (default 1): what changes, where, and its disruption."""
    selection = selection or StepSelection(1)
    if plan.last_step == 0:
        return (
            f"## Network upgrade: every cluster is at the target ({plan.target}, KKP "
            f"{md(plan.to_kkp)})\n\nNothing to change.\n"
        )
    upgrade = plan.kkp_upgrade(selection.number)
    if upgrade is not None:
        return _upgrade_pr(plan, upgrade)
    blocked = [(c.name, c.blocked) for c in plan.clusters if c.blocked and selection.picks(c)]
    return _pr(plan, selection.number, _step_pairs(plan, selection), blocked)


def _upgrade_pr(plan: FleetPlan, upgrade: KkpUpgrade) -> str:
    lines = [
        f"## Step {upgrade.number} of {plan.last_step}: KKP {md(upgrade.from_version)} -> "
        f"{md(upgrade.to_version)}",
        "",
        f"Sets `kkpgen/kkp-version` in {md(plan.config_file)} to {md(upgrade.to_version)}: "
        "kkpgen renders every cluster with that release's images. Upgrade the KKP seeds "
        "in the same window.",
    ]
    if upgrade.blocked_by:
        lines += ["", f"Blocked by: {md(', '.join(upgrade.blocked_by))}"]
    return "\n".join(lines) + "\n"


def format_plan(plan: FleetPlan, fmt: str) -> str:
    formats: dict[str, Callable[[FleetPlan], str]] = {
        "text": format_text,
        "json": format_json,
        "markdown": format_markdown,
    }
    return formats[fmt](plan)


def format_applied(result: ApplyResult, fmt: str) -> str:
    """What --apply-step changed and what it left as is, in `fmt`."""
    left = [(r.cluster, r.reason) for r in result.left]
    if fmt == "markdown":
        if any(a.upgrade for a in result.applied):
            upgrade = result.applied[0].upgrade
            assert upgrade is not None  # noqa: S101  checked just above
            return _upgrade_pr(result.plan, upgrade)
        names = {a.cluster for a in result.applied}
        pairs = [(c, s) for c, s in _step_pairs(result.plan, result.selection) if c.name in names]
        return _pr(result.plan, result.selection.number, pairs, left)
    if fmt == "json":
        return (
            json.dumps(
                {
                    "step": result.selection.number,
                    "applied": [
                        {"cluster": a.cluster, "file": a.file, "wave": a.wave}
                        | ({"summary": a.step.summary} if a.step else {})
                        for a in result.applied
                    ],
                    "left": [{"cluster": n, "reason": why} for n, why in left],
                },
                indent=2,
            )
            + "\n"
        )
    lines = [f"step {result.selection.number}: {_plural(len(result.applied), 'edit')}"]
    lines += [f"  edited {a.file}: {_applied_summary(a)}" for a in result.applied]
    lines += [f"  left as is: {n or 'the fleet'}: {why}" for n, why in left]
    return "\n".join(terminal(line) for line in lines) + "\n"


def _applied_summary(applied: Applied) -> str:
    if applied.upgrade is not None:
        return f"KKP {applied.upgrade.from_version} -> {applied.upgrade.to_version}"
    return f"{applied.cluster}: {applied.step.summary if applied.step else ''}"
