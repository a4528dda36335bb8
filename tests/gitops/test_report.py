"""diff reports at fleet scale: the summary first, waves, and a comment that fits (issue 15)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from kkpgen.gitops import report
from kkpgen.gitops.changes import ClusterDiff, Disruption, FleetDiff, ObjectChange
from kkpgen.kkp.waves import wave_order

BUMP = Disruption("disruption.cni-version", "CNI version change", "plan a maintenance window")


def _cluster(index: int, *, wave: str = "", disrupted: bool = False) -> ClusterDiff:
    path = f"c{index:04}/user-cluster/canal/daemonset-canal.yaml"
    diff = f"--- a/{path}\n+++ b/{path}\n" + "-  image: canal:v3.21\n+  image: canal:v3.22\n" * 20
    objects = (
        ObjectChange(path, "changed", diff),
        ObjectChange(f"c{index:04}/x.yaml", "added", ""),
    )
    return ClusterDiff(f"c{index:04}", "changed", objects, (BUMP,) if disrupted else (), wave)


def _fleet(count: int) -> FleetDiff:
    clusters = tuple(
        _cluster(i, wave=str(1 + i % 3) if i % 10 else "", disrupted=i % 2 == 0)
        for i in range(count)
    )
    return FleetDiff("origin/main", "HEAD", (), clusters)


def test_a_300_cluster_comment_fits_github_with_the_summary_first() -> None:
    text = report.format_markdown(_fleet(300), limit=report.MARKDOWN_LIMIT)
    assert len(text) <= 65_536
    summary = text.index("**300 clusters**: 0 added, 0 removed, 300 changed, 0 unchanged")
    assert summary < text.index("<details>")
    assert "· **objects**: 300 added, 0 removed, 300 changed" in text
    assert text.count("<details>") == text.count("</details>") < 300
    assert "more clusters left out to fit a comment" in text


def test_the_summary_counts_clusters_by_wave_and_names_disruptive_ones_per_wave() -> None:
    text = report.format_markdown(_fleet(20), limit=report.MARKDOWN_LIMIT)
    assert "| wave 1 | 6 | 3 |" in text
    assert "| no wave | 2 | 2 |" in text
    assert text.index("| wave 1 |") < text.index("| wave 2 |") < text.index("| no wave |")
    assert "> wave 1, 3 clusters (disruption.cni-version): **c0006**, **c0012**, **c0018**." in text
    assert text.index("> wave 3,") < text.index("> no wave,")


def test_the_full_report_keeps_every_cluster_and_diff() -> None:
    text = report.format_report(_fleet(300), "markdown", full=True)
    assert len(text) > report.MARKDOWN_LIMIT
    assert text.count("<details>") == 300
    assert "left out" not in text


def test_the_summary_of_a_huge_fleet_names_only_the_first_clusters() -> None:
    text = report.format_markdown(_fleet(10_000), limit=report.MARKDOWN_LIMIT)
    assert len(text) <= report.MARKDOWN_LIMIT
    assert " more. c" in text  # "**c0004**, ... and 1623 more. c0004: CNI version change"


def test_text_groups_disruptions_by_wave() -> None:
    lines = report.format_text(_fleet(4)).splitlines()
    assert lines[1:3] == [
        "! wave 3: 1 cluster disruption.cni-version: c0002",
        "! no wave: 1 cluster disruption.cni-version: c0000",
    ]


# --- bug classes mutation testing found uncaught (docs/mutation-testing.md) ---------------


def test_waves_are_in_numeric_order_not_text_order() -> None:
    """Wave 10 rolls out after wave 9: as text, "10" sorts before "9"."""
    waves = ["10", "", "canary", "9", "2", "010"]
    assert sorted(waves, key=wave_order) == ["2", "9", "10", "010", "canary", ""]
    fleet = FleetDiff(
        "origin/main",
        "HEAD",
        (),
        tuple(_cluster(i, wave=w, disrupted=True) for i, w in enumerate(["10", "9", "2"])),
    )
    text = report.format_markdown(fleet, limit=report.MARKDOWN_LIMIT)
    assert text.index("| wave 2 |") < text.index("| wave 9 |") < text.index("| wave 10 |")
    assert text.index("> wave 9,") < text.index("> wave 10,")
    plain = report.format_report(fleet, "text", full=False)
    assert plain.index("! wave 9:") < plain.index("! wave 10:")


def test_a_diff_holding_a_fence_cannot_close_the_diff_block_early() -> None:
    """A ConfigMap with a Markdown fence in its data: the comment's diff block stays one block
    (three backticks in the content would end it and render the rest as Markdown)."""
    path = "c0001/user-cluster/x/configmap-notes.yaml"
    diff = f"--- a/{path}\n+++ b/{path}\n-  notes: old\n+  notes: |\n+    ```\n+    # Heading\n"
    cluster = ClusterDiff("c0001", "changed", (ObjectChange(path, "changed", diff),), (), "")
    text = report.format_markdown(FleetDiff("main", "HEAD", (), (cluster,)), limit=None)
    tokens = MarkdownIt("commonmark").parse(text)
    (block,) = [t for t in tokens if t.type == "fence"]
    assert block.info == "diff"
    assert block.content == diff
    assert all(t.content != "Heading" for t in tokens if t.type == "inline")  # stayed in it


def test_each_cluster_counts_its_object_changes_by_kind() -> None:
    changed = _cluster(1)
    two_added = ClusterDiff(
        "c0002",
        "added",
        (ObjectChange("c0002/a.yaml", "added", ""), ObjectChange("c0002/b.yaml", "added", "")),
        (),
        "",
    )
    only_disrupted = ClusterDiff("c0003", "unchanged", (), (BUMP,), "")
    fleet = FleetDiff("main", "HEAD", (), (changed, two_added, only_disrupted))
    text = report.format_report(fleet, "text", full=True)
    assert "== c0001 (changed): 1 added, 0 removed, 1 changed\n" in text
    assert "== c0002 (added): 2 added, 0 removed, 0 changed\n" in text
    assert "== c0003 (unchanged): no object changes\n" in text
    markdown = report.format_markdown(fleet, limit=None)
    assert "<b>c0001 (changed)</b>: 1 added, 0 removed, 1 changed</summary>" in markdown


def test_the_text_report_of_no_change_says_so_and_a_diff_keeps_its_lines() -> None:
    empty = report.format_report(FleetDiff("main", "HEAD", (), ()), "text", full=True)
    assert empty == "kkpgen diff main -> HEAD\nno changes\n"
    text = report.format_report(FleetDiff("main", "HEAD", (), (_cluster(1),)), "text", full=True)
    assert "\n--- a/c0001/user-cluster/canal/daemonset-canal.yaml\n" in text
    assert text.count("+  image: canal:v3.22\n") == 20


@pytest.mark.parametrize(("count", "tail"), [(3, ""), (4, " and 1 more"), (5, " and 2 more")])
def test_the_names_shown_stop_at_the_limit_and_count_the_rest(count: int, tail: str) -> None:
    names = [f"c{i}" for i in range(count)]
    assert report._names(names, 3) == "**c0**, **c1**, **c2**" + tail
