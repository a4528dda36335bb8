"""Which plain scalars Kubernetes' Go tools read as something other than a string.

kubectl, Argo CD and kubeconform read YAML with sigs.k8s.io/yaml, whose resolver is
go-yaml v2's (YAML 1.1 with Go's number syntax). PyYAML's resolver is narrower: it reads
`y`, `n`, `1e3`, `0o17`, `0x_1F`, `08` or `+.5` as strings and writes them plain,
where Go reads a boolean or a number (timestamps Go keeps as strings). The dumper below
quotes every string Go would not read back as that string, so what kkpgen writes means the
same to both readers.
"""

from __future__ import annotations

import math
import re

from yaml.nodes import Node, ScalarNode

from kkpgen.source.libyaml import SafeDumper

# go-yaml v2's resolve table: the words it maps to a boolean, null, infinity, NaN or merge.
_WORDS = frozenset(
    {
        *("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"),
        *("n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"),
        *("~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"),
        *("+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"),
    }
)
# Only a plain scalar starting with one of these is tried as a number or a timestamp.
_NUMERIC_START = frozenset("0123456789+-.")
# After go-yaml drops every "_": strconv.ParseInt, then ParseUint, with base 0 (0x, 0o, 0b,
# a leading 0 for octal), then go-yaml's float syntax (yamlStyleFloat, which accepts "08")
# through ParseFloat; then "0b" or "-0b" and a signed binary number, ParseInt(s[2:], 2).
_PREFIXED = re.compile(r"[-+]?0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_DECIMAL = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BINARY = re.compile(r"-?0b([-+]?[01]+)")
# A scalar starting with "." is only tried by strconv.ParseFloat, underscores and all.
_DOT_NUMBER = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_INT64 = range(-(2**63), 2**63)
_UINT64 = range(2**64)

_STR = "tag:yaml.org,2002:str"
# A tag no reader knows: its only use is to tell the emitter the plain form is not this string.
_NOT_A_STRING_TO_GO = "tag:kkpgen,2026:not-a-string-to-go"


def go_reads_as_string(text: str) -> bool:
    """Whether go-yaml v2 reads the plain scalar `text` as the string `text`."""
    if text in _WORDS:
        return False
    if not text or text[0] not in _NUMERIC_START:
        return True
    if text[0] == ".":
        return not (_DOT_NUMBER.fullmatch(text) and _finite(text))
    return not _go_number(text.replace("_", ""))


def _go_number(plain: str) -> bool:
    if _PREFIXED.fullmatch(plain):
        value = int(plain, 0)
        return value in _INT64 or (plain[0] not in "+-" and value in _UINT64)
    if _DECIMAL.fullmatch(plain):
        return _finite(plain)
    binary = _BINARY.fullmatch(plain)
    return binary is not None and int(binary[1], 2) in _INT64


def _finite(text: str) -> bool:
    # strconv.ParseFloat refuses what overflows a float64, and Go keeps the string
    return math.isfinite(float(text))


class KubeSafeDumper(SafeDumper):
    """PyYAML's safe dumper that also quotes the strings Go's YAML reader would retype."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        # implicit[0]: the emitter asks which tag the scalar would have if written plain
        if (
            kind is ScalarNode
            and tag == _STR
            and implicit[0]
            and value is not None
            and not go_reads_as_string(value)
        ):
            return _NOT_A_STRING_TO_GO
        return tag
