"""A string kkpgen writes plain means the same string to Kubernetes' Go YAML reader.

The facts (tests/source/go_plain_facts.txt, recorded by tools/go_yaml_plain_facts.py) are
what sigs.k8s.io/yaml v1.4.0, the reader of kubectl, Argo CD and kubeconform, made of every
scalar in a fixed corpus that PyYAML would write plain.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kkpgen.render.manifest import dump_yaml
from kkpgen.source.go_plain import go_reads_as_string
from kkpgen.source.libyaml import SafeDumper
from kkpgen.source.specedit import FieldEdit, edit_object

FACTS = Path(__file__).with_name("go_plain_facts.txt")


def facts() -> dict[str, bool]:
    """Each scalar of the facts file, and whether Go reads it as that same string."""
    found = {}
    for line in FACTS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            text, verdict = line.rsplit(" ", 1)
            found[json.loads(text)] = verdict == "string"
    return found


FACTS_READ = facts()
# Seen from kubeconform: each was written plain before, and Go read a boolean or a number.
RETYPED_BY_GO = ["y", "n", "Y", "N", "1e3", "-1e3", "0o17", "0X1F", "08", "0B101", "+.5", "0b+1"]


def test_the_facts_hold_both_verdicts() -> None:
    assert sum(FACTS_READ.values()) > 5_000
    assert sum(not string for string in FACTS_READ.values()) > 100


def test_go_reads_as_string_agrees_with_go_on_every_recorded_scalar() -> None:
    wrong = [text for text, string in FACTS_READ.items() if go_reads_as_string(text) != string]
    assert wrong == []


@pytest.mark.parametrize("text", RETYPED_BY_GO)
def test_a_string_go_would_retype_is_quoted_and_reads_back_as_the_string(text: str) -> None:
    written = dump_yaml({"k": text})
    assert written in (f"k: '{text}'\n", f'k: "{text}"\n')
    assert yaml.safe_load(written) == {"k": text}


def test_only_the_scalars_go_would_retype_are_written_otherwise_than_pyyaml_writes_them() -> None:
    # the fast path, and PyYAML's own representer (the fast path leaves a float to it)
    for extra in ({}, {"f": 1.5}):
        for text, string in FACTS_READ.items():
            written = dump_yaml({"k": text, **extra})
            pyyaml = yaml.dump({"k": text, **extra}, Dumper=SafeDumper, sort_keys=False)
            assert (written == pyyaml) == string, text
            assert yaml.safe_load(written)["k"] == text


def test_a_spec_edit_quotes_a_value_go_would_retype() -> None:
    spec = "kind: Cluster\nmetadata:\n  name: old\nspec:\n  note: plain\n"
    after = edit_object(spec, kind="Cluster", name="old", edits=[FieldEdit(("spec", "note"), "y")])
    assert after.endswith('  note: "y"\n')
