"""The team's Cilium values on KKP v2.22+ (kkp/cilium_values.py): values KKP overrides, the
values its webhook keeps immutable base -> head, and the move from the legacy v1.12 addon.
Each case inline; each hint is applied and the check run again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kkpgen.diagnostics import Diagnostic, KkpgenError
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from tests.conftest import CONFIG, Repo, cluster_yaml, without_tunnel_notice

VARIANTS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "render/kkp_cilium_application_variants.yaml").read_text()
)


def _config(kkp: str) -> str:
    return CONFIG.replace('"v2.20"', f'"{kkp}"').replace(
        "  featureGates:\n    KonnectivityService: true\n", ""
    )


def _spec(cilium: str, kubernetes: str, values: str | None, proxy: str = "ebpf") -> str:
    spec = cluster_yaml(
        "c1",
        version=f'"{kubernetes}"',
        extra=f"cniPlugin: {{type: cilium, version: {cilium}}}\n"
        f"clusterNetwork: {{proxyMode: {proxy}, konnectivityEnabled: true}}\n",
    )
    if values is None:
        return spec
    return spec + (
        "---\napiVersion: kubermatic.k8c.io/v1\nkind: Addon\n"
        "metadata: {name: cilium, namespace: cluster-c1}\n"
        "spec:\n  name: cilium\n  cluster: {name: c1}\n  variables:\n"
        f"    values: {values}\n"
    )


def _check(
    make_repo: Callable[..., Repo], kkp: str, base: str, head: str
) -> tuple[Diagnostic, ...]:
    repo = make_repo(
        base={"clusters/c1.yaml": base}, head={"clusters/c1.yaml": head}, config=_config(kkp)
    )
    return _checked(repo)


def _checked(repo: Repo) -> tuple[Diagnostic, ...]:
    try:
        checked = check_fleet(SourceOptions(repo=repo.path, ref="HEAD", base="base"))
    except KkpgenError as error:
        return without_tunnel_notice(error.diagnostics)
    return without_tunnel_notice(checked.diagnostics)


def _found(diagnostics: tuple[Diagnostic, ...]) -> list[tuple[str, str, int | None]]:
    return [
        (d.code, d.field, d.location.line)
        for d in diagnostics
        if d.code.startswith(("cilium.", "cni.cilium."))
    ]


PATCHES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "generator/kkp/data/kkp-patches.yaml").read_text()
)["patches"]
V2_31 = ("v2.31.0", "1.19.4", "1.34.10")
V2_23 = ("v2.23.19", "1.13.8", "1.26.13")
IMMUTABLE = "cilium.values.immutable"


_I = [(IMMUTABLE, 19)]


@pytest.mark.parametrize(
    ("release", "base_values", "head", "found"),
    [
        # ipv6 is immutable at every release; the Addon's values line is line 19.
        (V2_31, "{ipv6: {enabled: false}}", ("{ipv6: {enabled: true}}", "ebpf"), _I),
        (V2_23, "{ipv6: {enabled: false}}", ("{}", "ebpf"), _I),
        # cni: a key KKP sets anyway changes nothing KKP writes.
        (V2_31, "{cni: {exclusive: true}}", ("{cni: {exclusive: false}}", "ebpf"), []),
        (V2_31, "{cni: {customConf: false}}", ("{cni: {customConf: true}}", "ebpf"), _I),
        # v2.24+: with cni.chainingMode present (no kube-proxy replacement) cni may change.
        (V2_31, "{cni: {customConf: false}}", ("{cni: {customConf: true}}", "iptables"), []),
        (V2_23, "{cni: {customConf: false}}", ("{cni: {customConf: true}}", "iptables"), _I),
        # ipam: free from v2.27 (KKP always writes the mask sizes), immutable before.
        (V2_31, "{ipam: {mode: kubernetes}}", ("{ipam: {mode: cluster-pool}}", "ebpf"), []),
        (V2_23, "{ipam: {mode: kubernetes}}", ("{ipam: {mode: cluster-pool}}", "ebpf"), _I),
    ],
)  # fmt: skip
def test_kkps_immutable_cilium_values_are_refused(
    make_repo: Callable[..., Repo],
    release: tuple[str, str, str],
    base_values: str,
    head: tuple[str, str],
    found: list[tuple[str, int]],
) -> None:
    """`head`: the head's values and the cluster's proxy mode."""
    kkp, cilium, kubernetes = release
    head_values, proxy = head
    base = _spec(cilium, kubernetes, base_values, proxy)
    diagnostics = _check(make_repo, kkp, base, _spec(cilium, kubernetes, head_values, proxy))
    key = base_values.strip("{}").split(":")[0]
    assert _found(diagnostics) == [
        (code, f"spec.variables.values.{key}", line) for code, line in found
    ]


def test_the_immutable_values_hint_restores_the_base_value(
    make_repo: Callable[..., Repo],
) -> None:
    kkp, cilium, kubernetes = V2_31
    base = _spec(cilium, kubernetes, "{ipv6: {enabled: false}}")
    head = _spec(cilium, kubernetes, "{ipv6: {enabled: true}}")
    repo = make_repo(
        base={"clusters/c1.yaml": base}, head={"clusters/c1.yaml": head}, config=_config(kkp)
    )
    (diagnostic,) = (d for d in _checked(repo) if d.code == IMMUTABLE)
    assert diagnostic.hint.startswith('set spec.variables.values.ipv6 back to {"enabled": false}')
    value = diagnostic.hint.split(" back to ", 1)[1].split(" (as in", 1)[0]
    repo.commit({"clusters/c1.yaml": _spec(cilium, kubernetes, "{ipv6: " + value + "}")}, "fix")
    assert _found(_checked(repo)) == []


@pytest.mark.parametrize(
    ("values", "proxy", "message"),
    [
        ("{kubeProxyReplacement: 'false'}", "ebpf", 'kubeProxyReplacement "false" with "true"'),
        ("{kubeProxyReplacement: 'true'}", "iptables", 'kubeProxyReplacement "true" with "false"'),
        ("{cni: {exclusive: true}}", "ebpf", "cni.exclusive true with false"),
        ("{k8sServicePort: 443}", "ebpf", "k8sServicePort 443 with 6443"),
    ],
)
def test_a_team_value_kkp_overrides_is_a_warning_until_removed(
    make_repo: Callable[..., Repo], values: str, proxy: str, message: str
) -> None:
    kkp, cilium, kubernetes = V2_31
    spec = _spec(cilium, kubernetes, values, proxy)
    repo = make_repo(base={"clusters/c1.yaml": spec}, head={}, config=_config(kkp))
    (diagnostic,) = (d for d in _checked(repo) if d.code == "cilium.values.overridden")
    assert message in diagnostic.message
    assert diagnostic.severity == "warning"
    assert diagnostic.location.line == 19
    assert diagnostic.hint.startswith(f"remove {diagnostic.field}:")
    removed = _spec(cilium, kubernetes, "{hubble: {relay: {enabled: false}}}", proxy)
    repo.commit({"clusters/c1.yaml": removed}, "the hint")
    assert _found(_checked(repo)) == []


def test_kkps_strict_replacement_before_v2_26_is_what_the_warning_names(
    make_repo: Callable[..., Repo],
) -> None:
    kkp, cilium, kubernetes = V2_23
    spec = _spec(cilium, kubernetes, "{kubeProxyReplacement: 'true'}")
    (diagnostic,) = (
        d for d in _check(make_repo, kkp, spec, spec) if d.code == "cilium.values.overridden"
    )
    assert 'with "strict"' in diagnostic.message


@pytest.mark.parametrize(
    ("base_cilium", "head_cilium", "fires"),
    [("v1.12", "1.13.14", True), ("1.13.14", "1.14.16", False), ("v1.11", "v1.12", False)],
)
def test_the_move_from_the_v1_12_addon_to_helm_warns_of_the_disruption(
    make_repo: Callable[..., Repo], base_cilium: str, head_cilium: str, fires: bool
) -> None:
    base = _spec(base_cilium, "1.27.10", None, "ipvs")
    head = _spec(head_cilium, "1.27.10", None, "ipvs")
    found = [
        d
        for d in _check(make_repo, "v2.24.15", base, head)
        if d.code == "cni.cilium.to-application"
    ]
    assert bool(found) is fires
    if fires:
        assert "deletes the cilium and hubble Addons" in found[0].message
        assert found[0].severity == "warning"
        assert found[0].field == "spec.cniPlugin.version"


_CLUSTERS = {
    "ebpf": "{proxyMode: ebpf, konnectivityEnabled: true}",
    "iptables": "{proxyMode: iptables, konnectivityEnabled: true}",
    "dual-stack-no-nodelocal-dns": "{proxyMode: ebpf, konnectivityEnabled: true, "
    "ipFamily: IPv4+IPv6, nodeLocalDNSCacheEnabled: false}",
}


def _leaves(value: object, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in _leaves(item, (*path, key)).items()}
    return {path: value}


@pytest.mark.parametrize("variant", sorted(VARIANTS["variants"]))
@pytest.mark.parametrize("cluster", sorted(_CLUSTERS))
def test_the_enforced_values_are_those_kkps_own_code_wrote(
    tmp_path: Path, variant: str, cluster: str
) -> None:
    """kkp/cilium_values.enforced_values (which the warnings and the immutability check
    read) at each variant's first patch: every value it enforces is in the object KKP's own
    code wrote, with its type ("24" before v2.27, 24 after)."""
    from kkpgen.kkp.cilium_values import enforced_values

    patch = VARIANTS["patches"][variant]
    kubernetes = PATCHES[variant]["kubernetes"]["default"]
    (tmp_path / "clusters").mkdir()
    (tmp_path / "kubermatic.yaml").write_text(_config(variant))
    (tmp_path / "clusters" / "c1.yaml").write_text(
        cluster_yaml(
            "c1",
            version=f'"{kubernetes}"',
            extra=f"cniPlugin: {{type: cilium, version: {patch['cilium']}}}\n"
            f"clusterNetwork: {_CLUSTERS[cluster]}\n",
        )
    )
    try:
        (resolved,) = check_fleet(SourceOptions(repo=tmp_path)).resolved
    except KkpgenError as error:
        pytest.fail(str(error))
    spec = VARIANTS["variants"][variant]["objects"][cluster]["spec"]
    written = yaml.safe_load(spec["valuesBlock"]) if "valuesBlock" in spec else spec["values"]
    enforced = _leaves(enforced_values(resolved, node_port_range="30000-32767"))
    written_leaves = _leaves(written)
    assert {path: written_leaves.get(path, "(missing)") for path in enforced} == enforced
