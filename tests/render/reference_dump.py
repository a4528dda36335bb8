"""The reference the canonical dump is held to: PyYAML's own dump, with the settings and the
dumper of `render.manifest.dump_yaml` (the dumper quotes what Go's YAML reader would retype)."""

from __future__ import annotations

import yaml

from kkpgen.source.go_plain import KubeSafeDumper


def pyyaml_dump(data: object) -> str:
    """PyYAML's own dump of `data` with dump_yaml's settings: block style, no wrapping."""
    return yaml.dump(
        data,
        Dumper=KubeSafeDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
