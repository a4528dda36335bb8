"""Per-patch facts (data/kkp-patches.yaml, from tools/kkp_facts.py): a pinned patch is exact."""

from __future__ import annotations

import pytest

from kkpgen.kkp.catalog import KKPRelease, kkp_minor, load_catalog

CATALOG = load_catalog()


def _release(version: str) -> KKPRelease:
    release = CATALOG.release(version)
    assert release is not None
    return release


def _images(version: str, cni: str, cni_version: str) -> dict[str, str]:
    return CATALOG.images_for(
        release=_release(version), cni=cni, cni_version=cni_version, kubernetes_version="1.23.6"
    )


# The GA patches of each line, as tagged in kubermatic/kubermatic (145 from v2.21.0 to v2.31.0).
GA_PATCHES = {
    "v2.31": 1,
    "v2.30": 7,
    "v2.29": 11,
    "v2.28": 14,
    "v2.27": 13,
    "v2.26": 14,
    "v2.25": 19,
    "v2.24": 16,
    "v2.23": 20,
    "v2.22": 14,
    "v2.21": 16,
}


def test_the_catalog_holds_every_ga_patch_from_v2_17_0_to_v2_31_0() -> None:
    recent = {f"{minor}.{n}" for minor, count in GA_PATCHES.items() for n in range(count)}
    assert len(recent) == 145
    wanted = (
        recent
        | {f"v2.20.{n}" for n in range(17)}
        | {f"v2.19.{n}" for n in range(16)}
        | {f"v2.18.{n}" for n in range(12)}
        | {f"v2.17.{n}" for n in range(6)}
    )
    assert set(CATALOG.patches) == wanted


def test_kkp_v2_18_5_selects_exactly_that_patch() -> None:
    release = _release("v2.18.5")
    assert release.version == "v2.18.5"
    assert release.patch is not None
    # pkg/webhook/cluster/{validation,mutation}: Canal v3.8 and v3.19, default v3.19.
    assert release.cni["canal"].supported == ("v3.19",)
    assert set(release.cni["canal"].deprecated) == {"v3.8"}
    assert "cilium" not in release.cni  # no Cilium before v2.19
    assert release.patch.kubernetes_versions == (
        "1.19.15",
        "1.20.13",
        "1.20.14",
        "1.21.8",
        "1.22.5",
    )
    images = _images("v2.18.5", "canal", "v3.19")
    assert images["calico_node"] == "docker.io/calico/node:v3.19.1"
    assert images["kubeletdnat_controller"] == "quay.io/kubermatic/kubeletdnat-controller:v2.18.5"
    assert images["konnectivity_agent"] == (
        "us.gcr.io/k8s-artifacts-prod/kas-network-proxy/proxy-agent:v0.0.24"
    )


def test_kkp_v2_17_patches_have_canal_v3_8_only_and_no_konnectivity() -> None:
    release = _release("v2.17.3")
    assert release.patch is not None
    assert release.cni["canal"].supported == ("v3.8",)
    assert release.konnectivity is False
    assert "konnectivity_agent" not in release.patch.component_images


def test_kkp_v2_20_9_renders_quay_calico_v3_22_4_and_proxy_agent_v0_0_33() -> None:
    images = _images("v2.20.9", "canal", "v3.22")
    assert images["calico_node"] == "quay.io/calico/node:v3.22.4"
    assert images["calico_cni"] == "quay.io/calico/cni:v3.22.4"
    assert images["calico_kube_controllers"] == "quay.io/calico/kube-controllers:v3.22.4"
    assert images["konnectivity_agent"] == (
        "eu.gcr.io/k8s-artifacts-prod/kas-network-proxy/proxy-agent:v0.0.33"
    )
    assert images["kubeletdnat_controller"] == "quay.io/kubermatic/kubeletdnat-controller:v2.20.9"


@pytest.mark.parametrize(
    ("cni_version", "tag"), [("v3.21", "v3.21.6"), ("v3.20", "v3.20.5")], ids=["v3.21", "v3.20"]
)
def test_kkp_v2_20_9_renders_the_canal_patch_kkp_ships(cni_version: str, tag: str) -> None:
    assert _images("v2.20.9", "canal", cni_version)["calico_node"] == f"quay.io/calico/node:{tag}"


def test_kkp_v2_20_16_moves_kube_proxy_node_cache_metrics_server_and_konnectivity_registry() -> (
    None
):
    images = _images("v2.20.16", "canal", "v3.22")
    assert images["kube_proxy"] == "registry.k8s.io/kube-proxy:v1.23.6"
    assert images["nodelocal_dns"] == "registry.k8s.io/k8s-dns-node-cache:1.15.7"
    assert images["metrics_server"] == "registry.k8s.io/metrics-server/metrics-server:v0.5.0"
    assert images["konnectivity_agent"] == "registry.k8s.io/kas-network-proxy/proxy-agent:v0.0.33"


