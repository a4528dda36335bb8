"""Hand-made JSON schemas for the Argo CD objects kkpgen writes to `<out>/argocd/`.

Written from Argo CD's documented CRDs (argoproj/argo-cd manifests/crds/application-crd.yaml
and appproject-crd.yaml; docs "Declarative Setup"), for argoproj.io/v1alpha1, covering the
fields listed below. Tools and options kkpgen does not use (helm, kustomize, plugin, roles,
sync windows, ...) keep unknown fields (x-kubernetes-preserve-unknown-fields) rather than
being spelled out. Strictness (no unknown fields elsewhere) is added by schemas.standalone.
A CRD for these kinds rendered in the tree replaces this schema for that cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

JSONObject = dict[str, object]
OBJECT_META = {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
API_VERSION = "argoproj.io/v1alpha1"

_STRING: JSONObject = {"type": "string"}
_BOOL: JSONObject = {"type": "boolean"}
_INT: JSONObject = {"type": "integer"}
_STRINGS: JSONObject = {"type": "array", "items": _STRING}
_STRING_MAP: JSONObject = {"type": "object", "additionalProperties": _STRING}
_OPEN: JSONObject = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _object(properties: JSONObject, required: Sequence[str] = ()) -> JSONObject:
    schema: JSONObject = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _list_of(item: JSONObject) -> JSONObject:
    return {"type": "array", "items": item}


_DESTINATION = _object({"server": _STRING, "name": _STRING, "namespace": _STRING})
_GROUP_KIND = _object({"group": _STRING, "kind": _STRING}, required=("group", "kind"))

_SOURCE = _object(
    {
        "repoURL": _STRING,
        "path": _STRING,
        "targetRevision": _STRING,
        "chart": _STRING,
        "ref": _STRING,
        "name": _STRING,
        "directory": _object(
            {"recurse": _BOOL, "include": _STRING, "exclude": _STRING, "jsonnet": _OPEN}
        ),
        "helm": _OPEN,
        "kustomize": _OPEN,
        "plugin": _OPEN,
    },
    required=("repoURL",),
)

_SYNC_POLICY = _object(
    {
        "automated": _object(
            {"prune": _BOOL, "selfHeal": _BOOL, "allowEmpty": _BOOL, "enabled": _BOOL}
        ),
        "syncOptions": _STRINGS,
        "retry": _object(
            {
                "limit": _INT,
                "refresh": _BOOL,
                "backoff": _object({"duration": _STRING, "factor": _INT, "maxDuration": _STRING}),
            }
        ),
        "managedNamespaceMetadata": _object({"labels": _STRING_MAP, "annotations": _STRING_MAP}),
    }
)

_IGNORE_DIFFERENCE = _object(
    {
        "group": _STRING,
        "kind": _STRING,
        "name": _STRING,
        "namespace": _STRING,
        "jsonPointers": _STRINGS,
        "jqPathExpressions": _STRINGS,
        "managedFieldsManagers": _STRINGS,
    },
    required=("kind",),
)

_APPLICATION_SPEC = _object(
    {
        "project": _STRING,
        "source": _SOURCE,
        "sources": _list_of(_SOURCE),
        "destination": _DESTINATION,
        "syncPolicy": _SYNC_POLICY,
        "ignoreDifferences": _list_of(_IGNORE_DIFFERENCE),
        "info": _list_of(_object({"name": _STRING, "value": _STRING}, required=("name", "value"))),
        "revisionHistoryLimit": _INT,
    },
    required=("destination", "project"),
)

_APPPROJECT_SPEC = _object(
    {
        "description": _STRING,
        "sourceRepos": _STRINGS,
        "sourceNamespaces": _STRINGS,
        "destinations": _list_of(_DESTINATION),
        "clusterResourceWhitelist": _list_of(_GROUP_KIND),
        "clusterResourceBlacklist": _list_of(_GROUP_KIND),
        "namespaceResourceWhitelist": _list_of(_GROUP_KIND),
        "namespaceResourceBlacklist": _list_of(_GROUP_KIND),
        "orphanedResources": _OPEN,
        "roles": _list_of(_OPEN),
        "syncWindows": _list_of(_OPEN),
        "signatureKeys": _list_of(_object({"keyID": _STRING}, required=("keyID",))),
        "permitOnlyProjectScopedClusters": _BOOL,
    }
)


_APPLICATION_TEMPLATE = _object(
    {
        "metadata": _object(
            {
                "name": _STRING,
                "namespace": _STRING,
                "labels": _STRING_MAP,
                "annotations": _STRING_MAP,
                "finalizers": _STRINGS,
            }
        ),
        "spec": _APPLICATION_SPEC,
    },
    required=("metadata", "spec"),
)

_SELECTOR_REQUIREMENT = _object(
    {"key": _STRING, "operator": {"enum": ["In", "NotIn"]}, "values": _STRINGS},
    required=("key", "operator"),
)

# ApplicationSet (applicationset-crd.yaml): the generators kkpgen writes (git) are spelled
# out; the others keep unknown fields.
_APPLICATIONSET_SPEC = _object(
    {
        "goTemplate": _BOOL,
        "goTemplateOptions": _STRINGS,
        "generators": _list_of(
            _object(
                {
                    "git": _object(
                        {
                            "repoURL": _STRING,
                            "revision": _STRING,
                            "files": _list_of(_object({"path": _STRING}, required=("path",))),
                            "directories": _list_of(
                                _object({"path": _STRING, "exclude": _BOOL}, required=("path",))
                            ),
                            "pathParamPrefix": _STRING,
                            "requeueAfterSeconds": _INT,
                        },
                        required=("repoURL", "revision"),
                    ),
                    "list": _OPEN,
                    "clusters": _OPEN,
                    "matrix": _OPEN,
                    "merge": _OPEN,
                    "scmProvider": _OPEN,
                    "pullRequest": _OPEN,
                    "clusterDecisionResource": _OPEN,
                    "plugin": _OPEN,
                    "selector": _OPEN,
                }
            )
        ),
        "strategy": _object(
            {
                "type": {"enum": ["AllAtOnce", "RollingSync"]},
                "rollingSync": _object(
                    {
                        "steps": _list_of(
                            _object(
                                {
                                    "matchExpressions": _list_of(_SELECTOR_REQUIREMENT),
                                    "maxUpdate": {"anyOf": [_INT, _STRING]},
                                }
                            )
                        )
                    }
                ),
            }
        ),
        "template": _APPLICATION_TEMPLATE,
        "syncPolicy": _OPEN,
        "preservedFields": _OPEN,
        "ignoreApplicationDifferences": _list_of(_OPEN),
        "templatePatch": _STRING,
    },
    required=("generators", "template"),
)


def _top_level(kind: str, spec: JSONObject) -> JSONObject:
    properties: JSONObject = {
        "apiVersion": {"type": "string", "enum": [API_VERSION]},
        "kind": {"type": "string", "enum": [kind]},
        "metadata": OBJECT_META,
        "spec": spec,
        # written by the controller; allowed so that a round-tripped object still validates
        "status": _OPEN,
    }
    if kind == "Application":
        properties["operation"] = _OPEN
    return _object(properties, required=("metadata", "spec"))


# (apiVersion, kind, schema); schemas.py names the files and adds strictness and $defs
ARGOCD_SCHEMAS: tuple[tuple[str, str, JSONObject], ...] = (
    (API_VERSION, "Application", _top_level("Application", _APPLICATION_SPEC)),
    (API_VERSION, "AppProject", _top_level("AppProject", _APPPROJECT_SPEC)),
    (API_VERSION, "ApplicationSet", _top_level("ApplicationSet", _APPLICATIONSET_SPEC)),
)
