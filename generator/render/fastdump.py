"""Fast path for the canonical dump: PyYAML's exact bytes for JSON-like data, written directly."""

from __future__ import annotations

import re
from itertools import accumulate

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from kkpgen.source.go_plain import KubeSafeDumper
from kkpgen.source.libyaml import LIBYAML

# The emitter manifest.dump_yaml uses; dump copies its bytes, and only the libyaml emitter's
# layout is checked against it.
_FAST_DUMP = LIBYAML
_WIDTH = 1_000_000

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _BOOL, _NULL = _TAG + "str", _TAG + "int", _TAG + "bool", _TAG + "null"
_MAP, _SEQ = _TAG + "map", _TAG + "seq"

# A form this long could reach the emitter's width at a deep indent and wrap there.
_MAX_FORM = 100_000
# libyaml writes a key of over 128 bytes as an explicit "? key" entry, which the probe
# shows; the limit on the form as well keeps to keys that are plainly simple.
_MAX_KEY = 128
# Memo of emitted forms, cleared when full so memory stays flat over a long run. A form
# depends only on the string (the width never wraps), so it is computed once per string;
# a multi-line form is kept as its lines, joined by the indent of the place it is written.
_CACHE_LIMIT = 16_384
_VALUES: dict[str, str | tuple[str, ...]] = {}
_KEYS: dict[str, str] = {}


class _Fallback(Exception):
    """Data whose bytes the fast dump cannot promise: PyYAML's own path writes it."""


# libyaml's line breaks (IS_BREAK). In a single-quoted scalar it writes a run of them raw
# (doubling a first "\n"), then pads to the scalar's indent before the next character,
# which is never a space (break-space strings go double-quoted): a break then "  " at the
# probe's indent of 2 is always that padding.
_PADDING = re.compile(r"(?<=[\n\r\x85\u2028\u2029])  ")


def _pair_text(key: str, value: str, *, depth: int = 1) -> str:
    """`key: value` nested in `depth` mappings, so the value's indent is 2 * depth."""
    node: Node = ScalarNode(_STR, value)
    for _ in range(depth):
        node = MappingNode(_MAP, [(ScalarNode(_STR, key), node)], flow_style=False)
    return yaml.serialize(node, Dumper=KubeSafeDumper, allow_unicode=True, width=_WIDTH)


def _one_line(text: str) -> bool:
    # Not just "\n": in single quotes libyaml writes U+2028 and U+2029 as they are, as line
    # breaks followed by the indent of the place, so such a form depends on where it sits.
    # Keys must be one line; values spanning lines are re-indented (_lines).
    return text.endswith("\n") and len(text.splitlines()) == 1


def _lines(value: str, form: str) -> tuple[str, ...]:
    """A multi-line form at indent 2, cut where the indent goes; () if a deeper one differs."""
    lines = tuple(_PADDING.split(form))
    # The rule read from libyaml's source, checked on this string at a second indent.
    deeper = _pair_text("k", value, depth=2)
    return lines if deeper == f"k:\n  k: {'    '.join(lines)}\n" else ()


def _value_form(value: str) -> str | tuple[str, ...]:
    """How PyYAML writes `value` in block context: plain, 'single' or "double" quoted."""
    text = _pair_text("k", value)
    form: str | tuple[str, ...] = ""  # "" or (): PyYAML decides
    if text.startswith("k: ") and text.endswith("\n") and len(text) < _MAX_FORM:
        form = text[3:-1] if _one_line(text) else _lines(value, text[3:-1])
    if len(_VALUES) >= _CACHE_LIMIT:
        _VALUES.clear()
    _VALUES[value] = form
    return form


def _key_form(key: str) -> str:
    text = _pair_text(key, "v")
    one_line = text.endswith(": v\n") and _one_line(text)
    form = text[:-4] if one_line and len(text) - 4 < _MAX_KEY else ""
    if len(_KEYS) >= _CACHE_LIMIT:
        _KEYS.clear()
    _KEYS[key] = form
    return form


