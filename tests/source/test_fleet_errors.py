"""Input that cannot be loaded is refused with a Diagnostic naming the file, line and fix."""

from __future__ import annotations

import textwrap

import pytest

from kkpgen.diagnostics import Diagnostic, ExitCode, KkpgenError, format_diagnostic
from kkpgen.source.fleet import Fleet, load_fleet
from kkpgen.source.repository import SourceFile, SourceTree
from kkpgen.source.sourcemap import MAX_FILE_BYTES, load_documents

Found = tuple[str, int | None, int | None]  # code, line, column
CLUSTER = textwrap.dedent("""\
    apiVersion: kubermatic.k8c.io/v1
    kind: Cluster
    metadata:
      name: c1
    spec:
      version: "1.23.6"
      cloud: {aws: {}}
    """)


def _load_error(raw: bytes, *, ref: str | None = None) -> Diagnostic:
    with pytest.raises(KkpgenError) as caught:
        list(load_documents(raw, file="clusters/c1.yaml", ref=ref))
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


def _fleet(files: dict[str, str | bytes]) -> Fleet:
    tree = SourceTree(
        None,
        tuple(
            SourceFile(path, text if isinstance(text, bytes) else textwrap.dedent(text).encode())
            for path, text in sorted(files.items())
        ),
    )
    return load_fleet(tree)


def _fleet_errors(files: dict[str, str | bytes]) -> tuple[Diagnostic, ...]:
    with pytest.raises(KkpgenError) as caught:
        _fleet(files)
    return caught.value.diagnostics


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("spec:\n  cloud: [aws, gcp\n  version: 1\n", ("yaml.syntax", 3, 10)),
        ("spec:\n  version: 1\n    cloud: {}\n", ("yaml.syntax", 3, 10)),
        ('spec: {version: "1.23\n', ("yaml.syntax", 2, 1)),
        ("name: a: b\n", ("yaml.syntax", 1, 8)),
    ],
    ids=[
        "unclosed-flow-sequence",
        "bad-indentation",
        "unclosed-quote",
        "nested-mapping-on-one-line",
    ],
)
def test_yaml_syntax_error_is_reported_with_its_line(text: str, found: Found) -> None:
    diagnostic = _load_error(text.encode())
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == found
    assert diagnostic.hint == "fix the YAML syntax at this position"


def test_yaml_syntax_error_message() -> None:
    diagnostic = _load_error(b"spec:\n  version: 1\n    cloud: {}\n", ref="HEAD")
    assert format_diagnostic(diagnostic) == (
        "clusters/c1.yaml:3:10: error[yaml.syntax]: mapping values are not allowed in this "
        "context\n"
        "  hint: fix the YAML syntax at this position"
    )
    assert diagnostic.location.ref == "HEAD"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("spec:\n\tversion: 1\n", 2),
        ("spec:\n  version: 1\n\tcloud: {}\n", 3),
        ("a: 1\nspec:\n  \tversion: 1\n", 3),
    ],
    ids=["tab-indent", "tab-after-spaces-block", "space-then-tab"],
)
def test_tabs_are_reported_with_a_spaces_hint(text: str, line: int) -> None:
    diagnostic = _load_error(text.encode())
    assert (diagnostic.code, diagnostic.location.line) == ("yaml.syntax", line)
    assert diagnostic.hint == "indent with spaces, not tabs"


@pytest.mark.parametrize(
    ("text", "found", "key"),
    [
        ("a: 1\na: 2\n", ("yaml.duplicate-key", 2, 1), "a"),
        (
            "spec:\n  version: '1'\n  cloud: {}\n  version: '2'\n",
            ("yaml.duplicate-key", 4, 3),
            "version",
        ),
        ("spec: {cloud: {aws: {}, aws: {}}}\n", ("yaml.duplicate-key", 1, 25), "aws"),
    ],
    ids=["top-level", "nested", "flow-mapping"],
)
def test_duplicate_keys_are_refused_at_the_second_key(text: str, found: Found, key: str) -> None:
    diagnostic = _load_error(text.encode())
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == found
    assert diagnostic.message == f"duplicate key {key!r}"


def test_duplicate_key_message() -> None:
    assert format_diagnostic(_load_error(b"a: 1\na: 2\n")) == (
        "clusters/c1.yaml:2:1: error[yaml.duplicate-key]: duplicate key 'a'\n"
        "  hint: remove one of the two entries; YAML keeps only the last one"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("a: &x 1\nb: *x\n", ("yaml.alias", 1, 4)),
        ("a:\n  b: &net {cidrBlocks: [10.0.0.0/8]}\n", ("yaml.alias", 2, 6)),
        ("a: [&x 1]\n", ("yaml.alias", 1, 5)),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", ("yaml.alias", 1, 7)),
        ("a: {x: 1}\nb:\n  <<: {y: 2}\n", ("yaml.merge-key", 3, 3)),
    ],
    ids=[
        "anchor-and-alias",
        "anchor-only",
        "anchor-in-sequence",
        "merge-with-alias",
        "merge-without-alias",
    ],
)
def test_anchors_aliases_and_merge_keys_are_refused(text: str, found: Found) -> None:
    diagnostic = _load_error(text.encode())
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == found


