"""Edit scalar values of a YAML document in place: only the bytes of the changed values move.

Spans come from PyYAML's composed nodes (the parser the source maps use): a value is replaced
in the style it was written (plain, 'single' or "double" quoted); a missing key is added as a
line of its block mapping, at its siblings' indentation, or inside a flow mapping's braces.
Comments, key order, quoting and layout elsewhere stay byte for byte (a round trip through a
YAML library re-emits the whole document; see docs/upgrade-planning.md for the measurement).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from kkpgen.source.go_plain import go_reads_as_string
from kkpgen.source.libyaml import SafeLoader as _Loader  # its marks count characters, as str does

Scalar = str | bool


@dataclass(frozen=True, slots=True)
class FieldEdit:
    path: tuple[str, ...]  # ("spec", "cniPlugin", "version")
    value: Scalar


class EditError(ValueError):
    """The edit cannot be made without touching more than the value (the caller reports it)."""


@dataclass(frozen=True, slots=True)
class _Splice:
    start: int
    end: int
    text: str


def _written(value: Scalar, style: str | None) -> str:
    """The value in the style it replaces; a plain scalar that would read back as another
    type (1.30, yes, null) is double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if style == "'" and "'" not in value and all(_LITERAL.fullmatch(c) for c in value):
        return f"'{value}'"
    if not style and _reads_back(value):  # plain: None from PyYAML, "" from libyaml
        return value
    return _double_quoted(value)


# YAML's printable set (YAML 1.1, 5.1) minus its line breaks and the BOM, which a double-quoted
# scalar must escape to read back as written.
_LITERAL = re.compile(
    "[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _double_quoted(value: str) -> str:
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif _LITERAL.fullmatch(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _reads_back(text: str) -> bool:
    try:
        loaded = yaml.load(text, Loader=_Loader)  # noqa: S506, TID251  the safe loader
    except yaml.YAMLError:
        return False
    # A tab: libyaml reads `0<tab>0` as one plain scalar, PyYAML's own scanner refuses it.
    plain = text.strip() == text and "#" not in text and "\t" not in text
    # kubectl and Argo CD read a spec through Go's YAML, which retypes `y` or `1e3` as well
    return isinstance(loaded, str) and loaded == text and plain and go_reads_as_string(text)


def _child(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in node.value if k.value == key), None)


def _line_end(text: str, index: int) -> int:
    """The offset just after the line that holds `index - 1` (its newline included)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _nested(keys: Sequence[str], value: Scalar, indent: int, step: int) -> str:
    lines = []
    for depth, key in enumerate(keys[:-1]):
        lines.append(" " * (indent + depth * step) + f"{key}:\n")
    last = " " * (indent + (len(keys) - 1) * step)
    return "".join(lines) + f"{last}{keys[-1]}: {_written(value, None)}\n"


def _insert(
    text: str, parent: yaml.MappingNode, keys: Sequence[str], value: Scalar, step: int
) -> _Splice:
    """Add `keys` (the missing tail of the path) to the mapping `parent`."""
    if parent.flow_style:
        close = parent.end_mark.index - 1
        if text[close] != "}" or len(keys) != 1:
            raise EditError("the flow mapping cannot take a nested key")
        separator = ", " if parent.value else ""
        return _Splice(close, close, f"{separator}{keys[0]}: {_written(value, None)}")
    if not parent.value:
        raise EditError("the mapping is empty")
    first_key, (_, last_value) = parent.value[0][0], parent.value[-1]
    at = _line_end(text, last_value.end_mark.index)
    if last_value.end_mark.index == len(text) and not text.endswith("\n"):
        return _Splice(at, at, "\n" + _nested(keys, value, first_key.start_mark.column, step))
    return _Splice(at, at, _nested(keys, value, first_key.start_mark.column, step))


def _indent_step(root: yaml.MappingNode) -> int:
    for _, value in root.value:
        if isinstance(value, yaml.MappingNode) and value.value and not value.flow_style:
            return max(1, int(value.value[0][0].start_mark.column))
    return 2


def _splice_for(text: str, root: yaml.MappingNode, edit: FieldEdit) -> _Splice:
    node: yaml.Node = root
    for depth, key in enumerate(edit.path):
        if not isinstance(node, yaml.MappingNode):
            raise EditError(f"{'.'.join(edit.path[:depth])} is not a mapping")
        child = _child(node, key)
        if child is None:
            return _insert(text, node, edit.path[depth:], edit.value, _indent_step(root))
        node = child
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
        raise EditError(f"{'.'.join(edit.path)} is not a one-line value")
    if node.end_mark.line != node.start_mark.line:
        raise EditError(f"{'.'.join(edit.path)} spans several lines")
    if node.tag == "tag:yaml.org,2002:null" and node.value == "":
        raise EditError(f"{'.'.join(edit.path)} has no value written to replace")
    new = _written(edit.value, node.style)
    return _Splice(node.start_mark.index, node.end_mark.index, new)


def _documents(text: str) -> list[yaml.Node]:
    return list(yaml.compose_all(text, Loader=_Loader))


def _is_target(node: yaml.Node, kind: str, name: str) -> bool:
    if not isinstance(node, yaml.MappingNode):
        return False
    found_kind, metadata = _child(node, "kind"), _child(node, "metadata")
    found_name = _child(metadata, "name") if isinstance(metadata, yaml.MappingNode) else None
    return (
        isinstance(found_kind, yaml.ScalarNode)
        and found_kind.value == kind
        and isinstance(found_name, yaml.ScalarNode)
        and found_name.value == name
    )


def edit_object(text: str, *, kind: str, name: str, edits: Sequence[FieldEdit]) -> str:
    """`text` with the fields of the object `kind`/`name` set to the edits' values.
    Raises EditError when an edit cannot be made in place; the result re-reads to exactly
    the old data with the edited fields changed (checked)."""
    edited = text
    for edit in edits:  # one at a time: an edit may add the mapping the next one fills
        target = next((d for d in _documents(edited) if _is_target(d, kind, name)), None)
        if not isinstance(target, yaml.MappingNode):
            raise EditError(f"no {kind} named {name!r}")
        splice = _splice_for(edited, target, edit)
        if "\r\n" in edited:  # keep the file's line endings
            splice = _Splice(splice.start, splice.end, splice.text.replace("\n", "\r\n"))
        edited = edited[: splice.start] + splice.text + edited[splice.end :]
    _verify(text, edited, kind=kind, name=name, edits=edits)
    return edited


def _verify(before: str, after: str, *, kind: str, name: str, edits: Sequence[FieldEdit]) -> None:
    """The edited text must read back as the old data plus the edits, nothing else."""
    old = list(yaml.load_all(before, Loader=_Loader))
    new = list(yaml.load_all(after, Loader=_Loader))
    for document in old:
        if isinstance(document, dict) and document.get("kind") == kind:
            metadata = document.get("metadata")
            if isinstance(metadata, dict) and metadata.get("name") == name:
                for edit in edits:
                    _set(document, edit.path, edit.value)
    if old != new:
        raise EditError("the edited text does not read back as intended")


def _set(document: dict[str, object], path: Sequence[str], value: Scalar) -> None:
    node = document
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value
