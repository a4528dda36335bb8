"""The text of sigs.k8s.io/yaml's Marshal (Go's yaml.v2 emitter), and mergo's override merge.

KKP's cni-application-installation-controller writes Cilium's `valuesBlock` as
`yaml.Marshal(values)` after `mergo.Merge(&values, enforced, mergo.WithOverride)`. kkpgen
writes the same string, so KKP's next reconcile changes nothing (Argo CD would otherwise show
the two writers taking turns). yaml.v2's choices differ from PyYAML's in three places this
module reproduces: map keys in yaml.v2's natural order (digits by value, a non-letter before
a letter), a string that would read back as another type double-quoted (yaml.v2's resolver:
`y`/`n`/`on`/`off` are booleans, `1e3` a float), and a multi-line string in literal style.
The emitter itself is libyaml's in both (PyYAML's port): widths, folding and indentation agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence

import yaml

_BOOLS = frozenset(
    {
        *("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"),
        *("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"),
    }
)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_SPECIAL_FLOATS = frozenset(
    {
        *(".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"),
        *("+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"),
    }
)
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT = re.compile(r"[-+]?(0[bB][01]+|0[oO]?[0-7]+|0[xX][0-9a-fA-F]+|[1-9][0-9]*|0)")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}.*)?")


def _reads_as_other_type(text: str) -> bool:
    """yaml.v2 `resolve`: would this plain text read back as anything but a string?"""
    if text in _BOOLS or text in _NULLS or text in _SPECIAL_FLOATS or text == "<<":
        return True
    plain = text.replace("_", "")
    return bool(
        (text[:1] in "+-.0123456789" and (_INT.fullmatch(plain) or _FLOAT.fullmatch(plain)))
        or _BASE60.fullmatch(text)
        or _DATE.fullmatch(text)
    )


def _natural_less(a: str, b: str) -> bool:
    """yaml.v2's keyList.Less for two string keys (sorter.go), step for step."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x == y:
            continue
        xl, yl = x.isalpha(), y.isalpha()
        if xl and yl:
            return x < y
        if xl or yl:
            return yl
        # a run of digits compares by value; a zero after other digits counts as a digit
        seed = 1 if (x == "0" or y == "0") and _nonzero_digit_before(a, i) else 0
        an, ai = _number_at(a, i, seed)
        bn, bi = _number_at(b, i, seed)
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return x < y
    return len(a) < len(b)


def _nonzero_digit_before(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j].isdecimal():
        if text[j] != "0":
            return True
        j -= 1
    return False


def _number_at(text: str, start: int, seed: int) -> tuple[int, int]:
    number, end = seed, start
    while end < len(text) and text[end].isdecimal():
        number = number * 10 + ord(text[end]) - ord("0")
        end += 1
    return number, end


class _Key(str):
    __slots__ = ()

    def __lt__(self, other: str) -> bool:
        return _natural_less(str(self), str(other))


def _scalar(text: str) -> yaml.ScalarEvent:
    if "\n" in text:
        style: str | None = "|"
    elif _reads_as_other_type(text):
        style = '"'
    else:
        style = None  # plain where the emitter allows it, else quoted as libyaml chooses
    return yaml.ScalarEvent(None, None, (True, True), text, style=style)


def _number(value: float) -> str:
    if math.isnan(value):
        return ".NaN"
    if math.isinf(value):
        return ".Inf" if value > 0 else "-.Inf"
    if value.is_integer() and abs(value) < 2**63:
        return str(int(value))  # KKP round-trips values through JSON: 1.0 comes back as 1
    return repr(value)


def _events(value: object) -> Iterator[yaml.Event]:
    if isinstance(value, Mapping):
        keys = sorted((_Key(str(k)) for k in value), key=lambda k: k)
        yield yaml.MappingStartEvent(None, None, True, flow_style=not keys)
        for key in keys:
            yield _scalar(str(key))
            yield from _events(value[str(key)])
        yield yaml.MappingEndEvent()
    elif isinstance(value, str):
        yield _scalar(value)
    elif isinstance(value, Sequence):
        yield yaml.SequenceStartEvent(None, None, True, flow_style=not value)
        for item in value:
            yield from _events(item)
        yield yaml.SequenceEndEvent()
    elif value is None or isinstance(value, bool):
        text = "null" if value is None else str(value).lower()
        yield yaml.ScalarEvent(None, None, (True, True), text)
    elif isinstance(value, int | float):
        text = str(value) if isinstance(value, int) else _number(value)
        yield yaml.ScalarEvent(None, None, (True, True), text)
    else:
        raise TypeError(f"no YAML for {type(value).__name__}")


_TEXTS: dict[object, str] = {}
_TEXTS_KEPT = 4096  # distinct values kept with their text: a few MB at most


def go_yaml(value: object) -> str:
    """sigs.k8s.io/yaml.Marshal(value) as text; the text of a value met before is reused
    (PyYAML's emitter is pure Python: the egress configuration of every Konnectivity
    cluster and the Cilium values of clusters alike are one value each)."""
    try:
        key = _frozen(value)
    except TypeError:  # not a value yaml.Marshal writes: _marshal says so
        return _marshal(value)
    text = _TEXTS.get(key)
    if text is None:
        if len(_TEXTS) >= _TEXTS_KEPT:
            _TEXTS.clear()
        text = _TEXTS[key] = _marshal(value)
    return text


def _frozen(value: object) -> object:
    """A key equal only for values that _marshal reads alike: every part with its type (True
    and 1 and 1.0 are equal in Python, and a str subclass may read otherwise)."""
    if isinstance(value, Mapping):
        items = tuple((type(k), k, _frozen(v)) for k, v in value.items())
        return type(value), items
    if isinstance(value, str | int | float | None):
        return type(value), value
    if isinstance(value, Sequence):
        return type(value), tuple(_frozen(item) for item in value)
    raise TypeError(type(value).__name__)


def _marshal(value: object) -> str:
    events = [
        yaml.StreamStartEvent(),
        yaml.DocumentStartEvent(explicit=False),
        *_events(value),
        yaml.DocumentEndEvent(explicit=False),
        yaml.StreamEndEvent(),
    ]
    text: str = yaml.emit(events, width=80, indent=2, allow_unicode=True)
    return text


def merge_override(base: object, enforced: object) -> object:
    """mergo.Merge(&base, enforced, mergo.WithOverride) on map[string]any: maps merge key by
    key; any other enforced value (false, "", a list) replaces what was there."""
    if isinstance(base, Mapping) and isinstance(enforced, Mapping):
        merged = dict(base)
        for key, value in enforced.items():
            merged[key] = merge_override(base.get(key), value) if key in base else value
        return merged
    return enforced
