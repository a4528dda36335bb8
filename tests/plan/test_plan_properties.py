"""Plans are checked by the same rules: from any state the catalog allows, applying a plan's
steps one by one (each a commit) passes `check --base HEAD` at every step, follows the plan
as first printed, and ends at the target (or where the plan said no allowed path goes on)."""

from __future__ import annotations

import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from kkpgen.diagnostics import KkpgenError
from kkpgen.kkp.catalog import KKPRelease, load_catalog, parse_version
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.plan.apply import StepSelection, apply_step
from kkpgen.plan.fleet import plan_fleet
from kkpgen.plan.model import FleetPlan, Target
from tests.conftest import commit_all, git

CATALOG = load_catalog()
RELEASES = sorted(
    [*CATALOG.releases, *CATALOG.patches], key=lambda v: (parse_version(v), v.count("."))
)
# Kubernetes versions for a KKP minor without a pinned patch (no list to pick from).
KUBERNETES = ("1.19.15", "1.20.14", "1.21.8", "1.22.9", "1.23.6")


@dataclass(frozen=True)
class State:
    kkp: str
    to_kkp: str | None
    target: Target
    cni: tuple[str, str] | None  # None: spec.cniPlugin unset
    kubernetes: str
    konnectivity: bool

    def files(self) -> dict[str, str]:
        config = textwrap.dedent(
            f"""\
            apiVersion: kubermatic.k8c.io/v1
            kind: KubermaticConfiguration
            metadata:
              name: kubermatic  # the platform
              annotations:
                kkpgen/kkp-version: "{self.kkp}"
                kkpgen/apiserver-url: "https://{{name}}.kkp.example.com:6443"
            spec:
              featureGates:
                KonnectivityService: true
            """
        )
        plugin = (
            f'  cniPlugin:\n    type: {self.cni[0]}\n    version: "{self.cni[1]}"  # pinned\n'
            if self.cni
            else ""
        )
        cluster = (
            "# a cluster of the property test\napiVersion: kubermatic.k8c.io/v1\nkind: Cluster\n"
            "metadata:\n  name: c1\nspec:\n"
            f'  version: "{self.kubernetes}"\n  cloud:\n    aws: {{}}\n{plugin}'
            f"  clusterNetwork:\n    konnectivityEnabled: {str(self.konnectivity).lower()}\n"
        )
        return {"kubermatic.yaml": config, "clusters/c1.yaml": cluster}


def _release(version: str) -> KKPRelease:
    release = CATALOG.release(version)
    assert release is not None
    return release


@st.composite
def states(draw: st.DrawFn) -> State:
    kkp = draw(st.sampled_from(RELEASES))
    release = _release(kkp)
    later = [v for v in RELEASES if parse_version(v) >= parse_version(kkp)]  # type: ignore[operator]
    to_kkp = draw(st.none() | st.sampled_from(later))
    cni_type = draw(st.sampled_from(sorted(release.cni)))
    versions = release.cni[cni_type].allowed()
    cni = draw(st.none() | st.tuples(st.just(cni_type), st.sampled_from(versions)))
    offered = release.patch.kubernetes_versions if release.patch else KUBERNETES
    return State(
        kkp,
        to_kkp,
        draw(st.sampled_from(["latest", "supported"])),
        cni,
        draw(st.sampled_from(offered)),
        draw(st.booleans()) if release.konnectivity else False,
    )


def _step_names(plan: FleetPlan) -> list[str]:
    steps = {s.number: s.summary for c in plan.clusters for s in c.steps}
    steps |= {u.number: f"KKP {u.from_version} -> {u.to_version}" for u in plan.kkp_upgrades}
    return [steps[n] for n in sorted(steps)]


def _at_target(opts: SourceOptions, state: State) -> None:
    """The last state is the target, as the catalog says it (not as the planner does)."""
    checked = check_fleet(opts)
    (cluster,) = checked.resolved
    if state.to_kkp is not None:
        assert checked.release.version == _release(state.to_kkp).version
    support = checked.release.cni.get(cluster.cni.type)
    assert support is not None
    assert cluster.cni.forced_from is None
    assert not cluster.cni.unspecified
    if cluster.cni.type != "none":
        assert cluster.cni.version in support.supported
        if state.target == "latest":
            assert cluster.cni.version == support.latest()
    if state.target == "latest" and checked.release.konnectivity:
        assert cluster.network.konnectivity_enabled


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(state=states())
def test_every_step_of_a_plan_passes_check_base_head_and_the_last_reaches_the_target(
    state: State,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        git(repo, "init", "-q", "-b", "main")
        for name, text in state.files().items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        commit_all(repo, "start")
        opts = SourceOptions(repo=repo)
        try:
            check_fleet(opts)
        except KkpgenError:
            assume(False)  # not a state the catalog allows
        first = plan_fleet(opts, target=state.target, to_kkp=state.to_kkp)
        applied: list[str] = []
        for _ in range(first.last_step):
            result = apply_step(
                opts, target=state.target, to_kkp=state.to_kkp, selection=StepSelection(1)
            )
            if not result.applied:
                break  # a blocked KKP upgrade: the plan said so
            assert result.left == ()
            check_fleet(SourceOptions(repo=repo, base="HEAD"))  # raises on any error
            commit_all(repo, "step")
            applied += _step_names(result.plan)[:1]
        assert applied == _step_names(first)[: len(applied)]
        (cluster,) = first.clusters
        event(f"{cluster.status}, {len(applied)} steps applied")
        stuck = cluster.status == "blocked" or any(u.blocked_by for u in first.kkp_upgrades)
        last = plan_fleet(opts, target=state.target, to_kkp=state.to_kkp)
        if stuck:
            assert last.last_step == 0 or last.kkp_upgrades[0].blocked_by
            assert last.clusters[0].status == "blocked"
        else:
            assert applied == _step_names(first)
            assert last.clusters[0].status == "at-target"
            assert last.kkp_upgrades == ()
            _at_target(opts, state)
