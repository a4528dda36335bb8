"""CustomResourceDefinitions found in the output tree, and the JSON schemas of their kinds."""

from __future__ import annotations

import json
from dataclasses import dataclass

JSONObject = dict[str, object]
OBJECT_META = "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@dataclass(frozen=True, slots=True)
class CustomResourceDefinition:
    file: str  # tree-relative path of the CRD manifest (for error messages)
    group: str
    kind: str
    versions: tuple[tuple[str, str], ...]  # (version name, openAPIV3Schema as canonical JSON)


def parse_crd(file: str, document: object) -> CustomResourceDefinition | None:
    """The CRD in `document`, or None when it is malformed (its own schema check says why)."""
    spec = document.get("spec") if isinstance(document, dict) else None
    if not isinstance(spec, dict):
        return None
    names, group, versions = spec.get("names"), spec.get("group"), spec.get("versions")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not (isinstance(group, str) and isinstance(kind, str) and isinstance(versions, list)):
        return None
    parsed: list[tuple[str, str]] = []
    for version in versions:
        name = version.get("name") if isinstance(version, dict) else None
        if not isinstance(name, str):
            return None
        schema = version.get("schema")
        body = schema.get("openAPIV3Schema") if isinstance(schema, dict) else None
        # no schema: apiextensions/v1 then keeps unknown fields, so we do too
        body = body if isinstance(body, dict) else {"x-kubernetes-preserve-unknown-fields": True}
        parsed.append((name, json.dumps(body, sort_keys=True, separators=(",", ":"))))
    return CustomResourceDefinition(file=file, group=group, kind=kind, versions=tuple(parsed))


def crd_schemas(crd: CustomResourceDefinition) -> list[tuple[str, str, JSONObject]]:
    """(apiVersion, kind, schema) per version; strictness and `$defs` are added by the caller."""
    out: list[tuple[str, str, JSONObject]] = []
    for version, text in crd.versions:
        schema = {key: _from_openapi(value) for key, value in json.loads(text).items()}
        properties = schema.get("properties")
        properties = dict(properties) if isinstance(properties, dict) else {}
        properties["apiVersion"] = {"type": "string", "enum": [f"{crd.group}/{version}"]}
        properties["kind"] = {"type": "string", "enum": [crd.kind]}
        properties["metadata"] = {"$ref": OBJECT_META}
        schema.update(type="object", properties=properties)
        out.append((f"{crd.group}/{version}", crd.kind, schema))
    return out


def _from_openapi(node: object) -> object:
    """OpenAPI v3 (as CRDs write it) → JSON Schema: `nullable` and int-or-string have no
    JSON Schema keyword, so spell them out (kubeconform scripts/openapi2jsonschema.py)."""
    if isinstance(node, list):
        return [_from_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _from_openapi(value) for key, value in node.items()}
    if out.get("x-kubernetes-int-or-string") is True or out.get("format") == "int-or-string":
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out
