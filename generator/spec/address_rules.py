"""One-state rules about how a cluster is reached: its apiserver URL and its kkpgen annotations."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from generator.diagnostics import Violation
from generator.spec.models.kubermatic import (
    KONNECTIVITY_PORT_ANNOTATION,
    OPENVPN_PORT_ANNOTATION,
)
from generator.spec.rule_types import RuleContext, Subject


def has_credentials(url: str) -> bool:
    """A URL that carries a secret: any user info over http(s) (tokens are often written as
    the user name), a password anywhere (`ssh://git@host/...` names a user, no secret)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() in ("http", "https"):
        return "@" in parts.netloc
    return parts.password is not None


def apiserver_address_known(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """Nodes (kube-proxy, Cilium without kube-proxy, tunnel agents) dial the apiserver."""
    address = subject.resolved.address
    if address.url and has_credentials(address.url):
        yield Violation(
            "cluster.address.credentials",
            ("address", "url"),
            "address.url carries credentials (user info before '@'); kkpgen would copy them "
            "into resolved.yaml and the kube-proxy kubeconfig",
            "remove the user info: nodes authenticate with their service account token",
        )
    elif not address.url:
        yield Violation(
            "cluster.address.missing",
            ("address", "url"),
            "the apiserver address of the cluster is not known",
            "set address.url (as KKP shows it, e.g. https://<name>.<seed-domain>:6443)"
            ", or the kkpgen/apiserver-url annotation in kubermatic.yaml",
        )
    elif not address.host or not address.url.startswith("https://"):
        yield Violation(
            "cluster.address.invalid",
            ("address", "url"),
            f"address.url {address.url!r} is not an https URL",
            "write it as https://<host>:<port>",
        )


_CLUSTER_ANNOTATIONS = (KONNECTIVITY_PORT_ANNOTATION, OPENVPN_PORT_ANNOTATION)
_PORT = re.compile(r"[1-9][0-9]{0,4}")


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
