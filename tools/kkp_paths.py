"""Where KKP keeps what tools/kkp_facts.py reads, per layout (newer layouts named _NEW)."""

from __future__ import annotations

CNI_VERSION_GO = "pkg/version/cni/version.go"
CNI_VERSION_GO_NEW = "pkg/cni/version.go"  # from v2.22
# v2.18 and older: the CNI matrix lives in the cluster webhooks (no deprecated set, no
# transitions table); v2.17 has no cniPlugin handling at all (every cluster runs Canal v3.8).
CNI_WEBHOOK_VALIDATION_GO = "pkg/webhook/cluster/validation/validation.go"
CNI_WEBHOOK_MUTATION_GO = "pkg/webhook/cluster/mutation/mutation.go"
CANAL_LAST_UNSPECIFIED_VERSION = "v3.8"  # cni.CanalCNILastUnspecifiedVersion (v2.19+)
OPERATOR_DEFAULTS_GO = "pkg/controller/operator/defaults/defaults.go"
OPERATOR_DEFAULTS_GO_OLD = "pkg/controller/operator/common/defaults.go"  # v2.17, v2.18
OPERATOR_DEFAULTS_GO_NEW = "pkg/defaulting/configuration.go"  # from v2.22
RESOURCES_GO = "pkg/resources/resources.go"
KONNECTIVITY_AGENT_GO = (
    "pkg/controller/user-cluster-controller-manager/resources/resources/konnectivity/deployment.go"
)
KONNECTIVITY_SERVER_GO = "pkg/resources/konnectivity/sidecar.go"
METRICS_SERVER_GO = "pkg/resources/metrics-server/deployment.go"
# metrics-server in the user cluster (Konnectivity clusters) and the reconciler that applies it.
_USER_CLUSTER_RESOURCES = "pkg/controller/user-cluster-controller-manager/resources/resources"
METRICS_SERVER_USER_CLUSTER_GO = f"{_USER_CLUSTER_RESOURCES}/metrics-server/deployment.go"
USER_CLUSTER_RECONCILER_GO = (
    "pkg/controller/user-cluster-controller-manager/resources/reconciler.go"
)
NODE_LOCAL_DNS_GO = (
    "pkg/controller/user-cluster-controller-manager/resources/resources/node-local-dns/deamonset.go"
)
OPENVPN_SERVER_GO = "pkg/resources/openvpn/deployment.go"
HTTP_PROBER_GO = "pkg/resources/apiserver/is-running.go"
DNAT_CONTROLLER_DEFAULTS_GO = "pkg/controller/operator/defaults/defaults_ce.go"
DNAT_CONTROLLER_DEFAULTS_GO_OLD = "pkg/resources/resources_ce.go"  # v2.17, v2.18
DNAT_CONTROLLER_DEFAULTS_GO_NEW = "pkg/defaulting/images_ce.go"  # from v2.22
CLUSTER_DEFAULTING_GO = "pkg/defaulting/cluster.go"
FEATURES_GO = "pkg/features/features.go"
VALIDATION_GO = "pkg/validation/cluster.go"
