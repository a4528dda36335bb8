"""Named differences between KKP patches that kkpgen's templates and rules branch on, read
from KKP's source at a tag (`capabilities` in data/kkp-patches.yaml)."""

from __future__ import annotations

import re

from tools.kkp_paths import (
    CNI_VERSION_GO_NEW,
    FEATURES_GO,
    HTTP_PROBER_GO,
    KONNECTIVITY_AGENT_GO,
    KONNECTIVITY_SERVER_GO,
    METRICS_SERVER_GO,
    METRICS_SERVER_USER_CLUSTER_GO,
    NODE_LOCAL_DNS_GO,
    OPENVPN_SERVER_GO,
    RESOURCES_GO,
    USER_CLUSTER_RECONCILER_GO,
    VALIDATION_GO,
)
from tools.kkp_source import Source

OPENVPN_CLIENT_ADDON = "addons/openvpn/openvpn-client-dep.yaml"

# The v1.11 cilium and hubble addons: one file up to v2.20, one file per minor from v2.21.
HUBBLE_V1_11 = "addons/hubble/hubble.yaml|addons/hubble/hubble_v1.11.yaml"
CILIUM_V1_11 = "addons/cilium/cilium.yaml|addons/cilium/cilium_v1.11.yaml"
CLUSTER_TYPES_GO = "sdk/apis/kubermatic/v1/cluster.go|pkg/apis/kubermatic/v1/cluster.go"
# The legacy v1.12 addons (v2.21-v2.25; hubble's file stays in v2.26 without a cilium one).
CILIUM_V1_12 = "addons/cilium/cilium_v1.12.yaml"
HUBBLE_V1_12 = "addons/hubble/hubble_v1.12.yaml"
KUBE_PROXY_DAEMONSET = "addons/kube-proxy/daemonset.yaml"
CANAL_V3_22_ADDON = "addons/canal/canal_v3.22.yaml"
CNI_APP_CONTROLLER_GO = (
    "pkg/controller/seed-controller-manager/cni-application-installation-controller/controller.go"
)
# GetAppInstallOverrideValues: in pkg/cni/cilium until v2.27, in the controller from v2.28.
CILIUM_OVERRIDES_GO = "pkg/cni/cilium/cilium.go|" + CNI_APP_CONTROLLER_GO
CILIUM_VALIDATION_GO = (
    "pkg/cni/cilium/cilium.go|"
    "pkg/controller/seed-controller-manager/cni-application-installation-controller/validation.go"
)

