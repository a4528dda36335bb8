"""The diff report of one small diff, whole, in each format: what a reviewer reads in the PR
comment and the terminal (a base that fails the rules, the Argo CD Applications, waves in
numeric order, a removed cluster, a cluster with only a disruption), and the comment's cut to
GitHub's limit at its exact edges."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, Location, format_diagnostic
from kkpgen.gitops import report
from kkpgen.gitops.changes import ClusterDiff, Disruption, FleetDiff, ObjectChange

BUMP = Disruption(
    "disruption.cni-version", "CNI version change Canal v3.22 -> v3.23", "plan a maintenance window"
)
GONE = Disruption("disruption.cluster-removed", "the spec file is deleted", "label it first")
DAEMONSET = "alpha/user-cluster/canal/daemonset-canal.yaml"
IMAGE_DIFF = (
    f"--- a/{DAEMONSET}\n+++ b/{DAEMONSET}\n@@ -1 +1 @@\n"
    "-  image: canal:v3.22\n+  image: canal:v3.23\n"
)
APPLICATION = "argocd/alpha-user-cluster.yaml"
WAVE_DIFF = f"--- a/{APPLICATION}\n+++ b/{APPLICATION}\n@@ -1 +1 @@\n-wave: 1\n+wave: 2\n"


def _sample() -> FleetDiff:
    failures = (
        Diagnostic(
            "cni.version.unsupported",
            Location("clusters/beta.yaml", 7),
            "spec.cniPlugin.version",
            "Canal v3.1 is not supported",
            "use v3.22",
            cluster="beta",
        ),
        Diagnostic("config.bad", Location("kubermatic.yaml", 3), "x", "bad setting", "fix it"),
    )
    alpha = (
        ObjectChange(DAEMONSET, "changed", IMAGE_DIFF),
        ObjectChange("alpha/a.yaml", "added", "+a\n"),
    )
    clusters = (
        ClusterDiff("alpha", "changed", alpha, (BUMP,), "2"),
        ClusterDiff("argocd", "changed", (ObjectChange(APPLICATION, "changed", WAVE_DIFF),), ()),
        ClusterDiff("beta", "removed", (ObjectChange("beta/a.yaml", "removed", "-a\n"),), (GONE,)),
        ClusterDiff("gamma", "unchanged", (), (BUMP,), "10"),
    )
    return FleetDiff("origin/main", "HEAD", failures, clusters)


# Each warning ends in two spaces (\x20\x20): a Markdown line break.
MARKDOWN = """\
### kkpgen diff `origin/main` -> `HEAD`

> [!NOTE]
> note: the base origin/main fails the rules (clusters: beta); the objects of what failed \
there are shown as added

```
clusters/beta.yaml:7: error[cni.version.unsupported]: spec.cniPlugin.version: Canal v3.1 is \
not supported
  hint: use v3.22
kubermatic.yaml:3: error[config.bad]: x: bad setting
  hint: fix it
```

**3 clusters**: 0 added, 1 removed, 1 changed, 1 unchanged · **objects**: 1 added, 1 removed, \
2 changed

| wave | clusters | with disruptions |
|---|---:|---:|
| wave 2 | 1 | 1 |
| wave 10 | 1 | 1 |
| no wave | 1 | 1 |

> [!WARNING]
> wave 2, 1 cluster (disruption.cni-version): **alpha**. alpha: CNI version change Canal \
v3.22 -> v3.23; **plan a maintenance window**\x20\x20
> wave 10, 1 cluster (disruption.cni-version): **gamma**. gamma: CNI version change Canal \
v3.22 -> v3.23; **plan a maintenance window**\x20\x20
> no wave, 1 cluster (disruption.cluster-removed): **beta**. beta: the spec file is deleted; \
**label it first**\x20\x20

<details><summary><b>alpha (changed)</b>: 1 added, 0 removed, 1 changed</summary>

- changed: `alpha/user-cluster/canal/daemonset-canal.yaml`
- added: `alpha/a.yaml`

```diff
--- a/alpha/user-cluster/canal/daemonset-canal.yaml
+++ b/alpha/user-cluster/canal/daemonset-canal.yaml
@@ -1 +1 @@
-  image: canal:v3.22
+  image: canal:v3.23
```


