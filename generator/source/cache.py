"""What kkpgen keeps between runs, in $XDG_CACHE_HOME/kkpgen: results derived from kkpgen's
own files only (its catalog, its charts), each under a digest of everything it was derived
from, so a changed kkpgen never reads a stale one. A cache that cannot be read or written
is not used: the result is derived again.

An entry is data, not code: JSON of plain values and of the frozen dataclasses the caller
names, behind a digest of its bytes. A pickle planted in a shared cache ran under `check`
(issue 23); loading this format constructs only the named types, and only from a private
folder (source/private.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar, cast

from kkpgen.source.private import UntrustedFolder, cache_home, open_private, read_private
from kkpgen.source.private import write_private as _write_private

T = TypeVar("T")
_FORMAT = b"kkpgen-cache 1 "  # then the sha256 of the JSON, a newline, the JSON
_LIMIT = 64 << 20  # bytes: no entry of ours comes near; a planted huge file is not read
Types = Sequence[type]  # the dataclasses an entry may hold


def cache_descriptor(name: str) -> int | None:
    """A descriptor of the private folder $XDG_CACHE_HOME/kkpgen/<name>; None when it cannot
    be made or trusted (another user's, writable by others, reached through a link)."""
    home = cache_home()
    try:
        return None if home is None else open_private(home, "kkpgen", name)
    except (UntrustedFolder, OSError):
        return None


def _encode(value: object) -> object:
    """Tagged JSON: a list is ["t", ...] (a tuple) or ["s", ...] (a frozenset), a dict is
    ["d", [key, value]...], a dataclass is ["c", name, field values...]."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, tuple | list):
        return ["t", *(_encode(v) for v in value)]
    if isinstance(value, frozenset):
        return ["s", *sorted((_encode(v) for v in value), key=json.dumps)]
    if isinstance(value, Mapping):
        return ["d", *([_encode(k), _encode(v)] for k, v in value.items())]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (getattr(value, f.name) for f in dataclasses.fields(value))
        return ["c", type(value).__qualname__, *(_encode(v) for v in fields)]
    raise TypeError(f"cannot keep a {type(value).__name__}")


def _decode(value: object, types: Mapping[str, type]) -> object:
    if not isinstance(value, list):
        return value
    tag, *items = value
    if tag == "t":
        return tuple(_decode(v, types) for v in items)
    if tag == "s":
        return frozenset(_decode(v, types) for v in items)
    if tag == "d":
        return {_decode(k, types): _decode(v, types) for k, v in items}
    if tag == "c":
        name, *fields = items
        return types[name](*(_decode(v, types) for v in fields))  # KeyError: not allowed
    raise ValueError(f"unknown tag {tag!r}")


def dumps(value: object) -> bytes:
    payload = json.dumps(_encode(value), separators=(",", ":")).encode()
    return _FORMAT + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def loads(raw: bytes, types: Types = ()) -> object:
    """An entry's value; ValueError when it is not one whole entry of this format."""
    head, _, payload = raw.partition(b"\n")
    if head != _FORMAT + hashlib.sha256(payload).hexdigest().encode():
        raise ValueError("not a kkpgen cache entry, or cut short")
    try:
        return _decode(json.loads(payload), {t.__qualname__: t for t in types})
    except (KeyError, TypeError, RecursionError) as error:
        raise ValueError(f"not a value kkpgen keeps: {error}") from None


def kept(kind: str, inputs: Iterable[bytes], derive: Callable[[], T], *, types: Types = ()) -> T:
    """derive(), or what it returned before for the same inputs (and the same Python).
    `types`: the dataclasses the value is made of (nothing else is constructed)."""
    sha = hashlib.sha256(sys.version.encode())
    for part in inputs:
        sha.update(len(part).to_bytes(8, "big") + part)
    name = f"{kind}-{sha.hexdigest()}.json"
    folder = cache_descriptor("derived")
    if folder is None:
        return derive()
    try:
        raw = read_private(folder, name, _LIMIT)
        # Any entry that cannot be read back (cut short, from an older layout): derive.
        with contextlib.suppress(ValueError):
            if raw is not None:
                return cast(T, loads(raw, types))
        value = derive()
        with contextlib.suppress(OSError, TypeError, ValueError):
            _write_private(folder, name, dumps(value))
        return value
    finally:
        os.close(folder)
