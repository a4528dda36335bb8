"""kube-proxy at the newest patch of each KKP line v2.21-v2.28, against every object KKP's
addon applies there (kkp_parity_addons_lines_facts.yaml, tools/kkp_addon_facts.py
`LINE_PATCHES`), whole, as flat field paths, labels and annotations included."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.render.test_kkp_parity_addons import _differences, _objects_of
from tests.render.test_kkp_parity_addons_recent import render
from tools.kkp_addon_facts import LINE_PATCHES, variants_at

ROOT = Path(__file__).parents[2]
FACTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = yaml.safe_load(
    Path(__file__).with_name("kkp_parity_addons_lines_facts.yaml").read_text()
)
CASES = [(patch, variant) for patch in LINE_PATCHES for variant in variants_at(patch)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Any:
    @cache
    def get(patch: str, variant: str) -> dict[str, dict[str, Any]]:
        spec = variants_at(patch)[variant]
        folder = render(tmp_path_factory.mktemp(f"{patch}-{variant}"), patch, spec)
        return _objects_of(folder, spec.addon)

    return get


def test_the_facts_hold_every_line_and_variant() -> None:
    assert {(p, v) for p in FACTS for v in FACTS[p]} == set(CASES)


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_object_kkp_applies_is_rendered_field_identical(
    rendered: Any, patch: str, variant: str
) -> None:
    kkp, ours = FACTS[patch][variant], rendered(patch, variant)
    assert sorted(set(ours) - set(kkp)) == []
    assert sorted(set(kkp) - set(ours)) == []
    differing = {
        oid: _differences(kkp[oid], ours[oid], schemas=False)
        for oid in kkp
        if _differences(kkp[oid], ours[oid], schemas=False)
    }
    assert differing == {}


def _doc_rows() -> dict[tuple[str, str], tuple[int, ...]]:
    text = (ROOT / "docs" / "kkp-parity.md").read_text()
    row = re.compile(
        r"^\| (v2\.2[1-8]\.\d+) \| `(kube-proxy-[a-z-]+)` \|((?: \d+ \|){4})$", re.MULTILINE
    )
    return {
        (m.group(1), m.group(2)): tuple(int(n) for n in m.group(3).strip(" |").split(" | "))
        for m in row.finditer(text)
    }


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_the_parity_doc_states_the_counts_the_render_gives(
    rendered: Any, patch: str, variant: str
) -> None:
    kkp, ours = FACTS[patch][variant], rendered(patch, variant)
    both = [oid for oid in kkp if oid in ours]
    identical = [oid for oid in both if not _differences(kkp[oid], ours[oid], schemas=False)]
    crds = [oid for oid in both if oid.startswith("CustomResourceDefinition/")]
    counts = (len(kkp), len(both), len(identical), len(crds))
    assert _doc_rows().get((patch, variant)) == counts, (
        f"docs/kkp-parity.md row for {patch} `{variant}`: KKP objects, rendered, "
        "field-identical, CRDs"
    )
