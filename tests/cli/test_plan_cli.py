"""`kkpgen plan`: the report formats, and --apply-step editing the work tree in place."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable

import pytest
from click.testing import Result

from tests.conftest import CONFIG, Repo, git

# A cluster as people write them: comments everywhere, quoted and plain values, flow style.
OLD = textwrap.dedent(
    """\
    # The oldest cluster of the fleet: Canal v3.19 since 2021.
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata:
      name: old   # do not rename: the seed namespace is cluster-old
      labels: {kkpgen/rollout-wave: "1"}
    spec:
      version: "1.22.9"   # upgraded with the platform team
      cloud:
        aws: {}
      cniPlugin:
        type: canal
        # pinned on purpose, see the wiki
        version: "v3.19"   # the planner moves this
      clusterNetwork:
        konnectivityEnabled: true
    """
)
VPN = textwrap.dedent(
    """\
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata:
      name: vpn
      labels:
        kkpgen/rollout-wave: "2"
    spec:
      version: "1.22.9"
      cloud:
        aws: {}
      cniPlugin:
        type: canal
        version: v3.22
      # OpenVPN until the window in March
    """
)
PINNED = CONFIG.replace('"v2.20"', '"v2.20.9"')

Run = Callable[..., Result]


@pytest.fixture
def fleet(make_repo: Callable[..., Repo]) -> Repo:
    return make_repo(base={"clusters/old.yaml": OLD, "clusters/vpn.yaml": VPN}, config=PINNED)


def test_plan_shows_each_cluster_by_wave_with_its_steps_and_why(fleet: Repo, run_cli: Run) -> None:
    out = run_cli(["plan", "--repo", str(fleet.path)]).stdout
    assert out.splitlines()[0] == (
        "plan: KKP v2.20.9, target latest; 2 clusters: 2 with steps, 0 at the target, 0 blocked"
    )
    assert out.index("wave 1") < out.index("  old  ") < out.index("wave 2") < out.index("  vpn  ")
    assert "    step 1  Canal v3.19 -> v3.20  [disruptive; KKP v2.20.9]" in out
    assert "    step 3  Canal v3.21 -> v3.22  [disruptive; KKP v2.20.9]" in out
    assert "    step 1  OpenVPN -> Konnectivity  [disruptive; KKP v2.20.9]" in out


def test_plan_json_lists_every_step_with_its_fields(fleet: Repo, run_cli: Run) -> None:
    plan = json.loads(run_cli(["plan", "--repo", str(fleet.path), "--format", "json"]).stdout)
    old = next(c for c in plan["clusters"] if c["name"] == "old")
    assert [s["summary"] for s in old["steps"]] == [
        "Canal v3.19 -> v3.20",
        "Canal v3.20 -> v3.21",
        "Canal v3.21 -> v3.22",
    ]
    assert old["steps"][0]["changes"] == [
        {"field": "spec.cniPlugin.version", "before": "v3.19", "after": "v3.20"}
    ]


def test_plan_markdown_is_the_pull_request_of_the_next_step(fleet: Repo, run_cli: Run) -> None:
    out = run_cli(["plan", "--repo", str(fleet.path), "--format", "markdown"]).stdout
    assert out.startswith("## Network upgrade step 1 of 3: KKP v2.20.9, target latest\n")
    assert "2 clusters in 2 waves (wave 1, wave 2)" in out
    assert "| wave 1 | old | Canal v3.19 -> v3.20 |" in out
    assert "| wave 2 | vpn | OpenVPN -> Konnectivity |" in out
    assert "### Disruption" in out
    assert "maintenance window" in out


def test_applying_step_1_changes_only_the_version_value_and_passes_check_base_head(
    fleet: Repo, run_cli: Run
) -> None:
    out = run_cli(["plan", "--repo", str(fleet.path), "--apply-step", "1", "--wave", "1"]).stdout
    assert out == "step 1: 1 edit\n  edited clusters/old.yaml: old: Canal v3.19 -> v3.20\n"
    edited = (fleet.path / "clusters/old.yaml").read_text()
    assert edited == OLD.replace('version: "v3.19"   #', 'version: "v3.20"   #')
    assert (fleet.path / "clusters/vpn.yaml").read_text() == VPN  # wave 2 waits
    run_cli(["check", "--repo", str(fleet.path), "--base", "HEAD"])
    diff = git(fleet.path, "diff", "-U0", "--no-color")
    assert [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in "+++---"
    ] == [
        '-    version: "v3.19"   # the planner moves this',
        '+    version: "v3.20"   # the planner moves this',
    ]


def test_the_loop_reaches_the_target_one_step_per_commit(fleet: Repo, run_cli: Run) -> None:
    def pending() -> int:
        args = ["plan", "--repo", str(fleet.path), "--format", "json"]
        plan = json.loads(run_cli(args).stdout)
        return sum(len(c["steps"]) for c in plan["clusters"])

    steps = 0
    while pending():
        run_cli(["plan", "--repo", str(fleet.path), "--apply-step", "1"])
        run_cli(["check", "--repo", str(fleet.path), "--base", "HEAD"])
        fleet.commit({}, "step")
        steps += 1
    assert steps == 3  # old's three Canal steps; vpn's switch goes with the first
    out = run_cli(["plan", "--repo", str(fleet.path)]).stdout
    assert "2 at the target" in out.splitlines()[0]
    assert "# pinned on purpose, see the wiki" in (fleet.path / "clusters/old.yaml").read_text()


def test_a_cluster_whose_step_would_break_a_rule_is_left_as_it_is_and_reported(
    fleet: Repo, run_cli: Run
) -> None:
    # An uncommitted edit already moved old to v3.20: its next step, v3.21, is two minors
    # from HEAD, so check --base HEAD would refuse it.
    moved = OLD.replace('"v3.19"', '"v3.20"')
    fleet.write({"clusters/old.yaml": moved})
    out = run_cli(["plan", "--repo", str(fleet.path), "--apply-step", "1"]).stdout
    assert "  edited clusters/vpn.yaml: vpn: OpenVPN -> Konnectivity" in out
    assert "  left as is: old: step 1 would fail check --base HEAD: clusters/old.yaml:14: " in out
    assert "cni.version.upgrade-too-large" in out
    assert (fleet.path / "clusters/old.yaml").read_text() == moved


def test_a_later_step_waits_for_the_earlier_ones(fleet: Repo, run_cli: Run) -> None:
    out = run_cli(["plan", "--repo", str(fleet.path), "--apply-step", "2"]).stdout
    assert "left as is: old: its step 2 comes after step 1: apply that first" in out
    assert git(fleet.path, "status", "--porcelain") == ""


def test_the_markdown_of_an_applied_step_describes_the_pull_request(
    fleet: Repo, run_cli: Run
) -> None:
    args = ["plan", "--repo", str(fleet.path), "--apply-step", "1", "--cluster", "vpn"]
    out = run_cli([*args, "--format", "markdown"]).stdout
    assert "1 cluster in 1 wave (wave 2)" in out
    assert "| wave 2 | vpn | OpenVPN -> Konnectivity |" in out
    assert "old" not in out


def test_a_kkp_upgrade_step_edits_only_the_annotation_of_kubermatic_yaml(
    make_repo: Callable[..., Repo], run_cli: Run
) -> None:
    done = OLD.replace('"v3.19"', '"v3.22"')
    repo = make_repo(base={"clusters/old.yaml": done}, config=PINNED)
    args = ["plan", "--repo", str(repo.path), "--to-kkp", "v2.20.16"]
    assert "step 1  KKP v2.20.9 -> v2.20.16" in run_cli(args).stdout
    run_cli([*args, "--apply-step", "1"])
    config = (repo.path / "kubermatic.yaml").read_text()
    assert config == PINNED.replace('"v2.20.9"', '"v2.20.16"')
    run_cli(["check", "--repo", str(repo.path), "--base", "HEAD"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--apply-step", "1", "--cluster", "nope"],
            "error[cluster.unknown]: no cluster named 'nope'",
        ),
        (["--apply-step", "1", "--wave", "9"], "error[plan.wave.unknown]"),
        (["--apply-step", "9"], "error[plan.step.unknown]: the plan has no step 9"),
        (["--to-kkp", "v3.0.0"], "error[plan.kkp.unknown]"),
    ],
    ids=["unknown-cluster", "unknown-wave", "unknown-step", "unknown-release"],
)
def test_bad_selections_are_errors_with_a_hint_and_change_nothing(
    fleet: Repo, run_cli: Run, args: list[str], message: str
) -> None:
    result = run_cli(["plan", "--repo", str(fleet.path), *args], expect=1)
    assert message in result.stderr
    assert "hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert git(fleet.path, "status", "--porcelain") == ""


def test_apply_step_refuses_a_ref(fleet: Repo, run_cli: Run) -> None:
    result = run_cli(
        ["plan", "--repo", str(fleet.path), "--ref", "HEAD", "--apply-step", "1"], expect=2
    )
    assert "--apply-step edits the work tree: leave out --ref" in result.stderr


def test_plan_wave_shows_only_that_wave_and_json_lists_each_waves_steps(
    fleet: Repo, run_cli: Run
) -> None:
    out = run_cli(["plan", "--repo", str(fleet.path), "--wave", "2"]).stdout
    assert "  vpn  " in out
    assert "  old  " not in out
    plan = json.loads(run_cli(["plan", "--repo", str(fleet.path), "--format", "json"]).stdout)
    assert plan["waves"] == [
        {
            "wave": "1",
            "steps": [{"step": n, "clusters": ["old"]} for n in (1, 2, 3)],
        },
        {"wave": "2", "steps": [{"step": 1, "clusters": ["vpn"]}]},
    ]


def test_a_kkp_upgrade_is_for_the_whole_fleet_and_waits_for_the_clusters_before_it(
    fleet: Repo, run_cli: Run
) -> None:
    args = ["plan", "--repo", str(fleet.path), "--to-kkp", "v2.20.16"]
    upgrade = json.loads(run_cli([*args, "--format", "json"]).stdout)["kkpUpgrades"][0]["step"]
    refused = run_cli([*args, "--apply-step", str(upgrade), "--wave", "1"], expect=1).stderr
    assert "error[plan.step.fleet-wide]" in refused
    assert f"run kkpgen plan --apply-step {upgrade} without --wave and --cluster" in refused
    out = run_cli([*args, "--apply-step", str(upgrade)]).stdout  # the hint, as written
    assert "left as is: the fleet: KKP v2.20.16 waits for vpn" in out
    assert git(fleet.path, "status", "--porcelain") == ""


def test_a_fleet_at_the_target_says_so_in_every_format(
    make_repo: Callable[..., Repo], run_cli: Run
) -> None:
    done = OLD.replace('"v3.19"', '"v3.22"')
    repo = make_repo(base={"clusters/old.yaml": done}, config=PINNED)
    args = ["plan", "--repo", str(repo.path)]
    assert "    at the target" in run_cli(args).stdout
    assert run_cli([*args, "--format", "markdown"]).stdout == (
        "## Network upgrade: every cluster is at the target (latest, KKP v2.20.9)\n\n"
        "Nothing to change.\n"
    )
    assert json.loads(run_cli([*args, "--format", "json"]).stdout)["clusters"][0]["status"] == (
        "at-target"
    )
    result = run_cli([*args, "--apply-step", "1"], expect=1)
    assert "the plan has no step 1 (every cluster is at the target)" in result.stderr


def test_a_default_the_next_release_changes_is_written_first_and_the_upgrade_then_passes(
    make_repo: Callable[..., Repo], run_cli: Run
) -> None:
    """Hetzner on Kubernetes 1.35: v2.30.6's default proxy mode is nftables, v2.31.0's
    iptables, and KKP keeps the stored nftables. The plan writes it before the KKP step."""
    hetzner = (
        "apiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata:\n  name: hz\nspec:\n"
        '  version: "1.35.7"\n  cloud:\n    hetzner: {}\n'
        "  cniPlugin:\n    type: canal\n    version: v3.31\n"
    )
    config = CONFIG.replace('"v2.20"', '"v2.30.6"').replace(
        "  featureGates:\n    KonnectivityService: true\n", ""
    )
    repo = make_repo(base={"clusters/hz.yaml": hetzner}, config=config)
    args = ["plan", "--repo", str(repo.path), "--to-kkp", "v2.31.0"]
    out = run_cli(args).stdout
    assert "step 1  write clusterNetwork.proxyMode: 'nftables' into the spec" in out
    assert "step 2  KKP v2.30.6 -> v2.31.0" in out
    for step in ("pin nftables", "upgrade KKP"):  # a committed step leaves the plan: 1 again
        run_cli([*args, "--apply-step", "1"])
        run_cli(["check", "--repo", str(repo.path), "--base", "HEAD"])
        repo.commit({}, step)
    assert "proxyMode: nftables" in (repo.path / "clusters/hz.yaml").read_text()
    assert '"v2.31.0"' in (repo.path / "kubermatic.yaml").read_text()
    resolved = run_cli(["resolve", "hz", "--repo", str(repo.path)]).stdout
    assert "proxyMode: nftables" in resolved
