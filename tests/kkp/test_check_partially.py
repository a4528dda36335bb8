"""check_fleet_partially: the clusters that pass, the errors of those that fail (diff's base)."""

from __future__ import annotations

import pytest

from kkpgen.diagnostics import KkpgenError, errors_of
from kkpgen.kkp.check import check_fleet, check_fleet_partially
from kkpgen.models.options import SourceOptions
from kkpgen.source.repository import SourceFile, SourceTree
from tests.conftest import CONFIG, cluster_yaml, without_tunnel_notice

EBPF_ON_CANAL = "cniPlugin: {type: canal, version: v3.22}\nclusterNetwork: {proxyMode: ebpf}\n"


def _tree(config: str = CONFIG, **specs: str) -> SourceTree:
    files = [SourceFile("kubermatic.yaml", config.encode())]
    files += [SourceFile(f"clusters/{name}.yaml", text.encode()) for name, text in specs.items()]
    return SourceTree("base", tuple(sorted(files, key=lambda f: f.path)))


def test_the_failing_clusters_are_left_out_and_their_errors_returned() -> None:
    tree = _tree(
        c1=cluster_yaml("c1", extra=EBPF_ON_CANAL),
        c2=cluster_yaml("c2"),
        c3=cluster_yaml("c3", extra="cniPlugin: {type: canal, version: v3.99}\n"),
        c4=cluster_yaml("c4", extra="clusterNetwork: {proxyMode: ebpf}\n"),  # and no cniPlugin
    )
    checked, failures = check_fleet_partially(SourceOptions(), tree=tree)
    assert [c.name for c in checked.resolved] == ["c2"]
    assert [(d.cluster, d.code, d.location.line) for d in failures] == [
        ("c1", "network.proxy-mode.ebpf-requires-cilium", 10),
        ("c1", "network.proxy-mode.ebpf-requires-konnectivity", 10),
        ("c3", "cni.version.unsupported", 9),
        ("c4", "network.proxy-mode.ebpf-requires-cilium", 9),
        ("c4", "network.proxy-mode.ebpf-requires-konnectivity", 9),
    ]
    # the passing cluster's warnings stay; a failing cluster's (c4: cni.unspecified) do not
    assert {(d.cluster, d.code) for d in without_tunnel_notice(checked.diagnostics)} == {
        ("c2", "cni.unspecified")
    }
    with pytest.raises(KkpgenError) as raised:
        check_fleet(SourceOptions(), tree=tree)
    assert tuple(errors_of(raised.value.diagnostics)) == failures  # the same errors, in order


def test_a_passing_fleet_is_checked_as_check_fleet_checks_it() -> None:
    tree = _tree(c1=cluster_yaml("c1"), c2=cluster_yaml("c2"))
    assert check_fleet_partially(SourceOptions(), tree=tree) == (
        check_fleet(SourceOptions(), tree=tree),
        (),
    )


@pytest.mark.parametrize(
    ("config", "spec", "code"),
    [
        (CONFIG.replace('"v2.20"', '"v9.9"'), cluster_yaml("c1"), "kkp.version.unsupported"),
        (
            CONFIG.replace("kkpgen/apiserver-url", "kkpgen/apiserver-ur"),
            cluster_yaml("c1"),
            "config.annotation.unknown",
        ),
        (CONFIG, cluster_yaml("c1", extra="unknownField: 1\n"), "schema.extra-forbidden"),
    ],
    ids=["kkp-version", "kubermatic-yaml-annotation", "spec-file-does-not-load"],
)
def test_a_failure_of_the_whole_fleet_raises_as_check_fleet_does(
    config: str, spec: str, code: str
) -> None:
    tree = _tree(config, c1=spec, c2=cluster_yaml("c2"))
    with pytest.raises(KkpgenError) as partially:
        check_fleet_partially(SourceOptions(), tree=tree)
    with pytest.raises(KkpgenError) as whole:
        check_fleet(SourceOptions(), tree=tree)
    assert partially.value.diagnostics == whole.value.diagnostics
    assert code in {d.code for d in partially.value.diagnostics}
