"""Go's encoding/json output for the values KKP hashes (json.Marshal of an untagged struct).

KKP's kube-proxy addon stamps `checksum/config: <SHA-1 of json.Marshal(ClusterNetwork)>` on its
pod template (`pkg/addon/types.go` ConfigHash, v2.30+). Reproducing the hash to the byte needs
Go's encoding, not Python's: no spaces, a struct's fields in declaration order (an ordered
mapping here), nil as `null`, and strings escaped as Go escapes them (HTML characters `<>&`,
U+2028/U+2029, control characters; invalid UTF-8 cannot reach here: Python strings are text).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT:
            out.append(_SHORT[char])
        elif code < 0x20 or char in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")  # Go writes four lower-case hex digits
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_json(value: object) -> str:
    """json.Marshal's bytes (as text) for None, bool, int, str, mappings and sequences.

    A mapping keeps its order (a Go struct's field order); Go sorts a real map's keys, so
    pass those sorted. Floats are refused: no hashed field is one.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_string(str(k))}:{go_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    raise TypeError(f"no Go JSON encoding for {type(value).__name__}")


def go_config_hash(value: object) -> str:
    """KKP's ConfigHash: the hex SHA-1 of json.Marshal(value)."""
    return hashlib.sha1(go_json(value).encode(), usedforsecurity=False).hexdigest()
