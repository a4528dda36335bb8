{#- Macros of the konnectivity chart. Import with
    {% import "konnectivity/templates/_helpers.tpl" as konnectivity %} -#}

{#- server_host(cluster, values): the host the agents dial (KKP's -konnectivity-server-host):
    values.serverHost, else the host of the cluster's external address, prefixed
    "konnectivity-server." with the Tunneling strategy; "" when neither is known.
    Usage: {% set host = konnectivity.server_host(cluster, values) %} -#}
{% macro server_host(cluster, values) -%}
{% if values.serverHost %}
{{ values.serverHost }}
{%- elif cluster.address.host %}
{{ "konnectivity-server." if cluster.expose_strategy == "Tunneling" else "" }}{{ cluster.address.host }}
{%- endif %}
{%- endmacro %}

{#- server_port(cluster, values): the port the agents dial (KKP's -konnectivity-server-port):
    with Tunneling the port of the cluster's external address; otherwise the NodePort of the
    seed's konnectivity-server Service: values.serverPort, else the Cluster annotation
    kkpgen/konnectivity-server-port (both also pin that NodePort). "" when unknown.
    Usage: {% set port = konnectivity.server_port(cluster, values) %} -#}
{% macro server_port(cluster, values) -%}
{% if cluster.expose_strategy == "Tunneling" and cluster.address.port %}
{{ cluster.address.port }}
{%- elif values.serverPort or cluster.address.konnectivity_port %}
{{ values.serverPort or cluster.address.konnectivity_port }}
{%- endif %}
{%- endmacro %}
