"""The legacy v1.12 cilium and hubble addons at the newest patch of each KKP line that offers
them (v2.21-v2.25), against every object KKP's addons apply there
(kkp_parity_addons_legacy_facts.yaml, written by `tools/kkp_addon_facts.py --legacy` for
`legacy_variants`). Each object is compared whole, as flat field paths.

kkpgen's cilium and hubble charts follow KKP's v1.11 addons; these tests measure how far the
v1.12 addons are from them: docs/kkp-parity.md states the counts per patch and variant, and a
test keeps them true, so a chart change shows in the table.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from tests.conftest import CONFIG, cluster_yaml
from tests.render.test_kkp_parity_addons import (
    HUBBLE_ADDON,
    _differences,
    _objects_of,
    parity_doc_rows,
)
from tools.kkp_addon_facts import LEGACY_PATCHES, Variant, legacy_variants

ROOT = Path(__file__).parents[2]
FACTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = yaml.safe_load(
    Path(__file__).with_name("kkp_parity_addons_legacy_facts.yaml").read_text()
)


def render(root: Path, patch: str, spec: Variant) -> Path:
    """The test cluster of tools/kkp_addon_facts.py for `spec`, rendered at `patch` (with the
    hubble Addon)."""
    (root / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"')
    if not patch.startswith("v2.21."):  # the KonnectivityService gate is gone from v2.22
        config = config.replace("  featureGates:\n    KonnectivityService: true\n", "")
    (root / "kubermatic.yaml").write_text(config)
    (root / "clusters" / "c1.yaml").write_text(
        cluster_yaml(
            "c1",
            version=f'"{spec.kubernetes}"',
            extra=f"""\
            cniPlugin: {{type: {spec.cni}, version: {spec.version}}}
            clusterNetwork: {{proxyMode: {spec.proxy_mode}, konnectivityEnabled: true}}
            features: {{kubeSystemNetworkPolicies: true}}
            """,
        )
        + HUBBLE_ADDON
    )
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    return root / "out" / "c1" / "user-cluster"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Any:
    @cache
    def get(patch: str, variant: str) -> dict[str, dict[str, Any]]:
        spec = legacy_variants(LEGACY_PATCHES[patch])[variant]
        folder = render(tmp_path_factory.mktemp(f"{patch}-{variant}"), patch, spec)
        return _objects_of(folder, spec.addon)

    return get


def counts(patch: str, variant: str, ours: dict[str, dict[str, Any]]) -> tuple[int, ...]:
    """KKP objects, rendered, field-identical, CRDs, CRD schemas as KKP's."""
    kkp = FACTS[patch][variant]
    both = [oid for oid in kkp if oid in ours]
    identical = [oid for oid in both if not _differences(kkp[oid], ours[oid], schemas=False)]
    return len(kkp), len(both), len(identical), 0, 0


CASES = [(p, v) for p, k8s in LEGACY_PATCHES.items() for v in legacy_variants(k8s)]


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_the_parity_doc_states_the_counts_the_render_gives(
    rendered: Any, patch: str, variant: str
) -> None:
    rows = parity_doc_rows(r"v2\.2[1-5]\.\d+", 5)
    assert rows.get((patch, variant)) == counts(patch, variant, rendered(patch, variant)), (
        f"docs/kkp-parity.md row for {patch} `{variant}`: KKP objects, rendered, "
        "field-identical, CRDs, CRD schemas"
    )


# Rendered objects KKP's v1.12 addon lacks (docs/kkp-parity.md, hubble): v1.11's certgen Job.
NOT_KKPS = {"hubble-v1.12": ["Job/kube-system/hubble-generate-certs-4a617efdba"]}


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_rendered_object_is_one_kkp_applies(rendered: Any, patch: str, variant: str) -> None:
    """KKP prunes by the kubermatic-addon label: an object it lacks would be fought over.
    The one known exception is named (and documented) until the chart follows v1.12."""
    extra = sorted(set(rendered(patch, variant)) - set(FACTS[patch][variant]))
    assert extra == NOT_KKPS.get(variant, [])
