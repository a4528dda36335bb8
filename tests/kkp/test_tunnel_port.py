"""The tunnel-port notice (kkp/access.tunnel_port_known): `check` says what `render` leaves
to KKP when the seed's tunnel NodePort is not known."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from tests.conftest import CONFIG, TUNNEL_PORT_NOTICE, Repo, cluster_yaml

_ANNOTATED = "  name: c1\n  annotations:\n    kkpgen/{tunnel}-server-port: '31000'\n"
_SERVER_PORT = """\
apiVersion: kubermatic.k8c.io/v1
kind: Addon
metadata: {{name: {tunnel}, namespace: cluster-c1}}
spec:
  name: {tunnel}
  cluster: {{name: c1}}
  variables: {{serverPort: 31000}}
"""


def _spec(konnectivity: bool, extra: str = "") -> str:
    return cluster_yaml(
        "c1",
        extra=f"clusterNetwork: {{konnectivityEnabled: {str(konnectivity).lower()}}}\n" + extra,
    )


def _notices(make_repo: Callable[..., Repo], files: dict[str, str]) -> list[tuple[str, int]]:
    repo = make_repo(base=files)
    found = check_fleet(SourceOptions(repo=repo.path)).diagnostics
    return [(d.field, d.location.line or 0) for d in found if d.code == TUNNEL_PORT_NOTICE]


@pytest.mark.parametrize("konnectivity", [False, True], ids=["openvpn", "konnectivity"])
def test_an_unknown_tunnel_node_port_is_a_notice_on_the_annotations(
    konnectivity: bool, make_repo: Callable[..., Repo]
) -> None:
    assert _notices(make_repo, {"clusters/c1.yaml": _spec(konnectivity)}) == [
        ("metadata.annotations", 3)
    ]


@pytest.mark.parametrize("tunnel", ["openvpn", "konnectivity"])
def test_a_port_annotation_silences_the_notice(tunnel: str, make_repo: Callable[..., Repo]) -> None:
    konnectivity = tunnel == "konnectivity"
    annotated = _spec(konnectivity).replace("  name: c1\n", _ANNOTATED.format(tunnel=tunnel))
    assert _notices(make_repo, {"clusters/c1.yaml": annotated}) == []


@pytest.mark.parametrize("tunnel", ["openvpn", "konnectivity"])
def test_an_addon_server_port_silences_the_notice(
    tunnel: str, make_repo: Callable[..., Repo]
) -> None:
    files = {
        "clusters/c1.yaml": _spec(tunnel == "konnectivity"),
        "clusters/c1-addon.yaml": _SERVER_PORT.format(tunnel=tunnel),
    }
    assert _notices(make_repo, files) == []


def test_tunneling_fixes_the_ports_so_there_is_no_notice(make_repo: Callable[..., Repo]) -> None:
    config_gate = "KonnectivityService: true\n    TunnelingExposeStrategy: true"
    repo = make_repo(
        base={"clusters/c1.yaml": _spec(False, "exposeStrategy: Tunneling\n")},
        config=CONFIG.replace("KonnectivityService: true", config_gate),
    )
    found = check_fleet(SourceOptions(repo=repo.path)).diagnostics
    assert [d for d in found if d.code == TUNNEL_PORT_NOTICE] == []


def test_check_prints_the_notice_render_prints(
    make_repo: Callable[..., Repo], run_cli: Callable[..., Result]
) -> None:
    repo = make_repo(base={"clusters/c1.yaml": _spec(False)})
    line = (
        "clusters/c1.yaml:3:1: notice[network.tunnel-port.unknown]: metadata.annotations: the "
        "NodePort of the seed's openvpn-server Service is not known, so the openvpn-client "
        "ConfigMap is not rendered and KKP keeps managing it"
    )
    assert line in run_cli(["check", "--repo", str(repo.path)]).stderr.splitlines()