# v2.21 and later (names read by kkp/ and the charts; docs/kkp-releases.md explains each).
RECENT_CAPABILITIES: tuple[tuple[str, str, str], ...] = (
    # The KonnectivityService feature gate exists (v2.18-v2.21); from v2.22 Konnectivity
    # needs no gate.
    ("konnectivity_feature_gate", FEATURES_GO, "KonnectivityService = "),
    # Konnectivity's proxy version follows the cluster's Kubernetes minor (v2.23+).
    ("konnectivity_per_kubernetes_minor", KONNECTIVITY_SERVER_GO, "func NetworkProxyVersion("),
    # OpenVPN is deprecated (v2.24+): konnectivityEnabled is to be true.
    ("openvpn_deprecated", CLUSTER_TYPES_GO, "Deprecated: OpenVPN will be removed"),
    # konnectivityEnabled: false is refused (v2.26+): OpenVPN is gone.
    ("konnectivity_mandatory", VALIDATION_GO, "Konnectivity can no longer be disabled"),
    # spec.clusterNetwork.ipFamily (IPv4 or IPv4+IPv6) and per-family node mask sizes (v2.21+).
    ("dual_stack", CLUSTER_TYPES_GO, 'IPFamilyDualStack IPFamily = "IPv4+IPv6"'),
    # Canal below v3.22 refuses dual stack (v2.21+).
    ("canal_dual_stack_needs_v3_22", VALIDATION_GO, "dual-stack not allowed on Canal"),
    # spec.clusterNetwork.tunnelingAgentIP (the Tunneling expose strategy's agent address).
    ("tunneling_agent_ip", CLUSTER_TYPES_GO, "TunnelingAgentIP string"),
    # Cilium >= 1.13 is a Helm ApplicationInstallation written by the seed (v2.22+).
    ("cilium_application_installation", CNI_VERSION_GO_NEW, "func IsManagedByAppInfra("),
    # proxyMode ebpf is refused only with Canal, so CNI none may use it (v2.26+).
    (
        "ebpf_with_cni_none",
        VALIDATION_GO,
        "EBPFProxyMode && (cni == nil || cni.Type == kubermaticv1.CNIPluginTypeCanal)",
    ),
    # proxyMode nftables exists (v2.30+); GetDefaultProxyMode picks it from a Kubernetes
    # minor (networkDefaults.nftablesFromKubernetes).
    ("proxy_mode_nftables", RESOURCES_GO, "NFTablesProxyMode"),
    # kube-proxy's DaemonSet carries checksum/config, the ConfigHash of the addon's network
    # values (v2.30+).
    ("kube_proxy_config_hash", KUBE_PROXY_DAEMONSET, "checksum/config"),
    # node-cache pulls IfNotPresent and serves metrics on 9253 (v2.29+).
    ("nodelocal_dns_metrics_port", NODE_LOCAL_DNS_GO, "9253"),
    # validateCNIUpdate compares minors only: a patch change within one minor (Cilium
    # 1.13.0 -> 1.13.4) needs no label (v2.23+; v2.22 refuses it without unsafe-cni-upgrade).
    (
        "cni_patch_change_allowed",
        VALIDATION_GO,
        "minorVersionChange := newV.Minor() != oldV.Minor()",
    ),
    # The canal addon (v2.21+) templates dual stack into canal-config and calico-node from
    # Canal v3.22 (with the blank lines its `if`s leave), and its calico CRDs carry
    # `preserveUnknownFields: false` (v3.19-v3.22 too; data: charts/canal/files/crds.yaml).
    ("canal_dual_stack", CANAL_V3_22_ADDON, ".Cluster.Network.DualStack"),
    ("canal_crd_preserve_unknown_fields", CANAL_V3_22_ADDON, "preserveUnknownFields: false"),
    # Cilium's enforced values exclude NodeLocal DNS's address (v2.29.9+).
    ("cilium_exclude_local_address", CNI_APP_CONTROLLER_GO, "exclude-local-address"),
    # What the Cilium ApplicationInstallation carries, change by change
    # (tests/render/kkp_cilium_application_variants.yaml runs KKP's code at every patch):
    # valuesBlock, sigs.k8s.io/yaml text, replaces the JSON `values` (v2.25.9+), and `values`
    # is then `{}` (v2.25.11+; null before, so not stored); Helm installs atomically (v2.27+).
    ("cilium_values_block", CNI_APP_CONTROLLER_GO, "app.Spec.ValuesBlock = string(rawValues)"),
    ("cilium_empty_values", CNI_APP_CONTROLLER_GO, 'Raw: []byte("{}")'),
    ("cilium_helm_atomic", CNI_APP_CONTROLLER_GO, "Atomic: true,"),
    # The reconciler deletes ipam.operator.clusterPoolIPv4PodCIDR (v2.24.0-v2.27.0).
    (
        "cilium_drops_legacy_pod_cidr",
        CNI_APP_CONTROLLER_GO,
        'delete(operator, "clusterPoolIPv4PodCIDR")',
    ),
    # Enforced values: nodePort.range with ebpf and a non-default range (v2.22.1+); the
    # RuntimeDefault seccomp profile on every pod (v2.24+); portmap chaining and
    # sessionAffinity without kube-proxy replacement (v2.24+); the pod CIDR lists (v2.24+;
    # one CIDR before); kubeProxyReplacement "true"/"false" (v2.26+; "strict"/"disabled"
    # before); hubble-ui's securityContext enabled (v2.26+); envoy's seccomp profile and the
    # ApplicationDefinition's envoy.enabled false (v2.27+); node mask sizes as integers
    # (v2.27+; strings before).
    ("cilium_node_port_range_value", CILIUM_OVERRIDES_GO, 'values["nodePort"]'),
    (
        "cilium_pod_security_context",
        CILIUM_OVERRIDES_GO,
        '"podSecurityContext": podSecurityContext',
    ),
    ("cilium_portmap_chaining", CILIUM_OVERRIDES_GO, 'valuesCni["chainingMode"] = "portmap"'),
    ("cilium_pod_cidr_lists", CILIUM_OVERRIDES_GO, '"clusterPoolIPv4PodCIDRList"'),
    (
        "cilium_kube_proxy_replacement_bool",
        CILIUM_OVERRIDES_GO,
        'values["kubeProxyReplacement"] = "true"',
    ),
    ("cilium_hubble_ui_security_context_enabled", CILIUM_OVERRIDES_GO, 'uiSecContext["enabled"]'),
    ("cilium_envoy", CILIUM_OVERRIDES_GO, 'values["envoy"] = valuesEnvoy'),
    # ValidateValuesUpdate: `cni`, `ipam`, `ipv6` are immutable, compared with fmt.Sprint and
    # with exclusions (a key whose presence frees its top-level value: cni.chainingMode, the
    # v2.22-v2.23 pod CIDR) from v2.24; from v2.27 the node mask sizes free `ipam`.
    ("cilium_values_immutable_exclusions", CILIUM_VALIDATION_GO, '"cni.chainingMode"'),
    (
        "cilium_values_immutable_mask_sizes_excluded",
        CILIUM_VALIDATION_GO,
        '"ipam.operator.clusterPoolIPv4MaskSize"',
    ),
    (
        "cilium_node_mask_size_integer",
        CILIUM_OVERRIDES_GO,
        'ipamOperator["clusterPoolIPv4MaskSize"] = *cluster',
    ),
    # konnectivity-agent's args: --sync-forever (v2.21+), --keepalive-time (v2.22+),
    # --xfr-channel-size unless the cluster's args set it (v2.30+); from v2.31 its
    # anti-affinity is resources.HostnameAntiAffinity (weight 100) plus a zone term when the
    # user cluster's nodes carry the zone label.
    ("konnectivity_agent_sync_forever", KONNECTIVITY_AGENT_GO, '"--sync-forever=true"'),
    ("konnectivity_agent_keepalive_time", KONNECTIVITY_AGENT_GO, "--keepalive-time="),
    ("konnectivity_agent_xfr_channel_size", KONNECTIVITY_AGENT_GO, "AppendArgsWithDefaults"),
    ("konnectivity_agent_anti_affinity_helpers", KONNECTIVITY_AGENT_GO, "HostnameAntiAffinity("),
    # kube-apiserver-egress marshals the versioned v1beta1 type (JSON field names) from v2.27;
    # before, the internal type (Go field names, `TCP: null`).
    (
        "konnectivity_egress_selector_v1beta1",
        "pkg/resources/apiserver/egressselectorconfigmap.go",
        "apiserver/v1beta1",
    ),
    # node-local-dns: KKP stops adding the CriticalAddonsOnly toleration (v2.26) and pulls
    # IfNotPresent with node-cache 1.25.0 (v2.28).
    ("nodelocal_dns_no_critical_addons_toleration", NODE_LOCAL_DNS_GO, "!patchTolerations("),
    ("nodelocal_dns_pull_if_not_present", NODE_LOCAL_DNS_GO, "PullIfNotPresent"),
    # metrics-server v0.6 (v2.21+): `--secure-port` with a named `https` port, the /livez
    # liveness probe, a non-root read-only container, system-cluster-critical, requests
    # 100m/200Mi in the user cluster, the Service port `https`, the ClusterRole's
    # nodes/metrics rule and a PreferDualStack Service on dual stack.
    ("metrics_server_secure_port", METRICS_SERVER_USER_CLUSTER_GO, '"--secure-port"'),
    # The user cluster's metrics-server serves on 10250 (v2.23.x, within the line), the
    # seed's from v2.25; before both 4443.
    ("metrics_server_serving_port_10250", METRICS_SERVER_USER_CLUSTER_GO, "servingPort = 10250"),
    ("metrics_server_seed_serving_port_10250", METRICS_SERVER_GO, '"--secure-port", "10250"'),
    # The seed's metrics-server (OpenVPN) prefers the address types of
    # GetKubeletPreferredAddressTypes (v2.21.1+; before, ExternalIP,InternalIP everywhere).
    (
        "metrics_server_seed_address_types",
        METRICS_SERVER_GO,
        "GetKubeletPreferredAddressTypes(",
    ),
    # metrics-server drops every capability and asks for the RuntimeDefault seccomp profile
    # in its container (v2.25+, with metrics-server v0.7.0).
    ("metrics_server_drop_all_capabilities", METRICS_SERVER_USER_CLUSTER_GO, 'Capability{"ALL"}'),
    # From v2.23 the seed's metrics-server has one anti-affinity term (weight 100, its app
    # label, within the cluster namespace) instead of the per-cluster and per-app pair.
    (
        "metrics_server_seed_namespace_anti_affinity",
        METRICS_SERVER_GO,
        "AntiAffinityTypePreferred",
    ),
    # apiserver.IsRunningWrapper marks http-prober's emptyDir safe to evict for the cluster
    # autoscaler (v2.24+), as openvpn-server does its status volume.
    (
        "http_prober_safe_to_evict_annotation",
        HTTP_PROBER_GO,
        "ClusterAutoscalerSafeToEvictVolumesAnnotation",
    ),
    (
        "openvpn_server_safe_to_evict_annotation",
        OPENVPN_SERVER_GO,
        "ClusterAutoscalerSafeToEvictVolumesAnnotation",
    ),
    # The legacy v1.11 and v1.12 addons at the first patches of v2.21 and v2.22, which lag
    # behind the layout of Cilium's 1.11.16 chart (cilium_chart_1_11_16, v2.20.16): no
    # terminationMessagePolicy nor apply-sysctl-overwrites in v1.11 (v2.21.0-v2.21.1); no
    # install-cni-binaries init container (the agent mounts cni-path), no
    # automountServiceAccountToken, skip-cnp-status-startup-clean nor cni-uninstall, hubble-ui
    # nginx's older `location /` (v2.21.0-v2.21.8, v2.22.0-v2.22.2). Both addons changed at
    # the same patches; the v1.12 file says it.
    ("cilium_legacy_no_termination_message_policy", CILIUM_V1_12, "!terminationMessagePolicy"),
    ("cilium_legacy_no_install_cni_binaries", CILIUM_V1_12, "!install-cni-binaries"),
    # The v1.12 hubble-relay config writes its empty keys with a trailing space (Helm's text:
    # v2.21.0-v2.21.2, v2.21.9-v2.21.13, v2.22.0-v2.24.4, v2.25.0); the v1.12 hubble-ui may be
    # evicted with its tmp-dir and its certgen Job is hubble-generate-certs-c26869f410
    # (v2.24.5+, v2.25.1+; before -394f790584).
    ("hubble_relay_config_trailing_space", HUBBLE_V1_12, "dial-timeout: \n"),
    ("hubble_ui_safe_to_evict", HUBBLE_V1_12, "safe-to-evict-local-volumes"),
    # KKP has the cilium addon of Cilium v1.11 (and, v2.21-v2.25, v1.12); v2.26 removed both
    # legacy addons (#13229) while its webhook still accepts v1.11 and v1.12 as deprecated.
    ("cilium_legacy_addons", CILIUM_V1_11, 'CNIPlugin.Type "cilium"'),
    # The v1.11 certgen Job of v2.21+ (v2.20.16: hubble-generate-certs-4a617efdba).
    (
        "hubble_v1_11_certgen_job_7dc7200f85",
        HUBBLE_V1_11,
        "hubble-generate-certs-7dc7200f85",
    ),
    # v2.20.16's v1.11 addon writes the install-cni-binaries image as
    # quay.io/quay.io/cilium/cilium:v1.11.16 (the v2.21+ per-minor files do not).
    ("cilium_install_cni_image_doubled_registry", CILIUM_V1_11, "quay.io/quay.io/"),
    # The openvpn addon's dnat-controller maps only IPv4 node addresses (`cut -s`, v2.21+).
    ("openvpn_client_dnat_ipv4_only", OPENVPN_CLIENT_ADDON, "cut -d. -s -f3-4"),
    # The user-cluster-controller-manager keeps 2 revisions of the Deployments and DaemonSets
    # it applies (konnectivity-agent, metrics-server, node-local-dns; v2.30.4+).
    ("user_cluster_revision_history_limit", USER_CLUSTER_RECONCILER_GO, "RevisionHistoryLimit(2)"),
)

