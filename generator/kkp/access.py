"""How a cluster is reached and annotated: its apiserver URL (no credentials, a real host
and port), its cloud provider, and the kkpgen annotations on it (known keys, ports).

Rules like those of rules.py, kept apart to keep both short; listed in RULES (registry.py).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from kkpgen.diagnostics import Violation
from kkpgen.kkp.subject import Code, Rule, RuleContext, Subject, rule
from kkpgen.models.labels import KONNECTIVITY_PORT_ANNOTATION, OPENVPN_PORT_ANNOTATION
from kkpgen.source.fleet import LoadedCluster


def has_credentials(url: str) -> bool:
    """A URL that carries a secret: any user info over http(s) (tokens are often written as
    the user name), a query string over http(s) (`?private_token=...`), a password anywhere
    (`ssh://git@host/...` names a user, no secret)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() in ("http", "https"):
        return "@" in parts.netloc or bool(parts.query) or "?" in url
    return parts.password is not None


def redacted(url: str) -> str:
    """The URL for an error message: user info and query replaced, so a refused token does
    not reach a CI log (errors are printed where everyone with the log can read them)."""
    scheme, _, rest = url.partition("://")
    if not rest:
        scheme, rest = "", url
    head, sep, _query = rest.partition("?")
    host = head.rpartition("@")[2] if "/" not in head.partition("@")[0] else head
    shown = f"{'***@' if host != head else ''}{host}{'?***' if sep else ''}"
    return f"{scheme}://{shown}" if scheme else shown


_PRINTABLE = re.compile(r"[!-~]+")  # printable ASCII, no space
_HOST = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")


def _url_problem(url: str) -> str | None:
    """What is wrong with the host or port of an apiserver URL (ASCII, whole value)."""
    # urlsplit drops tabs and newlines anywhere in a URL (WHATWG), so the checks below would
    # pass "https://a.example.com\n:6443" and the raw text would reach the kubeconfig.
    if not _PRINTABLE.fullmatch(url):
        return "it holds a space, a control or a non-ASCII character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return str(error)
    host = parts.netloc.rpartition("@")[2].rsplit(":", 1)[0] if parts.port else parts.netloc
    if not _HOST.fullmatch(host):
        return f"host {host!r} is not a DNS name or an IP address"
    if port == 0 or (parts.netloc.endswith(":") and port is None):
        return "port 0 is not a port"
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in url or "#" in url:
        return "an apiserver URL has no path, query or fragment: https://HOST[:PORT]"
    return None


