"""`plan --apply-step N`: edit the spec files of the work tree for step N, in place.

Each edit changes only the values of the step (source/specedit.py). The edited tree is
checked by the check stage against HEAD, exactly as `kkpgen check --base HEAD` will check
it; a cluster whose edit fails is left as it was and reported. Files are replaced whole
(write beside, then rename), so an interrupted run leaves every file old or new."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.kkp.check import check_fleet, check_fleet_partially
from kkpgen.kkp.waves import wave_order
from kkpgen.models.labels import KKP_VERSION_ANNOTATION
from kkpgen.models.options import SourceOptions
from kkpgen.plan.fleet import plan_fleet
from kkpgen.plan.model import ClusterPlan, FleetPlan, KkpUpgrade, Step, Target
from kkpgen.source.repository import SourceFile, SourceTree, read_tree
from kkpgen.source.specedit import EditError, FieldEdit, edit_object

BASE = "HEAD"


@dataclass(frozen=True, slots=True)
class Applied:
    cluster: str  # "" for a KKP upgrade (kubermatic.yaml)
    file: str
    wave: str
    step: Step | None
    upgrade: KkpUpgrade | None = None


@dataclass(frozen=True, slots=True)
class LeftAsIs:
    cluster: str
    wave: str
    reason: str


@dataclass(frozen=True, slots=True)
class StepSelection:
    number: int
    waves: tuple[str, ...] = ()  # empty: every wave
    clusters: tuple[str, ...] = ()  # empty: every cluster

    def picks(self, cluster: ClusterPlan) -> bool:
        return (not self.waves or cluster.wave in self.waves) and (
            not self.clusters or cluster.name in self.clusters
        )


@dataclass(frozen=True, slots=True)
class ApplyResult:
    plan: FleetPlan
    selection: StepSelection
    applied: tuple[Applied, ...]
    left: tuple[LeftAsIs, ...]


def _usage(code: str, where: str, message: str, hint: str) -> KkpgenError:
    return KkpgenError([Diagnostic(code, Location(where), "", message, hint)])


def _check_names(plan: FleetPlan, selection: StepSelection) -> None:
    names = {c.name for c in plan.clusters}
    waves = sorted({c.wave for c in plan.clusters if c.wave}, key=wave_order)
    for name in selection.clusters:
        if name not in names:
            raise _usage(
                "cluster.unknown",
                "--cluster",
                f"no cluster named {name!r}",
                f"known clusters: {', '.join(sorted(names))}",
            )
    for wave in selection.waves:
        if wave not in waves:
            raise _usage(
                "plan.wave.unknown",
                "--wave",
                f"no cluster has the label kkpgen/rollout-wave: {wave!r}",
                f"waves of this fleet: {', '.join(waves) or '(none)'}",
            )


def shown(plan: FleetPlan, selection: StepSelection) -> FleetPlan:
    """The plan of the clusters --wave and --cluster select (unknown ones are errors)."""
    _check_names(plan, selection)
    return replace(plan, clusters=tuple(c for c in plan.clusters if selection.picks(c)))


def _check_selection(plan: FleetPlan, selection: StepSelection) -> None:
    _check_names(plan, selection)
    if not 1 <= selection.number <= plan.last_step:
        raise _usage(
            "plan.step.unknown",
            "--apply-step",
            f"the plan has no step {selection.number}"
            + (" (every cluster is at the target)" if plan.last_step == 0 else ""),
            f"run kkpgen plan to see the steps (1 to {plan.last_step})"
            if plan.last_step
            else "nothing to apply; kkpgen plan --to-kkp vX.Y.Z plans a KKP upgrade",
        )


def apply_step(
    opts: SourceOptions, *, target: Target, to_kkp: str | None, selection: StepSelection
) -> ApplyResult:
    """Edit the work tree for step `selection.number` of the plan of the work tree."""
    tree = read_tree(opts.repo, None)
    plan = plan_fleet(opts, target=target, to_kkp=to_kkp, tree=tree)
    _check_selection(plan, selection)
    upgrade = plan.kkp_upgrade(selection.number)
    if upgrade is not None:
        return _apply_upgrade(opts, tree, plan, selection, upgrade)
    texts = {f.path: f.data for f in tree.files}
    edits: dict[str, tuple[ClusterPlan, Step]] = {}
    left: list[LeftAsIs] = []
    for cluster in (c for c in plan.clusters if selection.picks(c)):
        step = cluster.step(selection.number)
        if step is None:
            continue
        if step is not cluster.steps[0]:
            first = cluster.steps[0].number
            why = f"its step {step.number} comes after step {first}: apply that first"
            left.append(LeftAsIs(cluster.name, cluster.wave, why))
        else:
            edits[cluster.name] = (cluster, step)
    kept, refused = _verified(opts, texts, edits)
    left += refused
    _write(opts.repo, {path: data for path, data in kept.items() if data != texts[path]})
    applied = tuple(
        Applied(name, cluster.file, cluster.wave, step)
        for name, (cluster, step) in edits.items()
        if name not in {r.cluster for r in refused}
    )
    return ApplyResult(plan, selection, applied, tuple(left))


def _edited_texts(
    texts: dict[str, bytes], edits: dict[str, tuple[ClusterPlan, Step]]
) -> tuple[dict[str, bytes], list[LeftAsIs]]:
    result, refused = dict(texts), []
    for name, (cluster, step) in edits.items():
        fields = [FieldEdit(c.path, c.after) for c in step.changes]
        try:
            text = edit_object(
                result[cluster.file].decode("utf-8"), kind="Cluster", name=name, edits=fields
            )
        except (EditError, UnicodeDecodeError) as error:
            why = f"{cluster.file} cannot be edited in place ({error}); make the step by hand"
            refused.append(LeftAsIs(name, cluster.wave, why))
            continue
        result[cluster.file] = text.encode("utf-8")
    return result, refused


def _verified(
    opts: SourceOptions,
    texts: dict[str, bytes],
    edits: dict[str, tuple[ClusterPlan, Step]],
) -> tuple[dict[str, bytes], list[LeftAsIs]]:
    """The edited files, without the edits of clusters that `check --base HEAD` refuses."""
    refused: list[LeftAsIs] = []
    for _ in range(2):  # a refused edit is undone once; the rest is checked again
        edited, cannot = _edited_texts(texts, edits)
        refused += cannot
        for r in cannot:
            edits.pop(r.cluster)
        new_tree = SourceTree(None, tuple(SourceFile(p, d) for p, d in sorted(edited.items())))
        _, failures = check_fleet_partially(replace(opts, ref=None, base=BASE), tree=new_tree)
        failing = {d.cluster: d for d in failures if d.cluster in edits}
        if not failing:
            return edited, refused
        for name, found in failing.items():
            cluster, step = edits.pop(name)
            why = f"step {step.number} would fail check --base {BASE}: {_diagnostic(found)}"
            refused.append(LeftAsIs(name, cluster.wave, why))
    return texts, refused + [
        LeftAsIs(n, c.wave, "left as is: the check did not settle") for n, (c, _) in edits.items()
    ]


def _diagnostic(found: Diagnostic) -> str:
    line = f":{found.location.line}" if found.location.line else ""
    return f"{found.location.file}{line}: {found.message} ({found.code}; {found.hint})"


def _apply_upgrade(
    opts: SourceOptions,
    tree: SourceTree,
    plan: FleetPlan,
    selection: StepSelection,
    upgrade: KkpUpgrade,
) -> ApplyResult:
    """A KKP upgrade is one edit of kubermatic.yaml, for the whole fleet at once."""
    if selection.waves or selection.clusters:
        raise _usage(
            "plan.step.fleet-wide",
            "--apply-step",
            f"step {upgrade.number} upgrades KKP for the whole fleet; --wave and --cluster "
            "do not apply",
            f"run kkpgen plan --apply-step {upgrade.number} without --wave and --cluster",
        )
    pending = sorted({c.name for c in plan.clusters for s in c.steps if s.number < upgrade.number})
    waiting = tuple(pending) + upgrade.blocked_by
    if waiting:
        why = f"KKP {upgrade.to_version} waits for {', '.join(sorted(set(waiting)))}"
        return ApplyResult(plan, selection, (), (LeftAsIs("", "", why),))
    texts = {f.path: f.data for f in tree.files}
    config = check_fleet(replace(opts, ref=None), tree=tree).fleet.config
    edit = FieldEdit(("metadata", "annotations", KKP_VERSION_ANNOTATION), upgrade.to_version)
    try:
        text = edit_object(
            texts[plan.config_file].decode("utf-8"),
            kind="KubermaticConfiguration",
            name=config.metadata.name,
            edits=[edit],
        )
    except (EditError, KeyError) as error:
        why = f"{plan.config_file} cannot be edited in place ({error}); set the annotation "
        why += f"{KKP_VERSION_ANNOTATION}: {upgrade.to_version} by hand"
        return ApplyResult(plan, selection, (), (LeftAsIs("", "", why),))
    edited = {**texts, plan.config_file: text.encode("utf-8")}
    new_tree = SourceTree(None, tuple(SourceFile(p, d) for p, d in sorted(edited.items())))
    check_fleet(replace(opts, ref=None, base=BASE), tree=new_tree)  # raises on any error
    _write(opts.repo, {plan.config_file: edited[plan.config_file]})
    return ApplyResult(plan, selection, (Applied("", plan.config_file, "", None, upgrade),), ())


def _write(repo: Path, files: dict[str, bytes]) -> None:
    """Each file replaced whole: written beside it, then renamed over it (mode kept)."""
    for relative, data in sorted(files.items()):
        path = (repo / relative).resolve()
        mode = path.stat().st_mode & 0o777
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            Path(temporary).chmod(mode)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
