"""canal and kube-proxy at the newest patch of each KKP line KKP supports (v2.29+), and canal at
the newest patch of each line from v2.28 back to v2.21, each deprecated Canal version a line
still accepts included, against every object KKP's addons apply there
(kkp_parity_addons_recent_facts.yaml).

tools/kkp_addon_facts.py records the facts for the variants of `variants_at(patch)`; each
object is compared whole, as flat field paths, labels and annotations included.
docs/kkp-parity.md states the counts per patch and variant; a test keeps them true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.defaults import forced_version
from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from kkpgen.source.sourcemap import load_data
from tests.conftest import CONFIG, cluster_yaml
from tests.render.test_kkp_parity_addons import (
    _differences,
    parity_doc_rows,
    variant_objects,
)
from tools.kkp_addon_facts import (
    DEPRECATED_CANAL,
    OLDER_PATCHES,
    RECENT_PATCHES,
    Variant,
    variants_at,
)

ROOT = Path(__file__).parents[2]
# libyaml: the facts of eleven lines are 31,000 lines.
FACTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = load_data(
    Path(__file__).with_name("kkp_parity_addons_recent_facts.yaml").read_text()
)
PATCHES = (*RECENT_PATCHES, *OLDER_PATCHES)


def render(root: Path, patch: str, spec: Variant) -> Path:
    """The test cluster of tools/kkp_addon_facts.py for `spec`, rendered at `patch`."""
    (root / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"').replace(
        "  featureGates:\n    KonnectivityService: true\n", ""
    )
    (root / "kubermatic.yaml").write_text(config)
    family = "ipFamily: IPv4+IPv6, " if spec.dual_stack else ""
    features = "features: {kubeSystemNetworkPolicies: true}\n" if spec.features else ""
    (root / "clusters" / "c1.yaml").write_text(
        cluster_yaml(
            "c1",
            version=f'"{spec.kubernetes}"',
            extra=f"""\
            cniPlugin: {{type: {spec.cni}, version: {spec.version}}}
            clusterNetwork: {{{family}proxyMode: {spec.proxy_mode}}}
            {features}""",
        )
    )
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    return root / "out" / "c1" / "user-cluster"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return variant_objects(tmp_path_factory, variants_at, render)


def counts(patch: str, variant: str, ours: dict[str, dict[str, Any]]) -> tuple[int, ...]:
    """KKP objects, rendered, field-identical (CRD schema by presence), CRDs."""
    kkp = FACTS[patch][variant]
    both = [oid for oid in kkp if oid in ours]
    identical = [oid for oid in both if not _differences(kkp[oid], ours[oid], schemas=False)]
    crds = [oid for oid in both if oid.startswith("CustomResourceDefinition/")]
    return len(kkp), len(both), len(identical), len(crds)


CASES = [(patch, variant) for patch in PATCHES for variant in variants_at(patch)]


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_the_parity_doc_states_the_counts_the_render_gives(
    rendered: Any, patch: str, variant: str
) -> None:
    rows = parity_doc_rows(r"v2\.(?:2[1-9]|3\d)\.\d+", 4)
    assert rows.get((patch, variant)) == counts(patch, variant, rendered(patch, variant)), (
        f"docs/kkp-parity.md row for {patch} `{variant}`: KKP objects, rendered, "
        "field-identical, CRDs"
    )


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_rendered_object_is_one_kkp_applies(rendered: Any, patch: str, variant: str) -> None:
    assert sorted(set(rendered(patch, variant)) - set(FACTS[patch][variant])) == []


# KKP's objects whose API the variant's Kubernetes no longer serves, which kkpgen renders as
# the API server serves them (docs/kkp-parity.md): Canal v3.8's v1beta1 CRDs (v2.23 and v2.25
# keep it on 1.24 and 1.28) and the policy/v1beta1 PodDisruptionBudget of Canal v3.19-v3.22
# from Kubernetes 1.25. KKP apiVersion -> (the Kubernetes minor that stopped serving it, the
# apiVersion kkpgen renders).
UNSERVED = {
    "apiextensions.k8s.io/v1beta1": ((1, 22), "apiextensions.k8s.io/v1"),
    "policy/v1beta1": ((1, 25), "policy/v1"),
}


def _unserved(patch: str, variant: str) -> list[str]:
    kubernetes = variants_at(patch)[variant].kubernetes
    minor = tuple(int(part) for part in kubernetes.split(".")[:2])
    return [
        oid
        for oid, fields in FACTS[patch][variant].items()
        if fields["apiVersion"] in UNSERVED and minor >= UNSERVED[fields["apiVersion"]][0]
    ]


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_object_kkp_applies_is_rendered_field_identical(
    rendered: Any, patch: str, variant: str
) -> None:
    kkp, ours = FACTS[patch][variant], rendered(patch, variant)
    assert sorted(set(kkp) - set(ours)) == []
    unserved = _unserved(patch, variant)
    differing = {
        oid: _differences(kkp[oid], ours[oid], schemas=False)
        for oid in kkp
        if oid not in unserved and _differences(kkp[oid], ours[oid], schemas=False)
    }
    assert differing == {}


UNSERVED_CASES = [(patch, variant) for patch, variant in CASES if _unserved(patch, variant)]


@pytest.mark.parametrize(("patch", "variant"), UNSERVED_CASES)
def test_an_object_of_an_api_kubernetes_no_longer_serves_is_rendered_as_it_is_served(
    rendered: Any, patch: str, variant: str
) -> None:
    kkp, ours = FACTS[patch][variant], rendered(patch, variant)
    for oid in _unserved(patch, variant):
        assert ours[oid]["apiVersion"] == UNSERVED[kkp[oid]["apiVersion"]][1], oid
        if kkp[oid]["kind"] == "PodDisruptionBudget":
            # policy/v1 has policy/v1beta1's fields: the apiVersion is the one difference.
            assert _differences(kkp[oid], ours[oid], schemas=False) == ["apiVersion"]


def test_the_unserved_apis_are_canal_v3_8s_crds_and_the_pdb_of_v3_19_to_v3_22() -> None:
    found = {
        (variant, FACTS[patch][variant][oid]["kind"])
        for patch, variant in UNSERVED_CASES
        for oid in _unserved(patch, variant)
    }
    assert found == {
        ("canal-v3.8", "CustomResourceDefinition"),
        *((f"canal-v3.{n}", "PodDisruptionBudget") for n in (19, 20, 21, 22)),
    }


def _left_on(patch: str, version: str, kubernetes: str) -> bool:
    """KKP's cluster mutation leaves Canal `version` alone on this Kubernetes version."""
    catalog = load_catalog()
    release = catalog.release(patch)
    assert release is not None
    moved = forced_version(
        cni="canal",
        version=version,
        kubernetes_version=kubernetes,
        catalog=catalog,
        release=release,
    )
    return moved is None


@pytest.mark.parametrize("patch", PATCHES)
def test_every_deprecated_canal_version_a_cluster_can_keep_is_compared(patch: str) -> None:
    """Each deprecated Canal version with a Kubernetes version of the patch that KKP's
    mutation leaves it on has a variant, on such a Kubernetes version; no other has one."""
    release = load_catalog().release(patch)
    assert release is not None
    assert release.patch is not None
    offered = release.patch.kubernetes_versions
    deprecated = tuple(release.cni["canal"].deprecated)
    keepable = [v for v in deprecated if any(_left_on(patch, v, k) for k in offered)]
    versions, kubernetes = DEPRECATED_CANAL[patch]
    assert list(versions) == keepable
    assert kubernetes in offered
    assert all(_left_on(patch, v, kubernetes) for v in versions)
    assert all(f"canal-{v}" in variants_at(patch) for v in versions)