def test_the_minor_alone_keeps_the_v2_20_catalog_entry_with_v2_20_0_images() -> None:
    """Decision (catalog.yaml): `v2.20` keeps its meaning; pin a patch for exact parity."""
    release = _release("v2.20")
    assert release.patch is None
    images = _images("v2.20", "canal", "v3.22")
    assert images["calico_node"] == "docker.io/calico/node:v3.22.1"
    assert images["konnectivity_agent"].endswith("proxy-agent:v0.0.26")


def test_an_unknown_patch_of_a_minor_with_facts_is_not_in_the_catalog() -> None:
    assert CATALOG.release("v2.20.17") is None


@pytest.mark.parametrize(
    ("version", "count"), [("v2.20.0", 0), ("v2.20.4", 0), ("v2.20.5", 2), ("v2.20.16", 2)]
)
def test_the_allowed_transitions_table_differs_by_patch(version: str, count: int) -> None:
    assert len(CATALOG.transitions_for(_release(version))) == count


OLD_PATCHES = sorted(v for v in CATALOG.patches if kkp_minor(v) in CATALOG.releases)
RECENT_PATCHES = sorted(v for v in CATALOG.patches if kkp_minor(v) not in CATALOG.releases)


@pytest.mark.parametrize("version", RECENT_PATCHES)
def test_every_recent_patch_has_images_for_its_addons_and_a_chart_for_helm_cilium(
    version: str,
) -> None:
    """v2.21+: each supported Canal version and the Cilium v1.11/v1.12 addons KKP still ships
    have images; Cilium 1.13 and newer is a Helm chart, named per version."""
    release = _release(version)
    assert release.patch is not None
    assert release.patch.kubernetes_default in release.patch.kubernetes_versions
    canal = release.cni["canal"]
    assert canal.default in canal.supported
    assert set(canal.supported) <= set(release.patch.cni_images["canal"])
    cilium = release.cni["cilium"]
    # KKP v2.26.8-v2.26.13 default to Cilium 1.15.10 while listing it as deprecated (their
    # pkg/cni/version.go): kkpgen follows the source.
    assert cilium.default in cilium.allowed()
    helm = {v for v in cilium.supported if not v.startswith("v")}  # v1.11/v1.12: addons
    # KKP v2.23.3 lists Cilium 1.14.1 as supported before its ApplicationDefinition has it.
    assert helm - set(release.patch.cilium_charts) == CHARTLESS.get(version, set())


CHARTLESS = {"v2.23.3": {"1.14.1"}}


@pytest.mark.parametrize("version", RECENT_PATCHES)
def test_every_canal_version_a_recent_patch_accepts_has_every_image_its_addon_runs(
    version: str,
) -> None:
    """Deprecated ones too: KKP v2.22-v2.26 write Canal v3.8's and v3.19's images without a
    registry (`Image "calico/cni:v3.19.1"`), which KKP's Image reads as docker.io's."""
    release = _release(version)
    assert release.patch is not None
    canal = release.cni["canal"]
    assert set(release.patch.cni_images["canal"]) == set(canal.allowed())
    for cni_version in canal.allowed():
        wanted = {"calico_node", "calico_cni", "flannel"}
        if "kube_controllers" in CATALOG.capabilities("canal", cni_version):
            wanted.add("calico_kube_controllers")
        images = release.patch.cni_images["canal"][cni_version]
        assert wanted <= set(images), cni_version
        assert all(ref.split("/")[0] in {"docker.io", "quay.io"} for ref in images.values())


@pytest.mark.parametrize("version", OLD_PATCHES)
def test_every_patch_default_is_supported_and_its_images_cover_every_cni_version(
    version: str,
) -> None:
    release = _release(version)
    assert release.patch is not None
    assert kkp_minor(version) in CATALOG.releases
    assert release.patch.kubernetes_default in release.patch.kubernetes_versions
    for name, support in release.cni.items():
        if name == "none":
            continue
        assert support.default in support.supported
        assert set(release.patch.cni_images[name]) == set(support.allowed())


def test_kkp_default_accessible_addons_include_hubble() -> None:
    assert "hubble" in CATALOG.default_accessible_addons(_release("v2.20"))


def test_a_v2_21_cilium_v1_11_cluster_gets_the_hubble_images_of_the_v1_11_addon() -> None:
    """From v2.21 the hubble addon is one file per Cilium minor; nothing of catalog.yaml's
    v2.20-era images (hubble-ui's Envoy proxy) leaks into a v2.21+ patch."""
    v1_11 = _images("v2.21.15", "cilium", "v1.11")
    v1_12 = _images("v2.21.15", "cilium", "v1.12")
    assert v1_11["hubble_relay"].startswith("quay.io/cilium/hubble-relay:v1.11.")
    assert v1_12["hubble_relay"].startswith("quay.io/cilium/hubble-relay:v1.12.")
    assert "hubble_ui_proxy" not in v1_11
