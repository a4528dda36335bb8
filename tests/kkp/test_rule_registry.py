"""The rule registry: `check` and `render` report the same diagnostics (they run the same
registry), and every finding is a code its rule declares (severity and field)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kkpgen.diagnostics import Diagnostic, KkpgenError
from kkpgen.kkp.check import check_fleet
from kkpgen.kkp.registry import REGISTRY
from kkpgen.models.options import SourceOptions
from tests.conftest import Repo
from tests.kkp.spec_corpus import CASES, Case, build_repo
from tools import rules_doc

RunCli = Callable[..., Result]
# Findings of the loader and of the run's setup, not of a registered rule.
_NOT_RULES = ("yaml.", "schema.", "source.", "kkp.version.unsupported")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Repo, Case]]:
    root = tmp_path_factory.mktemp("corpus")
    return {name: (build_repo(root / name, case), case) for name, case in CASES.items()}


@pytest.fixture(scope="module")
def found(corpus: dict[str, tuple[Repo, Case]]) -> dict[str, tuple[Diagnostic, ...]]:
    """Every case's diagnostics, as check_fleet reports them (or raises them)."""
    return {name: _diagnostics(repo, case) for name, (repo, case) in corpus.items()}


def _source_args(repo: Repo, case: Case) -> list[str]:
    base = ["--ref", "HEAD", "--base", "base"] if case.head is not None else []
    decommission = [arg for name in case.decommission for arg in ("--decommission", name)]
    return ["--repo", str(repo.path), *base, *decommission, "--verbose"]


def _reported(result: Result) -> list[str]:
    """The diagnostics printed, without the closing line (its wording and timing differ)."""
    return result.stderr.splitlines()[:-1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_and_render_report_the_same_diagnostics(
    name: str, corpus: dict[str, tuple[Repo, Case]], run_cli: RunCli, tmp_path: Path
) -> None:
    repo, case = corpus[name]
    checked = run_cli(["check", *_source_args(repo, case)], expect=None)
    out = tmp_path / "out"
    rendered = run_cli(["render", *_source_args(repo, case), "--out", str(out)], expect=None)
    assert (rendered.exit_code, _reported(rendered)) == (checked.exit_code, _reported(checked))
    assert checked.exit_code in (0, 1), checked.stderr
    assert out.is_dir() == (checked.exit_code == 0)


def _diagnostics(repo: Repo, case: Case) -> tuple[Diagnostic, ...]:
    opts = SourceOptions(
        repo=repo.path,
        ref="HEAD" if case.head is not None else None,
        base="base" if case.head is not None else None,
        decommission=case.decommission,
    )
    try:
        return check_fleet(opts).diagnostics
    except KkpgenError as error:
        return error.diagnostics


def _field_pattern(field: str) -> re.Pattern[str]:
    """A declared field as a pattern: `*` stands for any text, " or " between alternatives."""
    alternatives = (".*".join(map(re.escape, one.split("*"))) for one in field.split(" or "))
    return re.compile("|".join(f"(?:{one})" for one in alternatives))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_finding_is_a_code_its_rule_declares(
    name: str, found: dict[str, tuple[Diagnostic, ...]]
) -> None:
    declared = {(c.code, c.severity): c for c in REGISTRY.codes()}
    for diagnostic in found[name]:
        if diagnostic.code.startswith(_NOT_RULES):
            continue
        code = declared.get((diagnostic.code, diagnostic.severity))
        assert code is not None, f"{diagnostic.code} is not declared as a {diagnostic.severity}"
        assert _field_pattern(code.field).fullmatch(diagnostic.field), (
            diagnostic.field,
            code.field,
        )


def test_the_corpus_makes_every_declared_code_fire(
    found: dict[str, tuple[Diagnostic, ...]],
) -> None:
    """A declared code no case reports is a rule the corpus (and the parity test) misses."""
    fired = {(d.code, d.severity) for diagnostics in found.values() for d in diagnostics}
    declared = {(c.code, c.severity) for c in REGISTRY.codes()}
    assert sorted(declared - fired) == []


def test_codes_are_declared_once_per_severity() -> None:
    keys = [(c.code, c.severity) for c in REGISTRY.codes()]
    assert len(keys) == len(set(keys))


def test_docs_rules_md_lists_every_registered_code() -> None:
    """docs/rules.md is generated: `python tools/rules_doc.py > docs/rules.md`."""
    written = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()
    assert written == rules_doc.document()
    assert all(f"`{code.code}`" in written for code in REGISTRY.codes())
