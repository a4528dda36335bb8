"""Class 1: values inside text blocks are data too (issue 14).

Some values are written into a config language inside a YAML string: the openvpn client's
`remote` line, the NodeLocal DNS Corefile, metrics-server's command line (a list, and JSON
inside one argument in the seed), canal's net-conf.json, kube-proxy's config.conf. Each is
checked at the spec's file:line:field (strict ASCII patterns, whole value), passes through
the `token` filter (nothing that can end a token: no space, quote, brace or newline), and
the block is written with the YAML serializer. A property test shows that no value `check`
accepts changes the structure of those texts: the same lines, directives and token counts.
"""

from __future__ import annotations

import ipaddress
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kkpgen.diagnostics import KkpgenError
from kkpgen.kkp.catalog import load_catalog
from kkpgen.kkp.charts import load_charts
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from kkpgen.render.contents import render_cluster
from kkpgen.render.engine import Renderer, TemplateFailure, build_environment
from kkpgen.render.manifest import Manifest
from tests.conftest import CONFIG, cluster_yaml
from tests.good_fleet import BadValue, GoodFleet, render_bad_spec

ADDON = """\
---
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata:
  name: {chart}
spec:
  name: {chart}
  cluster:
    name: bad
  variables:
    {key}: {value}
"""
# clusters/bad.yaml: the Cluster (9 lines with clusterNetwork), then the Addon: its variable
# is on line 20.
NO_KONNECTIVITY = "clusterNetwork: {konnectivityEnabled: false, nodeLocalDNSCacheEnabled: true}\n"
OPENVPN_PORT = '  annotations:\n    kkpgen/openvpn-server-port: "31001"\n'


def _bad(extra: str = NO_KONNECTIVITY, url: str = "", annotations: str = "") -> str:
    text = cluster_yaml("bad", extra=extra)
    if annotations:
        text = text.replace("  name: bad\n", f"  name: bad\n{annotations}", 1)
    if url:
        text += f"address:\n  url: {json.dumps(url)}\n"
    return text


def _addon(chart: str, key: str, value: str) -> str:
    return _bad() + ADDON.format(chart=chart, key=key, value=json.dumps(value))


INJECTIONS: dict[str, tuple[str, str, int, str]] = {
    # each: the file clusters/bad.yaml, the code, line and field of the error
    "openvpn-remote-with-a-space": (
        _addon("openvpn", "serverHost", "kkp.example.com 443"),
        "addon.variables.invalid",
        20,
        "spec.variables.serverHost",
    ),
    "openvpn-remote-with-a-second-directive": (
        _addon("openvpn", "serverHost", "kkp.example.com\nscript-security 3\nup /bin/sh"),
        "addon.variables.invalid",
        20,
        "spec.variables.serverHost",
    ),
    "openvpn-remote-host-from-an-apiserver-url-with-a-newline": (
        _bad(url="https://kkp.example.com\n:6443"),
        "cluster.address.invalid",
        11,
        "address.url",
    ),
    "openvpn-remote-host-from-an-apiserver-url-with-a-space": (
        _bad(url="https://kkp.example.com:6443 1194"),
        "cluster.address.invalid",
        11,
        "address.url",
    ),
    "apiserver-url-with-a-path-or-fragment": (
        _bad(url="https://kkp.example.com:6443/#}"),
        "cluster.address.invalid",
        11,
        "address.url",
    ),
    "openvpn-port-annotation-with-a-newline": (
        _bad(annotations='  annotations:\n    kkpgen/openvpn-server-port: "31001\\nx"\n'),
        "cluster.annotation.invalid",
        6,
        "metadata.annotations.kkpgen/openvpn-server-port",
    ),
    "corefile-dns-domain-with-a-trailing-newline": (
        _bad(extra=NO_KONNECTIVITY.replace("}", ', dnsDomain: "cluster.local\\n"}')),
        "network.dns-domain.invalid",
        9,
        "spec.clusterNetwork.dnsDomain",
    ),
    "corefile-dns-domain-closing-the-server-block": (
        _bad(extra=NO_KONNECTIVITY.replace("}", ', dnsDomain: "cluster.local:53 }"}')),
        "network.dns-domain.invalid",
        9,
        "spec.clusterNetwork.dnsDomain",
    ),
    "corefile-dns-domain-opening-a-block": (
        _bad(extra=NO_KONNECTIVITY.replace("}", ', dnsDomain: "evil {"}')),
        "network.dns-domain.invalid",
        9,
        "spec.clusterNetwork.dnsDomain",
    ),
    "metrics-server-resolution-adding-a-flag": (
        _addon("metrics-server", "metricResolution", "15s\n--kubelet-insecure-tls"),
        "addon.variables.invalid",
        20,
        "spec.variables.metricResolution",
    ),
    "metrics-server-resolution-closing-the-json-argument": (
        _addon("metrics-server", "metricResolution", '15s"],"command":"/bin/sh'),
        "addon.variables.invalid",
        20,
        "spec.variables.metricResolution",
    ),
    "kube-proxy-metrics-address-with-a-second-key": (
        _addon("kube-proxy", "metricsBindAddress", "0.0.0.0:10249\nbindAddress: 6.6.6.6"),
        "addon.variables.invalid",
        20,
        "spec.variables.metricsBindAddress",
    ),
    # round 3: [0-9]{1,5} took any five digits; kube-proxy would not start
    "kube-proxy-metrics-address-with-a-port-above-65535": (
        _addon("kube-proxy", "metricsBindAddress", "0.0.0.0:99999"),
        "addon.variables.invalid",
        20,
        "spec.variables.metricsBindAddress",
    ),
    "metrics-server-log-level-as-text": (
        _addon("metrics-server", "logLevel", "2 --profiling"),
        "addon.variables.invalid",
        20,
        "spec.variables.logLevel",
    ),
}


