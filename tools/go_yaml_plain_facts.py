"""Record how Kubernetes' Go YAML reader types plain scalars (tests/source/go_plain_facts.txt).

Usage (a folder holding sigs.k8s.io/yaml's source, e.g. a kubeconform tag's vendor/ copy):

    python -m tools.go_yaml_plain_facts --yaml-source <dir>/vendor/sigs.k8s.io/yaml \
        > tests/source/go_plain_facts.txt

kubectl, Argo CD and kubeconform read manifests with sigs.k8s.io/yaml. The tool builds a
small Go program (Go's standard library and that package only, vendored, no module proxy)
that reads `k: <scalar>` for each candidate and prints the JSON sigs.k8s.io/yaml makes of it.
The candidates are every scalar PyYAML writes plain (it reads it back as the same string)
among a fixed corpus: every string of up to three characters over the characters numbers are
made of, seeded random strings over those and a few letters, and the resolver's words. Each
line of the output is a JSON string and "string" (Go reads the same string) or "retyped"
(Go reads a boolean, number or null). Output is deterministic.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from kkpgen.source.libyaml import SafeLoader

_PROGRAM = """package main

import (
\t"bufio"
\t"fmt"
\t"os"

\t"sigs.k8s.io/yaml"
)

func main() {
\tin := bufio.NewScanner(os.Stdin)
\tfor in.Scan() {
\t\tout, err := yaml.YAMLToJSON([]byte("k: " + in.Text()))
\t\tif err != nil {
\t\t\tout = []byte("null")
\t\t}
\t\tfmt.Printf("%s\\n", out)
\t}
}
"""
_MODULES = "\n".join(
    (
        "# sigs.k8s.io/yaml v1.4.0",
        "## explicit; go 1.12",
        "sigs.k8s.io/yaml",
        "sigs.k8s.io/yaml/goyaml.v2",
        "",
    )
)
_SHORT = "01789+-._eExoOb"
_MIXED = "0123456789+-._eExXoObB:aftyYnN"
_WORDS = "y Y n N yes no on off true false null ~ .inf -.inf .nan <<"


def candidates() -> Iterator[str]:
    """The corpus, sorted, each once."""
    found = {"".join(t) for n in range(1, 4) for t in itertools.product(_SHORT, repeat=n)}
    draw = random.Random(7)  # noqa: S311  a fixed corpus, not a secret
    found |= {"".join(draw.choice(_MIXED) for _ in range(draw.randint(1, 9))) for _ in range(6000)}
    found |= set(_WORDS.split())
    yield from sorted(found)


def written_plain(text: str) -> bool:
    """Whether PyYAML reads `k: text` back as the string `text` (so it would write it plain)."""
    try:
        loaded = yaml.load(f"k: {text}", Loader=SafeLoader)  # noqa: S506, TID251  the safe loader
    except (yaml.YAMLError, ValueError):  # PyYAML's int() fails on "0b_"
        return False
    return isinstance(loaded, dict) and loaded.get("k") == text


def go_reads(texts: list[str], yaml_source: Path) -> list[object]:
    """What sigs.k8s.io/yaml reads each `k: <text>` as (None where it refuses the document)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "go.mod").write_text("module probe\n\ngo 1.19\n\nrequire sigs.k8s.io/yaml v1.4.0\n")
        (work / "main.go").write_text(_PROGRAM)
        shutil.copytree(yaml_source, work / "vendor" / "sigs.k8s.io" / "yaml")
        (work / "vendor" / "modules.txt").write_text(_MODULES)
        env = {"GOFLAGS": "-mod=vendor", "GOPROXY": "off", "HOME": tmp, "PATH": "/usr/bin:/bin"}
        subprocess.run(["go", "build", "-o", "probe", "."], cwd=work, env=env, check=True)  # noqa: S607
        run = subprocess.run(  # noqa: S603  the program just built
            [str(work / "probe")],
            input="\n".join(texts) + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
    return [(json.loads(line) or {}).get("k") for line in run.stdout.splitlines()]


def main() -> None:
    """Print the facts file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaml-source", type=Path, required=True)
    args = parser.parse_args()
    texts = [text for text in candidates() if written_plain(text)]
    sys.stdout.write(
        "# Plain scalars PyYAML writes as they are, and whether sigs.k8s.io/yaml v1.4.0 reads\n"
        "# each as the same string; written by tools/go_yaml_plain_facts.py.\n"
    )
    for text, value in zip(texts, go_reads(texts, args.yaml_source), strict=True):
        verdict = "string" if value == text else "retyped"
        sys.stdout.write(f"{json.dumps(text)} {verdict}\n")


if __name__ == "__main__":
    main()
