{#- Macros of the metrics-server chart. Import with
    {% import "metrics-server/templates/_helpers.tpl" as metrics %} -#}

{#- args(values, kubeconfig, address_types, port): metrics-server's flags as a list.
    `kubeconfig` is the mounted kubeconfig path the seed-side server talks to the user
    cluster with ("" in the user cluster, where it uses its ServiceAccount); `address_types`
    its preferred kubelet address types; `port` its `--secure-port` (0: none, KKP v2.17-v2.20).
    Usage: {% set args = metrics.args(values, "", "InternalIP", 10250).split("\n") %} -#}
{% macro args(values, kubeconfig, address_types, port) -%}
{% if kubeconfig %}
--kubeconfig
{{ kubeconfig | token }}
--authentication-kubeconfig
{{ kubeconfig | token }}
--authorization-kubeconfig
{{ kubeconfig | token }}
{% endif %}
--kubelet-insecure-tls
--kubelet-use-node-status-port
{% if port %}
--secure-port
{{ port }}
{% endif %}
--metric-resolution
{{ values.metricResolution | token }}
--kubelet-preferred-address-types
{{ address_types | token }}
--v
{{ values.logLevel | token }}
--tls-cert-file
/etc/serving-cert/serving.crt
--tls-private-key-file
/etc/serving-cert/serving.key
{%- endmacro %}

{#- port(caps, seed): the `--secure-port` KKP gives metrics-server in the user cluster
    (seed=false) or the seed: none before v2.21 (0), 4443, then 10250 (the user cluster's
    from within v2.23, the seed's from v2.25). Usage: {% set port = metrics.port(caps, false) | int %} -#}
{% macro port(caps, seed) -%}
{% if "metrics_server_secure_port" not in caps %}0{% elif ("metrics_server_seed_serving_port_10250" if seed else "metrics_server_serving_port_10250") in caps %}10250{% else %}4443{% endif %}
{%- endmacro %}

{#- seed_address_types(cluster): the seed-side server's `--kubelet-preferred-address-types`,
    KKP's GetKubeletPreferredAddressTypes for an OpenVPN cluster (v2.21.1+): InternalIP on GCP,
    InternalIP first on dual-stack Hetzner, else ExternalIP first (before v2.21.1 always).
    Usage: {% set types = metrics.seed_address_types(cluster) %} -#}
{% macro seed_address_types(cluster) -%}
{% if "metrics_server_seed_address_types" not in cluster.kkp_capabilities %}ExternalIP,InternalIP{% elif cluster.cloud_provider == "gcp" %}InternalIP{% elif cluster.cloud_provider == "hetzner" and cluster.network.dual_stack %}InternalIP,ExternalIP{% else %}ExternalIP,InternalIP{% endif %}
{%- endmacro %}

{#- container(caps, values, port): KKP's port, liveness probe and securityContext of the
    metrics-server container (v2.21+), plus kkpgen's opt-in probes (`values.probes`), without
    a trailing newline. Usage:    {{ metrics.container(caps, values, port) | indent(10) }} -#}
{% macro container(caps, values, port) -%}
{% if port or values.probes %}
ports:
  - name: https
    containerPort: {{ port or 443 }}
    protocol: TCP
{% endif %}
{% if values.probes %}
readinessProbe:
  httpGet:
    path: /readyz
    port: https
    scheme: HTTPS
  initialDelaySeconds: 20
  periodSeconds: 10
  failureThreshold: 3
{% endif %}
{% if port %}
livenessProbe:
  httpGet:
    path: /livez
    port: https
    scheme: HTTPS
  timeoutSeconds: 1
  periodSeconds: 10
  successThreshold: 1
  failureThreshold: 3
securityContext:
{% if "metrics_server_drop_all_capabilities" in caps %}
  capabilities:
    drop: [ALL]
{% endif %}
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  runAsUser: 1000
{% if "metrics_server_drop_all_capabilities" in caps %}
  seccompProfile:
    type: RuntimeDefault
{% endif %}
{% elif values.probes %}
livenessProbe:
  httpGet:
    path: /livez
    port: https
    scheme: HTTPS
  periodSeconds: 10
  failureThreshold: 3
{% endif %}
{%- endmacro %}

{#- user_cluster_resources(caps, values): the container resources in the user cluster:
    `values.userCluster.resources`, else KKP's for the release (requests 50m/100Mi before
    v2.21, 100m/200Mi from v2.21; limits 1/512Mi). Usage:
    {{ metrics.user_cluster_resources(caps, values) | indent(12) }} -#}
{% macro user_cluster_resources(caps, values) -%}
{% if values.userCluster.resources %}
{{ values.userCluster.resources | toyaml }}
{%- elif "metrics_server_secure_port" in caps %}
requests: {cpu: 100m, memory: 200Mi}
limits: {cpu: "1", memory: 512Mi}
{%- else %}
requests: {cpu: 50m, memory: 100Mi}
limits: {cpu: "1", memory: 512Mi}
{%- endif %}
{%- endmacro %}
