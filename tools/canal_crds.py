"""Read the CRDs of KKP's canal addon per Canal version and write them as chart data.

Usage (a git mirror of kubermatic/kubermatic; tags newest first):

    python -m tools.canal_crds --git-dir <mirror> v2.31.0 v2.26.13 v2.20.16 \
        > charts/canal/files/crds.yaml

For each Canal version the newest given tag whose addon has it is read. Every CRD is kept
without its schema (KKP owns the schemas; the chart carries kkpgen's own,
charts/canal/files/crd-schemas.yaml): its identity (group, names, scope, versions) once
under `crds`, and per Canal version what that version's CRD carries besides it
(annotations, `preserveUnknownFields`, any identity field that differs there).

Canal v3.8's CRDs are KKP's `apiextensions.k8s.io/v1beta1` (Kubernetes 1.22 dropped it):
they are written as the v1 CRDs kkpgen renders, `spec.version` as the one served and stored
version and `listKind` as the API server defaults it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import cast

import yaml

from tools.kkp_addon_facts import Json, Variant, _addon_text, kkp_objects

CANAL_VERSIONS = (
    "v3.8", "v3.19", "v3.20", "v3.21", "v3.22", "v3.23", "v3.24", "v3.25", "v3.26", "v3.27",
    "v3.28", "v3.29", "v3.30", "v3.31",
)  # fmt: skip
IDENTITY = ("group", "names", "scope", "versions")

HEADER = """\
# The CRDs KKP's canal addon applies, per Canal version, without their schemas (KKP owns
# them): `crds` holds each CRD's identity, `canal.<version>` what that version's CRD carries
# besides it. Generated: do not edit by hand. Written by
#   python -m tools.canal_crds --git-dir <kubermatic mirror> {tags}
# templates/crds-customresourcedefinition.yaml renders them.
"""


def _as_v1(spec: dict[str, Json]) -> dict[str, Json]:
    """A v1beta1 CRD's spec as the v1 CRD kkpgen renders for it."""
    if "version" not in spec:
        return spec
    out = {k: v for k, v in spec.items() if k != "version"}
    names = dict(cast("dict[str, Json]", spec["names"]))
    names.setdefault("listKind", f"{names['kind']}List")
    out["names"] = names
    out["versions"] = [{"name": spec["version"], "served": True, "storage": True}]
    return out


def version_crds(git_dir: str, tag: str, version: str) -> dict[str, dict[str, Json]]:
    """name -> {metadata annotations, spec without schemas} of one Canal version at a tag."""
    variant = Variant("canal", "canal", version, "ipvs")
    found: dict[str, dict[str, Json]] = {}
    for obj in kkp_objects(_addon_text(git_dir, tag, "canal"), variant).values():
        if obj["kind"] != "CustomResourceDefinition":
            continue
        meta = cast("dict[str, Json]", obj["metadata"])
        spec = _as_v1(dict(cast("dict[str, Json]", obj["spec"])))
        spec["versions"] = [
            {k: v for k, v in cast("dict[str, Json]", entry).items() if k != "schema"}
            for entry in cast("list[Json]", spec["versions"])
        ]
        found[str(meta["name"])] = {"annotations": meta.get("annotations"), **spec}
    return found


def collect(git_dir: str, tags: Sequence[str]) -> dict[str, dict[str, dict[str, Json]]]:
    """Canal version -> its CRDs, each read at the newest tag that has the version."""
    out: dict[str, dict[str, dict[str, Json]]] = {}
    for version in CANAL_VERSIONS:
        for tag in tags:
            crds = version_crds(git_dir, tag, version)
            if crds:
                out[version] = crds
                break
        else:
            raise SystemExit(f"no tag given has Canal {version}")
    return out


def split(
    per_version: Mapping[str, Mapping[str, Mapping[str, Json]]],
) -> dict[str, object]:
    """Identities (from the newest version with each CRD) and per-version remainders."""
    identity: dict[str, dict[str, Json]] = {}
    for crds in reversed(list(per_version.values())):
        for name, crd in crds.items():
            identity.setdefault(name, {k: crd[k] for k in IDENTITY})
    canal: dict[str, dict[str, dict[str, Json]]] = {}
    for version, crds in per_version.items():
        canal[version] = {
            name: {
                k: v
                for k, v in crd.items()
                if v is not None and (k not in IDENTITY or v != identity[name][k])
            }
            for name, crd in sorted(crds.items())
        }
    return {"crds": dict(sorted(identity.items())), "canal": canal}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--git-dir", required=True, help="a git mirror of kubermatic/kubermatic")
    parser.add_argument("tags", nargs="+", help="KKP tags, newest first")
    args = parser.parse_args(argv)
    data = split(collect(args.git_dir, args.tags))
    text = yaml.safe_dump(data, sort_keys=False, width=100, default_flow_style=None)
    sys.stdout.write(HEADER.format(tags=" ".join(args.tags)) + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
