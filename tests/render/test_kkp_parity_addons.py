"""canal, cilium and hubble against every object KKP's addons apply (kkp_parity_addons_facts.yaml).

The facts are written by tools/kkp_addon_facts.py from KKP's addons at each tag, for the
cluster variants below; each object is compared whole (as flat field paths). docs/kkp-parity.md
states the counts per patch and variant; a test keeps them true.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CONFIG, RenderFleet, cluster_yaml
from tools.kkp_addon_facts import VARIANTS, Variant, flatten, normalize, object_id

ROOT = Path(__file__).parents[2]
FACTS: dict[str, dict[str, dict[str, dict[str, Any]]]] = yaml.safe_load(
    Path(__file__).with_name("kkp_parity_addons_facts.yaml").read_text()
)
PATCHES = ("v2.20.0", "v2.20.9", "v2.20.16")
# variant -> Kubernetes version of the test cluster (v3.8 is deprecated from 1.22 on).
KUBERNETES = {name: '"1.21.8"' if name == "canal-v3.8" else '"1.22.5"' for name in VARIANTS}
SCHEMA = ".schema.openAPIV3Schema"
RENDERED_WITH = {"hubble": "cilium-ebpf"}
HUBBLE_ADDON = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: hubble, namespace: cluster-c1}
spec: {name: hubble, cluster: {name: c1, kind: Cluster}}
"""


USER_CLUSTER = "c1/user-cluster"  # the folder of the cluster's addons


def _inputs(
    patch: str, variant: str, *, policies: bool = True, addons: str = HUBBLE_ADDON
) -> dict[str, Any]:
    """render_fleet's inputs: KKP `patch` and one cluster c1 of the variant (its Addons)."""
    spec = VARIANTS[variant]
    features = "features: {kubeSystemNetworkPolicies: true}\n" if policies else ""
    text = cluster_yaml(
        "c1",
        version=KUBERNETES[variant],
        extra=f"""\
        cniPlugin: {{type: {spec.cni}, version: {spec.version}}}
        clusterNetwork: {{proxyMode: {spec.proxy_mode}, konnectivityEnabled: true}}
        {features}""",
    )
    text += addons if spec.cni == "cilium" else ""
    return {"specs": {"c1": text}, "config": CONFIG.replace('"v2.20"', f'"{patch}"')}


def _objects(folder: Path, variant: str) -> dict[str, dict[str, Any]]:
    """The rendered objects of the variant's addon (its chart's folder), as flat fields."""
    return _objects_of(folder, VARIANTS[variant].addon)


def variant_objects(
    tmp_path_factory: pytest.TempPathFactory,
    variants: Callable[[str], Mapping[str, Variant]],
    render: Callable[[Path, str, Variant], Path],
) -> Callable[[str, str], dict[str, dict[str, Any]]]:
    """A cached (patch, variant) -> the rendered objects of the variant's addon, each variant
    rendered once per module by `render` into a folder of its own."""

    @cache
    def get(patch: str, variant: str) -> dict[str, dict[str, Any]]:
        spec = variants(patch)[variant]
        folder = render(tmp_path_factory.mktemp(f"{patch}-{variant}"), patch, spec)
        return _objects_of(folder, spec.addon)

    return get


def _objects_of(folder: Path, addon: str) -> dict[str, dict[str, Any]]:
    """The rendered objects of an addon's chart folder, as flat fields."""
    objects: dict[str, dict[str, Any]] = {}
    for path in sorted((folder / addon).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        if doc and doc.get("kind") != "Kustomization":
            objects[object_id(doc)] = dict(flatten(normalize(doc)))
    return objects


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, render_fleet: RenderFleet) -> Any:
    @cache
    def folder(patch: str, variant: str) -> Path:
        root = tmp_path_factory.mktemp(f"{patch}-{variant}")
        return render_fleet(root, **_inputs(patch, variant)).out / USER_CLUSTER

    def get(patch: str, variant: str) -> dict[str, dict[str, Any]]:
        # hubble is rendered beside cilium (the test cluster has the hubble Addon).
        return _objects(folder(patch, RENDERED_WITH.get(variant, variant)), variant)

    return get


def _differences(kkp: dict[str, Any], ours: dict[str, Any], *, schemas: bool) -> list[str]:
    """Field paths where the objects differ; CRD schemas count by presence unless `schemas`."""
    absent = "<absent>"
    return [
        key
        for key in sorted(set(kkp) | set(ours))
        if kkp.get(key, absent) != ours.get(key, absent)
        and (schemas or not key.endswith(SCHEMA) or (key in kkp) != (key in ours))
    ]


def counts(patch: str, variant: str, ours: dict[str, dict[str, Any]]) -> tuple[int, ...]:
    """KKP objects, rendered, field-identical (CRD schema by presence), CRD schemas as KKP's."""
    kkp = FACTS[patch][variant]
    both = [oid for oid in kkp if oid in ours]
    identical = [oid for oid in both if not _differences(kkp[oid], ours[oid], schemas=False)]
    crds = [oid for oid in both if oid.startswith("CustomResourceDefinition/")]
    same_schema = [oid for oid in crds if not _differences(kkp[oid], ours[oid], schemas=True)]
    return len(kkp), len(both), len(identical), len(crds), len(same_schema)


