"""PyYAML's safe loader and dumper through libyaml, the C library, when PyYAML was built with
it (the composer and emitter are several times faster); the one place the fallback to the
pure-Python classes is written."""

from __future__ import annotations

try:
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader

    LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

    LIBYAML = False

__all__ = ["LIBYAML", "SafeDumper", "SafeLoader"]