@rule(
    Code("cluster.cloud.providers", "error", "spec.cloud", "keep exactly one provider section"),
)
def cloud_provider_single(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """KKP: exactly one cloud provider section per cluster."""
    providers = subject.loaded.cluster.spec.cloud.providers()
    if len(providers) != 1:
        yield Violation(
            "cluster.cloud.providers",
            ("spec", "cloud"),
            f"spec.cloud names {len(providers)} providers"
            + (f" ({', '.join(providers)})" if providers else ""),
            "keep exactly one provider section, e.g. `aws: {}`",
        )


def _address_field(ctx: RuleContext) -> str:
    """KKP v2.22 moved the Cluster's address from the top level to its status."""
    patch = ctx.release.patch
    if patch is None or "cluster_top_level_address" in patch.capabilities:
        return "address.url"
    return "status.address.url"


@rule(
    Code(
        "cluster.address.credentials",
        "error",
        "*address.url",
        "remove the user info and query",
    ),
    Code("cluster.address.invalid", "error", "*address.url", "write it as https://<host>:<port>"),
    Code(
        "cluster.address.missing",
        "error",
        "address.url",
        "set address.url (status.address.url from KKP v2.22), or the kkpgen/apiserver-url "
        "annotation in kubermatic.yaml",
    ),
)
def apiserver_address_known(subject: Subject, ctx: RuleContext) -> Iterator[Violation]:
    """Nodes (kube-proxy, Cilium without kube-proxy, tunnel agents) dial the apiserver."""
    address = subject.resolved.address
    at = address.written_at
    if address.url and has_credentials(address.url):
        yield Violation(
            "cluster.address.credentials",
            at,
            "address.url carries credentials (user info before '@', or a query string); "
            "kkpgen would copy them into resolved.yaml and the kube-proxy kubeconfig",
            "remove the user info and query: nodes authenticate with their service account token",
        )
    elif address.url and _url_problem(address.url):
        yield Violation(
            "cluster.address.invalid",
            at,
            f"address.url {address.url!r}: {_url_problem(address.url)}",
            "write it as https://<host>:<port>, with a port from 1 to 65535",
        )
    elif not address.url:
        yield Violation(
            "cluster.address.missing",
            ("address", "url"),
            "the apiserver address of the cluster is not known",
            f"set {_address_field(ctx)} (as KKP shows it, e.g. https://<name>.<seed-domain>:6443)"
            ", or the kkpgen/apiserver-url annotation in kubermatic.yaml",
        )
    elif not address.host or not address.url.startswith("https://"):
        yield Violation(
            "cluster.address.invalid",
            at,
            f"address.url {address.url!r} is not an https URL",
            "write it as https://<host>:<port>",
        )


_CLUSTER_ANNOTATIONS = (KONNECTIVITY_PORT_ANNOTATION, OPENVPN_PORT_ANNOTATION)
_PORT = re.compile(r"[1-9][0-9]{0,4}")


@rule(
    Code(
        "cluster.annotation.unknown",
        "error",
        "metadata.annotations.*",
        "use an annotation kkpgen reads",
    ),
)
def kkpgen_annotations_known(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """A `kkpgen/` annotation kkpgen does not read is a typo: it would be ignored silently."""
    annotations = subject.loaded.cluster.metadata.annotations
    for key in sorted(k for k in annotations if k.startswith("kkpgen/")):
        if key not in _CLUSTER_ANNOTATIONS:
            close = difflib.get_close_matches(key, _CLUSTER_ANNOTATIONS, n=1)
            known = ", ".join(_CLUSTER_ANNOTATIONS)
            yield Violation(
                "cluster.annotation.unknown",
                ("metadata", "annotations", key),
                f"unknown kkpgen annotation {key!r} on a Cluster",
                (f"did you mean {close[0]!r}? " if close else "") + f"kkpgen reads: {known}",
            )


@rule(
    Code(
        "cluster.annotation.invalid",
        "error",
        "metadata.annotations.*",
        "write the NodePort as a quoted number from 1 to 65535",
    ),
    Code(
        "cluster.annotation.unused",
        "warning",
        "metadata.annotations.kkpgen/openvpn-server-port",
        "remove the annotation",
    ),
)
def port_annotations_valid(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """The tunnel NodePort annotations are ports: ASCII digits, 1-65535."""
    annotations = subject.loaded.cluster.metadata.annotations
    for key in _CLUSTER_ANNOTATIONS:
        value = annotations.get(key)
        if value is not None and not (_PORT.fullmatch(value) and int(value) <= 65535):
            yield Violation(
                "cluster.annotation.invalid",
                ("metadata", "annotations", key),
                f"{key} {value!r} is not a port",
                'write the NodePort as a quoted number from 1 to 65535, e.g. "31000"',
            )
    konnectivity = subject.resolved.network.konnectivity_enabled
    if konnectivity and OPENVPN_PORT_ANNOTATION in annotations:
        yield Violation(
            "cluster.annotation.unused",
            ("metadata", "annotations", OPENVPN_PORT_ANNOTATION),
            f"{OPENVPN_PORT_ANNOTATION} is set, but the cluster uses Konnectivity, not OpenVPN",
            "remove the annotation (left over from before the switch to Konnectivity)",
            severity="warning",
        )


@rule(
    Code(
        "network.tunnel-port.unknown",
        "notice",
        "metadata.annotations",
        "set the annotation kkpgen/<tunnel>-server-port to the NodePort of the seed's Service",
    )
)
def tunnel_port_known(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """Tunnel agents dial the NodePort of the seed's tunnel Service; only the seed knows it.
    Without it kkpgen leaves the agent's object to KKP (render/plan.py, applications.py)."""
    loaded, resolved = subject.loaded, subject.resolved
    if resolved.expose_strategy == "Tunneling":
        return
    konnectivity = resolved.network.konnectivity_enabled
    port = resolved.address.konnectivity_port if konnectivity else resolved.address.openvpn_port
    if port == 0 and not _addon_sets_server_port(loaded, konnectivity):
        name, what = (
            ("konnectivity", "the konnectivity-agent Deployment")
            if konnectivity
            else ("openvpn", "the openvpn-client ConfigMap")
        )
        yield Violation(
            "network.tunnel-port.unknown",
            ("metadata", "annotations"),
            f"the NodePort of the seed's {name}-server Service is not known, so {what} is not "
            "rendered and KKP keeps managing it",
            f"set annotation kkpgen/{name}-server-port to the NodePort of Service "
            f"{name}-server in namespace {resolved.seed_namespace} of the seed",
            severity="notice",
        )


def _addon_sets_server_port(loaded: LoadedCluster, konnectivity: bool) -> bool:
    name = "konnectivity" if konnectivity else "openvpn"
    return any(
        a.addon.spec.name == name and (a.addon.spec.variables or {}).get("serverPort")
        for a in loaded.addons
    )


RULES: tuple[Rule[Subject], ...] = (
    apiserver_address_known,
    cloud_provider_single,
    kkpgen_annotations_known,
    port_annotations_valid,
    tunnel_port_known,
)
