"""`kkpgen diff` with a hostile kkpgen/rollout-wave value: it forged an `::error` line in the
text report and put an @mention, an <img> and a stray </details> into the PR comment (issue
23). The check now refuses it at file:line (a Kubernetes label value, issue 22), in every
format, and prints it escaped; the reports' own escaping of every field is the property test
of tests/escaping."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from tests.conftest import Repo, cluster_yaml

WAVE = "w1\\n::error file=x.yaml::forged @kubermatic/platform <img src=x> </details> |"


def _canal(version: str) -> str:
    extra = f"cniPlugin: {{type: canal, version: {version}}}\n"
    labels = f'kkpgen/rollout-wave: "{WAVE}"\n'
    return cluster_yaml("c1", version='"1.22.9"', extra=extra, labels=labels)


def _diff(make_repo: Callable[..., Repo], run_cli: Callable[..., Result], fmt: str) -> Result:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.21")}, head={"clusters/c1.yaml": _canal("v3.22")}
    )
    args = ["diff", "--repo", str(repo.path), "--base", "base", "--format", fmt]
    return run_cli(args, expect=None)


def _refused_escaped(result: Result) -> None:
    """The wave is no Kubernetes label value: refused at file:line (kkp/rollout.py), before
    any report is made; the refusal shows the value, escaped for the terminal."""
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert "clusters/c1.yaml:" in result.stderr
    assert "forged" in result.stderr  # the value is shown
    for line in result.stderr.splitlines():
        assert line.isprintable(), repr(line)
        assert not line.lstrip().startswith("::"), line


def test_a_wave_value_forges_no_line_in_the_text_report(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    _refused_escaped(_diff(make_repo, run_cli, "text"))


def test_a_wave_value_injects_nothing_into_the_pr_comment(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    _refused_escaped(_diff(make_repo, run_cli, "markdown"))  # no comment to post
