"""Every rule kkpgen runs, in one place, by what it looks at. check.py runs this registry
the same way for every command that checks: check, render, diff, argocd generate, resolve.

A rule registers where it is written: `@rule(Code(...))` above its function declares the
codes it reports, and its module's table (RULES) lists it; a new table is added here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kkpgen.kkp import (
    access,
    cilium_values,
    release_rules,
    rules,
    transitions,
    upgrade_rules,
    variables,
    waves,
    whole_fleet,
)
from kkpgen.kkp.subject import Change, Code, Finding, FleetChange, Rule, RuleContext, S, Subject
from kkpgen.source.fleet import Fleet


@dataclass(frozen=True, slots=True)
class Registry:
    config: tuple[Rule[Fleet], ...]  # kubermatic.yaml
    cluster: tuple[Rule[Subject], ...]  # one cluster as it is
    change: tuple[Rule[Change], ...]  # one cluster, base -> head
    removal: tuple[Rule[FleetChange], ...]  # the fleet, base -> head: deleted clusters

    def codes(self) -> tuple[Code, ...]:
        """Every code a rule declares, in the order of the tables."""
        tables: tuple[Sequence[Rule[Fleet] | Rule[Subject] | Rule[Change] | Rule[FleetChange]], ...]
        tables = (self.config, self.cluster, self.change, self.removal)
        return tuple(code for table in tables for found in table for code in found.codes)


REGISTRY = Registry(
    config=whole_fleet.CONFIG_RULES,
    cluster=(
        *access.RULES,
        *rules.RULES,
        *release_rules.RULES,
        *waves.RULES,
        *variables.RULES,
        *cilium_values.RULES,
    ),
    change=(*upgrade_rules.RULES, *transitions.RULES, *cilium_values.CHANGE_RULES),
    removal=whole_fleet.REMOVAL_RULES,
)


def run(table: Sequence[Rule[S]], subject: S, ctx: RuleContext) -> Iterator[Finding]:
    """Every finding of the table's rules about `subject`."""
    for entry in table:
        yield from entry(subject, ctx)
