"""`kkpgen diff` on a KKP upgrade: per cluster what KKP changes (its head spec rendered at
both releases), apart from the spec's own changes, with the disruption each causes (issue 21
item 6). Asserted on behaviour (which objects change, which fields, which disruption), not on
chart contents, which other work moves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence

import pytest
from click.testing import Result
from markdown_it import MarkdownIt

from kkpgen.gitops import compare, report, upgrade_report
from kkpgen.gitops.changes import (
    ClusterDiff,
    Disruption,
    FleetDiff,
    KkpChanges,
    KkpObject,
    KkpStep,
)
from kkpgen.gitops.fields import FieldChange
from kkpgen.kkp.check import CheckedFleet
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents
from kkpgen.render.engine import Renderer
from tests.conftest import CONFIG, Repo, cluster_yaml, git
from tests.gitops.full_diff import diff_refs_in_full

MakeRepo = Callable[..., Repo]
RunCli = Callable[..., Result]
GATED = 10
AGENT = "user-cluster/konnectivity/deployment-konnectivity-agent.yaml"
KUBE_PROXY_CONFIG = "user-cluster/kube-proxy/configmap-kube-proxy.yaml"
CANAL = "user-cluster/canal/daemonset-canal.yaml"


def config(version: str) -> str:
    return CONFIG.replace('"v2.20"', f'"{version}"')


def spec(
    name: str,
    *,
    kubernetes: str = "1.34.10",
    cni: str = "type: canal, version: v3.31",
    cloud: str = "aws: {}",
    port: str | None = "31001",
) -> str:
    """A cluster with Konnectivity; `port`: the seed's konnectivity-server NodePort, without
    which kkpgen renders no agent Deployment (KKP keeps managing it)."""
    text = cluster_yaml(
        name,
        version=f'"{kubernetes}"',
        cloud=cloud,
        extra=f"cniPlugin: {{{cni}}}\nclusterNetwork:\n  konnectivityEnabled: true\n",
    )
    if port is None:
        return text
    annotation = f'  annotations:\n    kkpgen/konnectivity-server-port: "{port}"\n'
    return text.replace(f"  name: {name}\n", f"  name: {name}\n{annotation}", 1)


def with_network(text: str, line: str) -> str:
    """`line` added under spec.clusterNetwork."""
    enabled = "    konnectivityEnabled: true\n"
    return text.replace(enabled, f"{enabled}    {line}\n")


# KKP v2.30.6 -> v2.31.0: the konnectivity agent gets a zone anti-affinity; Hetzner keeps
# iptables at v2.31.0 where v2.30 gave Kubernetes 1.35 nftables; without the agent (no port)
# nothing changes.
FLEET_31 = {
    "clusters/payments.yaml": spec("payments"),
    "clusters/search.yaml": spec("search", cni="type: cilium, version: 1.18.10", port="31002"),
    "clusters/hz.yaml": spec("hz", kubernetes="1.35.7", cloud="hetzner: {}", port="31003"),
    "clusters/quiet-1.yaml": spec("quiet-1", port=None),
    "clusters/quiet-2.yaml": spec("quiet-2", port=None),
}
# KKP v2.29.10 -> v2.30.6: Calico's images move registry, the agent's image follows the
# Kubernetes minor and gains an argument, kube-proxy gets its checksum/config annotation.
FLEET_30 = {
    "clusters/payments.yaml": spec("payments", cni="type: canal, version: v3.30"),
    "clusters/search.yaml": spec("search", cni="type: cilium, version: 1.18.10", port="31002"),
}


def upgraded(
    make_repo: MakeRepo,
    fleet: dict[str, str],
    versions: tuple[str, str],
    head: dict[str, str | None] | None = None,
) -> Repo:
    """The fleet at versions[0] (tag base), then kkpgen/kkp-version versions[1] (HEAD)."""
    return make_repo(
        base=fleet,
        head={"kubermatic.yaml": config(versions[1]), **(head or {})},
        config=config(versions[0]),
    )


def diff_of(repo: Repo) -> FleetDiff:
    opts = SourceOptions(repo=repo.path, ref="HEAD")
    fast = compare.diff_refs(opts, base="base")
    assert fast == diff_refs_in_full(opts, base="base")  # the whole-tree oracle
    return fast


def cluster(diff: FleetDiff, name: str) -> ClusterDiff:
    (found,) = [c for c in diff.clusters if c.name == name]
    return found


def kkp_fields(diff: FleetDiff) -> list[tuple[str, str, tuple[FieldChange, ...]]]:
    """Each cluster's objects KKP changes, with the fields (not their diff text)."""
    return [(c.name, o.path, o.fields) for c in diff.clusters if c.kkp for o in c.kkp.objects]


