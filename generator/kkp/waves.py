"""The rollout wave of a cluster (`kkpgen/rollout-wave`): a Kubernetes label value, since
kkpgen copies it onto the cluster's Applications, and a key the waves are ordered by.

A rule like those of rules.py, listed in RULES (registry.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kkpgen.diagnostics import Violation
from kkpgen.kkp.subject import Code, Rule, RuleContext, Subject, rule
from kkpgen.models.labels import ROLLOUT_WAVE_LABEL

# Kubernetes' label value (apimachinery validation.IsValidLabelValue): at most 63
# characters, alphanumerics, '-', '_' and '.', starting and ending with an alphanumeric.
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
MAX_LABEL_VALUE = 63
# Waves that are numbers are ordered by value: compared as 12-digit strings (wave_order).
MAX_WAVE_DIGITS = 12
_HINT = (
    'use a number such as "1" or "2" (waves roll out in their order), or a name of letters, '
    'digits, "-", "_" and "." that starts and ends with a letter or digit (at most 63)'
)


def wave_order(wave: str) -> tuple[bool, bool, str]:
    """Waves in rollout order: numbers by value, then names in text order, then no wave.
    The one order of the ApplicationSet's RollingSync steps, `diff` and `plan`."""
    return (not wave, not wave.isdigit(), wave.zfill(MAX_WAVE_DIGITS) if wave.isdigit() else wave)


@rule(
    Code(
        "cluster.rollout-wave.invalid",
        "error",
        "metadata.labels.kkpgen/rollout-wave",
        "use a number, or a Kubernetes label value",
    ),
    Code(
        "cluster.rollout-wave.order",
        "error",
        "metadata.labels.kkpgen/rollout-wave",
        "write the number without leading zeros, in at most 12 digits",
    ),
)
def rollout_wave_valid(subject: Subject, _: RuleContext) -> Iterator[Violation]:
    """Kubernetes rejects the generated Applications whose label is not a label value;
    "01" and "1" would be two steps of RollingSync with one place in the order."""
    wave = subject.resolved.labels.get(ROLLOUT_WAVE_LABEL)
    if wave is None:
        return
    field = ("metadata", "labels", ROLLOUT_WAVE_LABEL)
    if len(wave) > MAX_LABEL_VALUE or not _LABEL_VALUE.fullmatch(wave):
        yield Violation(
            "cluster.rollout-wave.invalid",
            field,
            f"rollout wave {wave!r} is not a Kubernetes label value, which the cluster's "
            "Argo CD Applications carry",
            _HINT,
        )
    elif wave.isdigit() and (wave != str(int(wave)) or len(wave) > MAX_WAVE_DIGITS):
        yield Violation(
            "cluster.rollout-wave.order",
            field,
            f"rollout wave {wave!r} cannot be ordered: a number has no leading zeros and at "
            f"most {MAX_WAVE_DIGITS} digits",
            f'write "{int(wave)}"' if len(str(int(wave))) <= MAX_WAVE_DIGITS else _HINT,
        )


RULES: tuple[Rule[Subject], ...] = (rollout_wave_valid,)
