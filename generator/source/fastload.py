"""Fast path for parsing YAML: PyYAML's values from libyaml's nodes, with resolved tags memoized."""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from kkpgen.source.libyaml import SafeLoader

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


class MemoLoader(SafeLoader):
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
            tag = SafeLoader.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]  # untyped stub
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


class _Repeated(Exception):
    """A key written twice in a block mapping: its first value is in no data."""


# The string values a traced document holds outside flow collections, each written once in
# its data (no alias, no repeated key), or an empty list: render/respan.py re-dumps them.
Scalars = list[ScalarNode]


def _mapping(node: MappingNode, scalars: Scalars | None) -> dict[str, object]:
    if node.tag != _MAP:
        raise _Unusual
    data: dict[str, object] = {}
    inner = None if node.flow_style else scalars
    for key, value in node.value:
        if type(key) is not ScalarNode or key.tag != _STR:
            raise _Unusual  # "<<" merge keys, "=" value keys, non-string keys
        if inner is not None:
            if key.value in data:
                raise _Repeated
            if type(value) is ScalarNode and value.tag == _STR:
                inner.append(value)
        data[key.value] = _construct(value, inner)  # a repeated key: the later one wins
    return data


def _construct(node: Node, scalars: Scalars | None = None) -> object:
    if type(node) is MappingNode:
        return _mapping(node, scalars)
    if type(node) is SequenceNode:
        if node.tag != _SEQ:
            raise _Unusual
        inner = None if node.flow_style else scalars
        if inner is not None:
            inner.extend(i for i in node.value if type(i) is ScalarNode and i.tag == _STR)
        return [_construct(item, inner) for item in node.value]
    if type(node) is ScalarNode:
        return _scalar_value(node)
    raise _Unusual


def _document(node: Node, *, shared: bool, scalars: Scalars | None = None) -> object:
    if not shared:  # anchors share one object between places; SafeConstructor keeps that
        try:
            return _construct(node, scalars)
        except _Repeated:  # raised only when tracing: the same data, untraced
            del (scalars or [])[:]
            return _document(node, shared=False)
        except (_Unusual, RecursionError):
            pass
    del (scalars or [])[:]
    return SafeConstructor().construct_document(node)


def _aliased(root: Node) -> bool:
    """A node reached twice: an alias of an anchored node, whose data SafeConstructor shares
    as one object. A text may hold `&` with no anchor at all (`a && b` in a script): such a
    document keeps the fast path."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if type(node) is MappingNode:
            stack.extend(part for pair in node.value for part in pair)
        elif type(node) is SequenceNode:
            stack.extend(node.value)
    return False


def load_all(text: str, *, scalars: list[Scalars] | None = None) -> Iterator[object]:
    """`yaml.load_all(text, Loader=CSafeLoader)`, building plain data without SafeConstructor.

    Lazy like PyYAML's, so a syntax error in a later document is raised as late as before.
    `scalars`, if given, receives each document's traced string values before its data.
    """
    # Only an alias (`*name`) makes two places one object; `&` alone is often a shell's `&&`
    # (OpenVPN's scripts), and walking each such document for aliases cost 3% of a render.
    anchors = "&" in text and "*" in text
    for node in yaml.compose_all(text, Loader=MemoLoader):
        shared = anchors and _aliased(node)
        if scalars is None:
            yield _document(node, shared=shared)
        else:
            found: Scalars = []
            data = _document(node, shared=shared, scalars=found)
            scalars.append(found)
            yield data


_RESOLVER = Resolver()  # stateless without path resolvers, as MemoLoader requires


def plain_tag(value: str) -> str:
    """The tag PyYAML's resolver gives `value` written as a plain scalar."""
    tag = _TAGS.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]  # untyped stub
        if len(_TAGS) >= _CACHE_LIMIT:
            _TAGS.clear()
        _TAGS[value] = tag
    return tag
