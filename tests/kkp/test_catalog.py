"""The catalog holds the seed's CNI matrix; its constraints and versions are well-formed."""

from __future__ import annotations

import pytest
import semver

from kkpgen.kkp.catalog import Catalog, KKPRelease, load_catalog, parse_version, satisfies

CATALOG = load_catalog()
RELEASES = sorted(CATALOG.releases)

# Seed: "The following table lists the versions of individual CNIs supported by KKP".
SEED_TABLE: dict[str, dict[str, tuple[set[str], set[str]]]] = {
    "v2.20": {
        "canal": ({"v3.22", "v3.21", "v3.20", "v3.19"}, {"v3.8"}),
        "cilium": ({"v1.11"}, set()),
    },
    "v2.19": {"canal": ({"v3.21", "v3.20", "v3.19"}, {"v3.8"}), "cilium": ({"v1.11"}, set())},
    "v2.18": {"canal": ({"v3.19"}, {"v3.8"})},
    "v2.17": {"canal": ({"v3.8"}, set())},
}


def _release(version: str) -> KKPRelease:
    release = CATALOG.release(version)
    assert release is not None, version
    return release


def _cnis(release: KKPRelease) -> list[str]:
    return sorted(name for name in release.cni if name != "none")


def test_catalog_knows_exactly_the_seed_releases() -> None:
    assert sorted(SEED_TABLE) == RELEASES


def test_the_default_kkp_version_is_the_newest_patch_kkpgen_knows() -> None:
    assert CATALOG.default_kkp_version == CATALOG.newest_patch() == "v2.31.0"
    assert CATALOG.release(CATALOG.default_kkp_version) is not None


@pytest.mark.parametrize("version", RELEASES)
def test_every_cni_default_is_a_supported_version(version: str) -> None:
    release = _release(version)
    for name, support in release.cni.items():
        assert support.default in support.supported, (version, name)
    assert release.default_cni in release.cni


@pytest.mark.parametrize("version", RELEASES)
def test_supported_and_deprecated_versions_never_overlap(version: str) -> None:
    for name, support in _release(version).cni.items():
        assert not set(support.supported) & set(support.deprecated), (version, name)


@pytest.mark.parametrize("version", RELEASES)
def test_every_deprecation_states_its_reason(version: str) -> None:
    for support in _release(version).cni.values():
        assert all(reason.strip() for reason in support.deprecated.values())


@pytest.mark.parametrize("version", sorted(SEED_TABLE))
def test_cni_matrix_matches_the_seed_table(version: str) -> None:
    release = _release(version)
    assert _cnis(release) == sorted(SEED_TABLE[version])
    for name, (supported, deprecated) in SEED_TABLE[version].items():
        assert set(release.cni[name].supported) == supported, (version, name)
        assert set(release.cni[name].deprecated) == deprecated, (version, name)


def test_cilium_is_supported_from_kkp_2_19_only() -> None:
    assert [v for v in RELEASES if "cilium" in _release(v).cni] == ["v2.19", "v2.20"]


@pytest.mark.parametrize("version", RELEASES)
def test_every_release_keeps_the_none_cni(version: str) -> None:
    assert _release(version).cni["none"].supported == ("",)


@pytest.mark.parametrize(
    ("written", "found"),
    [("v2.20", "v2.20"), ("v2.20.3", "v2.20.3"), ("2.19.0", "v2.19.0"), ("v2.18.3", "v2.18.3")],
    ids=["minor", "patch-with-facts", "no-v-prefix", "a-v2.18-patch"],
)
def test_a_release_is_found_by_its_patch_or_its_minor(written: str, found: str) -> None:
    assert _release(written).version == found


@pytest.mark.parametrize(
    "written",
    ["v2.32", "v2.32.0", "v2.16", "latest", "v2.31", "v2.31.9"],
    ids=["newer", "newer-patch", "older", "garbage", "bare-minor-from-v2.21", "unknown-patch"],
)
def test_a_release_outside_the_catalog_is_none(written: str) -> None:
    assert CATALOG.release(written) is None


def _all_versions(catalog: Catalog) -> list[str]:
    cnis = {
        (name, v)
        for r in catalog.releases.values()
        for name, s in r.cni.items()
        if name != "none"
        for v in (*s.supported, *s.deprecated)
    }
    return sorted(f"{name}:{version}" for name, version in cnis)


