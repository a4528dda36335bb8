"""Fast path for parsing YAML: PyYAML's values from libyaml's nodes, with resolved tags memoized."""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _BOOL, _NULL = _TAG + "str", _TAG + "int", _TAG + "bool", _TAG + "null"
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
# Memo of resolved tags, cleared when full so memory stays flat over a long run.
_CACHE_LIMIT = 16_384
_TAGS: dict[str, str] = {}


class _Unusual(Exception):
    """A node the fast constructor leaves to PyYAML's SafeConstructor."""


# Every case spelling PyYAML's resolver reads as a bool (YAML 1.1), with SafeConstructor's value.
_BOOLS = {
    spelling: SafeConstructor.bool_values[word]
    for word in ("yes", "no", "true", "false", "on", "off")
    for spelling in (word, word.capitalize(), word.upper())
}


class MemoLoader(_BaseLoader):
    """The C parser with PyYAML's tags memoized: its resolver scans regexes for every scalar.

    Exact while no path resolvers are registered (yaml.add_path_resolver; kkpgen adds none):
    then a tag depends on the node's kind and, for a plain scalar, on its text alone.
    """

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode:
            return _SEQ if kind is SequenceNode else _MAP
        if not implicit[0]:
            return _STR  # quoted
        tag = _TAGS.get(value)
        if tag is None:
            tag = _BaseLoader.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]  # untyped stub
            if len(_TAGS) >= _CACHE_LIMIT:
                _TAGS.clear()
            _TAGS[value] = tag
        return tag


def _integer(node: ScalarNode) -> int:
    value: str = node.value
    if value.isdigit() and value.isascii() and value[0] != "0" and len(value) < 19:
        return int(value)
    try:  # YAML 1.1 spellings: 0o17, 017, 0x1f, 1_000, +5, 1:30
        return SafeConstructor().construct_yaml_int(node)
    except (ValueError, IndexError):
        raise _Unusual from None  # let PyYAML raise it, in its own order


def _scalar_value(node: ScalarNode) -> object:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _INT:
        return _integer(node)
    if tag == _BOOL and node.value in _BOOLS:
        return _BOOLS[node.value]
    if tag == _NULL:
        return None
    raise _Unusual  # floats, timestamps, binary, custom tags


def _construct(node: Node) -> object:
    if type(node) is MappingNode:
        if node.tag != _MAP:
            raise _Unusual
        data: dict[str, object] = {}
        for key, value in node.value:
            if type(key) is not ScalarNode or key.tag != _STR:
                raise _Unusual  # "<<" merge keys, "=" value keys, non-string keys
            data[key.value] = _construct(value)  # a repeated key: the later one wins
        return data
    if type(node) is SequenceNode:
        if node.tag != _SEQ:
            raise _Unusual
        return [_construct(item) for item in node.value]
    if type(node) is ScalarNode:
        return _scalar_value(node)
    raise _Unusual


def _document(node: Node, *, shared: bool) -> object:
    if not shared:  # anchors share one object between places; SafeConstructor keeps that
        try:
            return _construct(node)
        except (_Unusual, RecursionError):
            pass
    return SafeConstructor().construct_document(node)


def load_all(text: str) -> Iterator[object]:
    """`yaml.load_all(text, Loader=CSafeLoader)`, building plain data without SafeConstructor.

    Lazy like PyYAML's, so a syntax error in a later document is raised as late as before.
    """
    shared = "&" in text
    for node in yaml.compose_all(text, Loader=MemoLoader):
        yield _document(node, shared=shared)