@pytest.mark.parametrize("case", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_a_value_that_would_break_out_of_a_text_block_is_refused_at_the_spec(
    case: BadValue, good_fleet: GoodFleet
) -> None:
    result = render_bad_spec(good_fleet, case)
    assert "hint: " in result.stderr
    assert "charts/" not in result.stderr  # the spec is named, not a chart template


@pytest.mark.parametrize(
    "value",
    ["a b", "a\nb", "zone:53 }", "{", "'x'", '"x"', "#x", "a;b", "", "\u0665", True],
    ids=["space", "newline", "brace-close", "brace-open", "quote", "dquote", "hash", "semi",
         "empty", "arabic-digit", "bool"],
)  # fmt: skip
def test_the_token_filter_refuses_what_could_end_a_token(value: object, tmp_path: Path) -> None:
    """The last line of defence, should a future field skip its check."""
    (tmp_path / "t.yaml").write_text("remote {{ v | token }} 1194\n")
    template = build_environment(tmp_path).get_template("t.yaml")
    with pytest.raises(TemplateFailure) as caught:
        template.render(v=value)
    assert str(caught.value) == (  # the message says what is allowed
        f"{str(value)!r} cannot be written into a config file: only ASCII letters, digits and"
        " . _ : / , [ ] - are allowed there"
    )


def test_the_token_filter_passes_names_addresses_ports_and_paths(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("{{ v | token }}")
    template = build_environment(tmp_path).get_template("t.yaml")
    for value in ("kkp.example.com", "10.0.0.1", "::1", 31001, "/etc/resolv.conf", "15s", "."):
        assert template.render(v=value) == str(value)
    with pytest.raises(jinja2.UndefinedError):
        template.render()


# --- the property: no accepted value changes the structure of a text block -----------------

TEXT = st.one_of(
    st.sampled_from(
        [
            "a b",
            "a\nb",
            "x }",
            "x {",
            "x\n}\n. {",
            "x:53 {\n  forward . 6.6.6.6\n}",
            "#",
            '"',
            "'",
            "\u0665",
            "a\tb",
            "",
        ]
    ),
    st.text(st.characters(codec="ascii"), max_size=12),
)
PLAIN = {
    "host": st.one_of(
        st.sampled_from(["kkp.example.com", "10.0.0.1", "a-b.c"]),
        st.from_regex(r"[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?(\.[a-z0-9]{1,5}){0,3}", fullmatch=True),
    ),
    "domain": st.just("cluster.local"),
    "port": st.integers(30000, 32767).map(str),
    "server": st.sampled_from(["", "vpn.example.com", "192.168.1.1"]),
    "resolution": st.sampled_from(["15s", "1m30s", "500ms", "1h"]),
}


@st.composite
def _values(draw: st.DrawFn) -> dict[str, str]:
    """Plain values, with one of them (or none) anything at all: an accepted odd value must
    be rendered, a refused one named at the spec."""
    values = {key: draw(strategy) for key, strategy in PLAIN.items()}
    wild = draw(st.sampled_from([None, *PLAIN]))
    if wild is not None:
        values[wild] = draw(st.one_of(TEXT, PLAIN[wild].map(lambda v: f"{v}{draw(TEXT)}")))
    return values


def _repo(root: Path, values: dict[str, str]) -> Path:
    """host: of the apiserver URL; domain: dnsDomain; port: the openvpn-server-port
    annotation; server: the openvpn Addon's serverHost; resolution: metrics-server's."""
    host, domain, port = values["host"], values["domain"], values["port"]
    server, resolution = values["server"], values["resolution"]
    (root / "clusters").mkdir()
    (root / "kubermatic.yaml").write_text(CONFIG)
    extra = (
        f"clusterNetwork: {{konnectivityEnabled: false, nodeLocalDNSCacheEnabled: true, "
        f"dnsDomain: {json.dumps(domain)}}}\n"
    )
    text = _bad(
        extra=extra,
        url=f"https://{host}:6443",
        annotations=f"  annotations:\n    kkpgen/openvpn-server-port: {json.dumps(port)}\n",
    )
    text += ADDON.format(chart="openvpn", key="serverHost", value=json.dumps(server))
    text += ADDON.format(
        chart="metrics-server", key="metricResolution", value=json.dumps(resolution)
    )
    (root / "clusters" / "bad.yaml").write_text(text)
    return root


def _tokens(text: str) -> Iterator[tuple[object, ...]]:
    """The structure of a config text: per line, its first word, its word count and its
    quotes and braces; the words themselves are what values may change."""
    for number, line in enumerate(text.splitlines()):
        words = line.split()
        yield (number, words[0] if words else "", len(words), re.sub(r"[^{}\"'#;]", "", line))


def _texts(manifests: tuple[Manifest, ...]) -> dict[str, object]:
    """Every text block and command line kkpgen writes values into, as its structure."""
    found: dict[str, object] = {}
    for manifest in manifests:
        document = yaml.safe_load(manifest.text)
        for key, value in (document.get("data") or {}).items():
            found[f"{manifest.path}:{key}"] = list(_tokens(value))
        for container in _containers(document):
            args = [*container.get("command", []), *container.get("args", [])]
            shape: list[object] = [len(args)]
            for arg in args:
                shape.append(arg if arg.startswith("-") else "")
                if arg.startswith("{"):
                    command = json.loads(arg)
                    shape.append((sorted(command), len(command["args"])))
            found[f"{manifest.path}:{container['name']}"] = shape
    return found


def _containers(document: dict[str, object]) -> Iterator[dict[str, list[str]]]:
    spec = document.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    pod = template.get("spec") if isinstance(template, dict) else None
    if isinstance(pod, dict):
        yield from pod.get("containers", [])


def _render_texts(repo: Path) -> dict[str, object] | None:
    try:
        checked = check_fleet(SourceOptions(repo=repo))
    except KkpgenError as error:
        for diagnostic in error.diagnostics:  # refused at the spec: a file, a line, a field
            assert diagnostic.location.file == "clusters/bad.yaml", diagnostic
            assert diagnostic.location.line, diagnostic
            assert diagnostic.field, diagnostic
        return None
    (cluster,) = checked.resolved
    renderer = Renderer(build_environment(), memoize=False)
    manifests = render_cluster(
        cluster, charts=load_charts(), renderer=renderer, catalog=load_catalog()
    )
    return _texts(tuple(manifests))


@pytest.fixture(scope="module")
def baseline() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        plain = {"host": "kkp.example.com", "domain": "cluster.local", "port": "31001"}
        repo = _repo(Path(folder), {**plain, "server": "", "resolution": "15s"})
        texts = _render_texts(repo)
    assert texts is not None
    assert any(":config" in k for k in texts)  # the openvpn client config is rendered
    assert any(":Corefile" in k for k in texts)
    assert any(":metrics-server" in k for k in texts)
    return texts


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=_values())
def test_no_value_check_accepts_changes_the_structure_of_a_text_block(
    baseline: dict[str, object], values: dict[str, str]
) -> None:
    """Hosts, ports, the DNS domain and metrics-server's resolution, from the Cluster, its
    annotations and Addon variables: refused at the spec, or rendered into texts with the
    same lines, directives, word counts, quotes and braces as with plain values."""
    with tempfile.TemporaryDirectory() as folder:
        repo = _repo(Path(folder), values)
        texts = _render_texts(repo)
    event("refused at the spec" if texts is None else "rendered")
    if texts is not None:
        assert texts == baseline


def test_the_structure_would_show_a_bare_value() -> None:
    """What the property compares: a value with a space, a newline or a brace changes it."""
    plain = list(_tokens("remote kkp.example.com 31001\nnobind"))
    for host in ("kkp.example.com 1194", "kkp.example.com\nup /bin/sh", "x }", "x #"):
        assert list(_tokens(f"remote {host} 31001\nnobind")) != plain


@pytest.mark.parametrize("prefix", [0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32])
def test_openvpn_routes_are_exact_at_every_prefix_limit(prefix: int) -> None:
    """The route and iroute options of the OpenVPN config, at the octet boundaries where an
    off-by-one in the mask arithmetic would show (KKP's pod and service CIDRs)."""
    macros = build_environment().get_template("openvpn/templates/_helpers.tpl").module
    cidr = f"172.25.203.77/{prefix}"
    network = ipaddress.ip_network(cidr, strict=False)
    assert str(macros.route(cidr)) == f"{network.network_address} {network.netmask}"  # type: ignore[attr-defined]
    assert str(macros.network(cidr)) == str(network)  # type: ignore[attr-defined]
