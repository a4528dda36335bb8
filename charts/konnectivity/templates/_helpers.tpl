{#- Macros of the konnectivity chart. Import with
    {% import "konnectivity/templates/_helpers.tpl" as konnectivity %} -#}

{#- labels(cluster, component, image): the kkpgen label set, one `key: value` per line, without
    a trailing newline. `image` is the running image; its tag becomes app.kubernetes.io/version.
    Usage:    {{ konnectivity.labels(cluster, "agent", images.konnectivity_agent) | indent(4) }} -#}
{% macro labels(cluster, component, image) -%}
app.kubernetes.io/name: konnectivity
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/version: {{ image.rsplit(":", 1)[1] | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}

{#- server_host(cluster, values): the host the agents dial (KKP's -konnectivity-server-host):
    values.serverHost, else the host of the cluster's external address, prefixed
    "konnectivity-server." with the Tunneling strategy; "" when neither is known.
    Usage: {% set host = konnectivity.server_host(cluster, values) %} -#}
{% macro server_host(cluster, values) -%}
{% if values.serverHost %}
{{ values.serverHost }}
{%- elif cluster.address.host %}
{{ "konnectivity-server." if values.exposeStrategy == "Tunneling" else "" }}{{ cluster.address.host }}
{%- endif %}
{%- endmacro %}

{#- server_port(cluster, values): the port the agents dial (KKP's -konnectivity-server-port):
    values.serverPort (set it per cluster with a `konnectivity` Addon document; it also pins the
    seed Service's NodePort), else the port of the cluster's external address with Tunneling,
    else 6443, the default of KKP's user-cluster-controller-manager flag.
    Usage: {% set port = konnectivity.server_port(cluster, values) %} -#}
{% macro server_port(cluster, values) -%}
{% if values.serverPort %}
{{ values.serverPort }}
{%- elif values.exposeStrategy == "Tunneling" and cluster.address.port %}
{{ cluster.address.port }}
{%- else %}
6443
{%- endif %}
{%- endmacro %}
