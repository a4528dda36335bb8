"""Konnectivity and NodeLocal DNS objects at the newest patch of each supported KKP line,
compared whole with the facts read off KKP's source (kkp_parity_recent_facts.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kkpgen.models.options import SourceOptions
from kkpgen.output import update
from tests.conftest import CONFIG, cluster_yaml
from tests.render.test_kkp_parity import _matched, _set

FACTS: dict[str, dict[str, Any]] = yaml.safe_load(
    Path(__file__).with_name("kkp_parity_recent_facts.yaml").read_text()
)
PATCHES = ("v2.31.0", "v2.30.6", "v2.29.10")
HOST, PORT = "c1.kkp.example.com", 31000
FEATURES = "features: {apiserverNetworkPolicy: true, kubeSystemNetworkPolicies: true}\n"


def _render(root: Path, patch: str) -> dict[str, Any]:
    (root / "clusters").mkdir(parents=True)
    config = CONFIG.replace('"v2.20"', f'"{patch}"')
    (root / "kubermatic.yaml").write_text(
        config.replace("  featureGates:\n    KonnectivityService: true\n", "")
    )
    spec = cluster_yaml(
        "c1",
        version='"1.34.10"',
        extra=f"cniPlugin: {{type: canal, version: v3.30}}\n{FEATURES}",
    ).replace(
        "  name: c1\n",
        f'  name: c1\n  annotations: {{kkpgen/konnectivity-server-port: "{PORT}"}}\n',
        1,
    )
    (root / "clusters" / "c1.yaml").write_text(spec)
    update.render_fleet(SourceOptions(repo=root), update.RenderOptions(out=root / "out"))
    out = root / "out" / "c1"
    return {
        p.relative_to(out).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted(out.rglob("*.yaml"))
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {patch: _render(tmp_path_factory.mktemp(patch), patch) for patch in PATCHES}


def _expected(name: str, patch: str) -> Any:
    facts = FACTS[name]
    text = yaml.safe_dump(facts["common"]).replace("{host}", HOST)
    expected = yaml.safe_load(text.replace("'{port}'", str(PORT)).replace("{port}", str(PORT)))
    for path, value in (facts.get(patch) or {}).items():
        text = yaml.safe_dump(value).replace("{host}", HOST).replace("{port}", str(PORT))
        _set(expected, path, yaml.safe_load(text))
    return expected


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("name", sorted(FACTS))
def test_the_rendered_object_is_the_object_kkp_applies(
    rendered: dict[str, dict[str, Any]], name: str, patch: str
) -> None:
    tree = rendered[patch]
    assert FACTS[name]["file"] in tree, f"{name}: kkpgen does not render {FACTS[name]['file']}"
    expected = _expected(name, patch)
    assert _matched(expected, tree[FACTS[name]["file"]]) == expected, f"{name} at KKP {patch}"