</details>

<details><summary><b>Argo CD Applications</b>: 0 added, 0 removed, 1 changed</summary>

- changed: `argocd/alpha-user-cluster.yaml`

```diff
--- a/argocd/alpha-user-cluster.yaml
+++ b/argocd/alpha-user-cluster.yaml
@@ -1 +1 @@
-wave: 1
+wave: 2
```


</details>

<details><summary><b>beta (removed)</b>: 0 added, 1 removed, 0 changed</summary>

- removed: `beta/a.yaml`

</details>

<details><summary><b>gamma (unchanged)</b>: no object changes</summary>


</details>
"""

TEXT = """\
kkpgen diff origin/main -> HEAD
note: the base origin/main fails the rules (clusters: beta); the objects of what failed there \
are shown as added
clusters/beta.yaml:7: error[cni.version.unsupported]: spec.cniPlugin.version: Canal v3.1 is \
not supported
  hint: use v3.22
kubermatic.yaml:3: error[config.bad]: x: bad setting
  hint: fix it
! wave 2: 1 cluster disruption.cni-version: alpha
! wave 10: 1 cluster disruption.cni-version: gamma
! no wave: 1 cluster disruption.cluster-removed: beta
== alpha (changed): 1 added, 0 removed, 1 changed
  ! CNI version change Canal v3.22 -> v3.23; plan a maintenance window
  ~ alpha/user-cluster/canal/daemonset-canal.yaml
  + alpha/a.yaml
--- a/alpha/user-cluster/canal/daemonset-canal.yaml
+++ b/alpha/user-cluster/canal/daemonset-canal.yaml
@@ -1 +1 @@
-  image: canal:v3.22
+  image: canal:v3.23
+a
== Argo CD Applications: 0 added, 0 removed, 1 changed
  ~ argocd/alpha-user-cluster.yaml
--- a/argocd/alpha-user-cluster.yaml
+++ b/argocd/alpha-user-cluster.yaml
@@ -1 +1 @@
-wave: 1
+wave: 2
== beta (removed): 0 added, 1 removed, 0 changed
  ! the spec file is deleted; label it first
  - beta/a.yaml
-a
== gamma (unchanged): no object changes
  ! CNI version change Canal v3.22 -> v3.23; plan a maintenance window
