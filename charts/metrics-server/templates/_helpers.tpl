{#- Macros of the metrics-server chart. Import with
    {% import "metrics-server/templates/_helpers.tpl" as metrics %} -#}

{#- args(values, kubeconfig, address_types): metrics-server's flags as a list. `kubeconfig` is
    the mounted kubeconfig path the seed-side server talks to the user cluster with ("" in the
    user cluster, where it uses its ServiceAccount); `address_types` its preferred kubelet
    address types. Usage: {% set args = metrics.args(values, "", "InternalIP").split("\n") %} -#}
{% macro args(values, kubeconfig, address_types) -%}
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

{#- probes(): readiness and liveness of the metrics-server container (its https port 443),
    without a trailing newline. Usage:    {{ metrics.probes() | indent(10) }} -#}
{% macro probes() -%}
readinessProbe:
  httpGet:
    path: /readyz
    port: https
    scheme: HTTPS
  initialDelaySeconds: 20
  periodSeconds: 10
  failureThreshold: 3
livenessProbe:
  httpGet:
    path: /livez
    port: https
    scheme: HTTPS
  periodSeconds: 10
  failureThreshold: 3
{%- endmacro %}
