"""Span edits of spec files: only the changed values move; everything else stays byte for byte."""

from __future__ import annotations

import difflib
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kkpgen.source.specedit import EditError, FieldEdit, edit_object

SPEC = textwrap.dedent(
    """\
    # The oldest cluster of the fleet.   (a comment before the document)
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata:
      name: old   # keep the name
      labels: {team: "payments", kkpgen/rollout-wave: '1'}
    spec:
      version: "1.22.9"
      cloud:
        aws: {}
      cniPlugin:
        type: canal
        # pinned on purpose
        version:   v3.19    # upgraded by kkpgen plan
      clusterNetwork:
        proxyMode: 'ipvs'
    # a comment between the spec and the next document
    ---
    apiVersion: kubermatic.k8c.io/v1
    kind: Addon
    metadata: {name: hubble}
    spec: {name: hubble, cluster: {name: old}}
    """
)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def edit(text: str, *edits: FieldEdit) -> str:
    return edit_object(text, kind="Cluster", name="old", edits=edits)


def test_a_version_edit_changes_only_the_value_and_keeps_every_comment_and_space() -> None:
    after = edit(SPEC, FieldEdit(("spec", "cniPlugin", "version"), "v3.20"))
    assert after == SPEC.replace("version:   v3.19    #", "version:   v3.20    #")


@pytest.mark.parametrize(
    ("path", "value", "line"),
    [
        (("spec", "version"), "1.23.6", '  version: "1.23.6"'),
        (("spec", "clusterNetwork", "proxyMode"), "iptables", "    proxyMode: 'iptables'"),
        (("spec", "version"), "1.30", '  version: "1.30"'),
    ],
    ids=["double-quoted-stays-double", "single-quoted-stays-single", "number-like-is-quoted"],
)
def test_a_value_keeps_the_quoting_it_was_written_with(
    path: tuple[str, ...], value: str, line: str
) -> None:
    after = edit(SPEC, FieldEdit(path, value))
    assert changed_lines(SPEC, after)[1] == f"+{line}"


def test_a_plain_value_that_would_read_as_another_type_is_quoted() -> None:
    after = edit(SPEC, FieldEdit(("spec", "cniPlugin", "version"), "1.30"))
    assert '    version:   "1.30"    # upgraded by kkpgen plan' in after.splitlines()


def test_a_missing_key_is_added_at_its_siblings_indentation_after_the_last_one() -> None:
    after = edit(SPEC, FieldEdit(("spec", "clusterNetwork", "konnectivityEnabled"), True))
    assert changed_lines(SPEC, after) == ["+    konnectivityEnabled: true"]
    assert after.index("konnectivityEnabled") < after.index("# a comment between")


def test_a_missing_mapping_is_added_with_the_key_under_it() -> None:
    text = SPEC.replace("  clusterNetwork:\n    proxyMode: 'ipvs'\n", "")
    after = edit(text, FieldEdit(("spec", "clusterNetwork", "konnectivityEnabled"), True))
    assert changed_lines(text, after) == ["+  clusterNetwork:", "+    konnectivityEnabled: true"]


def test_a_key_missing_from_a_flow_mapping_goes_inside_its_braces() -> None:
    text = SPEC.replace("  clusterNetwork:\n    proxyMode: 'ipvs'\n", "  clusterNetwork: {}\n")
    after = edit(text, FieldEdit(("spec", "clusterNetwork", "konnectivityEnabled"), False))
    assert "  clusterNetwork: {konnectivityEnabled: false}\n" in after
    text = text.replace("clusterNetwork: {}", "clusterNetwork: {proxyMode: ipvs}")
    after = edit(text, FieldEdit(("spec", "clusterNetwork", "konnectivityEnabled"), True))
    assert "  clusterNetwork: {proxyMode: ipvs, konnectivityEnabled: true}\n" in after


def test_two_keys_under_one_new_mapping_share_it() -> None:
    text = SPEC.replace(
        "  cniPlugin:\n    type: canal\n    # pinned on purpose\n"
        "    version:   v3.19    # upgraded by kkpgen plan\n",
        "",
    )
    after = edit(
        text,
        FieldEdit(("spec", "cniPlugin", "type"), "canal"),
        FieldEdit(("spec", "cniPlugin", "version"), "v3.8"),
    )
    assert yaml.safe_load_all(after).__next__()["spec"]["cniPlugin"] == {
        "type": "canal",
        "version": "v3.8",
    }


def test_windows_line_endings_stay_windows_line_endings() -> None:
    text = SPEC.replace("\n", "\r\n")
    after = edit(text, FieldEdit(("spec", "clusterNetwork", "konnectivityEnabled"), True))
    assert "\r\n    konnectivityEnabled: true\r\n" in after
    assert after.count("\n") == after.count("\r\n")


def test_only_the_named_object_is_edited() -> None:
    after = edit_object(
        SPEC, kind="Addon", name="hubble", edits=[FieldEdit(("spec", "name"), "hubble2")]
    )
    assert changed_lines(SPEC, after) == [
        "-spec: {name: hubble, cluster: {name: old}}",
        "+spec: {name: hubble2, cluster: {name: old}}",
    ]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            SPEC.replace("version:   v3.19", "version: |\n      v3.19"),
            ("spec", "cniPlugin", "version"),
        ),
        (SPEC, ("spec", "cloud", "aws", "region", "name")),
        (SPEC.replace("name: old   #", "name: other   #"), ("spec", "version")),
    ],
    ids=["block-scalar", "key-into-empty-flow-mapping-nested", "no-such-object"],
)
def test_what_cannot_be_edited_in_place_is_refused(text: str, path: tuple[str, ...]) -> None:
    with pytest.raises(EditError):
        edit(text, FieldEdit(path, "x"))


_VALUES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12
)


_WRITTEN = {
    ("spec", "cniPlugin", "version"): "    version:   v3.19    # upgraded by kkpgen plan",
    ("spec", "version"): '  version: "1.22.9"',
    ("spec", "clusterNetwork", "proxyMode"): "    proxyMode: 'ipvs'",
}


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, path=st.sampled_from(sorted(_WRITTEN)))
def test_any_value_reads_back_exactly_and_the_other_lines_stay(
    value: str, path: tuple[str, ...]
) -> None:
    """Whatever the value (quotes, colons, '#', 'yes', numbers, control characters) and
    however the old one was quoted, the edit reads back as the value and every other line
    is unchanged."""
    after = edit(SPEC, FieldEdit(path, value))
    document = next(yaml.safe_load_all(after))
    for key in path:
        document = document[key]
    assert document == value
    before_lines, after_lines = SPEC.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)
    differing = [
        i for i, (a, b) in enumerate(zip(before_lines, after_lines, strict=True)) if a != b
    ]
    assert differing in ([], [before_lines.index(_WRITTEN[path])])
