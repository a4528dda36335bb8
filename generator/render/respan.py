"""Re-dump a template's output that differs from its last one only in a few simple scalars."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Literal

from yaml.nodes import ScalarNode

from kkpgen.render import fastdump
from kkpgen.render.manifest import CanonicalObject
from kkpgen.source import fastload

_STR = "tag:yaml.org,2002:str"

# Line breaks libyaml counts that "\n".split does not, and a byte-order mark: a text with
# one is never recorded, so libyaml's line numbers are the split's.
_ODD_TEXT = re.compile("[\r\x85\u2028\u2029\ufeff]")

# A value written as a plain scalar that ends where it ends whatever surrounds it in block
# context: no space, quote, backslash, `#`, flow indicator, `&`, `*`, `!`, `|`, `>`, `%`;
# it starts with a letter, digit, `_` or `/` (not `-`, `?`, `:` or `.`: no indicator and
# no `---` or `...`), and does not end with `:` (a key). Longer values fall back.
_PLAIN = re.compile(r"[A-Za-z0-9_/](?:[A-Za-z0-9_./:@+=,~-]{0,510}[A-Za-z0-9_./@+=,~-])?")
# Inside double quotes on one line, every printable ASCII character but `"` and `\` is
# itself (a tab or a line break would not be).
_QUOTED = re.compile(r"[ !#-\[\]-~]{1,512}")

Role = Literal["value", "name", "namespace"]


def simple(value: str, *, quoted: bool) -> bool:
    """`value`, written plain (or double-quoted) in block context, reads back as that same
    string, and the canonical dump writes it as it is."""
    if quoted:
        return _QUOTED.fullmatch(value) is not None and fastdump.plain(value)
    return (
        _PLAIN.fullmatch(value) is not None
        and fastload.plain_tag(value) == _STR
        and fastdump.plain(value)
    )


@dataclass
class Trace:
    """What a full parse and dump saw: each document's traced string values
    (fastload.load_all), and each object's document, data, and where the dump wrote its
    string values (offset in the object's text, value)."""

    scalars: list[fastload.Scalars] = field(default_factory=list)
    objects: list[tuple[int, dict[str, object], list[tuple[int, str]]]] = field(
        default_factory=list
    )

    def writes_of(self, doc: dict[str, object]) -> list[tuple[int, str]]:
        """The list the dump of `doc`, the last document loaded, fills."""
        writes: list[tuple[int, str]] = []
        self.objects.append((len(self.scalars) - 1, doc, writes))
        return writes


@dataclass(frozen=True, slots=True)
class _Scalar:
    """A simple scalar value: its columns in its line, and where its object's text has it."""

    start: int
    end: int
    quoted: bool
    target: int  # index of the object
    offset: int
    size: int
    role: Role


@dataclass(frozen=True, slots=True)
class _Place:
    """A traced string value written once, in its own object: the one on its line."""

    node: ScalarNode
    target: int
    offset: int
    role: Role


def _role(value: str, doc: dict[str, object]) -> Role | None:
    """The fields a CanonicalObject copies: kind is never re-dumped; name and namespace
    follow the text."""
    meta = doc.get("metadata")
    if value is doc.get("kind"):
        return None
    if isinstance(meta, dict) and value is meta.get("name"):
        return "name"
    if isinstance(meta, dict) and value is meta.get("namespace"):
        return "namespace"
    return "value"


def _places(trace: Trace) -> dict[int, _Place | None]:
    """Each line's one traced value (None: a line with two), matched to its write by identity:
    a string object written exactly once, in its own object's text."""
    written: Counter[int] = Counter()
    where: dict[int, tuple[int, int]] = {}
    for target, (_, _, writes) in enumerate(trace.objects):
        ids = list(map(id, map(itemgetter(1), writes)))
        written.update(ids)
        where.update(zip(ids, ((target, offset) for offset, _ in writes), strict=True))
    places: dict[int, _Place | None] = {}
    for target, (document, doc, _) in enumerate(trace.objects):
        for node in trace.scalars[document]:
            key, line = id(node.value), node.start_mark.line
            if written[key] != 1 or where[key][0] != target:
                continue
            role = _role(node.value, doc)
            if role is not None:
                places[line] = None if line in places else _Place(node, target, where[key][1], role)
    return places


def _scalar(place: _Place, line: str, objects: tuple[CanonicalObject, ...]) -> _Scalar | None:
    """The place as a simple scalar: one line, plain or double-quoted without escapes, a
    simple value, and written plain."""
    node = place.node
    start, end = node.start_mark.column, node.end_mark.column
    quoted = node.style == '"'
    value: str = node.value
    if node.end_mark.line != node.start_mark.line or node.style not in ("", None, '"'):
        return None
    if start == 0 or line[start:end] != (f'"{value}"' if quoted else value):
        return None  # an anchor or a tag before it, or lines libyaml counts otherwise
    text = objects[place.target].text
    if not simple(value, quoted=quoted) or not text.startswith(value + "\n", place.offset):
        return None
    return _Scalar(start, end, quoted, place.target, place.offset, len(value), place.role)


@dataclass
class Entry:
    """A template's last fully parsed output; its simple scalars are found when first asked."""

    text: str
    objects: tuple[CanonicalObject, ...]
    trace: Trace
    lines: tuple[str, ...] = ()
    _places: dict[int, _Place | None] | None = None
    _scalars: dict[int, _Scalar | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lines = tuple(self.text.split("\n"))

    def scalar(self, line: int) -> _Scalar | None:
        if line not in self._scalars:
            if self._places is None:
                self._places = _places(self.trace)
            place = self._places.get(line)
            found = None if place is None else _scalar(place, self.lines[line], self.objects)
            self._scalars[line] = found
        return self._scalars[line]


def record(text: str, objects: tuple[CanonicalObject, ...], trace: Trace) -> Entry | None:
    """The entry of a fully parsed output, or None if its lines cannot be trusted."""
    if _ODD_TEXT.search(text) or len(trace.objects) != len(objects):
        return None
    return Entry(text, objects, trace)


def _new_value(scalar: _Scalar, old: str, new: str) -> str | None:
    head, tail = old[: scalar.start], old[scalar.end :]
    if len(new) < len(head) + len(tail) or not new.startswith(head) or not new.endswith(tail):
        return None
    raw = new[len(head) : len(new) - len(tail)]
    if scalar.quoted:
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            return None
        raw = raw[1:-1]
    return raw if simple(raw, quoted=scalar.quoted) else None


def _edited(obj: CanonicalObject, edits: list[tuple[_Scalar, str]]) -> CanonicalObject:
    pieces: list[str] = []
    at, name, namespace = 0, obj.name, obj.namespace
    for scalar, value in sorted(edits, key=lambda edit: edit[0].offset):
        pieces += (obj.text[at : scalar.offset], value)
        at = scalar.offset + scalar.size
        if scalar.role == "name":
            name = value
        elif scalar.role == "namespace":
            namespace = value
    pieces.append(obj.text[at:])
    return replace(obj, text="".join(pieces), name=name, namespace=namespace)


def respan(entry: Entry, text: str, *, suspect: int = -1) -> tuple[CanonicalObject, ...] | int:
    """The objects of `text` from the entry's, or the number of a line that needs a full
    parse (-1: the line count). A `suspect` line (the last one that did) is compared first."""
    lines = text.split("\n")
    if len(lines) != len(entry.lines):
        return -1
    if 0 <= suspect < len(lines) and lines[suspect] != entry.lines[suspect]:
        return suspect
    edits: dict[int, list[tuple[_Scalar, str]]] = {}
    for number, (old, new) in enumerate(zip(entry.lines, lines, strict=True)):
        if old == new:
            continue
        scalar = entry.scalar(number)
        value = None if scalar is None else _new_value(scalar, old, new)
        if scalar is None or value is None:
            return number
        edits.setdefault(scalar.target, []).append((scalar, value))
    objects = list(entry.objects)
    for target, changes in edits.items():
        objects[target] = _edited(objects[target], changes)
    return tuple(objects)


Parse = Callable[[str, str, Trace | None], tuple[CanonicalObject, ...]]


# A source whose outputs missed this many times in a row, and never hit, is no longer
# traced: its outputs differ where no simple scalar is (a block scalar, a line count).
_RETIRE_AFTER = 8


@dataclass
class Respans:
    """The last fully parsed output of each template source (one entry each: memory stays
    bounded by the charts), and how often a new output was re-dumped from it.

    Many templates differ per cluster by a namespace, an address or a quoted port, and each
    such output cost a full parse and dump. An output whose changed lines each change one
    simple scalar value of the last one, to a value YAML reads as the same string and the
    dump writes as it is, gets the last objects with those values replaced. Anything else
    is parsed and dumped in full, which stays the reference.
    """

    entries: dict[str, Entry] = field(default_factory=dict)
    # Per source, the line that last needed a full parse: a line inside a block scalar
    # that differs per cluster fails every time, and is then found without any lookup.
    suspects: dict[str, int] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)  # in a row; -1: it hit once
    hits: int = 0
    parses: int = 0

    def objects(self, text: str, source: str, parse: Parse) -> tuple[CanonicalObject, ...]:
        entry = self.entries.get(source)
        missed = self.misses.get(source, 0)
        if entry is not None:
            found = respan(entry, text, suspect=self.suspects.get(source, -1))
            if isinstance(found, tuple):
                self.hits += 1
                self.misses[source] = -1
                return found
            self.suspects[source] = found
            missed = self.misses[source] = missed + (missed >= 0)
        self.parses += 1
        if missed >= _RETIRE_AFTER:
            self.entries.pop(source, None)
            return parse(text, source, None)
        trace = Trace()
        objects = parse(text, source, trace)
        recorded = record(text, objects, trace)
        if recorded is not None:
            self.entries[source] = recorded
        return objects
