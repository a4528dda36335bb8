"""KubermaticConfiguration: the platform's KKP settings kkpgen needs (feature gates, addons)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, StrictBool

from kkpgen.models.kkp_model import KKPModel, ObjectMeta


class KubermaticAPIConfiguration(KKPModel):
    accessible_addons: tuple[str, ...] = ()
    docker_repository: JsonValue = None
    pprof_endpoint: JsonValue = None
    resources: JsonValue = None
    debug_log: JsonValue = None
    replicas: JsonValue = None


class KubermaticConfigurationSpec(KKPModel):
    feature_gates: dict[str, StrictBool] = Field(default_factory=dict)
    api: KubermaticAPIConfiguration = KubermaticAPIConfiguration()
    # The rest of KKP v2.20's KubermaticConfigurationSpec, not interpreted by kkpgen.
    ca_bundle: JsonValue = None
    image_pull_secret: JsonValue = None
    auth: JsonValue = None
    ui: JsonValue = None
    seed_controller: JsonValue = None
    master_controller: JsonValue = None
    user_cluster: JsonValue = None
    expose_strategy: JsonValue = None
    ingress: JsonValue = None
    versions: JsonValue = None
    vertical_pod_autoscaler: JsonValue = None
    proxy: JsonValue = None


class KubermaticConfiguration(KKPModel):
    api_version: Literal["kubermatic.k8c.io/v1", "operator.kubermatic.io/v1alpha1"]
    kind: Literal["KubermaticConfiguration"]
    metadata: ObjectMeta
    spec: KubermaticConfigurationSpec = KubermaticConfigurationSpec()

    def feature_enabled(self, gate: str) -> bool:
        return self.spec.feature_gates.get(gate, False)
