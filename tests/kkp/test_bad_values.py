"""Classes 4 and 5: values that crashed kkpgen or were written raw into manifests (issue 14).

Every check matches the whole value with ASCII classes: Python's `$` matches before a
trailing newline, `\\d` matches any Unicode digit, and `int("²")` raises.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kkpgen.cli import main
from tests.conftest import CONFIG, cluster_yaml
from tests.good_fleet import (
    BadValue,
    GoodFleet,
    assert_out_untouched,
    assert_rejected,
    render_bad_spec,
)


def annotated(annotations: str, extra: str = "") -> str:
    """clusters/bad.yaml with metadata.annotations (line 5 and on)."""
    text = cluster_yaml("bad", extra=extra)
    block = "".join(f"    {line}\n" for line in annotations.splitlines())
    return text.replace("  name: bad\n", "  name: bad\n  annotations:\n" + block, 1)


def network(kind: str, cidr: str) -> str:
    """clusters/bad.yaml with one pods or services CIDR (on line 10)."""
    return cluster_yaml("bad", extra=f"clusterNetwork:\n  {kind}: {{cidrBlocks: [{cidr}]}}\n")


CIDR_CASES = {
    "netmask-form": ("pods", '"172.25.0.0/255.255.0.0"'),
    "leading-space": ("pods", '" 172.25.0.0/16"'),
    "trailing-newline": ("services", '"10.240.16.0/20\n"'),
    "non-ascii-digits": ("services", '"10.240.16.0/\u0662\u0660"'),
    "a-single-pod-address": ("pods", '"172.25.0.1/32"'),
    "pods-in-loopback": ("pods", '"127.0.0.0/16"'),
    "services-around-the-nodelocal-dns-address": ("services", '"169.254.0.0/16"'),
}


@pytest.mark.parametrize("case", list(CIDR_CASES.values()), ids=list(CIDR_CASES))
def test_a_bad_cidr_is_refused_at_its_block(case: tuple[str, str], good_fleet: GoodFleet) -> None:
    kind, cidr = case
    good_fleet.write({"clusters/bad.yaml": network(kind, cidr)})
    result = good_fleet.render()
    field = f"spec.clusterNetwork.{kind}.cidrBlocks[0]"
    assert_rejected(
        result, code="network.cidr.invalid", file="clusters/bad.yaml", line=10, field=field
    )
    assert_out_untouched(good_fleet)


CASES: dict[str, tuple[str, str, int, str]] = {
    # each case: the text of clusters/bad.yaml, then the code, line and field expected
    "version-with-a-trailing-newline": (
        cluster_yaml("bad", version='"1.23.6\\n"'),
        "cluster.version.invalid",
        6,
        "spec.version",
    ),
    "version-with-non-ascii-digits": (
        cluster_yaml("bad", version='"1.23.\\u0666"'),
        "cluster.version.invalid",
        6,
        "spec.version",
    ),
    "version-with-a-yaml-suffix": (
        cluster_yaml("bad", version='"1.23.6-a: b"'),
        "cluster.version.invalid",
        6,
        "spec.version",
    ),
    "version-with-leading-zeros": (
        cluster_yaml("bad", version='"1.023.6"'),
        "cluster.version.invalid",
        6,
        "spec.version",
    ),
    "port-annotation-with-a-superscript-digit": (
        annotated('kkpgen/konnectivity-server-port: "3100\\u00b2"'),
        "cluster.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/konnectivity-server-port",
    ),
    "port-annotation-with-arabic-digits": (
        annotated('kkpgen/openvpn-server-port: "\\u0663\\u0661\\u0660\\u0660\\u0660"'),
        "cluster.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/openvpn-server-port",
    ),
    "port-annotation-out-of-range": (
        annotated('kkpgen/openvpn-server-port: "70000"'),
        "cluster.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/openvpn-server-port",
    ),
    "port-annotation-with-a-trailing-newline": (
        annotated('kkpgen/openvpn-server-port: "31000\\n"'),
        "cluster.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/openvpn-server-port",
    ),
    "misspelled-kkpgen-annotation": (
        annotated('kkpgen/openvpn-port: "31000"'),
        "cluster.annotation.unknown",
        6,
        "metadata.annotations.kkpgen/openvpn-port",
    ),
    "two-cloud-providers": (
        cluster_yaml("bad", cloud="aws: {}\n    hetzner: {}"),
        "cluster.cloud.providers",
        7,
        "spec.cloud",
    ),
    "no-cloud-provider": (
        cluster_yaml("bad", cloud="dc: europe"),
        "cluster.cloud.providers",
        7,
        "spec.cloud",
    ),
    "apiserver-url-with-port-0": (
        cluster_yaml("bad") + "address:\n  url: https://bad.kkp.example.com:0\n",
        "cluster.address.invalid",
        10,
        "address.url",
    ),
    "apiserver-url-with-a-space-in-the-host": (
        cluster_yaml("bad") + 'address:\n  url: "https://bad kkp.example.com:6443"\n',
        "cluster.address.invalid",
        10,
        "address.url",
    ),
    "cluster-name-with-a-trailing-newline": (
        cluster_yaml("bad").replace("  name: bad\n", '  name: "bad\\n"\n'),
        "cluster.name.invalid",
        4,
        "metadata.name",
    ),
    "cluster-name-too-long-for-its-namespace": (
        cluster_yaml("b" * 56),
        "cluster.name.too-long",
        4,
        "metadata.name",
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_a_bad_value_is_refused_at_its_field(case: BadValue, good_fleet: GoodFleet) -> None:
    render_bad_spec(good_fleet, case)


def test_a_misspelled_annotation_gets_a_did_you_mean(good_fleet: GoodFleet) -> None:
    good_fleet.write({"clusters/bad.yaml": annotated('kkpgen/openvpn-port: "31000"')})
    result = good_fleet.render()
    assert "did you mean 'kkpgen/openvpn-server-port'?" in result.stderr


def test_an_openvpn_port_left_after_the_switch_to_konnectivity_is_a_warning(
    good_fleet: GoodFleet,
) -> None:
    text = annotated(
        'kkpgen/openvpn-server-port: "31001"\nkkpgen/konnectivity-server-port: "31000"',
        extra="clusterNetwork: {konnectivityEnabled: true}\n",
    )
    good_fleet.write({"clusters/bad.yaml": text})
    result = good_fleet.render()
    assert result.exit_code == 0, result.stderr
    assert (
        "clusters/bad.yaml:6:5: warning[cluster.annotation.unused]: "
        "metadata.annotations.kkpgen/openvpn-server-port:" in result.stderr
    )


@pytest.mark.parametrize("shard", ["\u0661/2", "1/\u00b2", "1/2\n", "0/2", "3/2"])
def test_a_shard_with_non_ascii_digits_is_a_usage_error(good_fleet: GoodFleet, shard: str) -> None:
    result = good_fleet.render("--shard", shard)
    assert result.exit_code == 2, result.output
    assert "write K/N" in result.output
    assert "Traceback" not in result.output
    assert_out_untouched(good_fleet)


def test_the_installed_command_refuses_a_superscript_port_without_a_traceback(
    good_fleet: GoodFleet,
) -> None:
    good_fleet.write({"clusters/bad.yaml": annotated('kkpgen/konnectivity-server-port: "\u00b2"')})
    argv = ["check", "--repo", str(good_fleet.repo)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert_rejected(
        result,
        code="cluster.annotation.invalid",
        file="clusters/bad.yaml",
        line=6,
        field="metadata.annotations.kkpgen/konnectivity-server-port",
    )


def with_annotation(line: str) -> str:
    """kubermatic.yaml with one more annotation, on line 6."""
    return CONFIG.replace("  annotations:\n", f"  annotations:\n    {line}\n", 1)


CONFIG_CASES: dict[str, tuple[str, str, int, str, str]] = {
    "misspelled-argocd-repo-annotation": (
        with_annotation('kkpgen/argocd-repo: "https://git.example.com/fleet.git"'),
        "config.annotation.unknown",
        6,
        "metadata.annotations.kkpgen/argocd-repo",
        "did you mean 'kkpgen/argocd-repo-url'?",
    ),
    "argocd-path-that-climbs-out": (
        with_annotation('kkpgen/argocd-path: "rendered/../../etc"'),
        "config.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/argocd-path",
        "no '..'",
    ),
    "argocd-revision-with-a-newline": (
        with_annotation('kkpgen/argocd-revision: "main\\nkind: Secret"'),
        "config.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/argocd-revision",
        "a branch, tag or commit",
    ),
    "seed-destination-that-is-not-a-name": (
        with_annotation('kkpgen/seed-destination: "In Cluster"'),
        "config.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/seed-destination",
        "the Argo CD cluster name",
    ),
    # round 3: parse_version strips and takes any Unicode digit, so these were v2.20(.9)
    "kkp-version-with-a-trailing-newline": (
        CONFIG.replace('kkpgen/kkp-version: "v2.20"', 'kkpgen/kkp-version: "v2.20.9\\n"'),
        "kkp.version.unsupported",
        6,
        "kkpgen/kkp-version",
        "is not a version like v2.20.9",
    ),
    "kkp-version-with-a-suffix": (
        CONFIG.replace('kkpgen/kkp-version: "v2.20"', 'kkpgen/kkp-version: "v2.20-a: b"'),
        "kkp.version.unsupported",
        6,
        "kkpgen/kkp-version",
        "is not a version like v2.20.9",
    ),
    "misspelled-feature-gate": (
        CONFIG.replace(
            "KonnectivityService: true", "KonnectivityService: true\n    KonectivityService: true"
        ),
        "config.feature-gate.unknown",
        11,
        "spec.featureGates.KonectivityService",
        "did you mean 'KonnectivityService'?",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES.values()), ids=list(CONFIG_CASES))
def test_a_bad_kkpgen_setting_is_refused_at_its_annotation(
    case: tuple[str, str, int, str, str], good_fleet: GoodFleet
) -> None:
    text, code, line, field, hint = case
    good_fleet.write({"kubermatic.yaml": text})
    result = good_fleet.render()
    assert_rejected(result, code=code, file="kubermatic.yaml", line=line, field=field)
    assert hint in result.stderr
    assert_out_untouched(good_fleet)


def test_a_second_document_in_kubermatic_yaml_is_an_error(good_fleet: GoodFleet) -> None:
    good_fleet.write({"kubermatic.yaml": CONFIG + "---\n" + CONFIG})
    result = good_fleet.render()
    assert_rejected(result, code="config.document.extra", file="kubermatic.yaml", line=14)
    assert_out_untouched(good_fleet)


@pytest.mark.parametrize("version", ["v2.20.9\n", " v2.20", "v2.\u0662\u0660", "v02.20"])
def test_a_kkp_version_flag_that_is_not_a_whole_version_is_refused(
    good_fleet: GoodFleet, version: str
) -> None:
    result = good_fleet.render("--kkp-version", version)
    assert_rejected(result, code="kkp.version.unsupported", file="--kkp-version", line=None)
    assert "is not a version like v2.20.9" in result.stderr
    assert_out_untouched(good_fleet)
    versions = CliRunner().invoke(main, ["versions", "--kkp-version", version])
    assert versions.exit_code == 2
    assert "unknown KKP version" in versions.stderr
