"""Two versions of one rendered object -> the fields that differ, one short line each (what
`kkpgen diff` says KKP will change: an image tag, an argument, a value in a ConfigMap)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import yaml

from kkpgen.source import fastload

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHOWN = 72  # characters of a value shown before "..."
_IMAGE = re.compile(r"(?P<repo>[^@\s]+?)(?::(?P<tag>[^:/@\s]+))?(?:@(?P<digest>\S+))?")


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str  # "spec.template.spec.containers[konnectivity-agent].image"
    before: str | None  # shown value; None: the field (or list item) is added
    after: str | None  # None: removed

    def line(self) -> str:
        """Plain text; each report escapes it for its medium."""
        if self.before is None:
            return f"{self.path}: added {self.after}"
        if self.after is None:
            return f"{self.path}: removed {self.before}"
        return f"{self.path}: {self.before} -> {self.after}"


def parse_object(text: bytes | None) -> object:
    """A rendered file's object (one YAML document); None for a missing file."""
    return None if text is None else _load(text.decode())


def _load(text: str) -> object:
    """The first document of `text` (None if none), parsed as the render parses its own."""
    return next(iter(fastload.load_all(text)), None)


def field_changes(before: object, after: object) -> tuple[FieldChange, ...]:
    """Every field that differs, in the order of the new object (then removed ones)."""
    return tuple(_walk("", before, after))


def _walk(path: str, before: object, after: object) -> Iterator[FieldChange]:
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        yield from _mappings(path, before, after)
    elif isinstance(before, list) and isinstance(after, list):
        yield from _lists(path, before, after)
    elif isinstance(before, str) and isinstance(after, str):
        yield from _strings(path, before, after)
    else:
        yield FieldChange(path or ".", _shown(before), _shown(after))


def _key(path: str, key: object) -> str:
    text = str(key)
    if _PLAIN_KEY.fullmatch(text):
        return f"{path}.{text}" if path else text
    return f"{path}[{json.dumps(text, ensure_ascii=False)}]"


def _mappings(
    path: str, before: Mapping[object, object], after: Mapping[object, object]
) -> Iterator[FieldChange]:
    for key, value in after.items():
        if key not in before:
            yield FieldChange(_key(path, key), None, _shown(value))
        else:
            yield from _walk(_key(path, key), before[key], value)
    for key, value in before.items():
        if key not in after:
            yield FieldChange(_key(path, key), _shown(value), None)


def _names(items: Sequence[object]) -> list[str] | None:
    """The `name` of each item, when every item is a mapping with a distinct string name
    (containers, volumes, ports, env): such lists are compared by name, not by position."""
    names = [item.get("name") if isinstance(item, Mapping) else None for item in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return [str(n) for n in names]
    return None


def _lists(path: str, before: list[object], after: list[object]) -> Iterator[FieldChange]:
    old, new = _names(before), _names(after)
    if old is not None and new is not None:
        was = dict(zip(old, before, strict=True))
        now = dict(zip(new, after, strict=True))
        for name, item in now.items():
            at = f"{path}[{name}]"
            yield from _walk(at, was[name], item) if name in was else _added(at, item)
        for name, item in was.items():
            if name not in now:
                yield FieldChange(f"{path}[{name}]", _shown(item), None)
        return
    if all(_is_scalar(v) for v in (*before, *after)):
        yield from _scalar_items(path, before, after)
        return
    for index in range(max(len(before), len(after))):
        at = f"{path}[{index}]"
        if index >= len(before):
            yield FieldChange(at, None, _shown(after[index]))
        elif index >= len(after):
            yield FieldChange(at, _shown(before[index]), None)
        else:
            yield from _walk(at, before[index], after[index])


def _added(path: str, value: object) -> Iterator[FieldChange]:
    yield FieldChange(path, None, _shown(value))


def _scalar_items(path: str, before: list[object], after: list[object]) -> Iterator[FieldChange]:
    """Arguments and the like: the items removed and added (an item moved is no change)."""
    gone = Counter(_shown(v) for v in before) - Counter(_shown(v) for v in after)
    new = Counter(_shown(v) for v in after) - Counter(_shown(v) for v in before)
    moved_only = not gone and not new
    for value in (_shown(v) for v in before):
        if gone[value] > 0:
            gone[value] -= 1
            yield FieldChange(path, value, None)
    for value in (_shown(v) for v in after):
        if new[value] > 0:
            new[value] -= 1
            yield FieldChange(path, None, value)
    if moved_only:
        yield FieldChange(path, "(order)", "(another order)")


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _strings(path: str, before: str, after: str) -> Iterator[FieldChange]:
    """A value holding a YAML document (a config file in a ConfigMap, Helm values) is
    compared field by field; an image by its tag; other text by its lines."""
    documents = _documents(before, after)
    if documents is not None:
        yield from _walk(path, *documents)
    elif path.endswith(".image"):
        yield FieldChange(path, _shown(before), _image_after(before, after))
    elif "\n" in before or "\n" in after:
        old, new = before.splitlines(), after.splitlines()
        removed = sum((Counter(old) - Counter(new)).values())
        added = sum((Counter(new) - Counter(old)).values())
        yield FieldChange(path, f"{len(old)} lines", f"{len(new)} lines (+{added} -{removed})")
    else:
        yield FieldChange(path, _shown(before), _shown(after))


def _documents(before: str, after: str) -> tuple[object, object] | None:
    if "\n" not in before and "\n" not in after:
        return None
    try:
        old, new = _load(before), _load(after)
    except yaml.YAMLError:
        return None
    return (old, new) if isinstance(old, dict) and isinstance(new, dict) else None


def _image_after(before: str, after: str) -> str:
    """The new image, or only its tag when the repository stays: `quay.io/calico/node:v3.30.3
    -> v3.31.2` says at a glance that the tag moves."""
    old, new = _IMAGE.fullmatch(before), _IMAGE.fullmatch(after)
    if old and new and old["repo"] == new["repo"] and new["tag"] and not new["digest"]:
        return _shown(new["tag"])
    return _shown(after)


def _shown(value: object) -> str:
    """A value on one line: text as it is (quoted when it holds spaces or line breaks, or is
    empty), anything else as compact JSON; cut to _SHOWN characters."""
    if isinstance(value, str) and value and value.isprintable() and value.strip() == value:
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
