{#- Macros of the konnectivity chart. Import with
    {% import "konnectivity/templates/_helpers.tpl" as konnectivity %} -#}

{#- labels(cluster, component, image): the kkpgen label set, one `key: value` per line, without
    a trailing newline. `image` is the running image; its tag becomes app.kubernetes.io/version.
    Usage:    {{ konnectivity.labels(cluster, "agent", images.konnectivity_agent) | indent(4) }} -#}
{% macro labels(cluster, component, image) -%}
app.kubernetes.io/name: konnectivity
app.kubernetes.io/instance: {{ cluster.name }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/version: {{ image.rsplit(":", 1)[1] | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}

{#- server_host(cluster, values): the host the agents dial (KKP's -konnectivity-server-host):
    values.serverHost, else the cluster's external host, prefixed "konnectivity-server." with
    the Tunneling strategy. Fails when neither is known.
    Usage: --proxy-server-host={{ konnectivity.server_host(cluster, values) }} -#}
{% macro server_host(cluster, values) -%}
{% if values.serverHost %}
{{ values.serverHost }}
{%- else %}
{{ ((("konnectivity-server." if values.exposeStrategy == "Tunneling" else "") ~ cluster.address.host) if cluster.address.host else "") | required("konnectivity: the cluster's external address is unknown; set values.serverHost") }}
{%- endif %}
{%- endmacro %}

{#- server_port(cluster, values): the port the agents dial (KKP's -konnectivity-server-port):
    values.serverPort, else the apiserver port with Tunneling. With NodePort and LoadBalancer it
    is the konnectivity-server Service's NodePort, which only values.serverPort can give.
    Usage: --proxy-server-port={{ konnectivity.server_port(cluster, values) }} -#}
{% macro server_port(cluster, values) -%}
{% if values.serverPort %}
{{ values.serverPort }}
{%- elif values.exposeStrategy == "Tunneling" %}
{{ cluster.address.port | required("konnectivity: the cluster's apiserver port is unknown; set values.serverPort") }}
{%- else %}
{{ "" | required("konnectivity: values.serverPort is required (the konnectivity-server NodePort the agents dial)") }}
{%- endif %}
{%- endmacro %}
