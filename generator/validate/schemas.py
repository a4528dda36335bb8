"""Build the kubeconform-layout schema folder (offline, cached) that both backends read.

Layout: `<cache_dir>/v<bundled k8s version>-<content hash>/<kind><kind suffix>.json`, the
names kubeconform's `-schema-location .../{{ .ResourceKind }}{{ .KindSuffix }}.json` expects
(yannh/kubeconform pkg/registry/registry.go `schemaPath`). Each file is standalone: every
`$ref` is local (`#/$defs/...`), with only the definitions it reaches copied in, so kubeconform
and python-jsonschema resolve them without network or a registry. `$defs` are kept instead of
inlining because some are recursive (JSONSchemaProps in CustomResourceDefinition).

Known limitation: kubernetes-validate 1.37.0 bundles schemas for Kubernetes 1.25 to 1.37.
A cluster on an older minor (e.g. 1.23) is checked against the oldest bundle (1.25), and a
newer one against the newest: fields removed or added since then are judged by that bundle.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata, resources
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from kkpgen.source.private import UntrustedFolder, open_private
from kkpgen.validate.argocd import argocd_digest, argocd_schemas
from kkpgen.validate.crd import CustomResourceDefinition, crd_schemas
from kkpgen.validate.finding import environment_error

# Bump when the generated files change shape, so old cache folders are not reused.
FORMAT = 2  # 2: Argo CD schemas from its CRDs (argocd.py)
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_BUNDLE_REF = "/api/_definitions.json#"  # how kubernetes-validate's kind files point at $defs
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")

JSONObject = dict[str, object]


def schema_file_name(api_version: str, kind: str) -> str:
    """`deployment-apps-v1.json`: kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json`."""
    group_version = api_version.split("/")
    suffix = "-" + group_version[0].split(".")[0].lower()
    if len(group_version) > 1:
        suffix += "-" + group_version[1].lower()
    return f"{kind.lower()}{suffix}.json"


def bundle_root() -> Path:
    root = Path(str(resources.files("kubernetes_validate") / "kubernetes-json-schema"))
    if not root.is_dir():
        raise environment_error(
            "validate.schemas.missing",
            message=f"kubernetes-validate has no schema folder at {root}",
            hint="reinstall it: pip install kubernetes-validate==1.37.0",
        )
    return root


def bundled_versions(root: Path) -> tuple[tuple[int, int, int], ...]:
    found = (_VERSION_DIR.match(p.name) for p in root.iterdir())
    return tuple(sorted((int(m[1]), int(m[2]), int(m[3])) for m in found if m))


def pick_bundle(kubernetes_version: str | None, available: Sequence[tuple[int, int, int]]) -> str:
    """The newest bundle not newer than the cluster's minor; the oldest if none is (see
    above); the newest when `kubernetes_version` is None or not a version."""
    if not available:
        raise environment_error(
            "validate.schemas.missing",
            message="kubernetes-validate bundles no Kubernetes schemas",
            hint="reinstall it: pip install kubernetes-validate==1.37.0",
        )
    chosen = available[-1]
    wanted = re.match(r"^v?(\d+)\.(\d+)", kubernetes_version or "")
    if wanted:
        minor = (int(wanted[1]), int(wanted[2]))
        older = [v for v in available if v[:2] <= minor]
        chosen = older[-1] if older else available[0]
    return ".".join(map(str, chosen))


def build_schema_dir(
    *, cache_dir: Path, kubernetes_version: str | None, crds: Sequence[CustomResourceDefinition]
) -> Path:
    """The schema folder for this Kubernetes version and CRD set; built once, then reused
    while every file in it still has the digest it was written with."""
    root = bundle_root()
    bundle = pick_bundle(kubernetes_version, bundled_versions(root))
    crds = sorted(set(crds), key=lambda c: (c.group, c.kind, c.versions))
    removed = _removed_apis(kubernetes_version)
    target = cache_dir / f"v{bundle}-{_cache_key(bundle, crds, removed)}"
    if target.is_dir() and not target.is_symlink():
        if _verified(target):
            return target
        _set_aside(target)  # edited or cut short (a schema replaced with {} passed anything)
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_dir))
    try:
        _write_all(staging, bundle_dir=root / f"v{bundle}-local", crds=crds, removed=removed)
        _write_digests(staging)
        staging.chmod(0o755)
        staging.replace(target)  # atomic: a reader sees no folder or a complete one
    except OSError:
        if not target.is_dir():  # a concurrent run that won the rename is fine
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@contextlib.contextmanager
def usable_cache(cache_dir: Path | None) -> Iterator[Path]:
    """`cache_dir` when it is private (this user's, closed to others, no link on the way
    there: source/private.py); else (or with none) a temporary folder of this run."""
    folder = None if cache_dir is None else cache_dir.absolute()
    if folder is not None and _private(folder):
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="kkpgen-schemas-") as temporary:
        yield Path(temporary)


def _private(folder: Path) -> bool:
    try:
        os.close(open_private(folder.parent, folder.name))
    except (UntrustedFolder, OSError):
        return False
    return True


DIGESTS = ".kkpgen-digests.json"  # in each schema folder: file name -> sha256 of its bytes


def _digests(folder: Path) -> dict[str, str] | None:
    """Every entry's sha256; None when an entry is not a regular file (a link, a folder)."""
    found: dict[str, str] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name == DIGESTS:
                continue
            if not entry.is_file(follow_symlinks=False):
                return None
            found[entry.name] = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
    return found


def _write_digests(folder: Path) -> None:
    digests = _digests(folder) or {}
    text = json.dumps(digests, sort_keys=True, indent=0)
    (folder / DIGESTS).write_text(text + "\n", encoding="utf-8")


def _verified(folder: Path) -> bool:
    """The folder holds exactly the files it was built with, with their bytes."""
    try:
        recorded = json.loads((folder / DIGESTS).read_text(encoding="utf-8"))
        return bool(recorded) and _digests(folder) == recorded
    except (OSError, ValueError):
        return False


def _set_aside(folder: Path) -> None:
    """Move a folder that failed verification out of the way, then remove it."""
    aside = Path(tempfile.mkdtemp(prefix=".bad-", dir=folder.parent))
    with contextlib.suppress(OSError):
        folder.rename(aside / "schemas")
    shutil.rmtree(aside, ignore_errors=True)


# APIs that Kubernetes served before the oldest bundle (1.25) and KKP still applies to older
# clusters, with the served API whose schema they share: (removed in, old, new, kind).
# policy/v1beta1 PodDisruptionBudget (KKP v2.17-v2.20) has v1's fields; batch/v1beta1
# CronJob (KKP's hubble addon before v2.20.16) has v1's but `timeZone`; 1.25 removed both.
REMOVED_APIS: tuple[tuple[tuple[int, int], str, str, str], ...] = (
    ((1, 25), "policy/v1beta1", "policy/v1", "PodDisruptionBudget"),
    ((1, 25), "batch/v1beta1", "batch/v1", "CronJob"),
)


def _removed_apis(kubernetes_version: str | None) -> tuple[tuple[str, str, str], ...]:
    wanted = re.match(r"^v?(\d+)\.(\d+)", kubernetes_version or "")
    if wanted is None:
        return ()
    minor = (int(wanted.group(1)), int(wanted.group(2)))
    return tuple((old, new, kind) for until, old, new, kind in REMOVED_APIS if minor < until)


def _cache_key(
    bundle: str,
    crds: Sequence[CustomResourceDefinition],
    removed: Sequence[tuple[str, str, str]] = (),
) -> str:
    material = {
        "removed": [list(r) for r in removed],
        "format": FORMAT,
        "kubernetes-validate": metadata.version("kubernetes-validate"),
        "bundle": bundle,
        "argocd": argocd_digest(),
        "crds": [[c.group, c.kind, c.versions] for c in crds],
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_all(
    target: Path,
    *,
    bundle_dir: Path,
    crds: Sequence[CustomResourceDefinition],
    removed: Sequence[tuple[str, str, str]] = (),
) -> None:
    defs = _load_definitions(bundle_dir)
    files = dict(_kubernetes_schemas(bundle_dir))
    for old, new, kind in removed:
        served = files.get(schema_file_name(new, kind))
        if served is not None:
            alias = json.loads(json.dumps(served))
            alias["properties"]["apiVersion"]["enum"] = [old]
            files[schema_file_name(old, kind)] = alias
    files.update((schema_file_name(a, k), schema) for a, k, schema in argocd_schemas())
    for crd in crds:  # a CRD rendered in the tree is the truth for its kinds
        for api_version, kind, schema in crd_schemas(crd):
            _check_crd_schema(crd, standalone(schema, defs))
            files[schema_file_name(api_version, kind)] = schema
    for name, schema in sorted(files.items()):
        text = json.dumps(standalone(schema, defs), sort_keys=True, separators=(",", ":"))
        (target / name).write_text(text + "\n", encoding="utf-8")


def _load_definitions(bundle_dir: Path) -> Mapping[str, JSONObject]:
    try:
        document = json.loads((bundle_dir / "_definitions.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise environment_error(
            "validate.schemas.unreadable",
            message=f"cannot read {bundle_dir}/_definitions.json: {error}",
            hint="reinstall it: pip install --force-reinstall kubernetes-validate==1.37.0",
        ) from error
    defs: dict[str, JSONObject] = document["$defs"]
    for definition in defs.values():
        make_strict(definition)
    return defs


def _kubernetes_schemas(bundle_dir: Path) -> Iterator[tuple[str, JSONObject]]:
    """The top-level kinds (those with x-kubernetes-group-version-kind), not every definition."""
    for path in sorted(bundle_dir.glob("*.json")):
        if path.name in {"_definitions.json", "all.json"}:
            continue
        schema: JSONObject = json.loads(path.read_text(encoding="utf-8"))
        if "x-kubernetes-group-version-kind" in schema:
            schema.pop("$id", None)  # loaded by path; an https $id would invite fetching
            yield path.name, schema


def make_strict(schema: object, *, schema_map: bool = False) -> object:
    """kubeconform -strict: `additionalProperties: false` where properties are listed and no
    additionalProperties is, unless x-kubernetes-preserve-unknown-fields keeps unknown fields.
    `schema_map` marks a name → schema mapping (`properties`, `$defs`), not a schema itself."""
    if isinstance(schema, dict):
        if (
            not schema_map
            and isinstance(schema.get("properties"), dict)
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for key, value in schema.items():
            is_map = not schema_map and key in {"properties", "patternProperties", "$defs"}
            make_strict(value, schema_map=is_map)
    elif isinstance(schema, list):
        for item in schema:
            make_strict(item)
    return schema


def standalone(schema: JSONObject, defs: Mapping[str, JSONObject]) -> JSONObject:
    """A strict copy of `schema` with local refs only and the `$defs` it reaches attached."""
    body = {key: _localize_refs(value) for key, value in schema.items()}
    make_strict(body)
    needed: dict[str, JSONObject] = {}
    pending = sorted(_ref_names(body))
    while pending:
        name = pending.pop()
        if name in needed or name not in defs:
            continue
        needed[name] = defs[name]
        pending.extend(_ref_names(defs[name]))
    result: JSONObject = {**body, "$schema": DRAFT}
    if needed:
        result["$defs"] = dict(sorted(needed.items()))
    return result


def _localize_refs(node: object) -> object:
    if isinstance(node, dict):
        ref = node.get("$ref")
        out = {k: _localize_refs(v) for k, v in node.items()}
        if isinstance(ref, str) and ref.startswith(_BUNDLE_REF):
            out["$ref"] = "#" + ref[len(_BUNDLE_REF) :]
        return out
    if isinstance(node, list):
        return [_localize_refs(item) for item in node]
    return node


def _ref_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            yield ref[len("#/$defs/") :]
        for value in node.values():
            yield from _ref_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _ref_names(item)


def _check_crd_schema(crd: CustomResourceDefinition, schema: JSONObject) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise environment_error(
            "validate.schemas.crd",
            file=crd.file,
            message=f"cannot build a JSON schema from CRD {crd.kind}.{crd.group}: {error.message}",
            hint="fix spec.versions[].schema.openAPIV3Schema in the chart template of this CRD",
        ) from error
