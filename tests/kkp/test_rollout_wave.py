"""kkpgen/rollout-wave: a Kubernetes label value and an order key, reported at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkpgen.diagnostics import Diagnostic, KkpgenError
from kkpgen.kkp.check import check_fleet
from kkpgen.models.options import SourceOptions
from tests.conftest import CONFIG, cluster_yaml


def _diagnostics(root: Path, wave: str) -> tuple[Diagnostic, ...]:
    (root / "clusters").mkdir()
    (root / "kubermatic.yaml").write_text(CONFIG)
    labels = f"kkpgen/rollout-wave: {wave}\n"
    (root / "clusters" / "c1.yaml").write_text(cluster_yaml("c1", labels=labels))
    try:
        return check_fleet(SourceOptions(repo=root)).diagnostics
    except KkpgenError as error:
        return error.diagnostics


@pytest.mark.parametrize(
    ("wave", "code"),
    [
        ('"wave one!"', "cluster.rollout-wave.invalid"),
        (f'"{"w" * 64}"', "cluster.rollout-wave.invalid"),
        ('"-1"', "cluster.rollout-wave.invalid"),
        ('"1."', "cluster.rollout-wave.invalid"),
        ('"01"', "cluster.rollout-wave.order"),
        ('"1234567890123"', "cluster.rollout-wave.order"),
    ],
    ids=[
        "space-and-bang",
        "64-characters",
        "minus-one",
        "trailing-dot",
        "leading-zero",
        "13-digits",
    ],
)
def test_a_rollout_wave_kubernetes_or_the_order_rejects_is_an_error_at_its_line(
    tmp_path: Path, wave: str, code: str
) -> None:
    found = [d for d in _diagnostics(tmp_path, wave) if d.code.startswith("cluster.rollout-wave")]
    assert [(d.code, d.field, d.location.file, d.location.line) for d in found] == [
        (code, "metadata.labels.kkpgen/rollout-wave", "clusters/c1.yaml", 6)
    ]
    assert found[0].severity == "error"


def test_a_leading_zero_hint_names_the_wave_to_write(tmp_path: Path) -> None:
    (found,) = [d for d in _diagnostics(tmp_path, '"007"') if d.code.startswith("cluster.roll")]
    assert found.hint == 'write "7"'


@pytest.mark.parametrize("wave", ['"1"', '"10"', '"0"', '"canary"', '"eu_west.2"', f'"{"w" * 63}"'])
def test_a_rollout_wave_that_is_a_label_value_and_orders_passes(tmp_path: Path, wave: str) -> None:
    assert not [d for d in _diagnostics(tmp_path, wave) if "rollout-wave" in d.code]
