"""What a one-state rule looks at: the cluster as loaded and resolved, and the run's context
(rules.py and access.py hold the rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from generator.diagnostics import Violation
from generator.kkp.catalog import Catalog, KKPRelease
from generator.models.kubermatic import KubermaticConfiguration
from generator.models.resolved import ResolvedCluster
from generator.source.fleet import LoadedCluster


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
