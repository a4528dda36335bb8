"""The rules as an oracle: is a spec state allowed, and is a step from one state to the next?

The planner proposes edits; only the rule registry (kkp/registry.py) decides. What a step
would break is what `kkpgen check --base` would report for it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from kkpgen.diagnostics import Violation
from kkpgen.kkp import defaults, transitions
from kkpgen.kkp.catalog import Catalog, KKPRelease
from kkpgen.kkp.registry import REGISTRY, run
from kkpgen.kkp.subject import Change, Finding, RuleContext, Subject
from kkpgen.models.cluster import ClusterNetworkingConfig, CNIPluginSettings
from kkpgen.models.kubermatic import KubermaticConfiguration
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import LoadedCluster

# Resolving is most of the planner's time, and a walk asks about the same few states again
# and again: the last resolutions are kept (with their cluster, so no id is reused).
_KEPT = 64


@dataclass(frozen=True, slots=True)
class Oracle:
    catalog: Catalog
    config: KubermaticConfiguration
    _kept: OrderedDict[tuple[int, str], tuple[LoadedCluster, ResolvedCluster]] = field(
        default_factory=OrderedDict, compare=False, repr=False
    )
    _checked: dict[tuple[int, str], tuple[LoadedCluster, ResolvedCluster]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def resolve(self, loaded: LoadedCluster, release: KKPRelease) -> ResolvedCluster:
        key = (id(loaded), release.version)
        kept = self._checked.get(key) or self._kept.get(key)
        if kept is not None and kept[0] is loaded:
            if key in self._kept:
                self._kept.move_to_end(key)
            return kept[1]
        resolved = defaults.resolve_cluster(
            loaded,
            catalog=self.catalog,
            release=release,
            is_new=False,
            platform=defaults.PlatformSettings.of(self.config),
        )
        self.keep(loaded, release, resolved)
        return resolved

    def keep(
        self,
        loaded: LoadedCluster,
        release: KKPRelease,
        resolved: ResolvedCluster,
        *,
        checked: bool = False,  # the check stage's: kept for the whole run (one a cluster)
    ) -> None:
        """Remember a resolution."""
        if checked:
            self._checked[(id(loaded), release.version)] = (loaded, resolved)
            return
        self._kept[(id(loaded), release.version)] = (loaded, resolved)
        if len(self._kept) > _KEPT:
            self._kept.popitem(last=False)

    def may_move(self, loaded: LoadedCluster, version: str, release: KKPRelease) -> bool:
        """Whether the CNI version rule lets the cluster move to `version` (cheap: no new
        resolution; the whole check of the step follows)."""
        now = self.resolve(loaded, release)
        probe = replace(now, cni=replace(now.cni, version=version, forced_from=None))
        problem = transitions.version_change_problem(
            now, probe, catalog=self.catalog, release=release
        )
        return problem is None

    def state_errors(self, loaded: LoadedCluster, release: KKPRelease) -> list[Violation]:
        """What `check` refuses in this state of an existing cluster under `release`."""
        ctx = RuleContext(self.catalog, release, self.config)
        subject = Subject(loaded, self.resolve(loaded, release))
        return _errors(run(REGISTRY.cluster, subject, ctx))

    def step_errors(
        self, before: LoadedCluster, after: LoadedCluster, release: KKPRelease
    ) -> list[Violation]:
        """What `check --base` refuses when the spec moves from `before` to `after`."""
        found = self.state_errors(after, release)
        ctx = RuleContext(self.catalog, release, self.config)
        change = Change(
            Subject(before, self.resolve(before, release)),
            Subject(after, self.resolve(after, release)),
        )
        return found + _errors(run(REGISTRY.change, change, ctx))


def _errors(found: Iterable[Finding]) -> list[Violation]:
    """The errors among the findings that name a field of the spec (the planner edits those;
    Addon variables, checked against the charts, are not its business)."""
    return [f for f in found if isinstance(f, Violation) and f.severity == "error"]


def with_spec(
    loaded: LoadedCluster,
    *,
    cni: tuple[str, str] | None = None,
    kubernetes: str | None = None,
    konnectivity: bool | None = None,
    network: Mapping[str, str | bool] | None = None,  # clusterNetwork fields by KKP's name
) -> LoadedCluster:
    """The cluster with these spec fields set (the rest as written)."""
    spec = loaded.cluster.spec
    update: dict[str, object] = {}
    if cni is not None:
        plugin = CNIPluginSettings.model_validate({"type": cni[0], "version": cni[1]})
        update["cni_plugin"] = plugin
    if kubernetes is not None:
        update["version"] = kubernetes
    fields = {**(network or {})}
    if konnectivity is not None:
        fields["konnectivityEnabled"] = konnectivity
    if fields:
        written = spec.cluster_network.model_dump(by_alias=True, exclude_none=True)
        update["cluster_network"] = ClusterNetworkingConfig.model_validate({**written, **fields})
    cluster = loaded.cluster.model_copy(update={"spec": spec.model_copy(update=update)})
    return replace(loaded, cluster=cluster)