"""


def test_the_pr_comment_of_a_small_diff_is_exactly_this() -> None:
    assert report.format_report(_sample(), "markdown") == MARKDOWN


def test_the_pr_comment_renders_as_a_note_a_table_a_warning_and_closed_details() -> None:
    tokens = MarkdownIt("commonmark").enable("table").parse(MARKDOWN)
    kinds = [t.type for t in tokens if t.level == 0 and t.nesting >= 0]
    assert kinds[:5] == ["heading_open", "blockquote_open", "fence", "paragraph_open", "table_open"]
    assert kinds[5] == "blockquote_open"  # the warning
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.info for f in fences] == ["", "diff", "diff"]  # the failures, then two diffs
    assert [f.content for f in fences[1:]] == [IMAGE_DIFF, WAVE_DIFF]
    assert MARKDOWN.count("<details>") == MARKDOWN.count("</details>") == 4


def test_the_text_report_of_a_small_diff_is_exactly_this() -> None:
    assert report.format_report(_sample(), "text") == TEXT


def test_the_json_report_holds_every_field() -> None:
    payload = json.loads(report.format_report(_sample(), "json"))
    assert payload["base"] == "origin/main"
    assert payload["head"] == "HEAD"
    assert payload["baseFailures"] == [
        {
            "code": "cni.version.unsupported",
            "cluster": "beta",
            "file": "clusters/beta.yaml",
            "message": "Canal v3.1 is not supported",
        },
        {"code": "config.bad", "cluster": "", "file": "kubermatic.yaml", "message": "bad setting"},
    ]
    alpha, argocd, beta, gamma = payload["clusters"]
    assert alpha == {
        "name": "alpha",
        "status": "changed",
        "wave": "2",
        "disruptions": [
            {
                "code": "disruption.cni-version",
                "message": "CNI version change Canal v3.22 -> v3.23",
                "action": "plan a maintenance window",
            }
        ],
        "objects": [
            {"path": DAEMONSET, "change": "changed", "diff": IMAGE_DIFF},
            {"path": "alpha/a.yaml", "change": "added", "diff": "+a\n"},
        ],
        "kkp": None,  # no KKP upgrade between base and head
    }
    assert (argocd["name"], argocd["wave"], argocd["disruptions"]) == ("argocd", "", [])
    assert (beta["status"], gamma["status"], gamma["objects"]) == ("removed", "unchanged", [])


def test_a_base_failure_that_names_no_cluster_says_no_clusters() -> None:
    (_, config) = _sample().base_failures
    diff = FleetDiff("origin/main", "HEAD", (config,), ())
    assert report.format_report(diff, "text") == (
        "kkpgen diff origin/main -> HEAD\n"
        "note: the base origin/main fails the rules; the objects of what failed there are "
        "shown as added\n"
        "kubermatic.yaml:3: error[config.bad]: x: bad setting\n  hint: fix it\nno changes\n"
    )
    assert report.format_report(diff, "markdown").endswith(
        "```\n\nNo changes to the rendered manifests.\n"
    )


def test_the_json_report_is_indented_for_a_ci_log() -> None:
    assert report.format_report(FleetDiff("main", "HEAD", (), ()), "json") == (
        '{\n  "base": "main",\n  "head": "HEAD",\n  "baseFailures": [],\n  "kkpUpgrade": null,\n'
        '  "clusters": []\n}\n'
    )


def test_several_clusters_and_objects_are_listed_each_in_full() -> None:
    """Two failing base clusters, two clusters with one disruption, two changed objects of
    one cluster: every name is listed, every diff line kept as written (trailing spaces too)."""
    (failure, _) = _sample().base_failures
    failures = (failure, replace(failure, cluster="delta", location=Location("clusters/d.yaml")))
    first = "--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +1 @@\n-x: 1\n+x: 2\n+note: spaces  \n"
    second = "--- a/b.yaml\n+++ b/b.yaml\n@@ -1 +1 @@\n-name: BOX\n+name: FOX\n"
    objects = (ObjectChange("a.yaml", "changed", first), ObjectChange("b.yaml", "changed", second))
    clusters = (
        ClusterDiff("alpha", "changed", objects, (BUMP,), "2"),
        ClusterDiff("beta", "unchanged", (), (BUMP,), "2"),
    )
    diff = FleetDiff("origin/main", "HEAD", failures, clusters)
    text = report.format_report(diff, "text")
    assert "fails the rules (clusters: beta, delta); the objects" in text
    assert "\n! wave 2: 2 clusters disruption.cni-version: alpha, beta\n" in text
    assert f"\n  ~ b.yaml\n{first}{second}== beta" in text
    comment = report.format_report(diff, "markdown")
    assert "fails the rules (clusters: beta, delta); the objects" in comment
    assert f"```diff\n{first}{second}```\n" in comment


# --- the comment's cut to a limit: at its exact edges --------------------------------------


def _changed(name: str) -> ClusterDiff:
    path = f"{name}/user-cluster/canal/daemonset-canal.yaml"
    diff = f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"
    return ClusterDiff(name, "changed", (ObjectChange(path, "changed", diff),), ())


def test_a_comment_that_fits_to_the_character_is_whole() -> None:
    """The comment keeps room for its closing "N more clusters left out" line; a report
    that fits beside that room to the character goes in whole, one character less does not
    (the last diff is left out, then the last cluster)."""
    diff = FleetDiff("main", "HEAD", (), tuple(_changed(f"c{i}") for i in range(3)))
    whole = report.format_markdown(diff, limit=None)
    room = len(whole) + len(report._left_out(3))
    assert report.format_markdown(diff, limit=room) == whole
    cut = report.format_markdown(diff, limit=room - 1)
    assert cut.count("```diff") == 2
    assert "`\n\n_diff left out to fit a comment: run `kkpgen diff` locally_\n\n</details>" in cut
    assert "left out to fit a comment: the full report" not in cut  # all three are named
    short = len(report._markdown_cluster(diff.clusters[2], None))
    full = len(report._markdown_cluster(diff.clusters[2], report._diff_block(diff.clusters[2])))
    edge = room - (full - short)  # the last cluster, without its diff, fits exactly
    assert report.format_markdown(diff, limit=edge).count("<details>") == 3
    dropped = report.format_markdown(diff, limit=edge - 1)
    assert dropped.count("<details>") == 2
    assert dropped.endswith(
        "\n_1 more cluster left out to fit a comment: the full report is the CI artifact "
        "(`kkpgen diff --output FILE`), or run `kkpgen diff` locally_\n"
    )


def test_the_comment_is_cut_at_githubs_limit_unless_the_full_report_is_asked_for() -> None:
    diff = FleetDiff("main", "HEAD", (), tuple(_changed(f"c{i:04}") for i in range(400)))
    comment = report.format_report(diff, "markdown")
    assert len(comment) <= report.MARKDOWN_LIMIT
    assert report.MARKDOWN_LIMIT - len(comment) < 1_000  # it uses the room it has
    assert comment == report.format_markdown(diff, limit=report.MARKDOWN_LIMIT)
    assert report.format_report(diff, "markdown", full=True).count("<details>") == 400


def _many_waves(waves: int, per_wave: int) -> FleetDiff:
    clusters = tuple(
        ClusterDiff(f"w{w:03}-c{c:03}", "unchanged", (), (BUMP,), str(w))
        for w in range(waves)
        for c in range(per_wave)
    )
    return FleetDiff("main", "HEAD", (), clusters)


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("> wave ")]


def test_a_summary_of_many_waves_halves_the_names_shown_until_it_fits_half_the_comment() -> None:
    """40 waves of 60 disruptive clusters: with 50 names a wave the summary is longer than
    half the comment, with 25 it is not; every warning names its first 25 clusters."""
    comment = report.format_markdown(_many_waves(40, 60), limit=report.MARKDOWN_LIMIT)
    assert len(comment) <= report.MARKDOWN_LIMIT
    assert comment.index("<details>") <= report.MARKDOWN_LIMIT // 2
    warnings = _warnings(comment)
    assert len(warnings) == 40
    assert all(w.count("**w") == 25 and " and 35 more." in w for w in warnings)
    assert "**\x20\x20\n\n<details>" in comment  # the summary ends as it would unhalved


def test_a_warning_names_the_first_50_clusters_and_counts_the_rest() -> None:
    comment = report.format_markdown(_many_waves(1, 60), limit=report.MARKDOWN_LIMIT)
    (warning,) = _warnings(comment)
    assert warning.count("**w") == 50
    assert "**w000-c049** and 10 more." in warning


def test_a_summary_of_very_many_waves_still_names_one_cluster_a_wave() -> None:
    comment = report.format_markdown(_many_waves(150, 4), limit=report.MARKDOWN_LIMIT)
    assert comment.index("<details>") <= report.MARKDOWN_LIMIT // 2
    warnings = _warnings(comment)
    assert len(warnings) == 150
    assert all(w.count("**w") == 1 and " and 3 more." in w for w in warnings)


def test_the_report_file_is_written_whole_or_the_error_names_its_path(tmp_path: Path) -> None:
    target = tmp_path / "kkpgen-diff.md"
    report.write_report(target, MARKDOWN)
    assert target.read_text() == MARKDOWN
    assert [p.name for p in tmp_path.iterdir()] == ["kkpgen-diff.md"]  # no temporary left
    missing = tmp_path / "no-such-folder" / "kkpgen-diff.md"
    with pytest.raises(KkpgenError) as raised:
        report.write_report(missing, MARKDOWN)
    assert raised.value.exit_code == ExitCode.ENVIRONMENT
    (diagnostic,) = raised.value.diagnostics
    assert format_diagnostic(diagnostic) == (
        f"{missing}: error[diff.output.unwritable]: cannot write the report to {missing}: "
        "No such file or directory\n"
        "  hint: choose an --output path in an existing, writable folder"
    )