def test_alias_message() -> None:
    assert format_diagnostic(_load_error(b"a: &x 1\nb: *x\n")) == (
        "clusters/c1.yaml:1:4: error[yaml.alias]: YAML anchors and aliases are not allowed\n"
        "  hint: write the repeated value out in full"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("spec:\n  cloud: !!python/object/new:os.system\n    args: [id]\n", ("yaml.tag", 2, 10)),
        ("spec:\n  cloud: !aws {}\n", ("yaml.tag", 2, 10)),
        ("spec:\n  ipFamilies: !!python/tuple [a]\n", ("yaml.tag", 2, 15)),
        ("spec:\n  cloud: !!omap\n  - aws: {}\n", ("yaml.tag", 2, 10)),
        ("--- !!python/object:os.system\nspec: {}\n", ("yaml.tag", 1, 5)),
    ],
    ids=["python-object-mapping", "local-tag", "python-tuple-list", "omap", "document"],
)
def test_a_tag_on_a_mapping_or_list_is_refused_at_its_line(text: str, found: Found) -> None:
    diagnostic = _load_error(text.encode())
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == found


def test_tag_message() -> None:
    text = b"spec:\n  cloud: !!python/object/new:os.system\n    args: [id]\n"
    assert format_diagnostic(_load_error(text)) == (
        "clusters/c1.yaml:2:10: error[yaml.tag]: unknown YAML tag "
        "!!python/object/new:os.system on a mapping\n"
        "  hint: remove the tag: spec files hold plain mappings, lists and values"
    )


def test_the_plain_tags_written_out_are_fine() -> None:
    (document,) = load_documents(b"a: !!map {b: !!seq [1]}\n", file="f.yaml")
    assert document.data == {"a": {"b": [1]}}


@pytest.mark.parametrize(
    "text",
    ["a: '*not-an-alias'\n", "a: 'R&D'\n", "a: b*c&d\n"],
    ids=["star-in-quoted-string", "ampersand-in-quoted-string", "plain-scalar"],
)
def test_stars_and_ampersands_inside_values_are_fine(text: str) -> None:
    (document,) = load_documents(text.encode(), file="f.yaml")
    assert isinstance(document.data["a"], str)


def test_complex_keys_are_refused() -> None:
    diagnostic = _load_error(b"? [a, b]\n: 1\n")
    assert (diagnostic.code, diagnostic.location.line) == ("yaml.key-type", 1)


@pytest.mark.parametrize(
    ("raw", "line", "byte"),
    [(b"a: \xff\n", 1, "0xff"), (b"a: 1\nb: 2\nc: caf\xe9\n", 3, "0xe9")],
    ids=["first-line", "latin-1-on-line-3"],
)
def test_non_utf8_bytes_are_refused_with_their_line(raw: bytes, line: int, byte: str) -> None:
    diagnostic = _load_error(raw)
    assert (diagnostic.code, diagnostic.location.line) == ("yaml.encoding", line)
    assert format_diagnostic(diagnostic) == (
        f"clusters/c1.yaml:{line}: error[yaml.encoding]: not valid UTF-8 (byte {byte})\n"
        "  hint: save the file as UTF-8"
    )


def test_a_file_larger_than_the_limit_is_refused_before_parsing() -> None:
    raw = b"a: '" + b"x" * MAX_FILE_BYTES + b"'\n"
    diagnostic = _load_error(raw)
    assert format_diagnostic(diagnostic) == (
        f"clusters/c1.yaml: error[yaml.too-large]: file is {len(raw)} bytes, more than the "
        f"{MAX_FILE_BYTES} allowed\n"
        "  hint: split the file; one cluster spec is a few kilobytes"
    )


def test_a_file_at_the_limit_is_read() -> None:
    raw = b"a: '" + b"x" * (MAX_FILE_BYTES - 7) + b"'\n"
    assert len(raw) <= MAX_FILE_BYTES
    (document,) = load_documents(raw, file="f.yaml")
    assert len(document.data["a"]) == MAX_FILE_BYTES - 7


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        (b"", 0),
        (b"# only a comment\n", 0),
        (b"a: 1\n---\n", 1),
        (b"---\na: 1\n---\nb: 2\n", 2),
        (b"a: 1\n---\n# trailing comment\n", 1),
        (b"a: 1\n...\n", 1),
    ],
    ids=[
        "empty-file",
        "comment-only",
        "trailing-separator",
        "two-documents",
        "trailing-comment-document",
        "document-end-marker",
    ],
)
def test_empty_documents_are_skipped(raw: bytes, count: int) -> None:
    assert len(list(load_documents(raw, file="f.yaml"))) == count


