"""diff renders only the clusters whose inputs changed, and says exactly what the full diff says."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from bench.bench_diff import change_clusters
from bench.fleet import make_fleet
from generator.gitops import compare, report
from generator.output import contents
from generator.render.engine import Renderer
from generator.spec.check import CheckedFleet, SourceOptions
from tests.conftest import Repo, git

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = (FIXTURES / "kubermatic.yaml").read_text()
SPECS = {f"clusters/{p.name}": p.read_text() for p in sorted((FIXTURES / "clusters").iterdir())}


def _edit(path: str, old: str, new: str) -> dict[str, str | None]:
    text = CONFIG if path == "kubermatic.yaml" else SPECS[path]
    assert old in text
    return {path: text.replace(old, new, 1)}


HEADS: dict[str, dict[str, str | None]] = {
    "cni-change": _edit("clusters/legacy-canal.yaml", "version: v3.8", "version: v3.21"),
    "proxy-mode": _edit("clusters/lab-kubevirt.yaml", "proxyMode: iptables", "proxyMode: ipvs"),
    "addon-removed": {
        "clusters/edge-cilium.yaml": SPECS["clusters/edge-cilium.yaml"].split("---")[0]
    },
    "added-and-removed": {
        "clusters/lab-kubevirt.yaml": None,
        "clusters/prod-canal-2.yaml": SPECS["clusters/prod-canal.yaml"]
        .replace("name: prod-canal", "name: prod-canal-2")
        .replace("prod-canal.europe", "prod-canal-2.europe")
        .replace('"30517"', '"30518"'),
    },
    "wave-label": _edit(
        "clusters/prod-canal.yaml",
        "    team: payments\n",
        "    team: payments\n    kkpgen/rollout-wave: '1'\n",
    ),
    "decommission": _edit(
        "clusters/prod-canal.yaml",
        "    team: payments\n",
        "    team: payments\n    kkpgen/decommission: 'true'\n",
    ),
    "config": _edit("kubermatic.yaml", 'argocd-revision: "main"', 'argocd-revision: "release"'),
    "comment-only": _edit("kubermatic.yaml", "# The platform's", "# Our platform's"),
}


def _assert_same(repo: Path, mode: str = "") -> None:
    opts = SourceOptions(repo=repo, ref="HEAD")
    fast = compare.diff_refs(opts, base="base")
    full = compare.diff_refs_in_full(opts, base="base")
    assert fast == full
    for fmt in ("text", "json", "markdown"):
        text = report.format_report(fast, fmt, full=True)
        assert text == report.format_report(full, fmt, full=True), (mode, fmt)


@pytest.mark.parametrize("mode", ["applicationset", "applications"])
@pytest.mark.parametrize("change", sorted(HEADS))
def test_the_example_fleet_diff_is_the_same_as_the_full_diff(
    change: str, mode: str, make_repo: Callable[..., Repo]
) -> None:
    config = CONFIG.replace(
        "  annotations:\n", f'  annotations:\n    kkpgen/argocd-mode: "{mode}"\n'
    )
    head = dict(HEADS[change])
    if "kubermatic.yaml" in head:
        text = head["kubermatic.yaml"]
        assert text is not None
        head["kubermatic.yaml"] = text.replace(
            "  annotations:\n", f'  annotations:\n    kkpgen/argocd-mode: "{mode}"\n'
        )
    repo = make_repo(base=SPECS, head=head, config=config)
    _assert_same(repo.path, mode)
    diff = compare.diff_refs(SourceOptions(repo=repo.path, ref="HEAD"), base="base")
    assert diff.changed is (change != "comment-only")


@pytest.fixture
def rendered_names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the clusters diff renders (on either side), in order."""
    seen: list[str] = []
    render = contents.cluster_files

    def spy(
        checked: CheckedFleet, *, names: Sequence[str], renderer: Renderer
    ) -> Iterator[tuple[str, bytes]]:
        seen.extend(names)
        return render(checked, names=names, renderer=renderer)

    monkeypatch.setattr(contents, "cluster_files", spy)
    return seen


def test_a_synthetic_fleet_diff_renders_only_the_changed_clusters_and_matches_the_full_diff(
    tmp_path: Path, rendered_names: list[str]
) -> None:
    repo = make_fleet(tmp_path / "fleet", 60)
    git(repo, "tag", "base")
    change_clusters(repo, 60, 6)
    fast = compare.diff_refs(SourceOptions(repo=repo, ref="HEAD"), base="base")
    changed = [f"c{i:05d}" for i in range(0, 60, 10)]
    assert sorted(set(rendered_names)) == changed
    assert [c.name for c in fast.clusters if c.objects] == changed
    rendered_names.clear()
    _assert_same(repo)


def test_a_changed_kubermatic_yaml_renders_every_cluster(
    tmp_path: Path, rendered_names: list[str]
) -> None:
    repo = make_fleet(tmp_path / "fleet", 12)
    git(repo, "tag", "base")
    config = repo / "kubermatic.yaml"
    config.write_text(config.read_text().replace("featureGates", "# edited\n  featureGates"))
    change_clusters(repo, 12, 0)
    compare.diff_refs(SourceOptions(repo=repo, ref="HEAD"), base="base")
    assert sorted(set(rendered_names)) == [f"c{i:05d}" for i in range(12)]
    _assert_same(repo)