def _scalar(value: object, indent: str) -> str:
    """`value` written where its continuation lines take `indent`: its parent's indent + 2."""
    if type(value) is str:
        form = _VALUES.get(value)
        if form is None:
            form = _value_form(value)
        if not form:
            raise _Fallback
        return form if isinstance(form, str) else indent.join(form)
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if value is None:
        return "null"
    if type(value) is dict and not value:
        return "{}"
    if type(value) is list and not value:
        return "[]"
    raise _Fallback  # floats, subclasses, anything else: PyYAML decides


# Where each string value went: (index of its form among the pieces written, the value).
_Writes = list[tuple[int, str]] | None


def _traced(value: object, form: str, out: list[str], writes: list[tuple[int, str]]) -> None:
    """A string's form as a piece of its own, noted; other scalars as usual."""
    if type(value) is str:
        writes.append((len(out), value))
        out.append(form)
        out.append("\n")
    else:
        out.append(f"{form}\n")


def _mapping(data: dict[object, object], pad: str, out: list[str], writes: _Writes) -> None:
    """Entries of a block mapping; the first key goes where the cursor is, the rest at `pad`."""
    lead, inner = "", pad + "  "
    for key, value in data.items():
        if type(key) is not str:
            raise _Fallback
        name = _KEYS.get(key)
        if name is None:
            name = _key_form(key)
        if not name:
            raise _Fallback
        if type(value) is dict and value:
            out.append(f"{lead}{name}:\n{inner}")
            _mapping(value, inner, out, writes)
        elif type(value) is list and value:
            # PyYAML indents no sequence that is a mapping value ("key:\n- item").
            out.append(f"{lead}{name}:\n{pad}- ")
            _sequence(value, pad, out, writes)
        elif writes is None:
            out.append(f"{lead}{name}: {_scalar(value, inner)}\n")
        else:
            out.append(f"{lead}{name}: ")
            _traced(value, _scalar(value, inner), out, writes)
        lead = pad


def _sequence(items: list[object], pad: str, out: list[str], writes: _Writes) -> None:
    """Items of a block sequence at `pad`; the first "- " is already written."""
    lead, inner = "", pad + "  "
    for value in items:
        out.append(lead)
        if type(value) is dict and value:
            _mapping(value, inner, out, writes)
        elif type(value) is list and value:
            out.append("- ")
            _sequence(value, inner, out, writes)
        elif writes is None:
            out.append(f"{_scalar(value, inner)}\n")
        else:
            _traced(value, _scalar(value, inner), out, writes)
        lead = pad + "- "


def dump(data: object, *, writes: list[tuple[int, str]] | None = None) -> str | None:
    """`manifest.dump_yaml`'s bytes for JSON-like data, or None where only PyYAML can say.

    `writes`, if given, receives (offset in the text, value) for each string value written,
    in the order written (render/respan.py re-dumps a changed value from them)."""
    out: list[str] = []
    pieces: _Writes = None if writes is None else []
    try:
        if not _FAST_DUMP or type(data) not in (dict, list):
            return None  # a document that is one scalar: PyYAML may end it with "..."
        if type(data) is dict and data:
            _mapping(data, "", out, pieces)
        elif type(data) is list and data:
            out.append("- ")
            _sequence(data, "", out, pieces)
        else:
            out.append(f"{_scalar(data, '  ')}\n")
    except (_Fallback, RecursionError):
        return None
    if writes is not None and pieces:
        starts = list(accumulate(map(len, out), initial=0))
        writes.extend((starts[index], value) for index, value in pieces)
    return "".join(out)


def plain(value: str) -> bool:
    """Whether the dump writes `value` as it is: plain, one line, the same at any indent."""
    form = _VALUES.get(value)
    if form is None:
        form = _value_form(value)
    return form == value