# Named differences between patches that templates and rules branch on: (name, file, text
# whose presence in that file at the tag means the patch has the capability; `!text`: the
# file exists without it). A file may name alternatives, `a|b`: the first that exists is read.
CAPABILITIES: tuple[tuple[str, str, str], ...] = (
    ("konnectivity_agent_priority_class", KONNECTIVITY_AGENT_GO, "PriorityClassName"),
    ("konnectivity_agent_pull_if_not_present", KONNECTIVITY_AGENT_GO, "PullIfNotPresent"),
    ("openvpn_client_priority_class", OPENVPN_CLIENT_ADDON, "priorityClassName"),
    # PodDisruptionBudgets move from policy/v1beta1 to policy/v1 (after v2.20).
    ("pdb_policy_v1", "pkg/resources/metrics-server/pdb.go", "policyv1.PodDisruptionBudget"),
    # The canal addon's calico-kube-controllers PDB and hubble's certgen CronJob keep their
    # beta APIs (policy/v1beta1, batch/v1beta1) until the addon YAML moves them.
    ("canal_pdb_policy_v1", "addons/canal/canal_v3.22.yaml", "apiVersion: policy/v1\n"),
    ("hubble_cronjob_batch_v1", HUBBLE_V1_11, "apiVersion: batch/v1\nkind: CronJob"),
    # From v2.20.12 node-cache reads /etc/Corefile built from Corefile.base and kube-dns.
    ("nodelocal_dns_kube_dns_config", NODE_LOCAL_DNS_GO, "kube-dns-config"),
    # validateCNIUpdate exists (v2.19+): it validates every CNI change, KKP's own forced
    # upgrades included (v2.18's webhook keeps cniPlugin immutable and forces nothing).
    ("cni_update_validated", VALIDATION_GO, "func validateCNIUpdate("),
    # validateCNIUpdate: any version change away from a deprecated (unsupported) CNI version
    # is allowed, before the allowedCNIVersionTransitions table replaced it (v2.20.5).
    (
        "cni_upgrade_from_deprecated",
        VALIDATION_GO,
        "allowed for automated migration from deprecated CNI",
    ),
    # validateClusterNetworkingConfigUpdateImmutability: proxyMode may change with the
    # unsafe-cni-migration label (the Canal/ipvs to Cilium/ebpf migration), from v2.20.7.
    # From v2.20.16 the cilium and hubble addons follow Cilium's v1.11.16 chart: hubble-relay
    # dials the hubble-peer Service, hubble-ui v0.11 serves through nginx (no Envoy), the
    # agent gets the apply-sysctl-overwrites and install-cni-binaries init containers, and
    # the CronJob is batch/v1.
    ("cilium_chart_1_11_16", HUBBLE_V1_11, "hubble-peer"),
    # From v2.20.14 cilium-config carries the cluster's node-port range with proxy mode ebpf.
    ("cilium_node_port_range", CILIUM_V1_11, "node-port-range: {{"),
    (
        "proxy_mode_change_with_migration_label",
        VALIDATION_GO,
        "allow proxy mode change by CNI migration",
    ),
    *RECENT_CAPABILITIES,
)


def capabilities(source: Source) -> list[str]:
    found = []
    for name, paths, text in CAPABILITIES:
        path = next((p for p in paths.split("|") if source.exists(p)), None)
        if path is None:
            continue
        negated = text.startswith("!")
        if (text[1:] not in source.read(path)) if negated else (text in source.read(path)):
            found.append(name)
    if _top_level_address(source):
        found.append("cluster_top_level_address")
    return found


def _top_level_address(source: Source) -> bool:
    """The Cluster object has `address` beside `spec` (v2.17-v2.21); from v2.22 it is only
    under `status` (the apiserver URL then comes from kkpgen/apiserver-url)."""
    path = next((p for p in CLUSTER_TYPES_GO.split("|") if source.exists(p)), None)
    if path is None:
        return True  # v2.17/v2.18 keep the types elsewhere, with address at the top
    text = source.read(path)
    cluster = re.search(r"\ntype Cluster struct \{(.*?)\n\}", text, re.S)
    return cluster is not None and "Address ClusterAddress" in cluster.group(1)
