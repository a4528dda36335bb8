"""diff renders only the clusters whose inputs changed, and says exactly what the full diff says."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from bench.bench_diff import break_cluster, change_clusters
from bench.fleet import make_fleet
from kkpgen.gitops import compare, report
from kkpgen.kkp.check import CheckedFleet
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.render.engine import Renderer
from kkpgen.source import repository
from kkpgen.source.repository import SourceTree
from tests.conftest import CONFIG as TEST_CONFIG
from tests.conftest import V2_20_FLEET, Repo, cluster_yaml, git
from tests.gitops.full_diff import diff_refs_in_full

CONFIG = (V2_20_FLEET / "kubermatic.yaml").read_text()
SPECS = {f"clusters/{p.name}": p.read_text() for p in sorted((V2_20_FLEET / "clusters").iterdir())}


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
    full = diff_refs_in_full(opts, base="base")
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


def _with_mode(config: str, mode: str) -> str:
    return config.replace("  annotations:\n", f'  annotations:\n    kkpgen/argocd-mode: "{mode}"\n')


def _spec(path: str, old: str, new: str) -> str:
    return _edit(path, old, new)[path] or ""


RENAMED = (
    SPECS["clusters/prod-canal.yaml"]
    .replace("name: prod-canal", "name: prod-canal-2")
    .replace("prod-canal.europe", "prod-canal-2.europe")
    .replace('"30517"', '"30518"')
)
BAD_CNI = _spec("clusters/prod-canal.yaml", "version: v3.22", "version: v3.99")
PROXY_CHANGE = _edit("clusters/lab-kubevirt.yaml", "proxyMode: iptables", "proxyMode: ipvs")
FIXED = {"clusters/prod-canal.yaml": SPECS["clusters/prod-canal.yaml"], **PROXY_CHANGE}
# name: (what the base has instead of the example fleet, the head's change from there,
# the codes of the base's failures)
FAILING_BASES: dict[str, tuple[Mapping[str, str | None], Mapping[str, str | None], set[str]]] = {
    "one-cluster-invalid-fixed-in-head": (
        {"clusters/prod-canal.yaml": BAD_CNI},
        FIXED,
        {"cni.version.unsupported"},
    ),
    "failing-cluster-removed-in-head": (
        {"clusters/prod-canal.yaml": BAD_CNI},
        {"clusters/prod-canal.yaml": None},
        {"cni.version.unsupported"},
    ),
    "failing-cluster-renamed-in-head": (
        {"clusters/prod-canal.yaml": BAD_CNI},
        {"clusters/prod-canal.yaml": None, "clusters/prod-canal-2.yaml": RENAMED},
        {"cni.version.unsupported"},
    ),
    "all-clusters-invalid": (
        {
            path: text.replace('  version: "1.2', '  version: "1.99.1"\n  # was "1.2')
            for path, text in SPECS.items()
        },
        SPECS,
        {"cluster.version.unsupported"},
    ),
    "kubermatic-yaml-annotation-unknown": (
        {"kubermatic.yaml": _spec("kubermatic.yaml", "kkpgen/argocd-path", "kkpgen/argocd-pat")},
        {"kubermatic.yaml": CONFIG, **PROXY_CHANGE},
        {"config.annotation.unknown"},
    ),
    "kubermatic-yaml-kkp-version-unsupported": (
        {"kubermatic.yaml": _spec("kubermatic.yaml", '"v2.20.9"', '"v9.9.9"')},
        {"kubermatic.yaml": CONFIG},
        {"kkp.version.unsupported"},
    ),
    "kubermatic-yaml-unknown-field": (
        {"kubermatic.yaml": _spec("kubermatic.yaml", "  featureGates:", "  featureGate:")},
        {"kubermatic.yaml": CONFIG},
        {"schema.extra-forbidden"},
    ),
    "spec-file-unparsable": (
        {"clusters/broken.yaml": "kind: Cluster\nmetadata: [\n"},
        {"clusters/broken.yaml": None, **PROXY_CHANGE},
        {"yaml.syntax"},
    ),
    "no-clusters": (dict.fromkeys(SPECS), SPECS, set()),
}


@pytest.mark.parametrize("mode", ["applicationset", "applications"])
@pytest.mark.parametrize("case", sorted(FAILING_BASES))
def test_a_failing_base_diff_is_the_same_as_the_full_diff(
    case: str, mode: str, make_repo: Callable[..., Repo]
) -> None:
    base, head, codes = FAILING_BASES[case]
    files = {**SPECS, **base}
    if "kubermatic.yaml" in files:
        files["kubermatic.yaml"] = _with_mode(files["kubermatic.yaml"] or "", mode)
    if "kubermatic.yaml" in head:
        head = {**head, "kubermatic.yaml": _with_mode(head["kubermatic.yaml"] or "", mode)}
    repo = make_repo(
        base={p: t for p, t in files.items() if t is not None},
        head=head,
        config=_with_mode(CONFIG, mode),
    )
    _assert_same(repo.path, mode)
    diff = compare.diff_refs(SourceOptions(repo=repo.path, ref="HEAD"), base="base")
    assert {d.code for d in diff.base_failures} == codes
    assert all(d.severity == "error" for d in diff.base_failures)


def test_a_failing_base_is_read_once_and_only_the_changed_clusters_are_rendered(
    tmp_path: Path, rendered_names: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_fleet(tmp_path / "fleet", 60)
    (repo / "clusters" / "c00001.yaml").write_text(break_cluster(repo, "c00001"))
    git(repo, "tag", "base")
    change_clusters(repo, 60, 6)
    reads: list[str] = []
    read = repository._read_committed

    def counted(path: Path, ref: str) -> SourceTree:
        reads.append(ref)
        return read(path, ref)

    with monkeypatch.context() as patch:
        patch.setattr(repository, "_read_committed", counted)
        patch.setattr(contents, "rendered_files", None)  # the whole-tree check of before
        fast = compare.diff_refs(SourceOptions(repo=repo, ref="HEAD"), base="base")
    assert sorted(reads) == ["HEAD", "base"]
    changed = [f"c{i:05d}" for i in range(0, 60, 10)]
    assert sorted(set(rendered_names)) == sorted([*changed, "c00001"])
    assert [(d.cluster, d.code) for d in fast.base_failures] == [
        ("c00001", "cni.version.unsupported")
    ]
    assert [(c.name, c.status) for c in fast.clusters if c.name == "c00001"] == [
        ("c00001", "added")
    ]
    rendered_names.clear()
    _assert_same(repo)


def test_a_failing_base_keeps_the_rollout_waves_of_all_its_passing_clusters(
    make_repo: Callable[..., Repo],
) -> None:
    """The one place the fast path differs from diff_refs_in_full, which builds argocd/ once
    per passing cluster and keeps the last one's ApplicationSets (with that cluster's wave
    only), so it reports a change to argocd/ that no render makes."""
    config = TEST_CONFIG.replace(
        "  annotations:\n",
        '  annotations:\n    kkpgen/argocd-repo-url: "https://g.example/f.git"\n',
    )
    repo = make_repo(
        base={
            "clusters/a.yaml": cluster_yaml("a", labels="kkpgen/rollout-wave: '1'\n"),
            "clusters/b.yaml": cluster_yaml("b", labels="kkpgen/rollout-wave: '2'\n"),
            "clusters/c.yaml": cluster_yaml("c", extra="clusterNetwork: {proxyMode: ebpf}\n"),
        },
        head={"clusters/c.yaml": cluster_yaml("c")},
        config=config,
    )
    opts = SourceOptions(repo=repo.path, ref="HEAD")
    fast = compare.diff_refs(opts, base="base")
    assert [(c.name, c.status) for c in fast.clusters] == [("c", "added")]
    full = diff_refs_in_full(opts, base="base")
    assert [c.name for c in full.clusters] == ["argocd", "c"]
