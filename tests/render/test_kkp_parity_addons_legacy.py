"""The legacy v1.12 and v1.11 cilium and hubble addons at the patches of `LEGACY_PATCHES`
(v2.21-v2.25: the first and newest of each line and each patch where the addons change),
against every object KKP's addons apply there (kkp_parity_addons_legacy_facts.yaml, written
by `tools/kkp_addon_facts.py --legacy` for `legacy_variants`). Each object is compared whole,
as flat field paths, labels and annotations included; every one must be identical, and
nothing KKP lacks rendered. docs/kkp-parity.md states the counts per patch and variant; a
test keeps them true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from kkpgen.source.sourcemap import load_data
from tests.conftest import CONFIG, cluster_yaml
from tests.render.test_kkp_parity_addons import (
    HUBBLE_ADDON,
    _differences,
    parity_doc_rows,
    variant_objects,
)
from tools.kkp_addon_facts import LEGACY_PATCHES, Variant, legacy_variants

ROOT = Path(__file__).parents[2]
# libyaml: the facts of 17 patches are 30,000 lines.
FACTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = load_data(
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
    network = f"proxyMode: {spec.proxy_mode}, konnectivityEnabled: true"
    if spec.dual_stack:
        network += ", ipFamily: IPv4+IPv6"
    if spec.node_cidr_mask_size_ipv4 != 24:
        network += f", nodeCidrMaskSizeIPv4: {spec.node_cidr_mask_size_ipv4}"
    (root / "clusters" / "c1.yaml").write_text(
        cluster_yaml(
            "c1",
            version=f'"{spec.kubernetes}"',
            extra=f"""\
            cniPlugin: {{type: {spec.cni}, version: {spec.version}}}
            clusterNetwork: {{{network}}}
            {"features: {kubeSystemNetworkPolicies: true}" if spec.features else ""}
            """,
        )
        + HUBBLE_ADDON
    )
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    return root / "out" / "c1" / "user-cluster"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return variant_objects(tmp_path_factory, legacy_variants, render)


def counts(patch: str, variant: str, ours: dict[str, dict[str, Any]]) -> tuple[int, ...]:
    """KKP objects, rendered, field-identical, CRDs, CRD schemas as KKP's."""
    kkp = FACTS[patch][variant]
    both = [oid for oid in kkp if oid in ours]
    identical = [oid for oid in both if not _differences(kkp[oid], ours[oid], schemas=False)]
    return len(kkp), len(both), len(identical), 0, 0


CASES = [(p, v) for p in LEGACY_PATCHES for v in legacy_variants(p)]


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_the_parity_doc_states_the_counts_the_render_gives(
    rendered: Any, patch: str, variant: str
) -> None:
    rows = parity_doc_rows(r"v2\.2[1-5]\.\d+", 5)
    assert rows.get((patch, variant)) == counts(patch, variant, rendered(patch, variant)), (
        f"docs/kkp-parity.md row for {patch} `{variant}`: KKP objects, rendered, "
        "field-identical, CRDs, CRD schemas"
    )


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_object_kkp_applies_is_rendered_field_identical(
    rendered: Any, patch: str, variant: str
) -> None:
    ours = rendered(patch, variant)
    differing = {
        oid: _differences(fields, ours[oid], schemas=False) if oid in ours else ["not rendered"]
        for oid, fields in FACTS[patch][variant].items()
    }
    assert {oid: keys for oid, keys in differing.items() if keys} == {}


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_rendered_object_is_one_kkp_applies(rendered: Any, patch: str, variant: str) -> None:
    """KKP prunes by the kubermatic-addon label: an object it lacks would be fought over."""
    assert sorted(set(rendered(patch, variant)) - set(FACTS[patch][variant])) == []


# KKP's certgen Job per patch: v1.12's is -394f790584 until its chart was regenerated with
# hubble-ui's safe-to-evict annotation (v2.24.5, v2.25.1), -c26869f410 after; v1.11's is
# -7dc7200f85 at v2.21+. v2.20.16's v1.11 name, -4a617efdba, which kkpgen rendered for both
# before, would be pruned by KKP and re-applied by Argo CD forever.
RENAMED_JOB = frozenset({"v2.24.5", "v2.24.15", "v2.25.18"})


@pytest.mark.parametrize("patch", list(LEGACY_PATCHES))
@pytest.mark.parametrize("version", ["v1.12", "v1.11"])
def test_the_certgen_job_has_the_name_kkp_gives_it_at_the_patch(
    rendered: Any, patch: str, version: str
) -> None:
    jobs = [oid for oid in rendered(patch, f"hubble-{version}") if oid.startswith("Job/")]
    if version == "v1.11":
        suffix = "7dc7200f85"
    else:
        suffix = "c26869f410" if patch in RENAMED_JOB else "394f790584"
    assert jobs == [f"Job/kube-system/hubble-generate-certs-{suffix}"]
