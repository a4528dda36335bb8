"""`kkpgen diff` with a hostile kkpgen/rollout-wave value: it forged an `::error` line in the
text report and put an @mention, an <img> and a stray </details> into the PR comment (issue
23). Whatever the checks let through, each report escapes it for its medium."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from markdown_it import MarkdownIt

from tests.conftest import Repo, cluster_yaml

WAVE = "w1\\n::error file=x.yaml::forged @kubermatic/platform <img src=x> </details> |"


def _canal(version: str) -> str:
    extra = f"cniPlugin: {{type: canal, version: {version}}}\n"
    labels = f'kkpgen/rollout-wave: "{WAVE}"\n'
    return cluster_yaml("c1", version='"1.22.9"', extra=extra, labels=labels)


def _diff(make_repo: Callable[..., Repo], run_cli: Callable[..., Result], fmt: str) -> str:
    repo = make_repo(
        base={"clusters/c1.yaml": _canal("v3.21")}, head={"clusters/c1.yaml": _canal("v3.22")}
    )
    args = ["diff", "--repo", str(repo.path), "--base", "base", "--format", fmt]
    result = run_cli(args, expect=None)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def test_a_wave_value_forges_no_line_in_the_text_report(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    text = _diff(make_repo, run_cli, "text")
    assert "forged" in text  # the value is shown
    for line in text.splitlines():
        assert line.isprintable(), repr(line)
        assert not line.lstrip().startswith("::"), line


def test_a_wave_value_injects_nothing_into_the_pr_comment(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    comment = _diff(make_repo, run_cli, "markdown")
    html = MarkdownIt("commonmark").enable("table").render(comment)
    assert "forged" in html
    assert "<img" not in html
    assert html.count("</details>") == html.count("<details>") == 1
    assert "@kubermatic" not in html.replace("@\u200bkubermatic", "")
