"""Addon: KKP's kubermatic.k8c.io/v1 Addon (an optional component of one user cluster)."""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from kkpgen.models.kkp_model import KKPModel, ObjectMeta


class ClusterReference(KKPModel):
    """corev1.ObjectReference to the Cluster the addon belongs to."""

    name: str
    kind: str | None = None
    api_version: str | None = None
    uid: str | None = None
    namespace: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


class AddonSpec(KKPModel):
    name: str
    cluster: ClusterReference
    variables: dict[str, JsonValue] | None = None
    required_resource_types: JsonValue = None
    is_default: bool = False


class Addon(KKPModel):
    api_version: Literal["kubermatic.k8c.io/v1"]
    kind: Literal["Addon"]
    metadata: ObjectMeta
    spec: AddonSpec