def test_a_trailing_separator_does_not_break_a_cluster_file() -> None:
    fleet = _fleet({"clusters/c1.yaml": CLUSTER + "---\n"})
    assert [c.name for c in fleet.clusters] == ["c1"]


@pytest.mark.parametrize(
    ("files", "found"),
    [
        (
            {"clusters/c1.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"},
            ("clusters/c1.yaml", 2, "unexpected document kind 'ConfigMap'"),
        ),
        (
            {"clusters/c1.yaml": "apiVersion: v1\nmetadata: {name: x}\n"},
            ("clusters/c1.yaml", 1, "unexpected document kind None"),
        ),
        (
            {"clusters/c1.yaml": "- a\n- b\n"},
            ("clusters/c1.yaml", 1, "unexpected document kind None"),
        ),
        (
            {"clusters/c1.yaml": CLUSTER + "---\nkind: KubermaticConfiguration\n"},
            ("clusters/c1.yaml", 9, "unexpected document kind 'KubermaticConfiguration'"),
        ),
        (
            {"kubermatic.yaml": CLUSTER},
            ("kubermatic.yaml", 2, "unexpected document kind 'Cluster'"),
        ),
    ],
    ids=["configmap", "no-kind", "not-a-mapping", "config-among-clusters", "cluster-as-config"],
)
def test_unknown_kind_is_refused(
    files: dict[str, str | bytes], found: tuple[str, int, str]
) -> None:
    (diagnostic,) = _fleet_errors(files)
    assert diagnostic.code == "source.kind"
    assert diagnostic.field == "kind"
    assert (diagnostic.location.file, diagnostic.location.line, diagnostic.message) == found


def test_unknown_kind_message_lists_the_kinds_of_the_file() -> None:
    (diagnostic,) = _fleet_errors({"clusters/c1.yaml": "apiVersion: v1\nkind: ConfigMap\n"})
    assert format_diagnostic(diagnostic) == (
        "clusters/c1.yaml:2:1: error[source.kind]: kind: unexpected document kind 'ConfigMap'\n"
        "  hint: a file here holds: Cluster, Addon"
    )


def test_a_missing_required_field_points_at_its_document() -> None:
    (diagnostic,) = _fleet_errors(
        {
            "clusters/c1.yaml": CLUSTER
            + "---\napiVersion: kubermatic.k8c.io/v1\nkind: Cluster\nmetadata: {name: c2}\n"
        }
    )
    assert (diagnostic.code, diagnostic.field, diagnostic.location.line) == (
        "schema.missing",
        "spec",
        9,
    )
    assert diagnostic.hint == "add the field 'spec'"


def test_every_problem_of_every_file_is_reported_at_once() -> None:
    diagnostics = _fleet_errors(
        {
            "clusters/a.yaml": "apiVersion: v1\nkind: ConfigMap\n",
            "clusters/b.yaml": CLUSTER.replace("name: c1", "name: B"),
            "clusters/c.yaml": CLUSTER.replace('"1.23.6"', "1.30"),
        }
    )
    assert [(d.location.file, d.code) for d in diagnostics] == [
        ("clusters/a.yaml", "source.kind"),
        ("clusters/b.yaml", "cluster.name.invalid"),
        ("clusters/c.yaml", "schema.string-type"),
    ]


def test_schema_errors_in_kubermatic_yaml_are_located_there() -> None:
    (diagnostic,) = _fleet_errors(
        {
            "kubermatic.yaml": """\
            apiVersion: kubermatic.k8c.io/v1
            kind: KubermaticConfiguration
            metadata: {name: kubermatic}
            spec:
              featureGates:
                KonnectivityService: "true"
            """,
        }
    )
    assert (diagnostic.location.file, diagnostic.location.line, diagnostic.field) == (
        "kubermatic.yaml",
        6,
        "spec.featureGates.KonnectivityService",
    )
    assert diagnostic.code == "schema.bool-type"


def test_a_feature_that_is_not_a_bool_is_refused_at_its_line() -> None:
    """KKP's spec.features is map[string]bool: its CRD refuses a string such as "yes"."""
    (diagnostic,) = _fleet_errors(
        {"clusters/c1.yaml": CLUSTER + "  features:\n    kubeSystemNetworkPolicies: yes please\n"}
    )
    assert (diagnostic.location.line, diagnostic.field, diagnostic.code) == (
        9,
        "spec.features.kubeSystemNetworkPolicies",
        "schema.bool-type",
    )
