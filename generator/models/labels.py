"""The labels and annotations that carry kkpgen's own settings on KKP objects."""

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
# The seed-controller-manager's -node-access-network (KKP's default 10.254.0.0/16): the network
# through which the control plane reaches nodes over OpenVPN, one value for openvpn-server,
# openvpn-client's dnat-controller and metrics-server's seed dnat-controller.
NODE_ACCESS_NETWORK_ANNOTATION = "kkpgen/node-access-network"
DEFAULT_NODE_ACCESS_NETWORK = "10.254.0.0/16"
# A Cluster label: the user confirms the cluster's deletion since the base (diff, check).
DECOMMISSION_LABEL = "kkpgen/decommission"
