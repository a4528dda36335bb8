"""Outputs re-dumped from a template's last one (render/respan.py) equal a full parse and dump."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fleet import make_fleet
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render import contents, engine, fastdump
from kkpgen.render.engine import Renderer
from kkpgen.render.manifest import CanonicalObject
from kkpgen.render.memo import TrackingEnvironment
from kkpgen.render.respan import Entry, Respans, Trace, record, respan
from kkpgen.source import fastload
from tests.conftest import V2_20_FLEET

SOURCE = "demo/templates/configmap.yaml"

DEMO = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: cluster-a
  labels:
    app: demo  # a comment
data:
  address: 10.0.0.1
  quoted: "plain-text"
  escaped: "a\\tb"
  list: [x, y]
  script: |
    echo hello
  items:
  - first
  - second
"""


def _full(text: str, source: str = SOURCE) -> tuple[CanonicalObject, ...] | type[Exception]:
    """The reference: a full parse and dump, or the type of error it raises."""
    try:
        return engine._canonical_objects(text, source)
    except (yaml.YAMLError, ValueError) as error:
        return type(error)


def _entry(text: str) -> Entry:
    trace = Trace()
    entry = record(text, engine._canonical_objects(text, SOURCE, trace), trace)
    assert entry is not None
    return entry


def _changed(old: str, new: str, text: str = DEMO) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("address: 10.0.0.1", "address: 10.0.0.2"),
        ("app: demo", "app: other"),
        ('quoted: "plain-text"', 'quoted: "--flag=31326"'),
        ("- second", "- 1.2.3"),
        ("address: 10.0.0.1", "address: https://c1.example.com:6443"),
    ],
    ids=["plain", "before-a-comment", "double-quoted", "sequence-item", "url"],
)
def test_a_changed_simple_value_is_re_dumped_as_a_full_parse_dumps_it(old: str, new: str) -> None:
    text = _changed(old, new)
    found = respan(_entry(DEMO), text)
    assert isinstance(found, tuple)
    assert found == _full(text)


def test_a_new_value_go_would_read_as_a_number_is_left_to_a_full_parse() -> None:
    # PyYAML reads `1e3` as a string, Go as 1000: the dump quotes it, so the line's text
    # is no longer the value's form and only a full parse writes it
    text = _changed("- second", "- 1e3")
    assert respan(_entry(DEMO), text) == text.split("\n").index("  - 1e3")
    full = _full(text)
    assert isinstance(full, tuple)
    assert "- '1e3'" in full[0].text


def test_name_and_namespace_follow_the_re_dumped_text() -> None:
    text = _changed("name: demo", "name: renamed")
    text = _changed("namespace: cluster-a", "namespace: cluster-b", text)
    found = respan(_entry(DEMO), text)
    assert isinstance(found, tuple)
    assert (found[0].name, found[0].namespace) == ("renamed", "cluster-b")
    assert found == _full(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("kind: ConfigMap", "kind: Secret"),
        ("address: 10.0.0.1", "addr: 10.0.0.1"),
        ("echo hello", "echo bye"),
        ("list: [x, y]", "list: [x, z]"),
        ('escaped: "a\\tb"', 'escaped: "a\\tc"'),
        ('quoted: "plain-text"', 'quoted: "plain\\ttext"'),
        ("app: demo  # a comment", "app: demo  # another"),
        ("address: 10.0.0.1", "address: yes"),
        ("address: 10.0.0.1", "address: 10.0.0.1 # now"),
        ("address: 10.0.0.1", "address: a: b"),
        ("address: 10.0.0.1", "address: '10'"),
        ("address: 10.0.0.1", "address: &x 10.0.0.1"),
    ],
    ids=[
        "kind",
        "a-key",
        "a-block-scalar-line",
        "a-flow-sequence-item",
        "a-quoted-value-with-an-escape",
        "an-escape-added",
        "a-comment",
        "a-bool",
        "a-comment-added",
        "a-mapping",
        "single-quoted",
        "an-anchor",
    ],
)
def test_any_other_change_falls_back_to_a_full_parse(old: str, new: str) -> None:
    text = _changed(old, new)
    number = next(n for n, line in enumerate(DEMO.split("\n")) if old in line)
    assert respan(_entry(DEMO), text) == number


def test_a_line_added_falls_back() -> None:
    assert respan(_entry(DEMO), DEMO + "extra: value\n") == -1


