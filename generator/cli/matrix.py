"""`kkpgen versions` as text: one block per KKP release, a line per CNI and its deprecations.

Deprecated versions that share a reason share a line, so a release with 25 deprecated Cilium
versions stays readable in a terminal; Kubernetes versions are grouped by minor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kkpgen.escape import terminal
from kkpgen.kkp.catalog import CNISupport, KKPRelease

_INDENT = "  "
_LABEL_WIDTH = 12


def release_block(release: KKPRelease) -> str:
    """The lines `kkpgen versions` prints for one release, ending with a newline."""
    name = release.version if release.patch else f"{release.version}.x"
    lines = [f"KKP {name}"]
    for cni, support in release.cni.items():
        if cni != "none":
            lines.extend(_cni_lines(cni, support))
    if release.patch is not None:
        lines.append(_row("kubernetes", _by_minor(release.patch.kubernetes_versions)))
    return "".join(terminal(line) + "\n" for line in lines)


def _row(label: str, text: str) -> str:
    return f"{_INDENT}{label:<{_LABEL_WIDTH}}{text}"


def _cni_lines(cni: str, support: CNISupport) -> Iterator[str]:
    listed = [f"{v} (default)" if v == support.default else v for v in support.supported]
    yield _row(cni, ", ".join(listed))
    for reason, versions in _by_reason(support.deprecated).items():
        yield _row("", f"deprecated {', '.join(versions)}: {reason}")


def _by_reason(deprecated: Mapping[str, str]) -> dict[str, list[str]]:
    """{reason: versions} in the order the versions are listed."""
    grouped: dict[str, list[str]] = {}
    for version, reason in deprecated.items():
        grouped.setdefault(reason, []).append(version)
    return grouped


def _by_minor(versions: tuple[str, ...]) -> str:
    """ "1.33 (1.33.0-1.33.13, 12 patches), 1.36 (1.36.3)": each minor's lowest and highest."""
    minors: dict[str, list[str]] = {}
    for version in versions:
        minors.setdefault(version.rsplit(".", 1)[0], []).append(version)
    cells = []
    for minor, patches in minors.items():
        span = patches[0] if len(patches) == 1 else f"{patches[0]}-{patches[-1]}"
        count = f", {len(patches)} patches" if len(patches) > 2 else ""
        cells.append(f"{minor} ({span}{count})")
    return ", ".join(cells)