def codes(found: ClusterDiff) -> set[str]:
    return {d.code for d in found.all_disruptions}


def fields(found: ClusterDiff, path: str) -> list[tuple[str, str | None, str | None]]:
    assert found.kkp is not None
    (obj,) = [o for o in found.kkp.objects if o.path == path]
    return [(f.path, f.before, f.after) for f in obj.fields]


def test_a_kkp_upgrade_shows_per_cluster_what_kkp_changes_and_why_it_disrupts(
    make_repo: MakeRepo,
) -> None:
    diff = diff_of(upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0")))
    assert diff.kkp_step is not None
    assert (diff.kkp_step.base, diff.kkp_step.head) == ("v2.30.6", "v2.31.0")
    assert diff.kkp_step.unchanged == ("quiet-1", "quiet-2")
    assert [c.name for c in diff.clusters] == ["hz", "payments", "search"]
    for found in diff.clusters:
        assert found.objects == ()  # no spec changed: everything is KKP's
        assert found.disruptions == ()
        assert found.status == "changed"
        assert found.kkp is not None
        assert found.kkp.unseparated == ""
        assert AGENT in {o.path for o in found.kkp.objects}
        agent = fields(found, AGENT)
        assert all(path.startswith("spec.template.spec.affinity.") for path, _, _ in agent)
    payments = cluster(diff, "payments")
    assert codes(payments) == {"disruption.kkp-upgrade.konnectivity-agents"}
    (roll,) = payments.all_disruptions
    assert "Deployment kube-system/konnectivity-agent" in roll.message
    hz = cluster(diff, "hz")
    assert codes(hz) == {
        "disruption.kkp-upgrade.kube-proxy-mode",  # says the restart: no separate one
        "disruption.kkp-upgrade.konnectivity-agents",
    }
    assert ('data["config.conf"].mode', "nftables", "iptables") in fields(hz, KUBE_PROXY_CONFIG)
    assert diff.disruptive
    assert diff.changed


def test_a_v2_29_to_v2_30_upgrade_restarts_the_cni_and_kube_proxy(make_repo: MakeRepo) -> None:
    diff = diff_of(upgraded(make_repo, FLEET_30, ("v2.29.10", "v2.30.6")))
    payments, search = cluster(diff, "payments"), cluster(diff, "search")
    assert codes(payments) == {
        "disruption.kkp-upgrade.cni-restart",
        "disruption.kkp-upgrade.konnectivity-agents",
        "disruption.kkp-upgrade.kube-proxy-restart",
    }
    assert "disruption.kkp-upgrade.cni-restart" not in codes(search)  # Cilium's values stay
    images = [f for f in fields(payments, CANAL) if f[0].endswith(".image")]
    assert images  # the registry moves: the image is shown whole
    assert all(before != after for _, before, after in images)
    agent = fields(payments, AGENT)
    image = "spec.template.spec.containers[konnectivity-agent].image"
    (tag,) = [after for path, _, after in agent if path == image]  # per Kubernetes minor
    assert tag  # the repository stays, so the new image shows only its tag
    assert ":" not in tag
    args = "spec.template.spec.containers[konnectivity-agent].args"
    assert any(path == args and before is None for path, before, _ in agent)  # an argument


def test_the_teams_spec_changes_stay_apart_from_what_kkp_changes(make_repo: MakeRepo) -> None:
    """The same pull request upgrades KKP and switches NodeLocal DNS off in one cluster: that
    cluster's object changes are the spec's (at the base's release), KKP's are on their own."""
    off = with_network(spec("payments"), "nodeLocalDNSCacheEnabled: false")
    repo = upgraded(
        make_repo, FLEET_31, ("v2.30.6", "v2.31.0"), head={"clusters/payments.yaml": off}
    )
    payments = cluster(diff_of(repo), "payments")
    spec_paths = {o.path.partition("/")[2] for o in payments.objects}
    assert "user-cluster/nodelocal-dns/daemonset-node-local-dns.yaml" in spec_paths  # it goes
    assert AGENT not in spec_paths
    assert payments.kkp is not None
    assert [o.path for o in payments.kkp.objects] == [AGENT]


def test_an_upgrade_that_changes_nothing_is_one_line_and_passes_the_gates(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    quiet = {f"clusters/q{i}.yaml": spec(f"q{i}", port=None) for i in range(8)}
    repo = upgraded(make_repo, quiet, ("v2.30.6", "v2.31.0"))
    argv = ["diff", "--repo", str(repo.path), "--base", "base"]
    run_cli([*argv, "--fail-on", "disruption"])
    text = run_cli([*argv, "--fail-on", "change"]).stdout
    assert text.splitlines()[-1] == (
        "KKP changes nothing in 8 clusters: q0, q1, q2, q3, q4, q5, q6, q7"
    )
    assert "q0" not in text.replace(text.splitlines()[-1], "")


@pytest.mark.parametrize("gate", ["disruption", "change"])
def test_what_kkp_changes_fails_the_gates(make_repo: MakeRepo, run_cli: RunCli, gate: str) -> None:
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    argv = ["diff", "--repo", str(repo.path), "--base", "base", "--fail-on", gate]
    result = run_cli(argv, expect=GATED)
    assert f"(--fail-on {gate})" in result.stderr


def _lines_between(text: str, first: str, last: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if line.startswith(last))
    return lines[start : end + 1]


def test_the_text_report_groups_clusters_with_the_same_changes(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    text = run_cli(["diff", "--repo", str(repo.path), "--base", "base"]).stdout
    section = _lines_between(text, "KKP v2.30.6 -> v2.31.0", "KKP changes nothing")
    assert section[0].startswith("KKP v2.30.6 -> v2.31.0: what KKP changes in 3 of 5 clusters")
    groups = [line for line in section if line.startswith("-- ")]
    assert groups == ["-- 1 cluster: hz", "-- 2 clusters: payments, search"]
    assert f"  ~ {AGENT} (Deployment kube-system/konnectivity-agent)" in section
    assert section[-1] == "KKP changes nothing in 2 clusters: quiet-1, quiet-2"
    assert (
        "! no wave: 3 clusters disruption.kkp-upgrade.konnectivity-agents: hz, payments, "
        "search" in text
    )
    assert "\n== " not in text  # no spec changed: no cluster of its own


def _tokens(markdown: str) -> Iterator[tuple[str, str]]:
    parser = MarkdownIt("commonmark").enable(["table"])

    def walk(tokens: Sequence[object]) -> Iterator[tuple[str, str]]:
        for token in tokens:
            yield token.type, token.content  # type: ignore[attr-defined]
            yield from walk(token.children or [])  # type: ignore[attr-defined]

    return walk(parser.parse(markdown))


def test_the_pr_comment_holds_a_collapsed_block_per_group(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    argv = ["diff", "--repo", str(repo.path), "--base", "base", "--format", "markdown"]
    comment = run_cli(argv).stdout
    assert "#### KKP v2.30.6 -> v2.31.0: what KKP changes in 3 of 5 clusters" in comment
    assert (
        "· **objects**: 0 added, 0 removed, 0 changed · **KKP v2.30.6 -> v2.31.0**: 0 added, "
        "0 removed, 5 changed\n" in comment
    )  # the agent in 3 clusters, kube-proxy's 2 in hz
    assert "KKP changes nothing in 2 clusters: quiet-1, quiet-2" in comment
    assert comment.count("<details>") == 2  # hz, and payments with search
    assert "<summary><b>2 clusters</b>: payments, search · 1 object, 1 disruption" in comment
    spans = [content for kind, content in _tokens(comment) if kind == "code_inline"]
    assert AGENT in spans
    assert 'data["config.conf"].mode: nftables -> iptables' in spans
    assert "(disruption.kkp-upgrade.kube-proxy-mode): **hz**" in comment


def test_the_json_report_holds_every_field_and_diff(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    argv = ["diff", "--repo", str(repo.path), "--base", "base", "--format", "json"]
    payload = json.loads(run_cli(argv).stdout)
    assert payload["kkpUpgrade"] == {
        "from": "v2.30.6",
        "to": "v2.31.0",
        "unchanged": ["quiet-1", "quiet-2"],
    }
    hz = next(c for c in payload["clusters"] if c["name"] == "hz")
    assert hz["objects"] == []
    paths = {o["path"]: o for o in hz["kkp"]["objects"]}
    assert {"path": 'data["config.conf"].mode', "before": "nftables", "after": "iptables"} in (
        paths[KUBE_PROXY_CONFIG]["fields"]
    )
    assert paths[AGENT]["diff"].startswith(f"--- a/hz/{AGENT}\n+++ b/hz/{AGENT}\n")
    assert hz["kkp"]["unseparated"] == ""
    assert {d["code"] for d in hz["kkp"]["disruptions"]} >= {
        "disruption.kkp-upgrade.kube-proxy-mode"
    }


# --- the hints the section prints, run as a user would ----------------------------------


def test_the_mode_hint_keeps_kube_proxys_mode(make_repo: MakeRepo, run_cli: RunCli) -> None:
    """ "keep nftables: first set spec.clusterNetwork.proxyMode: nftables in the cluster's spec
    under KKP v2.30.6, then change kkpgen/kkp-version": followed, each step passes the
    check, and the upgrade leaves kube-proxy's mode."""
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    hz = cluster(diff_of(repo), "hz")
    (mode,) = [d for d in hz.all_disruptions if d.code.endswith("kube-proxy-mode")]
    assert mode.action.endswith(
        "keep nftables: first set spec.clusterNetwork.proxyMode: nftables in the cluster's "
        "spec under KKP v2.30.6, then change kkpgen/kkp-version"
    )
    pinned = with_network(
        spec("hz", kubernetes="1.35.7", cloud="hetzner: {}", port="31003"), "proxyMode: nftables"
    )
    git(repo.path, "switch", "-q", "-c", "keep-mode", "base")
    repo.commit({"clusters/hz.yaml": pinned}, "hz keeps nftables")
    run_cli(["check", "--repo", str(repo.path), "--base", "HEAD~1"])
    repo.commit({"kubermatic.yaml": config("v2.31.0")}, "KKP v2.31.0")
    run_cli(["check", "--repo", str(repo.path), "--base", "HEAD~1"])
    after = compare.diff_refs(SourceOptions(repo=repo.path, ref="HEAD"), base="HEAD~1")
    assert codes(cluster(after, "hz")) == {"disruption.kkp-upgrade.konnectivity-agents"}
    changes = cluster(after, "hz").kkp
    assert changes is not None
    assert KUBE_PROXY_CONFIG not in {o.path for o in changes.objects}


def test_the_json_hint_gives_the_full_diffs(make_repo: MakeRepo, run_cli: RunCli) -> None:
    """ "the full diffs: the same command with --format json"."""
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    argv = ["diff", "--repo", str(repo.path), "--base", "base"]
    assert "the full diffs: the same command with --format json" in run_cli(argv).stdout
    payload = json.loads(run_cli([*argv, "--format", "json"]).stdout)
    diffs = [o["diff"] for c in payload["clusters"] for o in c["kkp"]["objects"]]
    assert diffs
    assert all("\n-" in d and "\n+" in d for d in diffs)


NEWER_CILIUM: dict[str, str | None] = {
    "clusters/search.yaml": spec("search", cni="type: cilium, version: 1.19.4")
}


def test_a_spec_the_base_release_refuses_is_not_told_apart_and_the_hint_splits_it(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    """Cilium 1.19.4 comes with v2.31.0: the head spec cannot be rendered at v2.30.6. The
    hint: the KKP upgrade in a pull request of its own, then the spec."""
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"), head=NEWER_CILIUM)
    search = cluster(diff_of(repo), "search")
    assert search.kkp is not None
    assert search.kkp.objects == ()
    assert "cni.version.unsupported" in search.kkp.unseparated
    assert search.objects  # all of its changes, KKP's with the spec's
    text = run_cli(["diff", "--repo", str(repo.path), "--base", "base"]).stdout
    assert (
        "  hint: to see them apart, change kkpgen/kkp-version in a pull request of its "
        "own, and the specs in another" in text
    )
    git(repo.path, "switch", "-q", "-c", "split", "base")  # the hint: KKP on its own first
    repo.commit({"kubermatic.yaml": config("v2.31.0")}, "KKP v2.31.0")
    kkp_only = cluster(diff_of(repo), "search")
    assert kkp_only.kkp is not None
    assert kkp_only.kkp.unseparated == ""
    assert kkp_only.kkp.objects
    repo.commit(NEWER_CILIUM, "Cilium 1.19.4")  # then the spec
    run_cli(["check", "--repo", str(repo.path), "--base", "HEAD~1"])
    then = compare.diff_refs(SourceOptions(repo=repo.path, ref="HEAD"), base="HEAD~1")
    assert then.kkp_step is None  # the same release on both sides: the spec's change alone
    assert cluster(then, "search").objects


# --- speed: one render per distinct (cluster spec, KKP release) --------------------------


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(cluster, KKP release) of every render diff makes."""
    seen: list[tuple[str, str]] = []
    render = contents.cluster_files

    def spy(
        checked: CheckedFleet, *, names: Sequence[str], renderer: Renderer
    ) -> Iterator[tuple[str, bytes]]:
        seen.extend((name, checked.release.version) for name in names)
        return render(checked, names=names, renderer=renderer)

    monkeypatch.setattr(contents, "cluster_files", spy)
    return seen


def test_an_unchanged_spec_is_rendered_once_per_release(
    make_repo: MakeRepo, rendered: list[tuple[str, str]]
) -> None:
    """The head spec at the base's release is the base's spec there: its files are reused."""
    off = with_network(spec("payments"), "nodeLocalDNSCacheEnabled: false")
    repo = upgraded(
        make_repo, FLEET_31, ("v2.30.6", "v2.31.0"), head={"clusters/payments.yaml": off}
    )
    compare.diff_refs(SourceOptions(repo=repo.path, ref="HEAD"), base="base")
    assert sorted(rendered) == sorted(
        [
            (name, v)
            for name in ("hz", "quiet-1", "quiet-2", "search")
            for v in ("v2.30.6", "v2.31.0")
        ]
        + [("payments", "v2.30.6"), ("payments", "v2.30.6"), ("payments", "v2.31.0")]
    )


def test_a_platform_setting_changed_with_the_upgrade_is_the_teams_change(
    make_repo: MakeRepo, rendered: list[tuple[str, str]]
) -> None:
    """The same pull request upgrades KKP and moves the API servers' address (a setting of
    kubermatic.yaml, not of any spec): no head spec renders at the base's release what the
    base rendered, so each is rendered again there, and the move is the spec's change (the
    agents' server address), not KKP's."""
    moved = config("v2.31.0").replace("kkp.example.com", "kkp.example.org")
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"), head={"kubermatic.yaml": moved})
    diff = compare.diff_refs(SourceOptions(repo=repo.path, ref="HEAD"), base="base")
    assert sorted(rendered) == sorted(
        (name, v)
        for name in ("hz", "payments", "quiet-1", "quiet-2", "search")
        for v in ("v2.30.6", "v2.30.6", "v2.31.0")
    )
    plain = compare.diff_refs(
        SourceOptions(repo=upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0")).path, ref="HEAD"),
        base="base",
    )
    assert kkp_fields(diff) == kkp_fields(plain)  # KKP's part is the upgrade's alone
    for found in diff.clusters:
        moved_files = {o.path.partition("/")[2] for o in found.objects}
        assert {"resolved.yaml", KUBE_PROXY_CONFIG} <= moved_files, found.name
        assert (AGENT in moved_files) is ("quiet" not in found.name), found.name


def test_clusters_added_removed_or_failing_in_the_base_have_no_kkp_part(
    make_repo: MakeRepo,
) -> None:
    """A new cluster is created under the new release; a removed one is gone; a base
    cluster that fails there counts as added (as in any diff)."""
    broken = spec("quiet-2", port=None).replace("version: v3.31", "version: v3.99")
    repo = make_repo(
        base={**FLEET_31, "clusters/quiet-2.yaml": broken},
        head={
            "kubermatic.yaml": config("v2.31.0"),
            "clusters/quiet-2.yaml": spec("quiet-2", port=None),
            "clusters/payments.yaml": None,
            "clusters/new.yaml": spec("new", port="31009"),
        },
        config=config("v2.30.6"),
    )
    diff = diff_of(repo)
    assert {(c.name, c.status, c.kkp) for c in diff.clusters if c.kkp is None} == {
        ("new", "added", None),
        ("payments", "removed", None),
        ("quiet-2", "added", None),
    }
    assert diff.kkp_step is not None
    assert diff.kkp_step.unchanged == ("quiet-1",)
    assert [c.name for c in diff.clusters if c.kkp is not None] == ["hz", "search"]


def test_kkp_version_on_the_command_line_is_no_upgrade(make_repo: MakeRepo) -> None:
    """--kkp-version overrides kubermatic.yaml on both sides: the same release twice."""
    repo = upgraded(make_repo, FLEET_31, ("v2.30.6", "v2.31.0"))
    opts = SourceOptions(repo=repo.path, ref="HEAD", kkp_version="v2.31.0")
    diff = compare.diff_refs(opts, base="base")
    assert diff.kkp_step is None
    assert not diff.changed


# --- a fleet of hundreds: the section stays a few groups and one line --------------------


def _fleet_of(count: int, quiet: int) -> FleetDiff:
    agent = KkpObject(
        AGENT,
        "changed",
        "Deployment kube-system/konnectivity-agent",
        (FieldChange("spec.template.spec.affinity.x", "10", "100"),),
        "--- a\n+++ b\n",
    )
    roll = Disruption("disruption.kkp-upgrade.konnectivity-agents", "the agents roll", "expect")
    changes = KkpChanges((agent,), (roll,))
    clusters = tuple(
        ClusterDiff(f"c{i:04}", "changed", (), (), str(i % 3), changes) for i in range(count)
    )
    step = KkpStep("v2.30.6", "v2.31.0", tuple(f"q{i:04}" for i in range(quiet)))
    return FleetDiff("main", "HEAD", (), clusters, step)


def test_a_fleet_of_hundreds_is_one_group_and_one_line_in_every_format() -> None:
    diff = _fleet_of(300, 700)
    text = report.format_report(diff, "text")
    section = _lines_between(text, "KKP v2.30.6", "KKP changes nothing")
    assert len(section) == 6  # heading, the group, its disruption, object, field, the quiet
    assert section[1].startswith("-- 300 clusters: c0000, c0001, ")
    assert section[1].endswith(", c0049 and 250 more")
    assert section[-1].endswith("q0049 and 650 more")
    assert (
        "! wave 0: 100 clusters disruption.kkp-upgrade.konnectivity-agents: c0000, c0003, " in text
    )
    assert "c0147 and 50 more\n" in text  # the wave's first 50 clusters by name
    comment = report.format_report(diff, "markdown")
    assert len(comment) < 10_000
    assert comment.count("<details>") == 1
    payload = json.loads(report.format_report(diff, "json"))
    assert len(payload["kkpUpgrade"]["unchanged"]) == 700
    assert len([c for c in payload["clusters"] if c["kkp"]]) == 300


def test_the_groups_left_out_of_a_short_comment_are_counted() -> None:
    def changed(name: str, replicas: str) -> ClusterDiff:
        agent = KkpObject(
            AGENT,
            "changed",
            "Deployment kube-system/konnectivity-agent",
            (FieldChange("spec.replicas", "1", replicas),),
            "",
        )
        return ClusterDiff(name, "changed", (), (), "", KkpChanges((agent,)))

    clusters = tuple(changed(f"c{i}", str(i + 2)) for i in range(3))
    diff = FleetDiff("main", "HEAD", (), clusters, KkpStep("v2.30.6", "v2.31.0"))
    whole = upgrade_report.markdown_section(diff, budget=None, names_shown=50)
    assert whole.count("<details>") == 3
    assert "left out" not in whole
    note = "of clusters left out to fit a comment: the full report is the CI artifact"
    first = whole.index("<details>")
    second = whole.index("<details>", first + 1)
    one = upgrade_report.markdown_section(diff, budget=second, names_shown=50)
    assert one.count("<details>") == 1
    assert f"\n_2 more groups {note} (`kkpgen diff --output FILE`)_\n\n" in one
    none = upgrade_report.markdown_section(diff, budget=0, names_shown=50)
    assert none.count("<details>") == 0
    assert f"_3 more groups {note}" in none
