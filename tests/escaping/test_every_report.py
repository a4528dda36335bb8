"""Hostile strings through every field of every format: terminal text (diagnostics, grouped
warnings, diff), GitHub workflow commands, JSON, and the Markdown PR comment, read back by a
CommonMark parser. A value may change how it looks, never the structure around it (issue 23)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from kkpgen.cli.printing import emit
from kkpgen.cli.summary import emit_grouped
from kkpgen.diagnostics import Diagnostic, Location, Severity, format_diagnostic
from kkpgen.escape import control
from kkpgen.gitops import upgrade_report
from kkpgen.gitops.changes import (
    ChangeKind,
    ClusterDiff,
    ClusterStatus,
    Disruption,
    FleetDiff,
    KkpChanges,
    KkpObject,
    KkpStep,
    ObjectChange,
)
from kkpgen.gitops.fields import FieldChange
from kkpgen.gitops.report import format_json, format_markdown, format_text

FRAGMENTS = [
    "\n::error file=a.yaml,line=1::forged",
    "::warning::forged",
    "  ::add-mask::x",
    "\r",
    "\x1b[2J",
    "\u202e",
    "\u2028",
    "\x85",
    "@kubermatic/team",
    "<img src=x onerror=alert(1)>",
    "</details>",
    "<details><summary>",
    "|",
    "`",
    "```",
    "\n```\n",
    "~~~",
    "*",
    "_",
    "[x](https://example.com)",
    "&lt;",
    "\\",
    "\n- item",
    "\n# head",
    "\n> quote",
]
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=5).map(
    "".join
)
severities: st.SearchStrategy[Severity] = st.sampled_from(["error", "warning", "notice"])


@st.composite
def diagnostics(draw: st.DrawFn) -> Diagnostic:
    location = Location(draw(hostile), draw(st.none() | st.integers(1, 9)), None, None)
    return Diagnostic(
        draw(hostile),
        location,
        draw(hostile),
        draw(hostile),
        draw(hostile),
        draw(severities),
        draw(hostile),
    )


@st.composite
def clusters(draw: st.DrawFn) -> ClusterDiff:
    objects = draw(
        st.lists(
            st.builds(
                ObjectChange, hostile, st.sampled_from(["added", "removed", "changed"]), hostile
            ),
            max_size=3,
        )
    )
    disruptions = draw(st.lists(st.builds(Disruption, hostile, hostile, hostile), max_size=2))
    statuses: st.SearchStrategy[ClusterStatus]
    statuses = st.sampled_from(["added", "removed", "changed", "unchanged"])
    status = draw(statuses)
    kkp = draw(st.none() | kkp_changes())
    name, wave = draw(hostile), draw(hostile)
    return ClusterDiff(name, status, tuple(objects), tuple(disruptions), wave, kkp)


kinds: st.SearchStrategy[ChangeKind] = st.sampled_from(["added", "removed", "changed"])
field_changes = st.builds(FieldChange, hostile, st.none() | hostile, st.none() | hostile)


@st.composite
def kkp_changes(draw: st.DrawFn) -> KkpChanges:
    """What KKP changes in a cluster, every string hostile (a field path or value comes
    from a rendered object, which holds spec values)."""
    fields = st.lists(field_changes, max_size=3).map(tuple)
    objects = st.lists(st.builds(KkpObject, hostile, kinds, hostile, fields, hostile), max_size=2)
    found = st.lists(st.builds(Disruption, hostile, hostile, hostile), max_size=2)
    return KkpChanges(tuple(draw(objects)), tuple(draw(found)), draw(hostile))


fleet_diffs = st.builds(
    FleetDiff,
    hostile,
    hostile,
    st.lists(diagnostics(), max_size=2).map(tuple),
    st.lists(clusters(), min_size=1, max_size=3).map(tuple),
    st.none() | st.builds(KkpStep, hostile, hostile, st.lists(hostile, max_size=3).map(tuple)),
)


def assert_terminal_safe(text: str) -> None:
    """Every line printable, and none a workflow command the runner would obey."""
    for line in text.split("\n"):
        assert line.isprintable(), repr(line)
        assert not line.lstrip().startswith("::"), repr(line)


def _printed(action: object, *, color: bool = False) -> tuple[str, str]:
    with CliRunner().isolation(color=color) as (out, err, _):
        action()  # type: ignore[operator]
        return out.getvalue().decode(), err.getvalue().decode()


_SGR = re.compile(r"\x1b\[[0-9;]*m")  # what click.style writes: colour, bold, dim, reset


@settings(max_examples=60, deadline=None)
@given(st.lists(diagnostics(), min_size=1, max_size=4))
def test_diagnostics_in_text_json_and_github_keep_their_structure(
    found: Sequence[Diagnostic],
) -> None:
    for diagnostic in found:
        text = format_diagnostic(diagnostic)
        assert_terminal_safe(text)
        assert text.count("\n") == (1 if diagnostic.hint else 0)
    _, err = _printed(lambda: emit(found, "text"))
    assert_terminal_safe(err.removesuffix("\n"))
    # On a terminal (--color always): colour is added after escaping, and nothing but colour
    _, coloured = _printed(lambda: emit(found, "text"), color=True)
    assert _SGR.sub("", coloured) == err
    _, err = _printed(lambda: emit_grouped(found, "normal"))
    assert_terminal_safe(err.removesuffix("\n"))
    out, _ = _printed(lambda: emit(found, "json"))
    payload = json.loads(out)
    read = sorted(d["message"] for d in payload["errors"] + payload["warnings"])
    assert read == sorted(d.message for d in found)
    out, _ = _printed(lambda: emit(found, "github"))
    lines = out.removesuffix("\n").split("\n")
    assert len(lines) == len(found)
    for line in lines:
        assert re.fullmatch(r"::(error|warning|notice) [^:\n]*::[^\n]*", line), repr(line)
        assert line.isprintable()


@settings(max_examples=60, deadline=None)
@given(fleet_diffs)
def test_diff_text_and_json_keep_their_structure(diff: FleetDiff) -> None:
    assert_terminal_safe(format_text(diff).removesuffix("\n"))
    payload = json.loads(format_json(diff))
    assert payload["base"] == diff.base_ref
    assert [c["name"] for c in payload["clusters"]] == [c.name for c in diff.clusters]
    assert [o["diff"] for c in payload["clusters"] for o in c["objects"]] == [
        o.diff for c in diff.clusters for o in c.objects
    ]
    read = [
        f for c in payload["clusters"] if c["kkp"] for o in c["kkp"]["objects"] for f in o["fields"]
    ]
    assert read == [
        {"path": f.path, "before": f.before, "after": f.after}
        for c in diff.clusters
        if c.kkp
        for o in c.kkp.objects
        for f in o.fields
    ]
    step = payload["kkpUpgrade"]
    assert (step and step["unchanged"]) == (diff.kkp_step and list(diff.kkp_step.unchanged))


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


_OUR_TAGS = {"details", "summary", "b"}  # the raw HTML the report writes itself


@settings(max_examples=60, deadline=None)
@given(fleet_diffs)
def test_the_markdown_comment_keeps_its_structure(diff: FleetDiff) -> None:
    comment = format_markdown(diff)
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = list(_walk(parser.parse(comment)))
    html = "".join(t.content for t in tokens if t.type in ("html_block", "html_inline"))
    tags = re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", html)
    assert set(tags) <= _OUR_TAGS, tags
    blocks = [c for c in diff.clusters if c.objects or c.disruptions]
    groups = upgrade_report.groups(diff) if diff.kkp_step else []
    assert tags.count("details") == 2 * (len(blocks) + len(groups))  # opened, closed once
    for token in tokens:
        if token.type == "text":  # a mention is found in rendered text, outside code
            assert not re.search(r"@[A-Za-z0-9]", token.content), token.content
        assert token.type not in ("link_open", "image", "s_open", "em_open") or (
            token.type == "em_open" and token.markup == "_"
        ), token.type
    fences = [t.content for t in tokens if t.type == "fence"]
    bodies = ["".join(o.diff for o in c.objects if o.kind == "changed") for c in blocks]
    expected = [
        "\n".join(control(line) for line in body.rstrip("\n").split("\n")) + "\n"
        for body in bodies
        if body
    ]
    assert fences[len(fences) - len(expected) :] == expected  # each diff whole, as its own
    spans = [t.content for t in tokens if t.type == "code_inline"]
    paths = [control(o.path) or " " for c in blocks for o in c.objects]
    assert spans[len(spans) - len(paths) :] == paths or not paths
    kkp_spans = [
        control(text) or " "
        for g in groups
        for o in g.changes.objects
        for text in (o.path, *upgrade_report.field_lines(o))
    ]
    assert all(span in spans for span in kkp_spans)  # each path and field line one span
    rows = [t for t in tokens if t.type == "tr_open"]
    cells = sum(1 for t in tokens if t.type in ("td_open", "th_open"))
    assert cells == 3 * len(rows)  # no value opened a table cell