@pytest.mark.parametrize("entry", _all_versions(CATALOG))
def test_every_offered_cni_version_has_images(entry: str) -> None:
    name, version = entry.split(":")
    facts = CATALOG.cni_versions[name][version]
    assert facts.images
    assert all(ref and ":" in ref and not ref.endswith(":latest") for ref in facts.images.values())


def test_forced_upgrade_constraints_parse() -> None:
    assert CATALOG.forced_upgrades
    for rule in CATALOG.forced_upgrades:
        satisfies("1.23.0", rule.kubernetes)  # raises ValueError when the constraint is bad
        satisfies("v3.8", rule.from_version)
        assert rule.to == "latest" or parse_version(rule.to) is not None
        assert rule.reason
        assert any(rule.cni in release.cni for release in CATALOG.releases.values())


def test_allowed_transition_constraints_parse() -> None:
    assert CATALOG.allowed_transitions
    for transition in CATALOG.allowed_transitions:
        for constraint in (transition.kubernetes, transition.from_version, transition.to_version):
            satisfies("1.0.0", constraint)
        assert transition.cni in CATALOG.cni_versions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v3.22", (3, 22, 0)),
        ("3.22", (3, 22, 0)),
        ("1.19.4", (1, 19, 4)),
        ("v1", (1, 0, 0)),
        (" 1.23.5 ", (1, 23, 5)),
        ("1.23.0-rc.1", (1, 23, 0)),
    ],
    ids=["v-prefixed-minor", "bare-minor", "full", "major-only", "surrounding-space", "prerelease"],
)
def test_parse_version_accepts_kkp_version_spellings(
    text: str, expected: tuple[int, int, int]
) -> None:
    assert parse_version(text) == semver.Version(*expected)


@pytest.mark.parametrize(
    "text",
    ["", "v", "latest", "1.x", "1.2.3.4", "3,22", "vv3.22"],
    ids=["empty", "v-only", "word", "wildcard", "four-parts", "comma", "double-v"],
)
def test_parse_version_rejects_garbage(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("1.23.6", ">=1.23", True),
        ("1.22.9", ">=1.23", False),
        ("v1.22", ">= 1.22", True),
        ("v3.21", "<3.22", True),
        ("v3.22", "<3.22", False),
        ("v3.8", "==3.8", True),
        ("3.8.1", "==3.8", False),
        ("v3.22", "<=3.22", True),
        ("v3.23", ">3.22", True),
    ],
    ids=[
        "ge-true",
        "ge-false",
        "space-after-operator",
        "lt-true",
        "lt-equal",
        "eq-minor",
        "eq-patch-differs",
        "le-equal",
        "gt",
    ],
)
def test_satisfies_compares_one_constraint(version: str, constraint: str, expected: bool) -> None:
    assert satisfies(version, constraint) is expected


@pytest.mark.parametrize(
    ("version", "constraint"),
    [("1.23", "~1.23"), ("1.23", ">=x"), ("garbage", ">=1.23"), ("1.23", "")],
    ids=["unknown-operator", "bad-bound", "bad-version", "empty-constraint"],
)
def test_satisfies_rejects_bad_input(version: str, constraint: str) -> None:
    with pytest.raises(ValueError, match="bad version constraint"):
        satisfies(version, constraint)


@pytest.mark.parametrize(
    ("version", "latest"),
    [("v2.20", "v3.22"), ("v2.19", "v3.21"), ("v2.18", "v3.19"), ("v2.17", "v3.8")],
)
def test_latest_canal_is_the_highest_supported_version(version: str, latest: str) -> None:
    assert _release(version).cni["canal"].latest() == latest


def test_images_for_fill_in_the_kubernetes_version() -> None:
    images = CATALOG.images_for(
        release=CATALOG.release("v2.20"),
        cni="canal",
        cni_version="v3.22",
        kubernetes_version="1.23.6",
    )
    assert images["kube_proxy"] == "k8s.gcr.io/kube-proxy:v1.23.6"
    assert images["calico_node"] == "docker.io/calico/node:v3.22.1"


@pytest.mark.parametrize(
    ("kubernetes", "removed"),
    [("1.24.17", False), ("1.25.0", True), ("1.34.10", True), ("v1.25.16", True), ("1.x", False)],
)
def test_kubernetes_1_25_no_longer_serves_the_policy_v1beta1_pdb(
    kubernetes: str, removed: bool
) -> None:
    found = CATALOG.kubernetes_capabilities_of(kubernetes)
    assert ("pdb_policy_v1beta1_removed" in found) is removed
