{#- Macros and data of the canal chart. Import it as
    {% import "canal/templates/_helpers.tpl" as canal %}
-#}

{#- Usage: {% for crd in canal.crds if not crd.requires or crd.requires in cluster.cni.capabilities %}
    The Calico CRDs Canal installs (all in group crd.projectcalico.org, version v1).
    `requires` names the catalog capability a Canal version must have for the CRD to be
    installed; "" means every version (these nine are what Canal v3.8 already shipped). -#}
{% set crds = [
  {"plural": "bgpconfigurations", "singular": "bgpconfiguration", "kind": "BGPConfiguration", "scope": "Cluster", "requires": ""},
  {"plural": "bgppeers", "singular": "bgppeer", "kind": "BGPPeer", "scope": "Cluster", "requires": "crd_bgppeer"},
  {"plural": "blockaffinities", "singular": "blockaffinity", "kind": "BlockAffinity", "scope": "Cluster", "requires": "crd_ipam"},
  {"plural": "caliconodestatuses", "singular": "caliconodestatus", "kind": "CalicoNodeStatus", "scope": "Cluster", "requires": "crd_caliconodestatus", "annotations": {"controller-gen.kubebuilder.io/version": "(devel)"}},
  {"plural": "clusterinformations", "singular": "clusterinformation", "kind": "ClusterInformation", "scope": "Cluster", "requires": ""},
  {"plural": "felixconfigurations", "singular": "felixconfiguration", "kind": "FelixConfiguration", "scope": "Cluster", "requires": ""},
  {"plural": "globalnetworkpolicies", "singular": "globalnetworkpolicy", "kind": "GlobalNetworkPolicy", "scope": "Cluster", "requires": ""},
  {"plural": "globalnetworksets", "singular": "globalnetworkset", "kind": "GlobalNetworkSet", "scope": "Cluster", "requires": ""},
  {"plural": "hostendpoints", "singular": "hostendpoint", "kind": "HostEndpoint", "scope": "Cluster", "requires": ""},
  {"plural": "ipamblocks", "singular": "ipamblock", "kind": "IPAMBlock", "scope": "Cluster", "requires": "crd_ipam"},
  {"plural": "ipamconfigs", "singular": "ipamconfig", "kind": "IPAMConfig", "scope": "Cluster", "requires": "crd_ipam"},
  {"plural": "ipamhandles", "singular": "ipamhandle", "kind": "IPAMHandle", "scope": "Cluster", "requires": "crd_ipam"},
  {"plural": "ippools", "singular": "ippool", "kind": "IPPool", "scope": "Cluster", "requires": ""},
  {"plural": "ipreservations", "singular": "ipreservation", "kind": "IPReservation", "scope": "Cluster", "requires": "crd_ipreservation"},
  {"plural": "kubecontrollersconfigurations", "singular": "kubecontrollersconfiguration", "kind": "KubeControllersConfiguration", "scope": "Cluster", "requires": "kube_controllers"},
  {"plural": "networkpolicies", "singular": "networkpolicy", "kind": "NetworkPolicy", "scope": "Namespaced", "requires": ""},
  {"plural": "networksets", "singular": "networkset", "kind": "NetworkSet", "scope": "Namespaced", "requires": ""},
] %}

{#- Usage: openAPIV3Schema: {{ canal.crd_schema("IPPool") | nindent(10) }}
    The structural schema of a Calico v1 resource (the field set of Calico v3.22, a superset
    of every older Canal version's). Every field is typed; nothing preserves unknown fields,
    so the API server prunes misspelt keys like it does for built-in kinds. -#}
{% macro crd_schema(kind) -%}
type: object
description: {{ (kind ~ " is a Calico resource (projectcalico.org/v3 " ~ kind ~ ", stored as a CRD).") | quote }}
properties:
  apiVersion: {type: string}
  kind: {type: string}
  metadata: {type: object}
{% if kind == "BGPConfiguration" %}
  spec:
    type: object
    description: Cluster-wide (name `default`) or per-node (`node.<name>`) BGP settings.
    properties:
      asNumber: {type: integer, format: int32}
      communities:
        type: array
        items:
          type: object
          properties:
            name: {type: string}
            value: {type: string, pattern: '^(\d+):(\d+)$|^(\d+):(\d+):(\d+)$'}
      listenPort: {type: integer, minimum: 1, maximum: 65535}
      logSeverityScreen: {type: string}
      nodeToNodeMeshEnabled: {type: boolean}
      prefixAdvertisements:
        type: array
        items:
          type: object
          properties:
            cidr: {type: string}
            communities: {type: array, items: {type: string}}
      serviceClusterIPs: {{ _cidr_list() }}
      serviceExternalIPs: {{ _cidr_list() }}
      serviceLoadBalancerIPs: {{ _cidr_list() }}
{%- elif kind == "BGPPeer" %}
  spec:
    type: object
    description: A BGP peer of all nodes, of the nodes matching nodeSelector, or of one node.
    properties:
      asNumber: {type: integer, format: int32}
      keepOriginalNextHop: {type: boolean}
      maxRestartTime: {type: string}
      node: {type: string}
      nodeSelector: {type: string}
      password:
        type: object
        properties:
          secretKeyRef:
            type: object
            required: [key]
            properties:
              key: {type: string}
              name: {type: string}
              optional: {type: boolean}
      peerIP: {type: string}
      peerSelector: {type: string}
      sourceAddress: {type: string}
{%- elif kind == "BlockAffinity" %}
  spec:
    type: object
    description: Claims an IPAM block for a node (Calico IPAM).
    required: [cidr, deleted, node, state]
    properties:
      cidr: {type: string}
      deleted: {type: string}
      node: {type: string}
      state: {type: string}
{%- elif kind == "CalicoNodeStatus" %}
  spec:
    type: object
    description: Which status classes calico-node reports for a node, and how often.
    properties:
      classes: {type: array, items: {type: string}}
      node: {type: string}
      updatePeriodSeconds: {type: integer, format: int32}
  status:
    type: object
    properties:
      agent:
        type: object
        properties:
          birdV4: {{ _bird_status() }}
          birdV6: {{ _bird_status() }}
      bgp:
        type: object
        required: [numberEstablishedV4, numberEstablishedV6, numberNotEstablishedV4, numberNotEstablishedV6]
        properties:
          numberEstablishedV4: {type: integer}
          numberEstablishedV6: {type: integer}
          numberNotEstablishedV4: {type: integer}
          numberNotEstablishedV6: {type: integer}
          peersV4: {{ _bgp_peer_status_list() }}
          peersV6: {{ _bgp_peer_status_list() }}
      lastUpdated: {type: string, format: date-time, nullable: true}
      routes:
        type: object
        properties:
          routesV4: {{ _route_status_list() }}
          routesV6: {{ _route_status_list() }}
{%- elif kind == "ClusterInformation" %}
  spec:
    type: object
    description: Cluster-wide facts calico-node records (name `default`).
    properties:
      calicoVersion: {type: string}
      clusterGUID: {type: string}
      clusterType: {type: string}
      datastoreReady: {type: boolean}
      variant: {type: string}
{%- elif kind == "FelixConfiguration" %}
  spec:
    type: object
    description: Felix settings, cluster-wide (name `default`) or per node (`node.<name>`).
    properties:
      allowIPIPPacketsFromWorkloads: {type: boolean}
      allowVXLANPacketsFromWorkloads: {type: boolean}
      awsSrcDstCheck: {type: string, enum: [DoNothing, Enable, Disable]}
      bpfConnectTimeLoadBalancingEnabled: {type: boolean}
      bpfDataIfacePattern: {type: string}
      bpfDisableUnprivileged: {type: boolean}
      bpfEnabled: {type: boolean}
      bpfExtToServiceConnmark: {type: integer}
      bpfExternalServiceMode: {type: string}
      bpfKubeProxyEndpointSlicesEnabled: {type: boolean}
      bpfKubeProxyIptablesCleanupEnabled: {type: boolean}
      bpfKubeProxyMinSyncPeriod: {type: string}
      bpfLogLevel: {type: string}
      chainInsertMode: {type: string}
      dataplaneDriver: {type: string}
      debugDisableLogDropping: {type: boolean}
      debugMemoryProfilePath: {type: string}
      debugSimulateCalcGraphHangAfter: {type: string}
      debugSimulateDataplaneHangAfter: {type: string}
      defaultEndpointToHostAction: {type: string}
      deviceRouteProtocol: {type: integer}
      deviceRouteSourceAddress: {type: string}
      disableConntrackInvalidCheck: {type: boolean}
      endpointReportingDelay: {type: string}
      endpointReportingEnabled: {type: boolean}
      externalNodesList: {type: array, items: {type: string}}
      failsafeInboundHostPorts: {{ _proto_port_list() }}
      failsafeOutboundHostPorts: {{ _proto_port_list() }}
      featureDetectOverride: {type: string}
      genericXDPEnabled: {type: boolean}
      healthEnabled: {type: boolean}
      healthHost: {type: string}
      healthPort: {type: integer}
      interfaceExclude: {type: string}
      interfacePrefix: {type: string}
      interfaceRefreshInterval: {type: string}
      ipipEnabled: {type: boolean}
      ipipMTU: {type: integer}
      ipsetsRefreshInterval: {type: string}
      iptablesBackend: {type: string}
      iptablesFilterAllowAction: {type: string}
      iptablesLockFilePath: {type: string}
      iptablesLockProbeInterval: {type: string}
      iptablesLockTimeout: {type: string}
      iptablesMangleAllowAction: {type: string}
      iptablesMarkMask: {type: integer, format: int32}
      iptablesNATOutgoingInterfaceFilter: {type: string}
      iptablesPostWriteCheckInterval: {type: string}
      iptablesRefreshInterval: {type: string}
      ipv6Support: {type: boolean}
      kubeNodePortRanges: {type: array, items: {{ _int_or_string() }}}
      logFilePath: {type: string}
      logPrefix: {type: string}
      logSeverityFile: {type: string}
      logSeverityScreen: {type: string}
      logSeveritySys: {type: string}
      maxIpsetSize: {type: integer}
      metadataAddr: {type: string}
      metadataPort: {type: integer}
      mtuIfacePattern: {type: string}
      natOutgoingAddress: {type: string}
      natPortRange: {{ _int_or_string() }}
      netlinkTimeout: {type: string}
      openstackRegion: {type: string}
      policySyncPathPrefix: {type: string}
      prometheusGoMetricsEnabled: {type: boolean}
      prometheusMetricsEnabled: {type: boolean}
      prometheusMetricsHost: {type: string}
      prometheusMetricsPort: {type: integer}
      prometheusProcessMetricsEnabled: {type: boolean}
      prometheusWireGuardMetricsEnabled: {type: boolean}
      removeExternalRoutes: {type: boolean}
      reportingInterval: {type: string}
      reportingTTL: {type: string}
      routeRefreshInterval: {type: string}
      routeSource: {type: string}
      routeTableRange:
        type: object
        required: [max, min]
        properties:
          max: {type: integer}
          min: {type: integer}
      serviceLoopPrevention: {type: string}
      sidecarAccelerationEnabled: {type: boolean}
      usageReportingEnabled: {type: boolean}
      usageReportingInitialDelay: {type: string}
      usageReportingInterval: {type: string}
      useInternalDataplaneDriver: {type: boolean}
      vxlanEnabled: {type: boolean}
      vxlanMTU: {type: integer}
      vxlanPort: {type: integer}
      vxlanVNI: {type: integer}
      wireguardEnabled: {type: boolean}
      wireguardHostEncryptionEnabled: {type: boolean}
      wireguardInterfaceName: {type: string}
      wireguardListeningPort: {type: integer}
      wireguardMTU: {type: integer}
      wireguardRoutingRulePriority: {type: integer}
      xdpEnabled: {type: boolean}
      xdpRefreshInterval: {type: string}
{%- elif kind == "GlobalNetworkPolicy" or kind == "NetworkPolicy" %}
  spec:
    type: object
    description: Ordered ingress/egress rules for the endpoints that selector matches.
    properties:
{% if kind == "GlobalNetworkPolicy" %}
      applyOnForward: {type: boolean}
      doNotTrack: {type: boolean}
{% endif %}
      egress:
        type: array
        items:
          {{ _rule() | indent(10) }}
      ingress:
        type: array
        items:
          {{ _rule() | indent(10) }}
{% if kind == "GlobalNetworkPolicy" %}
      namespaceSelector: {type: string}
{% endif %}
      order: {type: number}
{% if kind == "GlobalNetworkPolicy" %}
      preDNAT: {type: boolean}
{% endif %}
      selector: {type: string}
      serviceAccountSelector: {type: string}
      types: {type: array, items: {type: string}}
{%- elif kind == "GlobalNetworkSet" or kind == "NetworkSet" %}
  spec:
    type: object
    description: A set of IP networks that policy selectors can match by this object's labels.
    properties:
      nets: {type: array, items: {type: string}}
{%- elif kind == "HostEndpoint" %}
  spec:
    type: object
    description: A host interface (or the whole host) that policy applies to.
    properties:
      expectedIPs: {type: array, items: {type: string}}
      interfaceName: {type: string}
      node: {type: string}
      ports:
        type: array
        items:
          type: object
          required: [name, port, protocol]
          properties:
            name: {type: string}
            port: {type: integer}
            protocol: {{ _int_or_string() }}
      profiles: {type: array, items: {type: string}}
{%- elif kind == "IPAMBlock" %}
  spec:
    type: object
    description: An IPAM block and its per-address allocations (Calico IPAM).
    required: [allocations, attributes, cidr, strictAffinity, unallocated]
    properties:
      affinity: {type: string}
      allocations: {type: array, items: {type: integer, nullable: true}}
      attributes:
        type: array
        items:
          type: object
          properties:
            handle_id: {type: string}
            secondary: {type: object, additionalProperties: {type: string}}
      cidr: {type: string}
      deleted: {type: boolean}
      strictAffinity: {type: boolean}
      unallocated: {type: array, items: {type: integer}}
{%- elif kind == "IPAMConfig" %}
  spec:
    type: object
    description: Cluster-wide Calico IPAM settings (name `default`).
    required: [autoAllocateBlocks, strictAffinity]
    properties:
      autoAllocateBlocks: {type: boolean}
      maxBlocksPerHost: {type: integer}
      strictAffinity: {type: boolean}
{%- elif kind == "IPAMHandle" %}
  spec:
    type: object
    description: The addresses one allocation handle holds, counted per block.
    required: [block, handleID]
    properties:
      block: {type: object, additionalProperties: {type: integer}}
      deleted: {type: boolean}
      handleID: {type: string}
{%- elif kind == "IPPool" %}
  spec:
    type: object
    description: A pool of pod addresses and its encapsulation and NAT settings.
    required: [cidr]
    properties:
      allowedUses: {type: array, items: {type: string}}
      blockSize: {type: integer}
      cidr: {type: string}
      disableBGPExport: {type: boolean}
      disabled: {type: boolean}
      ipip:
        type: object
        description: Deprecated (Calico v1 API); use ipipMode.
        properties:
          enabled: {type: boolean}
          mode: {type: string}
      ipipMode: {type: string}
      nat-outgoing: {type: boolean, description: Deprecated (Calico v1 API); use natOutgoing.}
      natOutgoing: {type: boolean}
      nodeSelector: {type: string}
      vxlanMode: {type: string}
{%- elif kind == "IPReservation" %}
  spec:
    type: object
    description: Addresses Calico IPAM must never hand out.
    properties:
      reservedCIDRs: {type: array, items: {type: string}}
{%- elif kind == "KubeControllersConfiguration" %}
  spec:
    {{ _kube_controllers_config() | indent(4) }}
  status:
    type: object
    properties:
      environmentVars: {type: object, additionalProperties: {type: string}}
      runningConfig:
        {{ _kube_controllers_config() | indent(8) }}
{%- else %}
{{ none | required("canal: no CRD schema for kind " ~ kind) }}
{%- endif %}
{%- endmacro %}

{#- Private building blocks of crd_schema (not exported). -#}
{% macro _int_or_string() %}{anyOf: [{type: integer}, {type: string}], x-kubernetes-int-or-string: true}{% endmacro %}
{% macro _cidr_list() %}{type: array, items: {type: object, properties: {cidr: {type: string}}}}{% endmacro %}
{% macro _proto_port_list() %}{type: array, items: {type: object, required: [port, protocol], properties: {net: {type: string}, port: {type: integer}, protocol: {type: string}}}}{% endmacro %}
{% macro _bird_status() %}{type: object, properties: {lastBootTime: {type: string}, lastReconfigurationTime: {type: string}, routerID: {type: string}, state: {type: string}, version: {type: string}}}{% endmacro %}
{% macro _bgp_peer_status_list() %}{type: array, items: {type: object, properties: {peerIP: {type: string}, since: {type: string}, state: {type: string}, type: {type: string}}}}{% endmacro %}
{% macro _route_status_list() %}{type: array, items: {type: object, properties: {destination: {type: string}, gateway: {type: string}, interface: {type: string}, learnedFrom: {type: object, properties: {peerIP: {type: string}, sourceType: {type: string}}}, type: {type: string}}}}{% endmacro %}

{#- A policy rule: action plus match criteria on protocol, ICMP, HTTP, source and destination. -#}
{% macro _rule() -%}
type: object
required: [action]
properties:
  action: {type: string}
  destination:
    {{ _entity_rule() | indent(4) }}
  http:
    type: object
    properties:
      methods: {type: array, items: {type: string}}
      paths:
        type: array
        items:
          type: object
          properties:
            exact: {type: string}
            prefix: {type: string}
  icmp: {{ _icmp() }}
  ipVersion: {type: integer}
  metadata:
    type: object
    properties:
      annotations: {type: object, additionalProperties: {type: string}}
  notICMP: {{ _icmp() }}
  notProtocol: {{ _int_or_string() }}
  protocol: {{ _int_or_string() }}
  source:
    {{ _entity_rule() | indent(4) }}
{%- endmacro %}

{% macro _icmp() %}{type: object, properties: {code: {type: integer}, type: {type: integer}}}{% endmacro %}

{#- The source or destination of a rule: nets, ports, selectors, service accounts, services. -#}
{% macro _entity_rule() -%}
type: object
properties:
  namespaceSelector: {type: string}
  nets: {type: array, items: {type: string}}
  notNets: {type: array, items: {type: string}}
  notPorts: {type: array, items: {{ _int_or_string() }}}
  notSelector: {type: string}
  ports: {type: array, items: {{ _int_or_string() }}}
  selector: {type: string}
  serviceAccounts:
    type: object
    properties:
      names: {type: array, items: {type: string}}
      selector: {type: string}
  services:
    type: object
    properties:
      name: {type: string}
      namespace: {type: string}
{%- endmacro %}

{#- The spec of a KubeControllersConfiguration (also its status.runningConfig). -#}
{% macro _kube_controllers_config() -%}
type: object
required: [controllers]
properties:
  controllers:
    type: object
    properties:
      namespace: {{ _reconciler() }}
      node:
        type: object
        properties:
          hostEndpoint: {type: object, properties: {autoCreate: {type: string}}}
          leakGracePeriod: {type: string}
          reconcilerPeriod: {type: string}
          syncLabels: {type: string}
      policy: {{ _reconciler() }}
      serviceAccount: {{ _reconciler() }}
      workloadEndpoint: {{ _reconciler() }}
  etcdV3CompactionPeriod: {type: string}
  healthChecks: {type: string}
  logSeverityScreen: {type: string}
  prometheusMetricsPort: {type: integer}
{%- endmacro %}

{% macro _reconciler() %}{type: object, properties: {reconcilerPeriod: {type: string}}}{% endmacro %}
