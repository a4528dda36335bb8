"""YAML text -> (data, SourceMap): the only place YAML input is parsed; positions kept per field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kkpgen.diagnostics import Diagnostic, KkpgenError, Location
from kkpgen.source.fastload import MemoLoader

try:  # the C composer is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_YAML_TAG = "tag:yaml.org,2002:"
_STR = f"{_YAML_TAG}str"
_MAP = f"{_YAML_TAG}map"
_SEQ = f"{_YAML_TAG}seq"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
MAX_FILE_BYTES = 1024 * 1024  # a spec file is a few KB; refuse what could exhaust memory
MAX_DEPTH = 64  # a Cluster nests ~6 deep; deeper input would exhaust Python's recursion limit
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each field of one YAML document was written (1-based line and column)."""

    file: str
    ref: str | None
    positions: Mapping[FieldPath, tuple[int, int]]
    # The text of numeric scalars as written: `1.30` loads as 1.3, and a hint must say "1.30".
    numbers: Mapping[FieldPath, str] = field(default_factory=dict)

    def locate(self, path: FieldPath) -> Location:
        """The location of `path`, or of its nearest ancestor that was written."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return Location(self.file, found[0], found[1], self.ref)
        return Location(self.file, None, None, self.ref)


@dataclass(frozen=True, slots=True)
class Document:
    data: Any
    source: SourceMap


def format_field(path: FieldPath) -> str:
    """("spec", "pods", "cidrBlocks", 0) -> "spec.pods.cidrBlocks[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _fail(code: str, location: Location, message: str, hint: str) -> KkpgenError:
    return KkpgenError([Diagnostic(code, location, "", message, hint)])


# One shared tuple per distinct field path and position, like sys.intern for strings;
# cleared between documents when it grows past its bound.
_INTERNED: dict[Any, Any] = {}
_INTERNED_MAX = 65_536


class _Builder:
    """Turns composed YAML nodes into plain data while recording field positions."""

    def __init__(self, file: str, ref: str | None) -> None:
        self.file = file
        self.ref = ref
        self.positions: dict[FieldPath, tuple[int, int]] = {}
        self._scalars = yaml.constructor.SafeConstructor()
        self.numbers: dict[FieldPath, str] = {}

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        if len(path) > MAX_DEPTH:
            raise _fail(
                "yaml.too-deep",
                self._location(node),
                f"values nest more than {MAX_DEPTH} levels deep",
                "flatten the value; no KKP field nests this deep",
            )
        if type(node) in (yaml.MappingNode, yaml.SequenceNode):
            self._check_tag(node)
        if type(node) is yaml.MappingNode:  # the C composer makes exactly these classes
            return self._mapping(node, path)
        if type(node) is yaml.SequenceNode:
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self._mark(child, item)
                items.append(self.build(item, child))
            return items
        tag = node.tag
        if tag == _STR:  # nearly every scalar of a spec: no constructor round trip
            return node.value
        if tag == "tag:yaml.org,2002:timestamp":  # keep dates as the text written
            return node.value
        if tag in _NUMBER_TAGS:
            self.numbers[path] = str(node.value)
        return self._scalars.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _fail(
                    "yaml.merge-key",
                    self._location(key_node),
                    "merge keys (<<) are not allowed",
                    "write the fields out in full",
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(
                    "yaml.key-type",
                    self._location(key_node),
                    "a mapping key must be a plain string",
                    "use a plain string key",
                )
            key = str(key_node.value)
            if key in result:
                raise _fail(
                    "yaml.duplicate-key",
                    self._location(key_node),
                    f"duplicate key {key!r}",
                    "remove one of the two entries; YAML keeps only the last one",
                )
            child = (*path, key)
            self._mark(child, key_node)
            result[key] = self.build(value_node, child)
        return result

    def _check_tag(self, node: yaml.Node) -> None:
        """A mapping or list with a tag of its own (`!!python/object/new:os.system`): refused,
        not read as plain data (the fast loader accepted it silently: issue 23)."""
        plain = _MAP if type(node) is yaml.MappingNode else _SEQ
        if node.tag != plain:
            tag = str(node.tag)
            shown = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
            kind = "mapping" if plain == _MAP else "list"
            raise _fail(
                "yaml.tag",
                self._location(node),
                f"unknown YAML tag {shown} on a {kind}",
                "remove the tag: spec files hold plain mappings, lists and values",
            )

    def _mark(self, path: FieldPath, node: yaml.Node) -> None:
        # Interned: 10,000 specs share a few hundred paths and positions, and a tuple per
        # field per cluster was a sixth of the memory of a 10,000-cluster render.
        position = (node.start_mark.line + 1, node.start_mark.column + 1)
        intern = _INTERNED.setdefault
        self.positions[intern(path, path)] = intern(position, position)

    def _location(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1, self.ref)


def _check_no_aliases(text: str, file: str, ref: str | None) -> None:
    # Anchors/aliases are refused outright: spec files do not need them and they enable
    # "billion laughs" expansion.
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
            location = Location(file, line, column, ref)
            raise _fail(
                "yaml.alias",
                location,
                "YAML anchors and aliases are not allowed",
                "write the repeated value out in full",
            )


def _decode(raw: bytes, file: str, ref: str | None) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(
            "yaml.too-large",
            Location(file, None, None, ref),
            f"file is {len(raw)} bytes, more than the {MAX_FILE_BYTES} allowed",
            "split the file; one cluster spec is a few kilobytes",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _fail(
            "yaml.encoding",
            Location(file, line, None, ref),
            f"not valid UTF-8 (byte {raw[error.start]:#04x})",
            "save the file as UTF-8",
        ) from None


def _tab_at(text: str, mark: yaml.Mark | None) -> bool:
    """Whether the line of a syntax error has a tab up to the error's column."""
    lines = text.splitlines()
    return (
        mark is not None and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]
    )


def load_documents(raw: bytes, *, file: str, ref: str | None = None) -> Iterator[Document]:
    """Parse every non-empty document of a multi-document YAML file."""
    text = _decode(raw, file, ref)
    try:
        if "&" in text or "*" in text:
            _check_no_aliases(text, file, ref)
        for node in yaml.compose_all(text, Loader=MemoLoader):  # tags memoized: 10k files
            if node.tag == "tag:yaml.org,2002:null" and node.value == "":
                continue  # an empty document, e.g. after a trailing `---`
            if len(_INTERNED) >= _INTERNED_MAX:
                _INTERNED.clear()
            builder = _Builder(file, ref)
            builder._mark((), node)  # a missing top-level field is reported at its document
            data = builder.build(node, ())
            yield Document(data, SourceMap(file, ref, builder.positions, builder.numbers))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        hint = (
            "indent with spaces, not tabs"
            if "\\t" in repr(problem) or "tab" in problem or _tab_at(text, mark)
            else "fix the YAML syntax at this position"
        )
        raise _fail("yaml.syntax", Location(file, line, column, ref), problem, hint) from None
    except yaml.reader.ReaderError as error:  # not a MarkedYAMLError: it has only a position
        line = text[: error.position].count("\n") + 1
        char = error.character if isinstance(error.character, int) else ord(error.character)
        raise _fail(
            "yaml.syntax",
            Location(file, line, None, ref),
            f"character U+{char:04X} is not allowed in YAML: {error.reason}",
            "remove the control character (or write it as an escape in a quoted string)",
        ) from None


def load_data(text: str) -> Any:
    """kkpgen's own data files (catalog, charts): no positions needed, libyaml's speed."""
    return yaml.load(text, Loader=_Loader)  # noqa: TID251  this module is where YAML is read
