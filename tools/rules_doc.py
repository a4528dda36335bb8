"""Write docs/rules.md from the rule registry (kkpgen/kkp/registry.py): every code a rule
reports, its severity, the field it points at and what to do.

    python tools/rules_doc.py > docs/rules.md

tests/kkp/test_rule_registry.py fails while the file differs from what this prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kkpgen.kkp.registry import REGISTRY
from kkpgen.kkp.subject import Change, FleetChange, Rule, Subject
from kkpgen.source.fleet import Fleet

_HEADER = """\
# Rules

Every code `kkpgen check` reports from a rule, generated from the rule registry
(`generator/kkp/registry.py`) by `python tools/rules_doc.py > docs/rules.md`. `check`,
`render`, `diff`, `argocd generate` and `resolve` run the same rules; an error stops them
(exit 1), a warning or notice is printed and the command goes on. A finding names the file,
line and field; its own hint says what to do with the values of the case.
Other codes come before any rule runs: from reading the repository (`yaml.*`, `schema.*`,
`source.*`, `config.missing`, `config.document.extra`, `cluster.name.*`,
`addon.cluster.unknown`: a file that is missing or does not load, a name defined twice) and
from the run's own setting (`kkp.version.unsupported`, `cluster.unknown` for a `--cluster`
typo). A field with `*` stands for any text there; "or" separates the fields a code may name.
"""

AnyRule = Rule[Fleet] | Rule[Subject] | Rule[Change] | Rule[FleetChange]


def _cell(text: str) -> str:
    """Table cell text: a `|` would end the cell, `<host>` would read as an HTML tag."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _section(title: str, table: Sequence[AnyRule]) -> list[str]:
    lines = ["", f"## {title}", "", "| code | severity | field | what to do | rule |"]
    lines.append("|---|---|---|---|---|")
    rows = sorted(
        (code.code, code.severity, code.field, code.hint, f"{rule.module}.{rule.name}")
        for rule in table
        for code in rule.codes
    )
    for code, severity, field, hint, where in rows:
        shown = f"`{field}`" if field else "(a flag)"
        lines.append(f"| `{code}` | {severity} | {_cell(shown)} | {_cell(hint)} | `{where}` |")
    return lines


def document() -> str:
    sections: tuple[tuple[str, Sequence[AnyRule]], ...] = (
        ("kubermatic.yaml", REGISTRY.config),
        ("One cluster", REGISTRY.cluster),
        ("One cluster, base to head (`--base`)", REGISTRY.change),
        ("Clusters a change deletes (`--base`)", REGISTRY.removal),
    )
    lines = _HEADER.splitlines()
    for title, table in sections:
        lines += _section(title, table)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(document())