def test_an_output_with_a_repeated_key_is_never_re_dumped_from() -> None:
    text = DEMO.replace("  quoted:", "  address: 10.0.0.9\n  quoted:")
    changed = text.replace("address: 10.0.0.1", "address: 10.0.0.2")
    assert respan(_entry(text), changed) == text.split("\n").index("  address: 10.0.0.1")


def test_a_source_that_never_hits_is_retired_and_keeps_one_entry_per_source() -> None:
    respans = Respans()
    for index in range(20):
        text = _changed("echo hello", f"echo {index}")
        assert respans.objects(text, SOURCE, engine._canonical_objects) == _full(text)
    assert respans.hits == 0
    assert respans.entries == {}  # retired: no longer traced
    for index in range(20):
        text = _changed("address: 10.0.0.1", f"address: 10.0.0.{index}")
        assert respans.objects(text, "other", engine._canonical_objects) == _full(text, "other")
    assert (respans.hits, list(respans.entries)) == (19, ["other"])


# Values a template may print where a simple scalar was: YAML 1.1's other types, indicators,
# quotes, escapes, long and non-ASCII text, spaces.
SPECIAL = [
    "yes", "null", "1e3", "0x1F", "~", "a: b", "#x", "-", "*a", "'q'", '"q"', "x" * 600,
    "ünïcödé", "", "trailing ", " leading", "a b", "1.5", "2020-01-01", "=", "<<", "-x",
    "---", "...", "a#b", "a:", ":a", "?x", "a,b", "[a]", "{a}", "!x", "&a", "%x", "@x",
    "`x", "|", ">", "\\", "\t", "a\tb", "\n", "true", "False", "0o17", "012", "1_000", "+5",
    "1:30", ".inf", "NaN", "c00042", "10.0.0.1", "https://x.example.com:6443", "a\u2028b",
]  # fmt: skip
VALUES = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=40))
WRITINGS = st.sampled_from(["plain", "double-quoted", "json"])


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """A few real template outputs with simple scalars, from a full render of a small fleet."""
    repo = make_fleet(tmp_path_factory.mktemp("fleet") / "fleet", 6, seed=11)
    texts: dict[str, str] = {}
    full = engine._canonical_objects

    def keep(text: str, source: str, trace: Trace | None = None) -> tuple[CanonicalObject, ...]:
        texts.setdefault(source, text)
        return full(text, source, trace)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "_canonical_objects", keep)
        checked = check_fleet(SourceOptions(repo=repo))
        names = [c.name for c in checked.resolved]
        env = engine.build_environment()
        renderer = Renderer(env, memoize=False, respan=False)
        for _ in contents.cluster_files(checked, names=names, renderer=renderer):
            pass
    wanted = ("agent-d", "seed/metrics-server-deployment", "seed/server-deployment", "proxy-conf")
    return [
        (s, t)
        for s, t in sorted(texts.items())
        if any(w in s for w in wanted) and any(_entry(t).scalar(n) for n in range(t.count("\n")))
    ]


def _write(value: str, writing: str) -> str:
    if writing == "plain":
        return value
    return json.dumps(value) if writing == "json" else f'"{value}"'


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=VALUES, writing=WRITINGS)
def test_a_value_substituted_into_a_real_output_is_re_dumped_exactly_or_falls_back(
    outputs: list[tuple[str, str]], data: st.DataObject, value: str, writing: str
) -> None:
    _, text = data.draw(st.sampled_from(outputs))
    entry = _entry(text)
    lines = [n for n in range(len(entry.lines)) if entry.scalar(n) is not None]
    number = data.draw(st.sampled_from(lines))
    scalar = entry.scalar(number)
    assert scalar is not None
    line = entry.lines[number]
    new_line = line[: scalar.start] + _write(value, writing) + line[scalar.end :]
    new_text = "\n".join([*entry.lines[:number], new_line, *entry.lines[number + 1 :]])
    found = respan(entry, new_text)
    if isinstance(found, tuple):
        assert found == _full(new_text)


def test_the_real_outputs_have_simple_scalars_that_re_dump(outputs: list[tuple[str, str]]) -> None:
    assert len(outputs) >= 4
    for _, text in outputs:
        entry = _entry(text)
        number = next(n for n in range(len(entry.lines)) if entry.scalar(n) is not None)
        scalar = entry.scalar(number)
        assert scalar is not None
        line = entry.lines[number]
        value = "respanned-value"
        new_line = line[: scalar.start] + _write(value, "plain" if not scalar.quoted else "json")
        new_text = text.replace(line, new_line + line[scalar.end :], 1)
        found = respan(entry, new_text)
        assert isinstance(found, tuple)
        assert found == _full(new_text)
        assert any(value in o.text for o in found)


