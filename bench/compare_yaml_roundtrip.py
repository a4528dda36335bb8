"""Measure the two ways to edit a spec value in place: kkpgen's span edit against a ruamel.yaml
round trip (needs `pip install ruamel.yaml`, which kkpgen does not depend on).

For every spec file given (default: the fixtures and the synthetic fleet's kinds of file) it
sets spec.cniPlugin.version and adds spec.clusterNetwork.konnectivityEnabled, and counts the
lines each way changes beyond those two, and the time per file.
Usage: python bench/compare_yaml_roundtrip.py [FILE ...]"""

from __future__ import annotations

import difflib
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import cluster_text
from kkpgen.source.specedit import FieldEdit, edit_object

ROOT = Path(__file__).resolve().parent.parent
# How people write specs by hand: flow mappings with spaces, aligned values, a long value,
# sequences indented both ways, a document marker, trailing comments.
STYLED = """\
# prod cluster, owned by the payments team
---
apiVersion: kubermatic.k8c.io/v1
kind: Cluster
metadata:
  name: styled
  labels: { team: payments,  tier: "1" }
  annotations:
    kkpgen/openvpn-server-port:   "31877"
    note: a very long annotation value that goes well beyond eighty characters, as people write them
spec:
  version: '1.22.9'
  cloud:
    aws: {}
  machineNetworks:
  - cidr: 10.0.0.0/24
    gateway: 10.0.0.1
    dnsServers: [ 8.8.8.8 ]
  cniPlugin:
    type: canal
    version:   v3.19    # moved by kkpgen plan
  clusterNetwork:
    pods:
      cidrBlocks:
        - 172.25.0.0/16
    proxyMode: ipvs
"""
EDITS = (
    FieldEdit(("spec", "cniPlugin", "version"), "v3.22"),
    FieldEdit(("spec", "clusterNetwork", "konnectivityEnabled"), True),
)


def _changed(before: str, after: str) -> int:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def _ruamel(text: str) -> str:
    from ruamel.yaml import YAML  # optional: only this measurement needs it

    yaml = YAML()
    yaml.preserve_quotes = True
    documents = list(yaml.load_all(text))
    for document in documents:
        if document.get("kind") == "Cluster":
            spec = document["spec"]
            spec.setdefault("cniPlugin", {})["version"] = "v3.22"
            spec.setdefault("clusterNetwork", {})["konnectivityEnabled"] = True
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return out.getvalue()


def _span(text: str) -> str:
    name = next(
        line.split(":")[1].split("#")[0].strip()
        for line in text.splitlines()
        if line.startswith("  name:")
    )
    return edit_object(text, kind="Cluster", name=name, edits=EDITS)


def main(paths: list[str]) -> None:
    texts = {p: Path(p).read_text() for p in paths} or {
        **{
            str(p.relative_to(ROOT)): p.read_text()
            for p in sorted((ROOT / "fixtures/clusters").glob("*.yaml"))
        },
        **{f"bench/fleet.py #{i}": cluster_text(i, random.Random(i)) for i in range(3)},
        "hand-written styles": STYLED,
    }
    for way, edit in (("span edit", _span), ("ruamel.yaml", _ruamel)):
        extra, started = 0, time.perf_counter()
        for name, text in texts.items():
            after = edit(text)
            wanted = _changed(text, _span(text))  # the two edited lines
            beyond = _changed(text, after) - wanted
            extra += max(beyond, 0)
            if beyond > 0:
                print(f"  {way}: {name}: {beyond} more changed lines")
        took = (time.perf_counter() - started) / len(texts) * 1000
        print(
            f"{way}: {extra} lines changed beyond the edit in {len(texts)} files, "
            f"{took:.2f} ms per file"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
