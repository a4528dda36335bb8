"""What a plan is: per cluster the ordered steps (each a spec edit), and the KKP upgrades."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StepKind = Literal["spec-sync", "cni-version", "kubernetes", "konnectivity", "kkp-upgrade"]
ClusterStatus = Literal["at-target", "planned", "blocked"]
Target = Literal["latest", "supported"]
Value = str | bool


@dataclass(frozen=True, slots=True)
class Change:
    """One field of one spec file: from what is written (None: absent) to the new value."""

    path: tuple[str, ...]
    before: Value | None
    after: Value


@dataclass(frozen=True, slots=True)
class Step:
    number: int  # the plan's step (one pull request); a cluster may skip numbers
    kind: StepKind
    summary: str  # "Canal v3.19 -> v3.20"
    changes: tuple[Change, ...]
    disruptive: bool  # needs a maintenance window
    reason: str  # why, from the catalog or the rule that asks for it
    kkp: str  # the KKP release the step runs under


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    name: str
    file: str
    wave: str  # the kkpgen/rollout-wave label; "" when it has none
    state: str  # "Canal v3.19, Kubernetes 1.22.9, OpenVPN"
    urgent: str  # why it goes first (a deprecated or CVE-affected version); "" if not
    status: ClusterStatus
    steps: tuple[Step, ...]
    blocked: str = ""  # why no allowed path goes further

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)


@dataclass(frozen=True, slots=True)
class KkpUpgrade:
    number: int
    from_version: str
    to_version: str
    blocked_by: tuple[str, ...]  # clusters that cannot meet the release's rules yet


@dataclass(frozen=True, slots=True)
class FleetPlan:
    kkp: str  # the release the fleet runs
    to_kkp: str  # the release the plan ends at
    target: Target
    config_file: str
    clusters: tuple[ClusterPlan, ...]  # urgent first, then by wave and name
    kkp_upgrades: tuple[KkpUpgrade, ...]

    @property
    def last_step(self) -> int:
        numbers = [s.number for c in self.clusters for s in c.steps]
        numbers += [u.number for u in self.kkp_upgrades]
        return max(numbers, default=0)

    def kkp_upgrade(self, number: int) -> KkpUpgrade | None:
        return next((u for u in self.kkp_upgrades if u.number == number), None)