def parity_doc_rows(patches: str, columns: int) -> dict[tuple[str, str], tuple[int, ...]]:
    """{(patch, variant): counts} of docs/kkp-parity.md's table rows whose patch matches the
    pattern `patches` and that hold `columns` counts."""
    text = (ROOT / "docs" / "kkp-parity.md").read_text()
    row = re.compile(rf"^\| ({patches}) \| `([a-z0-9.-]+)` \|((?: \d+ \|){{{columns}}})$", re.M)
    return {
        (m.group(1), m.group(2)): tuple(int(n) for n in m.group(3).strip(" |").split(" | "))
        for m in row.finditer(text)
    }


CASES = [(patch, variant) for patch in PATCHES for variant in VARIANTS]


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_the_parity_doc_states_the_counts_the_render_gives(
    rendered: Any, patch: str, variant: str
) -> None:
    ours = rendered(patch, variant)
    rows = parity_doc_rows(r"v2\.20\.\d+", 5)
    assert rows.get((patch, variant)) == counts(patch, variant, ours), (
        f"docs/kkp-parity.md row for {patch} `{variant}`: KKP objects, rendered, "
        "field-identical, CRDs, CRD schemas as KKP's"
    )


@pytest.mark.parametrize(("patch", "variant"), CASES)
def test_every_rendered_object_is_one_kkp_applies(rendered: Any, patch: str, variant: str) -> None:
    ours = rendered(patch, variant)
    assert sorted(set(ours) - set(FACTS[patch][variant])) == []


# Canal's CRD schemas are kkpgen's own, shorter ones (docs/kkp-parity.md, canal): for canal
# a CRD counts by presence of its schema; cilium and hubble have no CRDs to compare.
IDENTICAL = ["canal-v3.19", "canal-v3.20", "canal-v3.21", "canal-v3.22"]
IDENTICAL += ["cilium-ebpf", "cilium-ipvs", "hubble"]


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("variant", IDENTICAL)
def test_every_object_kkp_applies_is_rendered_field_identical(
    rendered: Any, patch: str, variant: str
) -> None:
    kkp, ours = FACTS[patch][variant], rendered(patch, variant)
    assert sorted(set(kkp) - set(ours)) == []
    schemas = not variant.startswith("canal")
    differing = {
        oid: _differences(kkp[oid], ours[oid], schemas=schemas)
        for oid in kkp
        if _differences(kkp[oid], ours[oid], schemas=schemas)
    }
    assert differing == {}


@pytest.mark.parametrize("patch", PATCHES)
def test_canal_v3_8_differs_from_kkp_only_in_its_crds(rendered: Any, patch: str) -> None:
    kkp, ours = FACTS[patch]["canal-v3.8"], rendered(patch, "canal-v3.8")
    assert sorted(set(kkp) - set(ours)) == []
    differing = [oid for oid in kkp if _differences(kkp[oid], ours[oid], schemas=False)]
    # apiextensions.k8s.io/v1 where KKP applies v1beta1: docs/kkp-parity.md says why.
    assert differing
    assert all(oid.startswith("CustomResourceDefinition/") for oid in differing)
    assert all(ours[oid]["apiVersion"] == "apiextensions.k8s.io/v1" for oid in differing)


@pytest.mark.parametrize(
    ("variant", "policy"),
    [
        ("canal-v3.22", "NetworkPolicy/kube-system/calico"),
        ("cilium-ebpf", "NetworkPolicy/kube-system/cilium"),
    ],
    ids=["canal", "cilium"],
)
def test_the_kube_system_policy_is_rendered_only_with_the_kube_system_network_policies_feature(
    tmp_path: Path, render_fleet: RenderFleet, rendered: Any, variant: str, policy: str
) -> None:
    inputs = _inputs("v2.20.9", variant, policies=False)
    without = _objects(render_fleet(tmp_path, **inputs).out / USER_CLUSTER, variant)
    assert policy not in without
    assert rendered("v2.20.9", variant)[policy] == FACTS["v2.20.9"][variant][policy]


def test_kkpgen_extras_render_only_when_their_opt_in_values_are_set(
    tmp_path: Path, render_fleet: RenderFleet
) -> None:
    addons = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: hubble, namespace: cluster-c1}
spec:
  name: hubble
  cluster: {name: c1, kind: Cluster}
  variables:
    ui: {probes: true, frontendResources: {requests: {cpu: 10m}}}
    nodeSelector: {disk: ssd}
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {name: cilium, namespace: cluster-c1}
spec:
  name: cilium
  cluster: {name: c1, kind: Cluster}
  variables:
    operator: {readinessProbe: true}
"""
    inputs = _inputs("v2.20.9", "cilium-ebpf", addons=addons)
    folder = render_fleet(tmp_path, **inputs).out / USER_CLUSTER
    ui = yaml.safe_load((folder / "hubble/deployment-hubble-ui.yaml").read_text())["spec"]
    frontend = ui["template"]["spec"]["containers"][0]
    assert frontend["readinessProbe"] == {"tcpSocket": {"port": "http"}}
    assert frontend["resources"] == {"requests": {"cpu": "10m"}}
    assert ui["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}
    operator = yaml.safe_load((folder / "cilium/deployment-cilium-operator.yaml").read_text())
    assert "readinessProbe" in operator["spec"]["template"]["spec"]["containers"][0]
