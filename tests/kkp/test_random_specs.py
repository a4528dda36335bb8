"""Property-based: random Cluster specs over KKP's real field names never crash kkpgen (exit 0,
or exit 1 with diagnostics), and resolving a resolved cluster changes nothing (issue 7)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kkpgen.cli import main
from tests.conftest import CONFIG

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def maybe(valid: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Mostly a plausible value, sometimes anything at all."""
    return st.sampled_from(range(8)).flatmap(lambda pick: junk if pick == 7 else valid)


octet = st.integers(min_value=0, max_value=255)
random_cidr = st.builds(
    lambda a, b, c, d, prefix: f"{a}.{b}.{c}.{d}/{prefix}",
    octet,
    octet,
    octet,
    octet,
    st.integers(min_value=0, max_value=33),
) | st.sampled_from(["fd00::/64", "", "10.0.0.0", "10.0.0.0/29"])
cidr = st.one_of(
    *[st.sampled_from(["172.25.0.0/16", "10.244.0.0/16", "10.240.16.0/20", "10.96.0.0/12"])] * 3,
    random_cidr,
)
kubernetes = st.sampled_from(["1.22.9", "1.23.6", "v1.23.6", "1.24.1", "1.21", "1.3"])
cni_version = st.sampled_from(["v3.8", "v3.19", "v3.20", "v3.21", "v3.22", "v1.11", "v1.12", ""])
name = st.one_of(
    *[st.sampled_from(["c1", "prod-eu-1", "a" * 63])] * 6,
    st.from_regex(r"\A[a-z0-9][-a-z0-9./A-Z]{0,70}\Z"),
)


def _drop_absent(mapping: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in mapping.items() if v is not _ABSENT}


_ABSENT = object()


def optional(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.just(_ABSENT), strategy)


network = st.builds(
    lambda **fields: _drop_absent(fields),
    proxyMode=optional(maybe(st.sampled_from(["ipvs", "iptables", "ebpf"]))),
    pods=optional(maybe(st.fixed_dictionaries({"cidrBlocks": st.lists(cidr, max_size=2)}))),
    services=optional(maybe(st.fixed_dictionaries({"cidrBlocks": st.lists(cidr, max_size=2)}))),
    dnsDomain=optional(maybe(st.sampled_from(["cluster.local", "example.org", "a..b"]))),
    ipvs=optional(maybe(st.fixed_dictionaries({"strictArp": maybe(st.booleans())}))),
    nodeLocalDNSCacheEnabled=optional(maybe(st.booleans())),
    konnectivityEnabled=optional(maybe(st.booleans())),
)
spec = st.builds(
    lambda **fields: _drop_absent(fields),
    version=maybe(kubernetes),
    cloud=maybe(
        st.dictionaries(
            st.sampled_from(["aws", "kubevirt", "openstack", "hetzner", "bringyourown"]),
            st.just({}),
            min_size=1,
            max_size=2,
        )
    ),
    cniPlugin=optional(
        maybe(
            st.fixed_dictionaries(
                {"type": maybe(st.sampled_from(["canal", "cilium", "none"]))},
                optional={"version": maybe(cni_version)},
            )
        )
    ),
    clusterNetwork=optional(maybe(network)),
)
labels = st.dictionaries(
    st.sampled_from(["unsafe-cni-upgrade", "unsafe-cni-migration", "team"]),
    maybe(st.sampled_from(["true", ""])),
    max_size=2,
)
cluster = st.builds(
    lambda name, labels, spec, address, extra: {
        "apiVersion": "kubermatic.k8c.io/v1",
        "kind": "Cluster",
        "metadata": {"name": name, **({"labels": labels} if labels else {})},
        "spec": spec,
        **({"address": address} if address is not None else {}),
        **extra,
    },
    name=maybe(name),
    labels=labels,
    spec=spec,
    address=st.none() | maybe(st.fixed_dictionaries({"url": maybe(st.just("https://a:6443"))})),
    extra=st.one_of(
        *[st.just({})] * 6,
        st.dictionaries(st.sampled_from(["status", "spc", "addresss"]), junk, max_size=1),
    ),
)
addon = st.builds(
    lambda target, variables: {
        "apiVersion": "kubermatic.k8c.io/v1",
        "kind": "Addon",
        "metadata": {"name": "hubble"},
        "spec": {"name": "hubble", "cluster": {"name": target}, "variables": variables},
    },
    target=st.sampled_from(["c1", "c1", "c1", "other"]),
    variables=maybe(
        st.fixed_dictionaries(
            {}, optional={"relay": maybe(st.fixed_dictionaries({"replicas": maybe(st.integers())}))}
        )
    ),
)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True  # shared objects of a strategy are no reason for anchors (refused)


def _repo(root: Path, documents: list[object]) -> Path:
    (root / "clusters").mkdir()
    (root / "kubermatic.yaml").write_text(CONFIG)
    text = yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    (root / "clusters" / "c1.yaml").write_text(text)
    return root


def _invoke(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), catch_exceptions=False)


@SETTINGS
@given(documents=st.builds(lambda c, a: [c, *a], cluster, st.lists(addon, max_size=1)))
def test_random_specs_render_or_fail_with_diagnostics(documents: list[object]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = _repo(Path(folder), documents)
        result = _invoke("render", "--repo", str(repo), "--out", str(repo / "out"))
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    if result.exit_code == 1:
        assert "error[" in result.stderr
        assert all(
            line.startswith(("clusters/", "kubermatic.yaml", "  hint: ", "failed: "))
            for line in result.stderr.splitlines()
        ), result.stderr


valid_network = st.builds(
    lambda **fields: _drop_absent(fields),
    proxyMode=optional(st.sampled_from(["ipvs", "iptables"])),
    pods=optional(st.just({"cidrBlocks": ["172.25.0.0/16"]})),
    services=optional(st.sampled_from([{"cidrBlocks": ["10.240.16.0/20"]}, {"cidrBlocks": []}])),
    ipvs=optional(st.fixed_dictionaries({}, optional={"strictArp": st.booleans()})),
    nodeLocalDNSCacheEnabled=optional(st.booleans()),
    konnectivityEnabled=optional(st.booleans()),
)
valid_cluster = st.builds(
    lambda version, cloud, cni, network, url: {
        "apiVersion": "kubermatic.k8c.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "c1"},
        "spec": {"version": version, "cloud": {cloud: {}}, **cni, "clusterNetwork": network},
        **({"address": {"url": url}} if url else {}),
    },
    version=st.sampled_from(["1.22.9", "1.23.6", "v1.23.6"]),
    cloud=st.sampled_from(["aws", "kubevirt", "openstack"]),
    cni=st.sampled_from(
        [{}, {"cniPlugin": {"type": "canal"}}, {"cniPlugin": {"type": "none"}}]
        + [{"cniPlugin": {"type": "canal", "version": v}} for v in ("v3.8", "v3.21", "v3.22")]
    ),
    network=valid_network,
    url=st.sampled_from([None, "https://c1.example.com:6443", "https://10.0.0.1"]),
)


@SETTINGS
@given(document=valid_cluster)
def test_resolve_is_idempotent(document: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = _repo(Path(folder), [document])
        first = _invoke("resolve", "c1", "--repo", str(repo))
        assert first.exit_code == 0, first.stderr
        (repo / "clusters" / "c1.yaml").write_text(first.stdout)
        second = _invoke("resolve", "c1", "--repo", str(repo))
    assert second.exit_code == 0, second.stderr
    assert second.stdout == first.stdout
