"""The CMP example Application of docs/argocd-cmp.md carries the ignore rules and sync options
kkpgen's own Applications carry (docs/ownership.md, point 4): a user copies it as it is."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kkpgen.render.applications import ArgoTarget, ignore_differences, sync_policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "argocd-cmp.md"


def _yaml_blocks() -> list[object]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]


def test_the_example_application_ignores_what_kkpgens_user_cluster_applications_ignore() -> None:
    (app,) = [b for b in _yaml_blocks() if isinstance(b, dict) and b.get("kind") == "Application"]
    assert app["spec"]["ignoreDifferences"] == ignore_differences(
        ArgoTarget("prod-eu-1", "user-cluster")
    )
    assert app["spec"]["syncPolicy"] == {
        key: value for key, value in sync_policy().items() if key != "retry"
    }


def test_the_seed_example_ignores_what_kkpgens_seed_applications_ignore() -> None:
    (seed,) = [b for b in _yaml_blocks() if isinstance(b, dict) and set(b) == {"ignoreDifferences"}]
    target = ArgoTarget("prod-eu-1", "seed", unpinned_node_ports=("konnectivity-server",))
    assert seed["ignoreDifferences"] == ignore_differences(target)