def _files(
    repo: Path, monkeypatch: pytest.MonkeyPatch, *, memoize: bool, respan: bool
) -> tuple[dict[str, bytes], Renderer]:
    made: list[Renderer] = []

    def renderer(env: TrackingEnvironment) -> Renderer:
        made.append(Renderer(env, memoize=memoize, respan=respan))
        return made[-1]

    monkeypatch.setattr(contents, "Renderer", renderer)
    checked = check_fleet(SourceOptions(repo=repo))
    return dict(contents.output_files(checked, only=(), kept=[])), made[0]


@pytest.mark.parametrize(
    "fleet",
    ["fixtures", "synthetic-60-seed-1", "synthetic-40-seed-7", "v2.31-synthetic-60-seed-2"],
    ids=str,
)
def test_a_render_with_re_dumped_outputs_is_byte_identical_to_a_full_render(
    fleet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fleet == "fixtures":
        repo = V2_20_FLEET
    else:
        *kind, _, count, _, seed = fleet.split("-")
        release = kind[0] if kind else "v2.20"
        repo = make_fleet(tmp_path / "fleet", int(count), seed=int(seed), fleet=release)
    reference, _ = _files(repo, monkeypatch, memoize=False, respan=False)
    for memoize in (True, False):
        files, renderer = _files(repo, monkeypatch, memoize=memoize, respan=True)
        assert files.keys() == reference.keys()
        assert [p for p in reference if files[p] != reference[p]] == []
        assert renderer.respans.hits > (0 if fleet == "fixtures" else 20)


def test_the_dump_tells_where_it_wrote_each_string_value() -> None:
    data: dict[str, object] = {"a": "x1", "b": [{"c": "y22"}, "z"], "d": 5, "e": "yes"}
    writes: list[tuple[int, str]] = []
    text = fastdump.dump(data, writes=writes)
    assert text == fastdump.dump(data)
    assert text is not None
    assert [(value, text[offset : offset + len(value)]) for offset, value in writes] == [
        ("x1", "x1"),
        ("y22", "y22"),
        ("z", "z"),
        ("yes", "'ye"),  # written quoted: respan checks the bytes, not just the offset
    ]


@pytest.mark.parametrize(
    ("text", "traced"),
    [
        ("a: x\nb: [y]\nc:\n- z\nd: {e: w}\nf: 1\n", ["x", "z"]),
        ("a: x\na: y\n", []),  # a repeated key: its first value is in no data
        ("a: &n x\nb: *n\n", []),  # an anchor: SafeConstructor shares the objects
        ("a: x\nf: 1.5\n", []),  # a float: SafeConstructor builds the document
    ],
    ids=["block-values-only", "repeated-key", "anchor", "unusual"],
)
def test_the_loader_traces_the_block_string_values_it_builds_alone(
    text: str, traced: list[str]
) -> None:
    scalars: list[fastload.Scalars] = []
    assert list(fastload.load_all(text, scalars=scalars)) == list(fastload.load_all(text))
    assert [node.value for node in scalars[0]] == traced


def test_a_value_whose_string_object_is_shared_falls_back() -> None:
    # CPython keeps one object per one-character string: "q" is written twice, so which
    # write belongs to which line is unknown.
    text = "kind: K\nmetadata:\n  name: n\ndata:\n  a: q\n  b: q\n"
    assert respan(_entry(text), text.replace("a: q", "a: r")) == 4


def test_values_in_a_later_document_are_re_dumped_in_their_own_object() -> None:
    second = DEMO.replace("name: demo", "name: second")
    text = f"{DEMO}---\n{second}"
    changed = text.replace("address: 10.0.0.1", "address: 10.0.0.3")  # in both documents
    found = respan(_entry(text), changed)
    assert isinstance(found, tuple)
    assert len(found) == 2
    assert found == _full(changed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=VALUES)
def test_any_edit_of_any_line_is_re_dumped_exactly_or_falls_back(
    outputs: list[tuple[str, str]], data: st.DataObject, value: str
) -> None:
    _, text = data.draw(st.sampled_from(outputs))
    entry = _entry(text)
    number = data.draw(st.integers(0, len(entry.lines) - 1))
    line = entry.lines[number]
    start = data.draw(st.integers(0, len(line)))
    end = data.draw(st.integers(start, len(line)))
    new_line = line[:start] + value + line[end:]
    new_text = "\n".join([*entry.lines[:number], new_line, *entry.lines[number + 1 :]])
    found = respan(entry, new_text)
    if isinstance(found, tuple):
        assert found == _full(new_text)
