"""KubermaticConfiguration: the platform's KKP settings kkpgen needs (feature gates, addons)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, StrictBool

from generator.spec.models.base import KKPModel, ObjectMeta

# Annotations that hold kkpgen's own settings, so that a commit renders reproducibly.
KKP_VERSION_ANNOTATION = "kkpgen/kkp-version"
ARGOCD_REPO_ANNOTATION = "kkpgen/argocd-repo-url"
ARGOCD_REVISION_ANNOTATION = "kkpgen/argocd-revision"
ARGOCD_PATH_ANNOTATION = "kkpgen/argocd-path"
SEED_DESTINATION_ANNOTATION = "kkpgen/seed-destination"
# "applicationset" (default): one ApplicationSet per destination kind; "applications": one
# Application file per cluster and destination.
ARGOCD_MODE_ANNOTATION = "kkpgen/argocd-mode"
# A Cluster label: the rollout wave of a cluster ("1", "2", ...); disruptive changes roll out
# wave by wave (the ApplicationSet's RollingSync steps; `diff` groups its warnings by it).
ROLLOUT_WAVE_LABEL = "kkpgen/rollout-wave"
# On a Cluster: the NodePorts Kubernetes gave the seed's konnectivity-server and
# openvpn-server Services, which the agents in the user cluster dial.
KONNECTIVITY_PORT_ANNOTATION = "kkpgen/konnectivity-server-port"
OPENVPN_PORT_ANNOTATION = "kkpgen/openvpn-server-port"
# Apiserver URL of clusters whose spec has no address.url yet, "{name}" = the cluster name.
APISERVER_URL_ANNOTATION = "kkpgen/apiserver-url"


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
