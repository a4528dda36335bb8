"""What a rule looks at (one cluster, a cluster's change, the fleet), the run's context, and
what a rule declares: the codes it reports (registry.py holds every rule, by what it looks at).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kkpgen.diagnostics import Diagnostic, Severity, Violation
from kkpgen.kkp.catalog import Catalog, KKPRelease
from kkpgen.kkp.charts import Chart
from kkpgen.models.kubermatic import KubermaticConfiguration
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import Fleet, LoadedCluster


@dataclass(frozen=True, slots=True)
class RuleContext:
    catalog: Catalog
    release: KKPRelease
    config: KubermaticConfiguration
    charts: Mapping[str, Chart] = field(default_factory=dict)  # what Addons may set
    # The KKP release the base ran (`--base`), when it is known: a change of it is a KKP upgrade.
    base_release: KKPRelease | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """One cluster: as loaded (its spec and Addons, where each field is) and resolved."""

    loaded: LoadedCluster
    resolved: ResolvedCluster


@dataclass(frozen=True, slots=True)
class Change:
    """One cluster in the base and in the head (base -> head rules look at both)."""

    base: Subject
    head: Subject


@dataclass(frozen=True, slots=True)
class FleetChange:
    """The whole fleet in the base and in the head, and the clusters --decommission names."""

    base: Fleet
    head: Fleet
    decommission: Sequence[str]


@dataclass(frozen=True, slots=True)
class Code:
    """A code a rule reports: its severity, the field it points at (as printed; `*` stands
    for any key or index), and what to do (the finding's own hint names the values)."""

    code: str
    severity: Severity
    field: str
    hint: str


# A rule's finding: a Violation names a field of its subject (check.py locates it), a
# Diagnostic is located already (a finding in another file, or about a flag).
Finding = Violation | Diagnostic
S = TypeVar("S", Subject, Change, Fleet, FleetChange)


@dataclass(frozen=True, slots=True)
class Rule(Generic[S]):
    """A rule function with the codes it reports (the registry's entry)."""

    function: Callable[[S, RuleContext], Iterator[Finding]]
    codes: tuple[Code, ...]

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def module(self) -> str:
        """Where the rule is written: "kkp.rules", "kkp.access", ..."""
        return self.function.__module__.removeprefix("kkpgen.")

    def __call__(self, subject: S, ctx: RuleContext) -> Iterator[Finding]:
        return self.function(subject, ctx)


def rule(
    *codes: Code,
) -> Callable[[Callable[[S, RuleContext], Iterator[Finding]]], Rule[S]]:
    """Register a rule where it is written: `@rule(Code(...), ...)` above its function."""

    def wrap(function: Callable[[S, RuleContext], Iterator[Finding]]) -> Rule[S]:
        return Rule(function, codes)

    return wrap
