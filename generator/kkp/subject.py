"""What a one-state rule looks at: the cluster as loaded and resolved, and the run's context
(rules.py and access.py hold the rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kkpgen.diagnostics import Violation
from kkpgen.kkp.catalog import Catalog, KKPRelease
from kkpgen.models.kubermatic import KubermaticConfiguration
from kkpgen.models.resolved import ResolvedCluster
from kkpgen.source.fleet import LoadedCluster


@dataclass(frozen=True, slots=True)
class RuleContext:
    catalog: Catalog
    release: KKPRelease
    config: KubermaticConfiguration


@dataclass(frozen=True, slots=True)
class Subject:
    loaded: LoadedCluster
    resolved: ResolvedCluster


Rule = Callable[[Subject, RuleContext], Iterator[Violation]]
